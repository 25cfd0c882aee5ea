using System.Numerics;

namespace NativeNet.Backends.Cpu;

/// <summary>
/// Convolution as im2col + one large GEMM per group over a chunk of the batch (large GEMMs run near BLAS peak;
/// per-sample GEMMs of conv-sized matrices do not). col is [C·KH·KW, nb·OH·OW].
/// </summary>
internal sealed unsafe partial class CpuBackend
{
    const long ColBudgetBytes = 64L << 20;

    static int BatchChunk(in Conv2dGeometry g, int elementSize)
    {
        long perSample = (long)g.C * g.KH * g.KW * g.OH * g.OW * elementSize;
        return (int)Math.Clamp(ColBudgetBytes / Math.Max(perSample, 1), 1, Math.Max(g.N, 1));
    }

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

    static void GemmT<T>(bool ta, bool tb, int m, int n, int k, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Gemm(ta, tb, m, n, k, 1f, (float*)a, lda, (float*)b, ldb, (float)(object)beta, (float*)c, ldc);
        else
            Gemm(ta, tb, m, n, k, 1.0, (double*)a, lda, (double*)b, ldb, (double)(object)beta, (double*)c, ldc);
    }

    static void ConvForward<T>(T* x, T* w, T* bias, T* y, Conv2dGeometry g, bool relu, bool pool = false) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int chunk = BatchChunk(g, sizeof(T));
        using var colBuf = new ScratchBuffer<T>((long)g.C * kk * chunk * p);
        using var outBuf = new ScratchBuffer<T>((long)g.O * chunk * p);
        T* col = colBuf.Ptr, tmp = outBuf.Ptr;
        for (int n0 = 0; n0 < g.N; n0 += chunk)
        {
            int nb = Math.Min(chunk, g.N - n0);
            int np = nb * p;
            Im2Col(x + (long)n0 * g.C * g.H * g.W, col, g, nb);
            for (int gi = 0; gi < g.Groups; gi++)
                GemmT(false, false, og, np, cg * kk, w + (long)gi * og * cg * kk, cg * kk,
                    col + (long)gi * cg * kk * np, np, T.Zero, tmp + (long)gi * og * np, np);
            // tmp is [O, nb, P]; y is [N, O, P].
            For(g.O * nb, p, (s, e) =>
            {
                var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
                for (int idx = s; idx < e; idx++)
                {
                    int o = idx / nb, n = idx % nb;
                    if (pool)
                    {
                        int ph = G.OH / 2, pw = G.OW / 2;
                        PoolPlane2x2(tmp + ((long)o * nb + n) * p, G.OW, ph, pw, y + ((long)(n0 + n) * G.O + o) * ph * pw,
                            bias == null ? T.Zero : bias[o], relu);
                        continue;
                    }
                    var src = new ReadOnlySpan<T>(tmp + ((long)o * nb + n) * p, p);
                    var dst = new Span<T>(y + ((long)(n0 + n) * G.O + o) * p, p);
                    if (bias == null) src.CopyTo(dst);
                    else System.Numerics.Tensors.TensorPrimitives.Add(src, bias[o], dst);
                    // A graph's Conv+Relu: the activation while the row is still in cache (no extra pass).
                    if (relu) System.Numerics.Tensors.TensorPrimitives.Max(dst, T.Zero, dst);
                }
            });
        }
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
        int chunk = BatchChunk(g, sizeof(T));
        using var colBuf = new ScratchBuffer<T>((long)g.C * kk * chunk * p);
        using var gyBuf = new ScratchBuffer<T>((long)g.O * chunk * p);
        T* col = colBuf.Ptr, gyt = gyBuf.Ptr;
        for (int n0 = 0; n0 < g.N; n0 += chunk)
        {
            int nb = Math.Min(chunk, g.N - n0);
            int np = nb * p;
            GatherOutputGrad(gy, gyt, g, n0, nb);
            for (int gi = 0; gi < g.Groups; gi++)
                GemmT(true, false, cg * kk, np, og, w + (long)gi * og * cg * kk, cg * kk,
                    gyt + (long)gi * og * np, np, T.Zero, col + (long)gi * cg * kk * np, np);
            Col2Im(col, gx + (long)n0 * g.C * g.H * g.W, g, nb);
        }
    }

    static void ConvBackwardFilter<T>(T* gy, T* x, T* gw, Conv2dGeometry g) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW, cg = g.C / g.Groups, og = g.O / g.Groups;
        int chunk = BatchChunk(g, sizeof(T));
        using var colBuf = new ScratchBuffer<T>((long)g.C * kk * chunk * p);
        using var gyBuf = new ScratchBuffer<T>((long)g.O * chunk * p);
        T* col = colBuf.Ptr, gyt = gyBuf.Ptr;
        if (g.N == 0) new Span<T>(gw, g.O * (g.C / g.Groups) * kk).Clear(); // an empty batch contributes nothing
        for (int n0 = 0; n0 < g.N; n0 += chunk)
        {
            int nb = Math.Min(chunk, g.N - n0);
            int np = nb * p;
            Im2Col(x + (long)n0 * g.C * g.H * g.W, col, g, nb);
            GatherOutputGrad(gy, gyt, g, n0, nb);
            for (int gi = 0; gi < g.Groups; gi++)
                GemmT(false, true, og, cg * kk, np, gyt + (long)gi * og * np, np, col + (long)gi * cg * kk * np, np,
                    n0 == 0 ? T.Zero : T.One, gw + (long)gi * og * cg * kk, cg * kk);
        }
    }

    /// <summary>gy [N, O, P] (batch slice) to [O, nb, P].</summary>
    static void GatherOutputGrad<T>(T* gy, T* gyt, Conv2dGeometry g, int n0, int nb) where T : unmanaged
    {
        int p = g.OH * g.OW;
        For(g.O * nb, p, (s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            for (int idx = s; idx < e; idx++)
            {
                int o = idx / nb, n = idx % nb;
                new ReadOnlySpan<T>(gy + ((long)(n0 + n) * G.O + o) * p, p).CopyTo(new Span<T>(gyt + ((long)o * nb + n) * p, p));
            }
        });
    }

    /// <summary>x [nb, C, H, W] to col [C·KH·KW, nb·OH·OW]; padding reads as zero.</summary>
    static void Im2Col<T>(T* x, T* col, Conv2dGeometry g, int nb) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW;
        long np = (long)nb * p;
        For(g.C * kk, np, (s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            for (int row = s; row < e; row++)
            {
                int c = row / kk, ki = (row % kk) / G.KW, kj = row % G.KW;
                T* dst = col + row * np;
                for (int n = 0; n < nb; n++)
                {
                    T* src = x + ((long)n * G.C + c) * G.H * G.W;
                    for (int oh = 0; oh < G.OH; oh++)
                    {
                        int ih = oh * G.StrideH - G.PadH + ki * G.DilationH;
                        T* d = dst + (long)n * p + (long)oh * G.OW;
                        if ((uint)ih >= (uint)G.H) { new Span<T>(d, G.OW).Clear(); continue; }
                        T* srow = src + (long)ih * G.W;
                        int iw0 = -G.PadW + kj * G.DilationW;
                        // Output columns whose input column is inside the image: [lo, hi). Outside is padding.
                        int lo = iw0 >= 0 ? 0 : (-iw0 + G.StrideW - 1) / G.StrideW;
                        int hi = G.W - iw0 <= 0 ? 0 : Math.Min(G.OW, (G.W - iw0 + G.StrideW - 1) / G.StrideW);
                        if (hi < lo) hi = lo;
                        if (lo > 0) new Span<T>(d, lo).Clear();
                        if (G.StrideW == 1) new ReadOnlySpan<T>(srow + iw0 + lo, hi - lo).CopyTo(new Span<T>(d + lo, hi - lo));
                        else for (int ow = lo; ow < hi; ow++) d[ow] = srow[iw0 + ow * G.StrideW];
                        if (hi < G.OW) new Span<T>(d + hi, G.OW - hi).Clear();
                    }
                }
            }
        });
    }

    /// <summary>Adds col [C·KH·KW, nb·OH·OW] back into gx [nb, C, H, W] (gx is overwritten). Parallel over channels: no write races.</summary>
    static void Col2Im<T>(T* col, T* gx, Conv2dGeometry g, int nb) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW;
        long np = (long)nb * p;
        For(g.C, kk * np, (s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            for (int c = s; c < e; c++)
            {
                for (int n = 0; n < nb; n++) new Span<T>(gx + ((long)n * G.C + c) * G.H * G.W, G.H * G.W).Clear();
                for (int k = 0; k < kk; k++)
                {
                    int ki = k / G.KW, kj = k % G.KW;
                    T* src = col + ((long)c * kk + k) * np;
                    for (int n = 0; n < nb; n++)
                    {
                        T* dst = gx + ((long)n * G.C + c) * G.H * G.W;
                        for (int oh = 0; oh < G.OH; oh++)
                        {
                            int ih = oh * G.StrideH - G.PadH + ki * G.DilationH;
                            if ((uint)ih >= (uint)G.H) continue;
                            T* s0 = src + (long)n * p + (long)oh * G.OW;
                            T* drow = dst + (long)ih * G.W;
                            int iw0 = -G.PadW + kj * G.DilationW;
                            int lo = iw0 >= 0 ? 0 : (-iw0 + G.StrideW - 1) / G.StrideW;
                            int hi = G.W - iw0 <= 0 ? 0 : Math.Min(G.OW, (G.W - iw0 + G.StrideW - 1) / G.StrideW);
                            if (G.StrideW == 1 && hi > lo)
                            {
                                var dspan = new Span<T>(drow + iw0 + lo, hi - lo);
                                System.Numerics.Tensors.TensorPrimitives.Add(dspan, new ReadOnlySpan<T>(s0 + lo, hi - lo), dspan);
                            }
                            else for (int ow = lo; ow < hi; ow++) drow[iw0 + ow * G.StrideW] += s0[ow];
                        }
                    }
                }
            }
        });
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
