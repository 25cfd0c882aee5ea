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
    /// A compiled graph's Conv(+Relu)+MaxPool(2×2, stride 2): each sample's convolution planes are pooled while they are
    /// in cache and only the pooled [N, O, OH/2, OW/2] result is written (no full-size output), with the pool's one-byte
    /// window codes when <paramref name="codes"/> is given (dead codes mark windows ReLU zeroes, for the backward).
    /// </summary>
    internal void Conv2dMaxPool2x2(TensorView x, TensorView w, TensorView? bias, TensorView y, TensorView? codes, in Conv2dGeometry g, bool relu)
    {
        byte* c = codes is { } cv ? P<byte>(cv) : null;
        if (x.DType == DType.Float32) ConvForward<float>(P<float>(x), P<float>(w), bias is { } b ? P<float>(b) : null, P<float>(y), g, relu, pool: true, c);
        else if (x.DType == DType.Float64) ConvForward<double>(P<double>(x), P<double>(w), bias is { } b ? P<double>(b) : null, P<double>(y), g, relu, pool: true, c);
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

    /// <summary>
    /// The backward of a fused Conv(+Relu)+MaxPool 2×2 step from the pooled gradient <paramref name="gp"/> and the pool's
    /// window codes: each worker unpools its samples into a buffer in its own cache and runs the same per-sample GEMMs as
    /// <see cref="Conv2dBackwardData"/> and <see cref="Conv2dBackwardFilter"/>, so the full-size output gradient is never
    /// written. <paramref name="planeSums"/> ([N, O]) receives each output plane's gradient sum for the bias (summing it
    /// over N gives exactly what Sum over (0, 2, 3) of the unpooled gradient gives).
    /// </summary>
    internal void Conv2dBackwardPooled(TensorView gp, TensorView codes, TensorView w, TensorView x, TensorView? gx, TensorView gw, TensorView? planeSums, in Conv2dGeometry g)
    {
        byte* c = P<byte>(codes);
        if (gp.DType == DType.Float32)
        {
            if (gx is { } a) ConvBackwardData<float>(null, P<float>(w), P<float>(a), g, P<float>(gp), c);
            ConvBackwardFilter<float>(null, P<float>(x), P<float>(gw), g, P<float>(gp), c, planeSums is { } ps ? P<float>(ps) : null);
        }
        else
        {
            if (gx is { } a) ConvBackwardData<double>(null, P<double>(w), P<double>(a), g, P<double>(gp), c);
            ConvBackwardFilter<double>(null, P<double>(x), P<double>(gw), g, P<double>(gp), c, planeSums is { } ps ? P<double>(ps) : null);
        }
    }

    /// <summary>Unpools samples [n0, n0 + nb) of a 2×2-pooled gradient into dst [nb, O, OH, OW] (zeros where no maximum was).</summary>
    static void UnpoolSamples<T>(T* gp, byte* codes, T* dst, in Conv2dGeometry g, int n0, int nb) where T : unmanaged, INumber<T>
    {
        int ph = g.OH / 2, pw = g.OW / 2;
        long offset = (long)n0 * g.O * ph * pw;
        Unpool2x2(gp + offset, codes + offset, dst, new Pool2dGeometry(nb, g.O, g.OH, g.OW, 2, 2, ph, pw, 2, 2, 0, 0, 1, 1, false));
    }

    /// <summary>True when the input plane itself is the col matrix (1×1 kernel, stride 1, no padding).</summary>
    static bool IsPointwise(in Conv2dGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    /// <summary>Multiply-adds per sample: how the per-sample loops decide to go parallel.</summary>
    static long SampleMacs(in Conv2dGeometry g) => (long)g.O * (g.C / g.Groups) * g.KH * g.KW * g.OH * g.OW;

    static void ConvForward<T>(T* x, T* w, T* bias, T* y, Conv2dGeometry g, bool relu, bool pool = false, byte* codes = null) where T : unmanaged, INumber<T>
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
                    var plane = new Span<T>(yn + (long)o * p, p);
                    if (bias != null) System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[o], plane);
                    // A graph's Conv+Relu: the activation while the plane is still in cache (no extra pass).
                    if (relu) System.Numerics.Tensors.TensorPrimitives.Max(plane, T.Zero, plane);
                }
                // Conv+MaxPool: the sample's planes are pooled by the 2×2 kernel while still in cache.
                if (pool)
                    Pool2x2(yn, y + (long)n * G.O * ph * pw, codes == null ? null : codes + (long)n * G.O * ph * pw,
                        new Pool2dGeometry(1, G.O, G.OH, G.OW, 2, 2, ph, pw, 2, 2, 0, 0, 1, 1, false), markDead: relu);
            }
        });
    }

    /// <summary>gx = col2im(Wᵀ·gy) per sample; with <paramref name="codes"/>, gy is unpooled from <paramref name="gp"/> sample by sample.</summary>
    static void ConvBackwardData<T>(T* gy, T* w, T* gx, Conv2dGeometry g, T* gp = null, byte* codes = null) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        bool direct = IsPointwise(g);
        ForEachWorker(g.N, SampleMacs(g), (_, s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            using var colBuf = new ScratchBuffer<T>(direct ? 0 : (long)G.C * kk * p);
            using var gyBuf = new ScratchBuffer<T>(codes != null ? (long)G.O * p : 0);
            for (int n = s; n < e; n++)
            {
                T* gyn = gy + (long)n * G.O * p;
                if (codes != null) UnpoolSamples(gp, codes, gyn = gyBuf.Ptr, G, n, 1);
                T* gxn = gx + (long)n * G.C * G.H * G.W;
                // col = Wᵀ·gy per group; a pointwise convolution's col is the input gradient itself.
                T* col = direct ? gxn : colBuf.Ptr;
                for (int gi = 0; gi < G.Groups; gi++)
                    Gemm(true, false, cg * kk, p, og, T.One, w + (long)gi * og * cg * kk, cg * kk,
                        gyn + (long)gi * og * p, p, T.Zero, col + (long)gi * cg * kk * p, p);
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
    static void ConvBackwardFilter<T>(T* gy, T* x, T* gw, Conv2dGeometry g, T* gp = null, byte* codes = null, T* planeSums = null)
        where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int wsize = g.O * cg * kk;
        new Span<T>(gw, wsize).Clear(); // also the answer for an empty batch
        int workers = WorkerCount(g.N, SampleMacs(g)); // what ForEachWorker below will use
        using var partialBuf = new ScratchBuffer<T>((long)(workers - 1) * wsize);
        T* partials = partialBuf.Ptr;
        long perSample = (long)(g.C * kk + g.O) * p * sizeof(T);
        int used = ForEachWorker(g.N, SampleMacs(g), (worker, s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            T* acc = worker == 0 ? gw : partials + (long)(worker - 1) * wsize;
            int chunk = (int)Math.Clamp(FilterChunkBytes / Math.Max(perSample, 1), 1, Math.Max(e - s, 1));
            using var colBuf = new ScratchBuffer<T>((long)G.C * kk * chunk * p);
            using var gyBuf = new ScratchBuffer<T>(chunk > 1 ? (long)G.O * chunk * p : 0);
            using var unpooled = new ScratchBuffer<T>(codes != null ? (long)G.O * chunk * p : 0);
            for (int n0 = s; n0 < e; n0 += chunk)
            {
                int nb = Math.Min(chunk, e - n0);
                long np = (long)nb * p;
                Im2Col(x + (long)n0 * G.C * G.H * G.W, colBuf.Ptr, G, nb);
                T* gyc = gy + (long)n0 * G.O * p;
                if (codes != null) UnpoolSamples(gp, codes, gyc = unpooled.Ptr, G, n0, nb);
                if (planeSums != null)
                    for (long i = 0; i < (long)nb * G.O; i++)
                        planeSums[(long)n0 * G.O + i] = System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<T>(gyc + i * p, p));
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

/// <summary>A pooled host scratch buffer for kernel temporaries (returned on Dispose); a zero-length one holds nothing.</summary>
internal readonly unsafe struct ScratchBuffer<T> : IDisposable where T : unmanaged
{
    readonly CpuStorage? storage;
    internal readonly T* Ptr;

    internal ScratchBuffer(long count)
    {
        if (count <= 0) return; // kernels ask for 0 elements when a path needs no buffer: no pool round trip
        long bytes = count * sizeof(T);
        if (bytes > Array.MaxLength) throw new OutOfMemoryException($"scratch buffer of {bytes} bytes exceeds one host buffer");
        storage = new CpuStorage((int)bytes);
        Ptr = (T*)storage.Pointer;
    }

    public void Dispose() => storage?.Release();
}
