using System.Numerics;
using System.Numerics.Tensors;

namespace NativeNet.Backends.Cpu;

/// <summary>
/// im2col and its adjoint col2im. A row of col belongs to one (channel, ki, kj) and holds, for every output position,
/// the input value that kernel tap reads (zero in the padding).
/// <para>
/// Stride-1 convolutions whose output is as wide as the input ("same" padding, the common case) take a shift path:
/// the row is then the input plane moved by one constant offset, so it is one long vectorized copy (or add) plus a
/// few zeroed border entries, instead of OH short copies of OW elements each. Per-call overhead of those short
/// copies cost more than the GEMM on small feature maps (14×14: 4,000 copies of 14 floats per sample).
/// </para>
/// </summary>
internal sealed unsafe partial class CpuBackend
{
    static bool IsShiftable(in Conv2dGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.OW == g.W;

    /// <summary>Where one kernel tap's row of col is valid, for the shift path.</summary>
    readonly struct TapWindow
    {
        /// <summary>Output rows [Oh0, Oh1) read an input row; output columns [Lo, Hi) read an input column.</summary>
        internal readonly int Oh0, Oh1, Lo, Hi;
        /// <summary>Input offset minus output offset (within a plane) for this tap.</summary>
        internal readonly long Delta;
        /// <summary>Output offsets [T0, T1) whose input offset lies inside the plane (a superset of the valid entries).</summary>
        internal readonly long T0, T1;

        internal TapWindow(in Conv2dGeometry g, int ki, int kj)
        {
            int sh = ki * g.DilationH - g.PadH, sw = kj * g.DilationW - g.PadW;
            Oh0 = Math.Clamp(-sh, 0, g.OH);
            Oh1 = Math.Clamp(g.H - sh, Oh0, g.OH);
            Lo = Math.Clamp(-sw, 0, g.OW);
            Hi = Math.Clamp(g.W - sw, Lo, g.OW);
            Delta = (long)sh * g.W + sw;
            T0 = Math.Max((long)Oh0 * g.OW, -Delta);
            T1 = Math.Min((long)Oh1 * g.OW, (long)g.H * g.W - Delta);
        }

        /// <summary>Zeroes the entries of valid rows whose column falls in the padding (shift path only).</summary>
        internal void ClearBorderColumns<T>(T* row, int ow) where T : unmanaged, INumber<T>
        {
            if (Lo == 0 && Hi == ow) return;
            for (int oh = Oh0; oh < Oh1; oh++)
            {
                T* r = row + (long)oh * ow;
                for (int j = 0; j < Lo; j++) r[j] = T.Zero;
                for (int j = Hi; j < ow; j++) r[j] = T.Zero;
            }
        }
    }

    /// <summary>x [nb, C, H, W] to col [C·KH·KW, nb·OH·OW]; padding reads as zero.</summary>
    static void Im2Col<T>(T* x, T* col, Conv2dGeometry g, int nb) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW;
        long np = (long)nb * p;
        bool shift = IsShiftable(g);
        For(g.C * kk, np, (s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            for (int row = s; row < e; row++)
            {
                int c = row / kk, ki = (row % kk) / G.KW, kj = row % G.KW;
                T* dst = col + row * np;
                var tap = shift ? new TapWindow(G, ki, kj) : default;
                for (int n = 0; n < nb; n++)
                {
                    T* src = x + ((long)n * G.C + c) * G.H * G.W;
                    T* d = dst + (long)n * p;
                    if (shift) ShiftRow(src, d, tap, G.OW, p);
                    else GeneralRow(src, d, G, ki, kj);
                }
            }
        });
    }

    /// <summary>One tap's row on the shift path: zero rows, one copy, zeroed border columns.</summary>
    static void ShiftRow<T>(T* src, T* d, in TapWindow t, int ow, int p) where T : unmanaged, INumber<T>
    {
        new Span<T>(d, t.Oh0 * ow).Clear();
        new Span<T>(d + (long)t.Oh1 * ow, p - t.Oh1 * ow).Clear();
        if (t.T1 > t.T0) new ReadOnlySpan<T>(src + t.T0 + t.Delta, (int)(t.T1 - t.T0)).CopyTo(new Span<T>(d + t.T0, (int)(t.T1 - t.T0)));
        // Entries of the valid rows outside [T0, T1) are border columns too: cleared here with the rest.
        t.ClearBorderColumns(d, ow);
    }

