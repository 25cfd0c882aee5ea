using System.Numerics;

namespace NativeNet.Backends.Cpu;

/// <summary>
/// Convolution as im2col + GEMM, one sample at a time on each worker: a sample's col matrix [C·KH·KW, OH·OW] stays in
/// the worker's L2 cache, each single-threaded GEMM writes straight into the NCHW output (no [O, N, P] staging and
/// copy), and bias, ReLU or pooling run on the sample's planes while they are still in cache. Measured on the issue's
/// CNN this beats one batch-wide GEMM over a col matrix that streams through memory (tools/bench/README.md).
/// A 1×1, stride-1, unpadded convolution needs no col matrix at all: the input plane is the GEMM operand.
/// </summary>
internal sealed unsafe partial class CpuBackend
{
    public void Conv2d(TensorView x, TensorView w, TensorView? bias, TensorView y, in Conv2dGeometry g, bool relu = false)
    {
        if (x.DType == DType.Float32) ConvForward<float>(P<float>(x), P<float>(w), bias is { } b ? P<float>(b) : null, P<float>(y), g, relu);
        else if (x.DType == DType.Float64) ConvForward<double>(P<double>(x), P<double>(w), bias is { } b ? P<double>(b) : null, P<double>(y), g, relu);
        else throw new DTypeMismatchException("Conv2d", $"needs a floating-point input, got {x.DType.Name()}");
    }

    /// <summary>
    /// A compiled graph's Conv(+Relu)+MaxPool(2×2, stride 2): the output pass pools each convolution plane while it is in
    /// cache and writes only the pooled [N, O, OH/2, OW/2] result (no full-size output, no argmax indices). Bias and ReLU
    /// are applied to each window's maximum, which gives the same values as applying them first (both are monotone).
    /// </summary>
    internal void Conv2dMaxPool2x2(TensorView x, TensorView w, TensorView? bias, TensorView y, in Conv2dGeometry g, bool relu)
    {
        if (x.DType == DType.Float32) ConvForward<float>(P<float>(x), P<float>(w), bias is { } b ? P<float>(b) : null, P<float>(y), g, relu, pool: true);
        else if (x.DType == DType.Float64) ConvForward<double>(P<double>(x), P<double>(w), bias is { } b ? P<double>(b) : null, P<double>(y), g, relu, pool: true);
        else throw new DTypeMismatchException("Conv2d", $"needs a floating-point input, got {x.DType.Name()}");
    }

    public void Conv2dBackwardData(TensorView gy, TensorView w, TensorView gx, in Conv2dGeometry g)
    {
        if (gy.DType == DType.Float32) ConvBackwardData<float>(P<float>(gy), P<float>(w), P<float>(gx), g);
        else ConvBackwardData<double>(P<double>(gy), P<double>(w), P<double>(gx), g);
    }

    public void Conv2dBackwardFilter(TensorView gy, TensorView x, TensorView gw, in Conv2dGeometry g)
    {
        if (gy.DType == DType.Float32) ConvBackwardFilter<float>(P<float>(gy), P<float>(x), P<float>(gw), g);
        else ConvBackwardFilter<double>(P<double>(gy), P<double>(x), P<double>(gw), g);
    }

