using NativeNet.Bindings.Cuda;

namespace NativeNet.Backends.Cuda;

/// <summary>Pooling, index ops and fused optimizer steps: NativeNet's kernels (cuDNN pooling gives no argmax indices).</summary>
internal sealed unsafe partial class CudaBackend
{
    internal static nn_conv2d_params Params(in Pool2dGeometry g) => new()
    {
        n = g.N, c = g.C, h = g.H, w = g.W, o = g.C, kh = g.KH, kw = g.KW, oh = g.OH, ow = g.OW,
        stride_h = g.StrideH, stride_w = g.StrideW, pad_h = g.PadH, pad_w = g.PadW,
        dilation_h = g.DilationH, dilation_w = g.DilationW, groups = 1, count_include_pad = g.CountIncludePad ? 1 : 0,
    };

    static void CheckPoolDType(string op, DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new DTypeMismatchException(op, $"needs a floating-point input, got {dtype.Name()}");
    }

    public void MaxPool2d(TensorView x, TensorView y, TensorView indices, in Pool2dGeometry g)
    {
        CheckPoolDType("MaxPool2d", x.DType);
        Owner.MakeCurrent();
        Run(NativeKernels.nn_max_pool2d(Ptr(y, "MaxPool2d"), Ptr(indices, "MaxPool2d"), Ptr(x, "MaxPool2d"), (int)x.DType, Params(g), Stream),
            "nn_max_pool2d", "MaxPool2d");
    }

    public void MaxPool2dBackward(TensorView gy, TensorView indices, TensorView gx, in Pool2dGeometry g)
    {
        CheckPoolDType("MaxPool2dBackward", gy.DType);
        Owner.MakeCurrent();
        Run(NativeKernels.nn_max_pool2d_backward(Ptr(gx, "MaxPool2d"), Ptr(gy, "MaxPool2d"), Ptr(indices, "MaxPool2d"), (int)gy.DType, Params(g), Stream),
            "nn_max_pool2d_backward", "MaxPool2dBackward");
    }

    public void AvgPool2d(TensorView x, TensorView y, in Pool2dGeometry g)
    {
        CheckPoolDType("AvgPool2d", x.DType);
        Owner.MakeCurrent();
        Run(NativeKernels.nn_avg_pool2d(Ptr(y, "AvgPool2d"), Ptr(x, "AvgPool2d"), (int)x.DType, Params(g), Stream), "nn_avg_pool2d", "AvgPool2d");
    }

    public void AvgPool2dBackward(TensorView gy, TensorView gx, in Pool2dGeometry g)
    {
        CheckPoolDType("AvgPool2dBackward", gy.DType);
        Owner.MakeCurrent();
        Run(NativeKernels.nn_avg_pool2d_backward(Ptr(gx, "AvgPool2d"), Ptr(gy, "AvgPool2d"), (int)gy.DType, Params(g), Stream),
            "nn_avg_pool2d_backward", "AvgPool2dBackward");
    }

    /// <summary>(planes, h, w, oh, ow) of an adaptive pooling pair: the last two dims are the plane, the rest are planes.</summary>
    static (long Planes, int H, int W, int OH, int OW) AdaptiveShape(TensorView input, TensorView output)
    {
        int r = input.Shape.Length;
        int h = input.Shape[r - 2], w = input.Shape[r - 1], oh = output.Shape[r - 2], ow = output.Shape[r - 1];
        long planes = (long)input.NumEl / Math.Max((long)h * w, 1);
        return (planes, h, w, oh, ow);
    }

    public void AdaptiveAvgPool2d(TensorView x, TensorView y)
    {
        CheckPoolDType("AdaptiveAvgPool2d", x.DType);
        Owner.MakeCurrent();
        var (planes, h, w, oh, ow) = AdaptiveShape(x, y);
        Run(NativeKernels.nn_adaptive_avg_pool2d(Ptr(y, "AdaptiveAvgPool2d"), Ptr(x, "AdaptiveAvgPool2d"), (int)x.DType, planes, h, w, oh, ow, Stream),
            "nn_adaptive_avg_pool2d", "AdaptiveAvgPool2d");
    }

    public void AdaptiveAvgPool2dBackward(TensorView gy, TensorView gx)
    {
        CheckPoolDType("AdaptiveAvgPool2dBackward", gy.DType);
        Owner.MakeCurrent();
        var (planes, h, w, oh, ow) = AdaptiveShape(gx, gy);
        Run(NativeKernels.nn_adaptive_avg_pool2d_backward(Ptr(gx, "AdaptiveAvgPool2d"), Ptr(gy, "AdaptiveAvgPool2d"), (int)gy.DType, planes, h, w, oh, ow, Stream),
            "nn_adaptive_avg_pool2d_backward", "AdaptiveAvgPool2dBackward");
    }

    // ---------------------------------------------------------------- index ops
    /// <summary>
    /// Runs an index kernel with the device's error flag and reads the flag back: a GPU kernel cannot throw, so an index
    /// outside the dimension is skipped there and reported here as the CPU backend reports it. The read waits for the stream.
    /// </summary>
    void Indexed(string op, long dimSize, Func<nint, nn_status> launch, string call)
    {
        Owner.MakeCurrent();
        bool bad;
        lock (Owner.Gate)
        {
            nint flag = Owner.ResetErrorFlag();
            NativeKernels.Check(launch(flag), call);
            bad = Owner.ReadErrorFlag();
        }
        if (bad) throw new IndexOutOfRangeException($"{op}: an index is out of bounds for dimension of size {dimSize}");
    }

