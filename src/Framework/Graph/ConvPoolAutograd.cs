using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeNet.Backends.Cpu;

namespace NativeNet;

/// <summary>Conv(+Relu)+MaxPool 2×2/2 with gradients, for compiled graphs that train (the executor's fused step).</summary>
public unsafe partial class Tensor
{
    /// <summary>
    /// Conv2d (+ ReLU) + 2×2/2 max pooling with gradients (CPU). The convolution writes its full output with the ReLU in
    /// its output pass; one pass then pools it into the result and a one-byte code per window (which element is the
    /// maximum, and whether ReLU lets its gradient through), and the full output is freed at once: autograd keeps
    /// neither it nor 8-byte argmax indices. Backward writes the convolution's output gradient in one pass from the
    /// pooled gradient and the codes (MaxPool's scatter and ReLU's mask together, without zero-filling first), then runs
    /// the convolution's backward. Values, NaN propagation, tie-breaking and gradients are exactly those of Conv, Relu
    /// and MaxPool run one by one. Null when it does not apply (another device, or a map smaller than 2×2).
    /// </summary>
    internal static Tensor? Conv2dMaxPool2x2Trained(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups, bool relu)
    {
        if (input.Backend is not CpuBackend || GraphTracer.Current != null) return null;
        var g = ConvGeometry(input, weight, bias, stride, padding, dilation, groups);
        if (g.OH < 2 || g.OW < 2) return null;
        Tensor conv;
        using (Autograd.NoGrad()) conv = Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu);
        try
        {
            // The convolution's own backward (x and w saved, not its output); ReLU's part is in the pooling node.
            if (Autograd.Needs(input, weight) || (bias != null && Autograd.Needs(bias))) RecordConv(conv, input, weight, bias, g, relu: false, "Conv");
            return MaxPool2x2Trained(conv, relu);
        }
        finally
        {
            conv.Dispose(); // autograd keeps neither the full-size output nor argmax indices
        }
    }

    /// <summary>
    /// 2×2/2 max pooling of a contiguous 4-D CPU tensor (H, W ≥ 2) that records, when <paramref name="y"/> needs grad,
    /// one byte per window instead of 8-byte indices. With <paramref name="reluMask"/>, <paramref name="y"/> is a ReLU
    /// output and the backward also applies ReLU's mask (the gradient passes where the maximum is &gt; 0): the node is
    /// MaxPool's and ReLU's backward in one pass.
    /// </summary>
    internal static Tensor MaxPool2x2Trained(Tensor y, bool reluMask)
    {
        if (y.Dim != 4 || !y.IsContiguous || y.Backend is not CpuBackend || !y.DType.IsFloatingPoint() || y.shape[2] < 2 || y.shape[3] < 2)
            throw new ArgumentException($"MaxPool2x2Trained: needs a contiguous 4-D floating-point CPU tensor with H, W >= 2, got {y.DType.Name()} {ShapeUtil.Format(y.shape)}");
        int n = y.shape[0], ch = y.shape[1], h = y.shape[2], w = y.shape[3], planes = n * ch, ph = h / 2, pw = w / 2;
        var pooled = Empty([n, ch, ph, pw], y.DType, y.Device);
        var codes = Empty([n, ch, ph, pw], DType.UInt8, y.Device).Unown();
        byte* c = CpuBackend.P<byte>(codes.View);
        if (y.DType == DType.Float32) PoolWithCodes(CpuBackend.P<float>(y.View), CpuBackend.P<float>(pooled.View), c, planes, h, w, reluMask);
        else PoolWithCodes(CpuBackend.P<double>(y.View), CpuBackend.P<double>(pooled.View), c, planes, h, w, reluMask);
        if (!Autograd.Needs(y))
        {
            codes.Dispose();
            return pooled;
        }
        int[] shape = y.shape;
        Autograd.Record(pooled, reluMask ? "ReluMaxPool" : "MaxPool", [y], gy =>
        {
            var gc = gy.Contiguous();
            var gx = Empty(shape, gy.DType, gy.Device);
            byte* cc = CpuBackend.P<byte>(codes.View);
            if (gy.DType == DType.Float32) Unpool(CpuBackend.P<float>(gc.View), cc, CpuBackend.P<float>(gx.View), planes, h, w);
            else Unpool(CpuBackend.P<double>(gc.View), cc, CpuBackend.P<double>(gx.View), planes, h, w);
            DisposeIfTemp(gc, gy);
            return [gx];
        }, codes);
        return pooled;
    }

    /// <summary>Bit 2 of a window's code: the gradient passes (no ReLU, or the maximum is positive).</summary>
    const int PassBit = 4;

    static void PoolWithCodes<T>(T* src, T* dst, byte* code, int planes, int h, int w, bool relu) where T : unmanaged, INumber<T>
    {
        int ph = h / 2, pw = w / 2;
        CpuBackend.For(planes, (long)h * w, (s, e) =>
        {
            int H = h, W = w, PH = ph, PW = pw; // locals: stores through pointers would force reloads of captured fields
            bool r = relu;
            for (int p = s; p < e; p++)
                PoolPlane(src + (long)p * H * W, W, PH, PW, dst + (long)p * PH * PW, code + (long)p * PH * PW, r);
        });
    }

    /// <summary>
    /// One plane, as the max-pooling kernel does it: branch-free maxima where the first maximum wins ties; a row holding
    /// a NaN is redone so that the last NaN of a window wins (PyTorch's rule). The code is the window position (0..3,
    /// row-major) plus <see cref="PassBit"/> when ReLU's backward lets the gradient through (the maximum, which is the
    /// ReLU output at that position, is &gt; 0).
    /// </summary>
    static void PoolPlane<T>(T* src, int w, int ph, int pw, T* dst, byte* code, bool relu) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < ph; i++)
        {
            T* r0 = src + 2 * i * w, r1 = r0 + w, o = dst + i * pw;
            byte* c = code + i * pw;
            bool nan = false;
            int always = relu ? 0 : 1, j = 0;
            if (typeof(T) == typeof(float)) j = PoolRowAvx((float*)r0, (float*)r1, (float*)o, c, pw, relu, ref nan);
            for (; j < pw; j++)
            {
                int x = 2 * j;
                T a = r0[x], b = r0[x + 1], d = r1[x], e = r1[x + 1];
                nan |= T.IsNaN(a) | T.IsNaN(b) | T.IsNaN(d) | T.IsNaN(e);
                // setcc-style flags, no branches: signs and positions of maxima are random.
                int ib = b > a ? 1 : 0, ie = e > d ? 1 : 0;
                T m01 = MaxNoNaN(a, b), m23 = MaxNoNaN(d, e);
                int second = m23 > m01 ? 1 : 0;
                T m = MaxNoNaN(m01, m23);
                int pass = (m > T.Zero ? 1 : 0) | always;
                o[j] = m;
                c[j] = (byte)(ib + second * (2 + ie - ib) + pass * PassBit);
            }
            if (!nan) continue;
            for (j = 0; j < pw; j++)
            {
                int x = 2 * j, k = 0;
                T best = r0[x], v = r0[x + 1];
                if (v > best || T.IsNaN(v)) { best = v; k = 1; }
                v = r1[x];
                if (v > best || T.IsNaN(v)) { best = v; k = 2; }
                v = r1[x + 1];
                if (v > best || T.IsNaN(v)) { best = v; k = 3; }
                o[j] = best;
                c[j] = (byte)(k + (!relu || best > T.Zero ? PassBit : 0));
            }
        }
    }

    /// <summary>
    /// The convolution output's gradient from the pooled gradient: each 2×2 window gets the gradient at its maximum
    /// (0 + g, as MaxPool's scatter onto zeros gives) when its code lets it through and zeros elsewhere, without branches
    /// (positions and ReLU signs are random; eight windows at a time with AVX2 for float32); rows and columns that floor
    /// pooling dropped get zeros.
    /// </summary>
    static void Unpool<T>(T* gp, byte* code, T* gx, int planes, int h, int w) where T : unmanaged, INumber<T>
    {
        int ph = h / 2, pw = w / 2;
        CpuBackend.For(planes, (long)h * w, (s, e) =>
        {
            int H = h, W = w, PH = ph, PW = pw;
            for (int p = s; p < e; p++)
            {
                T* src = gp + (long)p * PH * PW, dst = gx + (long)p * H * W;
                byte* c = code + (long)p * PH * PW;
                for (int i = 0; i < PH; i++)
                {
                    T* r0 = dst + 2 * i * W, r1 = r0 + W, g = src + i * PW;
                    byte* ci = c + i * PW;
                    int j = typeof(T) == typeof(float) ? UnpoolRowAvx((float*)g, ci, (float*)r0, (float*)r1, PW) : 0;
                    new Span<T>(r0 + 2 * j, W - 2 * j).Clear();
                    new Span<T>(r1 + 2 * j, W - 2 * j).Clear();
                    for (; j < PW; j++)
                    {
                        int k = ci[j];
                        r0[((k >> 1) & 1) * W + 2 * j + (k & 1)] = Passed(k, g[j]);
                    }
                }
                new Span<T>(dst + 2 * PH * W, (H - 2 * PH) * W).Clear();
            }
        });
    }

    /// <summary>0 + g when the code's pass bit is set, else +0, by masking bits (no branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Passed<T>(int code, T g) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            int mask = -((code >> 2) & 1);
            return (T)(object)BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(0f + (float)(object)g) & mask);
        }
        if (typeof(T) == typeof(double))
        {
            long mask = -(long)((code >> 2) & 1);
            return (T)(object)BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(0.0 + (double)(object)g) & mask);
        }
        return (code & PassBit) != 0 ? T.Zero + g : T.Zero;
    }

    /// <summary>max(a, b) as one maxss/maxsd (the max-pooling kernel's choice, so ±0 ties give the same bits); not for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T MaxNoNaN<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float) && Sse.IsSupported)
            return (T)(object)Sse.MaxScalar(Vector128.CreateScalarUnsafe((float)(object)a), Vector128.CreateScalarUnsafe((float)(object)b)).ToScalar();
        if (typeof(T) == typeof(double) && Sse2.IsSupported)
            return (T)(object)Sse2.MaxScalar(Vector128.CreateScalarUnsafe((double)(object)a), Vector128.CreateScalarUnsafe((double)(object)b)).ToScalar();
        return a > b ? a : b;
    }
}