    /// <summary>True when the input plane itself is the col matrix (1×1 kernel, stride 1, no padding).</summary>
    static bool IsPointwise(in Conv2dGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    /// <summary>Multiply-adds per sample: how the per-sample loops decide to go parallel.</summary>
    static long SampleMacs(in Conv2dGeometry g) => (long)g.O * (g.C / g.Groups) * g.KH * g.KW * g.OH * g.OW;

    static void ConvForward<T>(T* x, T* w, T* bias, T* y, Conv2dGeometry g, bool relu, bool pool = false) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int ph = g.OH / 2, pw = g.OW / 2;
        bool direct = IsPointwise(g);
        ForEachWorker(g.N, SampleMacs(g), (_, s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            using var colBuf = new ScratchBuffer<T>(direct ? 0 : (long)G.C * kk * p);
            using var outBuf = new ScratchBuffer<T>(pool ? (long)G.O * p : 0);
            for (int n = s; n < e; n++)
            {
                T* xn = x + (long)n * G.C * G.H * G.W;
                T* col = direct ? xn : colBuf.Ptr;
                if (!direct) Im2Col(xn, col, G, 1);
                T* yn = pool ? outBuf.Ptr : y + (long)n * G.O * p;
                for (int gi = 0; gi < G.Groups; gi++)
                    Gemm(false, false, og, p, cg * kk, T.One, w + (long)gi * og * cg * kk, cg * kk,
                        col + (long)gi * cg * kk * p, p, T.Zero, yn + (long)gi * og * p, p);
                for (int o = 0; o < G.O; o++)
                {
                    T b = bias == null ? T.Zero : bias[o];
                    if (pool)
                    {
                        PoolPlane2x2(yn + (long)o * p, G.OW, ph, pw, y + ((long)n * G.O + o) * ph * pw, b, relu);
                        continue;
                    }
                    var plane = new Span<T>(yn + (long)o * p, p);
                    if (bias != null) System.Numerics.Tensors.TensorPrimitives.Add(plane, b, plane);
                    // A graph's Conv+Relu: the activation while the plane is still in cache (no extra pass).
                    if (relu) System.Numerics.Tensors.TensorPrimitives.Max(plane, T.Zero, plane);
                }
            }
        });
    }

    /// <summary>
    /// 2×2/2 max of a conv plane, then + bias and ReLU: branch-free maxima as in the max-pooling kernel; a row holding a
    /// NaN (or a NaN bias) is redone with NaN-propagating comparisons, so the values match Conv, Relu, MaxPool exactly.
    /// </summary>
    static void PoolPlane2x2<T>(T* src, int ow, int ph, int pw, T* dst, T b, bool relu) where T : unmanaged, INumber<T>
    {
        bool badBias = T.IsNaN(b);
        for (int i = 0; i < ph; i++)
        {
            T* r0 = src + 2 * i * ow;
            T* r1 = r0 + ow;
            T* o = dst + i * pw;
            bool nan = badBias;
            for (int j = 0; j < pw; j++)
            {
                int c = 2 * j;
                T a = r0[c], bb = r0[c + 1], d = r1[c], e = r1[c + 1];
                nan |= T.IsNaN(a) | T.IsNaN(bb) | T.IsNaN(d) | T.IsNaN(e);
                T m = MaxNoNaN(MaxNoNaN(a, bb), MaxNoNaN(d, e)) + b;
                o[j] = relu ? MaxNoNaN(m, T.Zero) : m;
            }
            if (!nan) continue;
            for (int j = 0; j < pw; j++)
            {
                int c = 2 * j;
                T m = NaNMax(NaNMax(r0[c], r0[c + 1]), NaNMax(r1[c], r1[c + 1])) + b;
                o[j] = relu && !T.IsNaN(m) ? MaxNoNaN(m, T.Zero) : m;
            }
        }
    }

    static T NaNMax<T>(T a, T b) where T : unmanaged, INumber<T> => T.IsNaN(a) ? a : T.IsNaN(b) || b > a ? b : a;