    /// <summary>One tap's row for any stride, padding and dilation: output row by output row.</summary>
    static void GeneralRow<T>(T* src, T* d0, in Conv2dGeometry G, int ki, int kj) where T : unmanaged, INumber<T>
    {
        for (int oh = 0; oh < G.OH; oh++)
        {
            int ih = oh * G.StrideH - G.PadH + ki * G.DilationH;
            T* d = d0 + (long)oh * G.OW;
            if ((uint)ih >= (uint)G.H) { new Span<T>(d, G.OW).Clear(); continue; }
            T* srow = src + (long)ih * G.W;
            int iw0 = -G.PadW + kj * G.DilationW;
            // Output columns whose input column is inside the image: [lo, hi). Outside is padding.
            int lo = iw0 >= 0 ? 0 : (-iw0 + G.StrideW - 1) / G.StrideW;
            int hi = G.W - iw0 <= 0 ? 0 : Math.Min(G.OW, (G.W - iw0 + G.StrideW - 1) / G.StrideW);
            if (hi < lo) hi = lo;
            for (int ow = 0; ow < lo; ow++) d[ow] = T.Zero;
            if (G.StrideW == 1) new ReadOnlySpan<T>(srow + iw0 + lo, hi - lo).CopyTo(new Span<T>(d + lo, hi - lo));
            else for (int ow = lo; ow < hi; ow++) d[ow] = srow[iw0 + ow * G.StrideW];
            for (int ow = hi; ow < G.OW; ow++) d[ow] = T.Zero;
        }
    }

    /// <summary>
    /// Adds col [C·KH·KW, nb·OH·OW] back into gx [nb, C, H, W] (gx is overwritten). Parallel over channels: no write
    /// races. On the shift path col's padding entries are zeroed first (col is the caller's scratch), so each tap is
    /// one long vectorized add.
    /// </summary>
    static void Col2Im<T>(T* col, T* gx, Conv2dGeometry g, int nb) where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW, p = g.OH * g.OW;
        long np = (long)nb * p;
        bool shift = IsShiftable(g);
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
                    var tap = shift ? new TapWindow(G, ki, kj) : default;
                    for (int n = 0; n < nb; n++)
                    {
                        T* dst = gx + ((long)n * G.C + c) * G.H * G.W;
                        T* s0 = src + (long)n * p;
                        if (shift)
                        {
                            tap.ClearBorderColumns(s0, G.OW);
                            if (tap.T1 > tap.T0)
                            {
                                var d = new Span<T>(dst + tap.T0 + tap.Delta, (int)(tap.T1 - tap.T0));
                                TensorPrimitives.Add(d, new ReadOnlySpan<T>(s0 + tap.T0, d.Length), d);
                            }
                        }
                        else AddGeneralRow(s0, dst, G, ki, kj);
                    }
                }
            }
        });
    }

    /// <summary>col2im of one tap's row for any stride, padding and dilation.</summary>
    static void AddGeneralRow<T>(T* s0row, T* dst, in Conv2dGeometry G, int ki, int kj) where T : unmanaged, INumber<T>
    {
        for (int oh = 0; oh < G.OH; oh++)
        {
            int ih = oh * G.StrideH - G.PadH + ki * G.DilationH;
            if ((uint)ih >= (uint)G.H) continue;
            T* s0 = s0row + (long)oh * G.OW;
            T* drow = dst + (long)ih * G.W;
            int iw0 = -G.PadW + kj * G.DilationW;
            int lo = iw0 >= 0 ? 0 : (-iw0 + G.StrideW - 1) / G.StrideW;
            int hi = G.W - iw0 <= 0 ? 0 : Math.Min(G.OW, (G.W - iw0 + G.StrideW - 1) / G.StrideW);
            if (G.StrideW == 1 && hi > lo)
            {
                var dspan = new Span<T>(drow + iw0 + lo, hi - lo);
                TensorPrimitives.Add(dspan, new ReadOnlySpan<T>(s0 + lo, hi - lo), dspan);
            }
            else for (int ow = lo; ow < hi; ow++) drow[iw0 + ow * G.StrideW] += s0[ow];
        }
    }
}
