using NativeNet.Bindings.Cuda;

namespace NativeNet.Backends.Cuda;

/// <summary>
/// 2-D convolution: cuDNN when it is installed (algorithms chosen by cuDNN's heuristics, or benchmarked with
/// NATIVENET_CUDNN_BENCHMARK=1 like <c>torch.backends.cudnn.benchmark</c>), else im2col + cuBLAS with the CPU backend's
/// batch chunking and layouts.
/// </summary>
internal sealed unsafe partial class CudaBackend
{
    /// <summary>Largest cuDNN workspace an algorithm may ask for (NATIVENET_CUDNN_WORKSPACE_MB, default 1024).</summary>
    static readonly long WorkspaceLimit = (long.TryParse(Environment.GetEnvironmentVariable("NATIVENET_CUDNN_WORKSPACE_MB"), out var mb) && mb > 0 ? mb : 1024) << 20;

    static readonly bool Benchmark = Environment.GetEnvironmentVariable("NATIVENET_CUDNN_BENCHMARK") == "1";

    /// <summary>Bytes of im2col buffer per batch chunk in the fallback path.</summary>
    const long ColBudgetBytes = 256L << 20;

    readonly Dictionary<(Conv2dGeometry, DType), ConvPlan> plans = new();

    /// <summary>
    /// The first algorithm cuDNN ranked that succeeded and fits the workspace limit, or -1 (then the im2col path runs).
    /// cuDNN returns candidates best first.
    /// </summary>
    internal static int ChooseAlgorithm(ReadOnlySpan<cudnnConvolutionAlgoPerf_t> perf, long workspaceLimit)
    {
        foreach (var p in perf)
            if (p.status == CudnnStatus.Success && (long)p.memory <= workspaceLimit) return p.algo;
        return -1;
    }

    /// <summary>cuDNN's view of one convolution: descriptors and the chosen algorithm and workspace per direction.</summary>
    sealed class ConvPlan : IDisposable
    {
        internal readonly CudnnTensorDescriptor X = CudnnTensorDescriptor.Create(), Y = CudnnTensorDescriptor.Create();
        internal readonly CudnnFilterDescriptor W = CudnnFilterDescriptor.Create();
        internal readonly CudnnConvolutionDescriptor Conv = CudnnConvolutionDescriptor.Create();
        internal int FwdAlgo = -2, DataAlgo = -2, FilterAlgo = -2;  // -2: not chosen yet; -1: none fits
        internal long FwdBytes, DataBytes, FilterBytes;

        internal ConvPlan(in Conv2dGeometry g, DType dtype)
        {
            var t = dtype == DType.Float32 ? cudnnDataType_t.CUDNN_DATA_FLOAT : cudnnDataType_t.CUDNN_DATA_DOUBLE;
            X.Set4d(t, g.N, g.C, g.H, g.W);
            Y.Set4d(t, g.N, g.O, g.OH, g.OW);
            W.Set4d(t, g.O, g.C / g.Groups, g.KH, g.KW);
            Conv.Set2d(g.PadH, g.PadW, g.StrideH, g.StrideW, g.DilationH, g.DilationW, g.Groups, t);
        }

        public void Dispose()
        {
            X.Dispose();
            Y.Dispose();
            W.Dispose();
            Conv.Dispose();
        }
    }