    static void ConvBackwardData<T>(T* gy, T* w, T* gx, Conv2dGeometry g) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        bool direct = IsPointwise(g);
        ForEachWorker(g.N, SampleMacs(g), (_, s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            using var colBuf = new ScratchBuffer<T>(direct ? 0 : (long)G.C * kk * p);
            for (int n = s; n < e; n++)
            {
                T* gxn = gx + (long)n * G.C * G.H * G.W;
                // col = Wᵀ·gy per group; a pointwise convolution's col is the input gradient itself.
                T* col = direct ? gxn : colBuf.Ptr;
                for (int gi = 0; gi < G.Groups; gi++)
                    Gemm(true, false, cg * kk, p, og, T.One, w + (long)gi * og * cg * kk, cg * kk,
                        gy + ((long)n * G.O + gi * og) * p, p, T.Zero, col + (long)gi * cg * kk * p, p);
                if (!direct) Col2Im(col, gxn, G, 1);
            }
        });
    }

    /// <summary>Cache budget for one worker's col and gathered-gradient chunk in the filter gradient.</summary>
    const long FilterChunkBytes = 1L << 20;

    /// <summary>
    /// gw = Σₙ gy[n]·col[n]ᵀ. Each worker sums its samples into its own partial (the first worker's is gw), then the
    /// partials are added. Samples go in chunks that fit in cache so the GEMM's inner dimension (chunk·OH·OW) is long
    /// even for small feature maps; a chunk's gradients are gathered to [O, chunk·OH·OW] to match col's layout.
    /// </summary>
    static void ConvBackwardFilter<T>(T* gy, T* x, T* gw, Conv2dGeometry g) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int wsize = g.O * cg * kk;
        new Span<T>(gw, wsize).Clear(); // also the answer for an empty batch
        int maxWorkers = Math.Max(1, Runtime.NumThreads);
        using var partialBuf = new ScratchBuffer<T>((long)(maxWorkers - 1) * wsize);
        T* partials = partialBuf.Ptr;
        long perSample = (long)(g.C * kk + g.O) * p * sizeof(T);
        int used = ForEachWorker(g.N, SampleMacs(g), (worker, s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            T* acc = worker == 0 ? gw : partials + (long)(worker - 1) * wsize;
            int chunk = (int)Math.Clamp(FilterChunkBytes / Math.Max(perSample, 1), 1, Math.Max(e - s, 1));
            using var colBuf = new ScratchBuffer<T>((long)G.C * kk * chunk * p);
            using var gyBuf = new ScratchBuffer<T>(chunk > 1 ? (long)G.O * chunk * p : 0);
            for (int n0 = s; n0 < e; n0 += chunk)
            {
                int nb = Math.Min(chunk, e - n0);
                long np = (long)nb * p;
                Im2Col(x + (long)n0 * G.C * G.H * G.W, colBuf.Ptr, G, nb);
                T* gyc = gy + (long)n0 * G.O * p;
                if (nb > 1)
                {
                    // [nb, O, P] → [O, nb·P]
                    for (int o = 0; o < G.O; o++)
                        for (int j = 0; j < nb; j++)
                            new ReadOnlySpan<T>(gyc + ((long)j * G.O + o) * p, p).CopyTo(new Span<T>(gyBuf.Ptr + o * np + (long)j * p, p));
                    gyc = gyBuf.Ptr;
                }
                for (int gi = 0; gi < G.Groups; gi++)
                    Gemm(false, true, og, cg * kk, (int)np, T.One, gyc + gi * og * np, (int)np, colBuf.Ptr + gi * cg * kk * np, (int)np,
                        n0 == s ? T.Zero : T.One, acc + (long)gi * og * cg * kk, cg * kk);
            }
        });
        var total = new Span<T>(gw, wsize);
        for (int i = 1; i < used; i++)
            System.Numerics.Tensors.TensorPrimitives.Add(total, new ReadOnlySpan<T>(partials + (long)(i - 1) * wsize, wsize), total);
    }
}

/// <summary>A pooled host scratch buffer for kernel temporaries (returned on Dispose).</summary>
internal readonly unsafe struct ScratchBuffer<T> : IDisposable where T : unmanaged
{
    readonly CpuStorage storage;
    internal readonly T* Ptr;

    internal ScratchBuffer(long count)
    {
        long bytes = Math.Max(count, 1) * sizeof(T);
        if (bytes > Array.MaxLength) throw new OutOfMemoryException($"scratch buffer of {bytes} bytes exceeds one host buffer");
        storage = new CpuStorage((int)bytes);
        Ptr = (T*)storage.Pointer;
    }

    public void Dispose() => storage.Release();
}
