using System.Numerics;

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
            {
                T* src = x + (long)plane * hw;
                T* dst = y + (long)plane * ohw;
                long* di = ind + (long)plane * ohw;
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int h0 = oh * g.StrideH - g.PadH, w0 = ow * g.StrideW - g.PadW;
                        // Branch-free selects: on random data a compare-and-branch mispredicts half the time.
                        T best = T.Zero;
                        int bi = -1;
                        for (int i = 0; i < g.KH; i++)
                        {
                            int ih = h0 + i * g.DilationH;
                            if ((uint)ih >= (uint)g.H) continue;
                            T* row = src + ih * g.W;
                            for (int j = 0; j < g.KW; j++)
                            {
                                int iw = w0 + j * g.DilationW;
                                if ((uint)iw >= (uint)g.W) continue;
                                T v = row[iw];
                                bool take = bi < 0 | v > best | T.IsNaN(v);
                                best = take ? v : best;
                                bi = take ? ih * g.W + iw : bi;
                            }
                        }
                        dst[oh * g.OW + ow] = best;
                        di[oh * g.OW + ow] = bi;
                    }
            }
        });
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
            for (int plane = s; plane < e; plane++)
            {
                T* dst = gx + (long)plane * hw;
                new Span<T>(dst, hw).Clear();
                T* src = gy + (long)plane * ohw;
                long* si = ind + (long)plane * ohw;
                for (int i = 0; i < ohw; i++)
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
            for (int plane = s; plane < e; plane++)
            {
                T* xin = input + (long)plane * hw;
                T* yo = output + (long)plane * ohw;
                if (backward) new Span<T>(xin, hw).Clear();
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int hs = oh * g.StrideH - g.PadH, ws = ow * g.StrideW - g.PadW;
                        int he = Math.Min(hs + g.KH, g.H + g.PadH), we = Math.Min(ws + g.KW, g.W + g.PadW);
                        int poolSize = (he - hs) * (we - ws);
                        hs = Math.Max(hs, 0); ws = Math.Max(ws, 0); he = Math.Min(he, g.H); we = Math.Min(we, g.W);
                        int div = g.CountIncludePad ? poolSize : (he - hs) * (we - ws);
                        if (div <= 0) { if (!backward) yo[oh * g.OW + ow] = T.Zero; continue; }
                        T inv = T.One / T.CreateTruncating(div);
                        if (backward)
                        {
                            T v = yo[oh * g.OW + ow] * inv;
                            for (int i = hs; i < he; i++) for (int j = ws; j < we; j++) xin[i * g.W + j] += v;
                        }
                        else
                        {
                            T sum = T.Zero;
                            for (int i = hs; i < he; i++) for (int j = ws; j < we; j++) sum += xin[i * g.W + j];
                            yo[oh * g.OW + ow] = sum * inv;
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