    public void IndexSelect(TensorView x, int outer, int n, int inner, TensorView index, TensorView y)
    {
        nint px = Ptr(x, "IndexSelect"), pi = Ptr(index, "IndexSelect"), py = Ptr(y, "IndexSelect");
        int dtype = (int)x.DType;
        long k = index.NumEl;
        Indexed("IndexSelect", n, flag => NativeKernels.nn_index_select(py, px, dtype, outer, n, inner, pi, k, flag, Stream), "nn_index_select");
    }

    static void CheckAccumulable(string op, DType dtype)
    {
        if (dtype is DType.Bool or DType.UInt8) throw new DTypeMismatchException(op, $"not defined for {dtype.Name()}");
    }

    public void IndexAdd(TensorView dst, int outer, int n, int inner, TensorView index, TensorView src)
    {
        CheckAccumulable("IndexAdd", dst.DType);
        nint pd = Ptr(dst, "IndexAdd"), pi = Ptr(index, "IndexAdd"), ps = Ptr(src, "IndexAdd");
        int dtype = (int)dst.DType;
        long k = index.NumEl;
        Indexed("IndexAdd", n, flag => NativeKernels.nn_index_add(pd, ps, dtype, outer, n, inner, pi, k, flag, Stream), "nn_index_add");
    }

    public void Gather(TensorView x, int dim, TensorView index, TensorView y)
    {
        var dy = Desc(y, "Gather");
        var dx = Desc(x, "Gather");
        var di = Desc(index, "Gather");
        Indexed("Gather", x.Shape[dim], flag => NativeKernels.nn_gather(dy, dx, di, dim, flag, Stream), "nn_gather");
    }

    public void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src)
    {
        CheckAccumulable("ScatterAdd", dst.DType);
        var dd = Desc(dst, "ScatterAdd");
        var ds = Desc(src, "ScatterAdd");
        var di = Desc(index, "ScatterAdd");
        Indexed("ScatterAdd", dst.Shape[dim], flag => NativeKernels.nn_scatter_add(dd, ds, di, dim, flag, Stream), "nn_scatter_add");
    }

    // ---------------------------------------------------------------- optimizer steps
    nint Opt(TensorView? v, string op) => v is TensorView t ? Ptr(t, op) : 0;

    public void SgdStep(TensorView p, TensorView g, TensorView? momentumBuffer, in SgdParams a)
    {
        OptimizerViews.Check("SgdStep", p, g, momentumBuffer);
        Owner.MakeCurrent();
        var prm = new nn_sgd_params
        {
            lr = a.Lr, momentum = a.Momentum, dampening = a.Dampening, weight_decay = a.WeightDecay,
            nesterov = a.Nesterov ? 1 : 0, maximize = a.Maximize ? 1 : 0, first_step = a.FirstStep ? 1 : 0,
        };
        Run(NativeKernels.nn_sgd_step(Ptr(p, "SgdStep"), Ptr(g, "SgdStep"), Opt(momentumBuffer, "SgdStep"), (int)p.DType, p.NumEl, prm, Stream),
            "nn_sgd_step", "SgdStep");
    }

    public void AdamStep(TensorView p, TensorView g, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, in AdamParams a)
    {
        OptimizerViews.Check("AdamStep", p, g, expAvg, expAvgSq, maxExpAvgSq);
        Owner.MakeCurrent();
        var prm = new nn_adam_params
        {
            lr = a.Lr, beta1 = a.Beta1, beta2 = a.Beta2, eps = a.Eps, weight_decay = a.WeightDecay, step = a.Step,
            decoupled = a.Decoupled ? 1 : 0, amsgrad = a.Amsgrad ? 1 : 0, maximize = a.Maximize ? 1 : 0,
        };
        Run(NativeKernels.nn_adam_step(Ptr(p, "AdamStep"), Ptr(g, "AdamStep"), Ptr(expAvg, "AdamStep"), Ptr(expAvgSq, "AdamStep"),
            Opt(maxExpAvgSq, "AdamStep"), (int)p.DType, p.NumEl, prm, Stream), "nn_adam_step", "AdamStep");
    }

    public void RmsPropStep(TensorView p, TensorView g, TensorView squareAvg, TensorView? gradAvg, TensorView? momentumBuffer, in RmsPropParams a)
    {
        OptimizerViews.Check("RmsPropStep", p, g, squareAvg, gradAvg, momentumBuffer);
        Owner.MakeCurrent();
        var prm = new nn_rmsprop_params
        {
            lr = a.Lr, alpha = a.Alpha, eps = a.Eps, weight_decay = a.WeightDecay, momentum = a.Momentum,
            centered = a.Centered ? 1 : 0, maximize = a.Maximize ? 1 : 0,
        };
        Run(NativeKernels.nn_rmsprop_step(Ptr(p, "RmsPropStep"), Ptr(g, "RmsPropStep"), Ptr(squareAvg, "RmsPropStep"), Opt(gradAvg, "RmsPropStep"),
            Opt(momentumBuffer, "RmsPropStep"), (int)p.DType, p.NumEl, prm, Stream), "nn_rmsprop_step", "RmsPropStep");
    }
}
