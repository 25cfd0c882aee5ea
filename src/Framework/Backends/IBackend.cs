namespace NativeNet;

/// <summary>Elementwise one-input ops a backend implements (op enums keep the interface narrow).</summary>
internal enum UnaryOp
{
    Neg, Abs, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Relu, Sin, Cos, Floor, Ceil, Round, Sign, Reciprocal,
    Erf, Log1p, Expm1, Square, Not,
    Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh,
}

/// <summary>Elementwise two-input ops; comparisons produce Bool. ReluGrad(g, x) = x &gt; 0 ? g : 0.</summary>
internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Xor, ReluGrad, Remainder,
}

/// <summary>Reductions over the middle axis of a [outer, reduce, inner] view.</summary>
internal enum ReduceOp { Sum, Max, Min, ArgMax, ArgMin, Prod }

/// <summary>2-D convolution geometry (NCHW input, OIHW weight).</summary>
internal readonly record struct Conv2dGeometry(
    int N, int C, int H, int W, int O, int KH, int KW, int OH, int OW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups);

/// <summary>2-D pooling geometry.</summary>
internal readonly record struct Pool2dGeometry(
    int N, int C, int H, int W, int KH, int KW, int OH, int OW, int StrideH, int StrideW, int PadH, int PadW,
    int DilationH, int DilationW, bool CountIncludePad);

/// <summary>One fused SGD update (PyTorch 1.13 <c>torch.optim.SGD</c>); <c>FirstStep</c> initializes the momentum buffer with the gradient.</summary>
internal readonly record struct SgdParams(double Lr, double Momentum, double Dampening, double WeightDecay, bool Nesterov, bool Maximize, bool FirstStep);

/// <summary>One fused Adam/AdamW update at 1-based <c>Step</c>; <c>Decoupled</c> selects AdamW's weight decay.</summary>
internal readonly record struct AdamParams(double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled, bool Amsgrad, bool Maximize, long Step);

/// <summary>One fused RMSprop update (PyTorch 1.13 <c>torch.optim.RMSprop</c>).</summary>
internal readonly record struct RmsPropParams(double Lr, double Alpha, double Eps, double WeightDecay, double Momentum, bool Centered, bool Maximize);

/// <summary>
/// The narrow kernel interface every device implements. Inputs are views (strides allowed where noted);
/// outputs are contiguous unless noted. No autograd, no shape checks beyond the contract: ops check first.
/// </summary>
internal interface IBackend
{
    Device Device { get; }
    Storage Allocate(long bytes);

    /// <summary>dst[i] = (dst dtype) src[i]; both strided, same shape, both on this device.</summary>
    void Copy(TensorView src, TensorView dst);

    /// <summary>Copies host bytes into contiguous <paramref name="dst"/> on this device (cross-device copies, FromArray).</summary>
    void CopyFromHost(ReadOnlySpan<byte> src, TensorView dst);

    /// <summary>Copies contiguous <paramref name="src"/> on this device into host bytes (cross-device copies, ToArray); returns when the bytes are there.</summary>
    void CopyToHost(TensorView src, Span<byte> dst);
    void Fill(TensorView dst, double value);

    /// <summary>x and y contiguous, same numel and dtype.</summary>
    void Unary(UnaryOp op, TensorView x, TensorView y);

    /// <summary>a and b strided and broadcast to y's shape (stride 0), same dtype; y contiguous (Bool for comparisons).</summary>
    void Binary(BinaryOp op, TensorView a, TensorView b, TensorView y);

    /// <summary>y = op(x, s), or op(s, x) when <paramref name="scalarFirst"/>; x contiguous.</summary>
    void BinaryScalar(BinaryOp op, TensorView x, double s, bool scalarFirst, TensorView y);
    void Clamp(TensorView x, double min, double max, TensorView y);

    /// <summary>y = cond ? a : b, all strided/broadcast to y's shape.</summary>
    void Where(TensorView cond, TensorView a, TensorView b, TensorView y);

