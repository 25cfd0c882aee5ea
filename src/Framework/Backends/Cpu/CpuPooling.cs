using System.Numerics;
using System.Runtime.Intrinsics;

namespace NativeNet.Backends.Cpu;

/// <summary>Pooling kernels, parallel over (N, C) planes. Max pooling records the argmax (flat index in the plane) for backward.</summary>
internal sealed unsafe partial class CpuBackend
{
    public void MaxPool2d(TensorView x, TensorView y, TensorView indices, in Pool2dGeometry g)
    {
        if (x.DType == DType.Float32) MaxPool<float>(P<float>(x), P<float>(y), P<long>(indices), g);
        else if (x.DType == DType.Float64) MaxPool<double>(P<double>(x), P<double>(y), P<long>(indices), g);
        else throw new DTypeMismatchException("MaxPool2d", $"needs a floating-point input, got {x.DType.Name()}");
    }

    static void MaxPool<T>(T* x, T* y, long* ind, Pool2dGeometry g) where T : unmanaged, INumber<T>
    {
        int hw = g.H * g.W, ohw = g.OH * g.OW;
        For(g.N * g.C, (long)ohw * g.KH * g.KW, (s, e) =>
        {
            for (int plane = s; plane < e; plane++)
                MaxPoolPlane(x + (long)plane * hw, y + (long)plane * ohw, ind + (long)plane * ohw, g);
        });
    }

    /// <summary>
    /// One (n, c) plane, any geometry (the 2×2/2 case has its own kernel, <see cref="MaxPool2x2"/>). Geometry is copied
    /// into locals first: pointer stores could alias a captured struct, so the JIT would otherwise reload every field
    /// in the inner loop (that cost 4x here).
    /// </summary>
    static void MaxPoolPlane<T>(T* src, T* dst, long* di, in Pool2dGeometry g) where T : unmanaged, INumber<T>
    {
        int H = g.H, W = g.W, OW = g.OW, KH = g.KH, KW = g.KW, SH = g.StrideH, SW = g.StrideW;
        int PH = g.PadH, PW = g.PadW, DH = g.DilationH, DW = g.DilationW;
        MaxPoolRows(src, dst, di, H, W, OW, KH, KW, SH, SW, PH, PW, DH, DW, 0, g.OH);
    }

    /// <summary>The general window loop over output rows [oh0, oh1): any kernel, stride, padding and dilation.</summary>
    static void MaxPoolRows<T>(T* src, T* dst, long* di, int H, int W, int OW, int KH, int KW, int SH, int SW, int PH, int PW,
        int DH, int DW, int oh0, int oh1) where T : unmanaged, INumber<T>
    {
        for (int oh = oh0; oh < oh1; oh++)
            for (int ow = 0; ow < OW; ow++)
            {
                int h0 = oh * SH - PH, w0 = ow * SW - PW;
                T best = T.Zero;
                int bi = -1;
                for (int i = 0; i < KH; i++)
                {
                    int ih = h0 + i * DH;
                    if ((uint)ih >= (uint)H) continue;
                    T* row = src + ih * W;
                    for (int j = 0; j < KW; j++)
                    {
                        int iw = w0 + j * DW;
                        if ((uint)iw >= (uint)W) continue;
                        T v = row[iw];
                        bool take = bi < 0 | v > best | T.IsNaN(v);
                        best = take ? v : best;
                        bi = take ? ih * W + iw : bi;
                    }
                }
                dst[oh * OW + ow] = best;
                di[oh * OW + ow] = bi;
            }
    }

    public void MaxPool2dBackward(TensorView gy, TensorView indices, TensorView gx, in Pool2dGeometry g)
    {
        if (gy.DType == DType.Float32) MaxPoolBack<float>(P<float>(gy), P<long>(indices), P<float>(gx), g);
        else MaxPoolBack<double>(P<double>(gy), P<long>(indices), P<double>(gx), g);
    }

    static void MaxPoolBack<T>(T* gy, long* ind, T* gx, Pool2dGeometry g) where T : unmanaged, INumber<T>
    {
        int hw = g.H * g.W, ohw = g.OH * g.OW;
        For(g.N * g.C, ohw, (s, e) =>
        {
            int HW = hw, OHW = ohw; // locals: stores through pointers would force reloads of captured fields
            for (int plane = s; plane < e; plane++)
            {
                T* dst = gx + (long)plane * HW;
                new Span<T>(dst, HW).Clear();
                T* src = gy + (long)plane * OHW;
                long* si = ind + (long)plane * OHW;
                for (int i = 0; i < OHW; i++)
                    if (si[i] >= 0) dst[si[i]] += src[i];
            }
        });
    }