    /// <summary>The plan for this geometry with the algorithm for <paramref name="direction"/> (0 fwd, 1 data, 2 filter) chosen; under the device gate.</summary>
    ConvPlan? Plan(CudnnHandle dnn, in Conv2dGeometry g, DType dtype, int direction)
    {
        if (!plans.TryGetValue((g, dtype), out var plan))
        {
            if (plans.Count >= 128)
            {
                foreach (var p in plans.Values) p.Dispose();
                plans.Clear();
            }
            plans[(g, dtype)] = plan = new ConvPlan(g, dtype);
        }
        const int Max = 16;
        var perf = stackalloc cudnnConvolutionAlgoPerf_t[Max];
        int returned = 0;
        nint h = dnn.Ptr;
        switch (direction)
        {
            case 0 when plan.FwdAlgo == -2:
                Cudnn.Check(Benchmark
                    ? Cudnn.cudnnFindConvolutionForwardAlgorithm(h, plan.X.Ptr, plan.W.Ptr, plan.Conv.Ptr, plan.Y.Ptr, Max, &returned, perf)
                    : Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(h, plan.X.Ptr, plan.W.Ptr, plan.Conv.Ptr, plan.Y.Ptr, Max, &returned, perf),
                    "cudnnGetConvolutionForwardAlgorithm");
                plan.FwdAlgo = ChooseAlgorithm(new ReadOnlySpan<cudnnConvolutionAlgoPerf_t>(perf, returned), WorkspaceLimit);
                if (plan.FwdAlgo >= 0)
                {
                    nuint bytes = 0;
                    Cudnn.Check(Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, plan.X.Ptr, plan.W.Ptr, plan.Conv.Ptr, plan.Y.Ptr,
                        (cudnnConvolutionFwdAlgo_t)plan.FwdAlgo, &bytes), "cudnnGetConvolutionForwardWorkspaceSize");
                    plan.FwdBytes = (long)bytes;
                }
                break;
            case 1 when plan.DataAlgo == -2:
                Cudnn.Check(Benchmark
                    ? Cudnn.cudnnFindConvolutionBackwardDataAlgorithm(h, plan.W.Ptr, plan.Y.Ptr, plan.Conv.Ptr, plan.X.Ptr, Max, &returned, perf)
                    : Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(h, plan.W.Ptr, plan.Y.Ptr, plan.Conv.Ptr, plan.X.Ptr, Max, &returned, perf),
                    "cudnnGetConvolutionBackwardDataAlgorithm");
                plan.DataAlgo = ChooseAlgorithm(new ReadOnlySpan<cudnnConvolutionAlgoPerf_t>(perf, returned), WorkspaceLimit);
                if (plan.DataAlgo >= 0)
                {
                    nuint bytes = 0;
                    Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(h, plan.W.Ptr, plan.Y.Ptr, plan.Conv.Ptr, plan.X.Ptr,
                        (cudnnConvolutionBwdDataAlgo_t)plan.DataAlgo, &bytes), "cudnnGetConvolutionBackwardDataWorkspaceSize");
                    plan.DataBytes = (long)bytes;
                }
                break;
            case 2 when plan.FilterAlgo == -2:
                Cudnn.Check(Benchmark
                    ? Cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(h, plan.X.Ptr, plan.Y.Ptr, plan.Conv.Ptr, plan.W.Ptr, Max, &returned, perf)
                    : Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, plan.X.Ptr, plan.Y.Ptr, plan.Conv.Ptr, plan.W.Ptr, Max, &returned, perf),
                    "cudnnGetConvolutionBackwardFilterAlgorithm");
                plan.FilterAlgo = ChooseAlgorithm(new ReadOnlySpan<cudnnConvolutionAlgoPerf_t>(perf, returned), WorkspaceLimit);
                if (plan.FilterAlgo >= 0)
                {
                    nuint bytes = 0;
                    Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(h, plan.X.Ptr, plan.Y.Ptr, plan.Conv.Ptr, plan.W.Ptr,
                        (cudnnConvolutionBwdFilterAlgo_t)plan.FilterAlgo, &bytes), "cudnnGetConvolutionBackwardFilterWorkspaceSize");
                    plan.FilterBytes = (long)bytes;
                }
                break;
        }
        int algo = direction switch { 0 => plan.FwdAlgo, 1 => plan.DataAlgo, _ => plan.FilterAlgo };
        return algo >= 0 ? plan : null;
    }

    static void CheckConvDType(string op, DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new DTypeMismatchException(op, $"needs a floating-point input, got {dtype.Name()}");
    }

    public void Conv2d(TensorView x, TensorView w, TensorView? bias, TensorView y, in Conv2dGeometry g, bool relu = false)
    {
        ConvForwardNoBias(x, w, y, g);
        if (y.NumEl == 0) return;
        if (bias is { } b)
        {
            // y += bias[o], broadcast over N, OH, OW (one elementwise pass; cuDNN's fused bias needs the activation API).
            var bv = new TensorView(b.Storage, y.Shape, [0, 1, 0, 0], b.Offset, b.DType);
            Binary(BinaryOp.Add, y, bv, y);
        }
        if (relu) Unary(UnaryOp.Relu, y, y);
    }

    void ConvForwardNoBias(TensorView x, TensorView w, TensorView y, in Conv2dGeometry g)
    {
        CheckConvDType("Conv2d", x.DType);
        Owner.MakeCurrent();
        if (g.N == 0 || g.O == 0 || g.OH == 0 || g.OW == 0) return;
        if (Owner.Dnn is { } dnn)
        {
            lock (Owner.Gate)
            {
                if (Plan(dnn, g, x.DType, 0) is { } plan)
                {
                    using var ws = Owner.Temp(plan.FwdBytes);
                    Scalars(x.DType, 0, out var one, out var zero);
                    Cudnn.Check(Cudnn.cudnnConvolutionForward(dnn.Ptr, &one, plan.X.Ptr, Ptr(x, "Conv2d"), plan.W.Ptr, Ptr(w, "Conv2d"), plan.Conv.Ptr,
                        (cudnnConvolutionFwdAlgo_t)plan.FwdAlgo, ws.Address, (nuint)ws.Size, &zero, plan.Y.Ptr, Ptr(y, "Conv2d")), "cudnnConvolutionForward");
                    Owner.AfterOp("Conv2d");
                    return;
                }
            }
        }
        Im2ColForward(x, w, y, g);
    }

    public void Conv2dBackwardData(TensorView gy, TensorView w, TensorView gx, in Conv2dGeometry g)
    {
        CheckConvDType("Conv2dBackwardData", gy.DType);
        Owner.MakeCurrent();
        if (g.N == 0 || g.C == 0 || g.H == 0 || g.W == 0) return;
        if (Owner.Dnn is { } dnn && g.O > 0 && g.OH > 0 && g.OW > 0)
        {
            lock (Owner.Gate)
            {
                if (Plan(dnn, g, gy.DType, 1) is { } plan)
                {
                    using var ws = Owner.Temp(plan.DataBytes);
                    Scalars(gy.DType, 0, out var one, out var zero);
                    Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(dnn.Ptr, &one, plan.W.Ptr, Ptr(w, "Conv2d"), plan.Y.Ptr, Ptr(gy, "Conv2d"), plan.Conv.Ptr,
                        (cudnnConvolutionBwdDataAlgo_t)plan.DataAlgo, ws.Address, (nuint)ws.Size, &zero, plan.X.Ptr, Ptr(gx, "Conv2d")),
                        "cudnnConvolutionBackwardData");
                    Owner.AfterOp("Conv2dBackwardData");
                    return;
                }
            }
        }
        Im2ColBackwardData(gy, w, gx, g);
    }

    public void Conv2dBackwardFilter(TensorView gy, TensorView x, TensorView gw, in Conv2dGeometry g)
    {
        CheckConvDType("Conv2dBackwardFilter", gy.DType);
        Owner.MakeCurrent();
        if ((long)g.O * (g.C / Math.Max(g.Groups, 1)) * g.KH * g.KW == 0) return;
        if (Owner.Dnn is { } dnn && g.N > 0 && g.OH > 0 && g.OW > 0)
        {
            lock (Owner.Gate)
            {
                if (Plan(dnn, g, gy.DType, 2) is { } plan)
                {
                    using var ws = Owner.Temp(plan.FilterBytes);
                    Scalars(gy.DType, 0, out var one, out var zero);
                    Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(dnn.Ptr, &one, plan.X.Ptr, Ptr(x, "Conv2d"), plan.Y.Ptr, Ptr(gy, "Conv2d"), plan.Conv.Ptr,
                        (cudnnConvolutionBwdFilterAlgo_t)plan.FilterAlgo, ws.Address, (nuint)ws.Size, &zero, plan.W.Ptr, Ptr(gw, "Conv2d")),
                        "cudnnConvolutionBackwardFilter");
                    Owner.AfterOp("Conv2dBackwardFilter");
                    return;
                }
            }
        }
        Im2ColBackwardFilter(gy, x, gw, g);
    }

    /// <summary>cuDNN's alpha = 1 and beta: host values of the tensor type (float for FLOAT, double for DOUBLE), as 8 raw bytes.</summary>
    static void Scalars(DType dtype, double beta, out ulong one, out ulong betaBits)
    {
        one = Encode(dtype, 1);
        betaBits = Encode(dtype, beta);
    }

    // ---------------------------------------------------------------- im2col + cuBLAS (no cuDNN)
    internal static nn_conv2d_params Params(in Conv2dGeometry g) => new()
    {
        n = g.N, c = g.C, h = g.H, w = g.W, o = g.O, kh = g.KH, kw = g.KW, oh = g.OH, ow = g.OW,
        stride_h = g.StrideH, stride_w = g.StrideW, pad_h = g.PadH, pad_w = g.PadW,
        dilation_h = g.DilationH, dilation_w = g.DilationW, groups = g.Groups,
    };

    static int BatchChunk(in Conv2dGeometry g, int elementSize)
    {
        long perSample = (long)g.C * g.KH * g.KW * g.OH * g.OW * elementSize;
        return (int)Math.Clamp(ColBudgetBytes / Math.Max(perSample, 1), 1, Math.Max(g.N, 1));
    }

    /// <summary>Copies between [nb, O, P] (dense, samples n0.. of a batch tensor) and [O, nb, P] (dense), in either direction.</summary>
    void PermuteBatch(nint batchBase, nint packed, DType dtype, int nb, int o, int p, bool toPacked)
    {
        var dense = new nn_tensor_desc { data = batchBase, ndim = 3, dtype = (int)dtype };
        var swapped = new nn_tensor_desc { data = packed, ndim = 3, dtype = (int)dtype };
        dense.shape[0] = swapped.shape[0] = nb;
        dense.shape[1] = swapped.shape[1] = o;
        dense.shape[2] = swapped.shape[2] = p;
        dense.strides[0] = (long)o * p; dense.strides[1] = p; dense.strides[2] = 1;
        swapped.strides[0] = p; swapped.strides[1] = (long)nb * p; swapped.strides[2] = 1;
        NativeKernels.Check(toPacked ? NativeKernels.nn_cast(swapped, dense, Stream) : NativeKernels.nn_cast(dense, swapped, Stream), "nn_cast");
    }

    void Im2ColForward(TensorView x, TensorView w, TensorView y, in Conv2dGeometry g)
    {
        int es = x.DType.ElementSize(), kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int chunk = BatchChunk(g, es);
        var prm = Params(g);
        nint px = Ptr(x, "Conv2d"), pw = Ptr(w, "Conv2d"), py = Ptr(y, "Conv2d");
        using var col = Owner.Temp((long)g.C * kk * chunk * p * es);
        using var tmp = Owner.Temp((long)g.O * chunk * p * es);
        lock (Owner.Gate)
        {
            for (int n0 = 0; n0 < g.N; n0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - n0), np = nb * p;
                NativeKernels.Check(NativeKernels.nn_im2col(col.Address, px, (int)x.DType, prm, n0, nb, Stream), "nn_im2col");
                for (int gi = 0; gi < g.Groups; gi++)
                    Gemm(x.DType, false, false, og, np, cg * kk, pw + (nint)((long)gi * og * cg * kk * es), cg * kk,
                        col.Address + (nint)((long)gi * cg * kk * np * es), np, 0, tmp.Address + (nint)((long)gi * og * np * es), np);
                PermuteBatch(py + (nint)((long)n0 * g.O * p * es), tmp.Address, x.DType, nb, g.O, p, toPacked: false);
            }
        }
        Owner.AfterOp("Conv2d");
    }

    void Im2ColBackwardData(TensorView gy, TensorView w, TensorView gx, in Conv2dGeometry g)
    {
        int es = gy.DType.ElementSize(), kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int chunk = BatchChunk(g, es);
        var prm = Params(g);
        nint pgy = Ptr(gy, "Conv2d"), pw = Ptr(w, "Conv2d"), pgx = Ptr(gx, "Conv2d");
        using var col = Owner.Temp((long)g.C * kk * chunk * p * es);
        using var gyt = Owner.Temp((long)g.O * chunk * p * es);
        lock (Owner.Gate)
        {
            for (int n0 = 0; n0 < g.N; n0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - n0), np = nb * p;
                if (np > 0 && g.O > 0)
                {
                    PermuteBatch(pgy + (nint)((long)n0 * g.O * p * es), gyt.Address, gy.DType, nb, g.O, p, toPacked: true);
                    for (int gi = 0; gi < g.Groups; gi++)
                        Gemm(gy.DType, true, false, cg * kk, np, og, pw + (nint)((long)gi * og * cg * kk * es), cg * kk,
                            gyt.Address + (nint)((long)gi * og * np * es), np, 0, col.Address + (nint)((long)gi * cg * kk * np * es), np);
                }
                else
                {
                    ulong zero = 0;
                    NativeKernels.Check(NativeKernels.nn_fill(Flat(col.Address, gy.DType, (long)g.C * kk * np), &zero, Stream), "nn_fill");
                }
                NativeKernels.Check(NativeKernels.nn_col2im(pgx, col.Address, (int)gy.DType, prm, n0, nb, Stream), "nn_col2im");
            }
        }
        Owner.AfterOp("Conv2dBackwardData");
    }

    void Im2ColBackwardFilter(TensorView gy, TensorView x, TensorView gw, in Conv2dGeometry g)
    {
        int es = gy.DType.ElementSize(), kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        if (g.N == 0 || p == 0)
        {
            Fill(gw, 0);  // an empty batch contributes nothing
            return;
        }
        int chunk = BatchChunk(g, es);
        var prm = Params(g);
        nint pgy = Ptr(gy, "Conv2d"), px = Ptr(x, "Conv2d"), pgw = Ptr(gw, "Conv2d");
        using var col = Owner.Temp((long)g.C * kk * chunk * p * es);
        using var gyt = Owner.Temp((long)g.O * chunk * p * es);
        lock (Owner.Gate)
        {
            for (int n0 = 0; n0 < g.N; n0 += chunk)
            {
                int nb = Math.Min(chunk, g.N - n0), np = nb * p;
                NativeKernels.Check(NativeKernels.nn_im2col(col.Address, px, (int)x.DType, prm, n0, nb, Stream), "nn_im2col");
                PermuteBatch(pgy + (nint)((long)n0 * g.O * p * es), gyt.Address, gy.DType, nb, g.O, p, toPacked: true);
                for (int gi = 0; gi < g.Groups; gi++)
                    Gemm(gy.DType, false, true, og, cg * kk, np, gyt.Address + (nint)((long)gi * og * np * es), np,
                        col.Address + (nint)((long)gi * cg * kk * np * es), np, n0 == 0 ? 0 : 1, pgw + (nint)((long)gi * og * cg * kk * es), cg * kk);
            }
        }
        Owner.AfterOp("Conv2dBackwardFilter");
    }
}