    /// <summary>x contiguous viewed as [outer, reduce, inner]; y is [outer, inner] (Int64 for arg-reductions).</summary>
    void Reduce(ReduceOp op, TensorView x, int outer, int reduce, int inner, TensorView y);

    /// <summary>x contiguous viewed as [outer, dim, inner]; softmax or log-softmax along dim.</summary>
    void Softmax(TensorView x, int outer, int dim, int inner, bool log, TensorView y);

    /// <summary>Batched GEMM: a [..., M, K], b [..., K, N] with row-major or transposed last two dims and broadcast batch strides; c contiguous.</summary>
    void MatMul(TensorView a, TensorView b, TensorView c);

    /// <summary>y = conv(x, w) (+ bias[o] when given, and max(·, 0) when <paramref name="relu"/>, both fused into the output pass).</summary>
    void Conv2d(TensorView x, TensorView w, TensorView? bias, TensorView y, in Conv2dGeometry g, bool relu = false);
    void Conv2dBackwardData(TensorView gy, TensorView w, TensorView gx, in Conv2dGeometry g);
    void Conv2dBackwardFilter(TensorView gy, TensorView x, TensorView gw, in Conv2dGeometry g);

    void MaxPool2d(TensorView x, TensorView y, TensorView indices, in Pool2dGeometry g);
    void MaxPool2dBackward(TensorView gy, TensorView indices, TensorView gx, in Pool2dGeometry g);
    void AvgPool2d(TensorView x, TensorView y, in Pool2dGeometry g);
    void AvgPool2dBackward(TensorView gy, TensorView gx, in Pool2dGeometry g);
    void AdaptiveAvgPool2d(TensorView x, TensorView y);
    void AdaptiveAvgPool2dBackward(TensorView gy, TensorView gx);

    /// <summary>x contiguous [outer, n, inner]; y [outer, idx.Len, inner] = x[:, idx, :].</summary>
    void IndexSelect(TensorView x, int outer, int n, int inner, TensorView index, TensorView y);

    /// <summary>dst [outer, n, inner] += src [outer, idx.Len, inner] at idx (accumulates duplicates).</summary>
    void IndexAdd(TensorView dst, int outer, int n, int inner, TensorView index, TensorView src);

    /// <summary>y[i..] = x[.. index[i..] ..] along dim; x, index, y contiguous, index Int64, y shaped like index.</summary>
    void Gather(TensorView x, int dim, TensorView index, TensorView y);

    /// <summary>dst[.. index[i..] ..] += src[i..] along dim; dst contiguous, modified in place.</summary>
    void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src);

    /// <summary>Fills y with uniform [low, high) or normal(mean, std) draws from the counter-based stream (seed, offset).</summary>
    void Random(TensorView y, bool normal, double a, double b, ulong seed, ulong offset);

    /// <summary>Optimizer steps: one pass over contiguous, same-dtype (floating) views, updating p and the state in place.</summary>
    void SgdStep(TensorView p, TensorView g, TensorView? momentumBuffer, in SgdParams a);
    void AdamStep(TensorView p, TensorView g, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, in AdamParams a);
    void RmsPropStep(TensorView p, TensorView g, TensorView squareAvg, TensorView? gradAvg, TensorView? momentumBuffer, in RmsPropParams a);
}

/// <summary>Finds the backend for a device.</summary>
internal static class Backend
{
    /// <summary>The CPU backend, or the CUDA backend of that device when the GPU-available rule holds (else <see cref="DeviceUnavailableException"/> with the probe report).</summary>
    internal static IBackend For(Device device) => device.Type switch
    {
        DeviceType.Cpu => Backends.Cpu.CpuBackend.Instance,
        DeviceType.Cuda => Backends.Cuda.CudaRuntime.Backend(device.Index),
        _ => throw new DeviceUnavailableException($"unknown device type {device.Type}"),
    };
}