    public void AvgPool2d(TensorView x, TensorView y, in Pool2dGeometry g)
    {
        if (x.DType == DType.Float32) AvgPool<float>(P<float>(x), P<float>(y), g, false);
        else if (x.DType == DType.Float64) AvgPool<double>(P<double>(x), P<double>(y), g, false);
        else throw new DTypeMismatchException("AvgPool2d", $"needs a floating-point input, got {x.DType.Name()}");
    }

    public void AvgPool2dBackward(TensorView gy, TensorView gx, in Pool2dGeometry g)
    {
        if (gy.DType == DType.Float32) AvgPool<float>(P<float>(gx), P<float>(gy), g, true);
        else AvgPool<double>(P<double>(gx), P<double>(gy), g, true);
    }

    /// <summary>Forward (input → output) or backward (output grad spread back to input grad), sharing the window arithmetic.</summary>
    static void AvgPool<T>(T* input, T* output, Pool2dGeometry g, bool backward) where T : unmanaged, INumber<T>
    {
        int hw = g.H * g.W, ohw = g.OH * g.OW;
        For(g.N * g.C, (long)ohw * g.KH * g.KW, (s, e) =>
        {
            var G = g; // a local copy: stores through pointers would make the JIT reload captured fields
            for (int plane = s; plane < e; plane++)
            {
                T* xin = input + (long)plane * hw;
                T* yo = output + (long)plane * ohw;
                if (backward) new Span<T>(xin, hw).Clear();
                for (int oh = 0; oh < G.OH; oh++)
                    for (int ow = 0; ow < G.OW; ow++)
                    {
                        int hs = oh * G.StrideH - G.PadH, ws = ow * G.StrideW - G.PadW;
                        int he = Math.Min(hs + G.KH, G.H + G.PadH), we = Math.Min(ws + G.KW, G.W + G.PadW);
                        int poolSize = (he - hs) * (we - ws);
                        hs = Math.Max(hs, 0); ws = Math.Max(ws, 0); he = Math.Min(he, G.H); we = Math.Min(we, G.W);
                        int div = G.CountIncludePad ? poolSize : (he - hs) * (we - ws);
                        if (div <= 0) { if (!backward) yo[oh * G.OW + ow] = T.Zero; continue; }
                        T inv = T.One / T.CreateTruncating(div);
                        if (backward)
                        {
                            T v = yo[oh * G.OW + ow] * inv;
                            for (int i = hs; i < he; i++) for (int j = ws; j < we; j++) xin[i * G.W + j] += v;
                        }
                        else
                        {
                            T sum = T.Zero;
                            for (int i = hs; i < he; i++) for (int j = ws; j < we; j++) sum += xin[i * G.W + j];
                            yo[oh * G.OW + ow] = sum * inv;
                        }
                    }
            }
        });
    }

    public void AdaptiveAvgPool2d(TensorView x, TensorView y)
    {
        if (x.DType == DType.Float32) Adaptive<float>(x, y, false);
        else if (x.DType == DType.Float64) Adaptive<double>(x, y, false);
        else throw new DTypeMismatchException("AdaptiveAvgPool2d", $"needs a floating-point input, got {x.DType.Name()}");
    }

    public void AdaptiveAvgPool2dBackward(TensorView gy, TensorView gx)
    {
        if (gy.DType == DType.Float32) Adaptive<float>(gx, gy, true);
        else Adaptive<double>(gx, gy, true);
    }

    /// <summary>PyTorch's adaptive windows: start = floor(i·H/OH), end = ceil((i+1)·H/OH).</summary>
    static void Adaptive<T>(TensorView input, TensorView output, bool backward) where T : unmanaged, INumber<T>
    {
        int r = input.Shape.Length;
        int h = input.Shape[r - 2], w = input.Shape[r - 1], oh = output.Shape[r - 2], ow = output.Shape[r - 1];
        int planes = input.NumEl / Math.Max(h * w, 1);
        T* xin = P<T>(input), yo = P<T>(output);
        For(planes, (long)h * w, (s, e) =>
        {
            for (int plane = s; plane < e; plane++)
            {
                T* xp = xin + (long)plane * h * w, yp = yo + (long)plane * oh * ow;
                if (backward) new Span<T>(xp, h * w).Clear();
                for (int i = 0; i < oh; i++)
                {
                    int hs = i * h / oh, he = ((i + 1) * h + oh - 1) / oh;
                    for (int j = 0; j < ow; j++)
                    {
                        int ws = j * w / ow, we = ((j + 1) * w + ow - 1) / ow;
                        T inv = T.One / T.CreateTruncating((he - hs) * (we - ws));
                        if (backward)
                        {
                            T v = yp[i * ow + j] * inv;
                            for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) xp[a * w + b] += v;
                        }
                        else
                        {
                            T sum = T.Zero;
                            for (int a = hs; a < he; a++) for (int b = ws; b < we; b++) sum += xp[a * w + b];
                            yp[i * ow + j] = sum * inv;
                        }
                    }
                }
            }
        });
    }
}
