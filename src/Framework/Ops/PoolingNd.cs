namespace NativeNet;

/// <summary>
/// Pooling over any number of spatial dims with asymmetric padding, as a composite of padded strided views
/// (one view per kernel offset) combined with maximum or sum. 2-D pooling with symmetric padding uses the 2-D kernels.
/// </summary>
public partial class Tensor
{
    /// <summary>1-D max pooling of an [N, C, L] input (<c>torch.nn.functional.max_pool1d</c>).</summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        => PoolNd(input, PoolKind.Max, [kernelSize], [stride ?? kernelSize], [padding], [padding], [dilation], ceilMode, false).Y;

    /// <summary>3-D max pooling of an [N, C, D, H, W] input (<c>torch.nn.functional.max_pool3d</c>).</summary>
    public static Tensor MaxPool3d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false)
    {
        var k = Triple(kernelSize, 1, "kernelSize", "MaxPool");
        var p = Triple(padding, 0, "padding", "MaxPool");
        return PoolNd(input, PoolKind.Max, k, stride == null || stride.Length == 0 ? k : Triple(stride, 1, "stride", "MaxPool"), p, p, Triple(dilation, 1, "dilation", "MaxPool"), ceilMode, false).Y;
    }

    /// <summary>1-D average pooling of an [N, C, L] input (<c>torch.nn.functional.avg_pool1d</c>).</summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        => PoolNd(input, PoolKind.Average, [kernelSize], [stride ?? kernelSize], [padding], [padding], [1], ceilMode, countIncludePad).Y;

    /// <summary>3-D average pooling of an [N, C, D, H, W] input (<c>torch.nn.functional.avg_pool3d</c>).</summary>
    public static Tensor AvgPool3d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        var k = Triple(kernelSize, 1, "kernelSize", "AveragePool");
        var p = Triple(padding, 0, "padding", "AveragePool");
        return PoolNd(input, PoolKind.Average, k, stride == null || stride.Length == 0 ? k : Triple(stride, 1, "stride", "AveragePool"), p, p, [1, 1, 1], ceilMode, countIncludePad).Y;
    }

    internal enum PoolKind { Max, Average, Lp }

    /// <summary>Output length of one pooled dim (PyTorch's rule: with ceil mode the last window must start inside the input or the leading pad).</summary>
    internal static int PoolOutSize(int len, int k, int s, int pb, int pe, int d, bool ceilMode)
    {
        int eff = d * (k - 1) + 1, num = len + pb + pe - eff;
        if (num < 0) return 0;
        int o = (ceilMode ? (num + s - 1) / s : num / s) + 1;
        if (ceilMode && (o - 1) * s >= len + pb) o--;
        return o;
    }

    /// <summary>
    /// Pools the spatial dims (2..) of [N, C, spatial...]. Returns the pooled values and, for max pooling when asked, the
    /// Int64 argmax positions flattened over the whole input (ONNX MaxPool's Indices; column-major spatial order when
    /// <paramref name="storageOrder"/> is 1).
    /// </summary>
    internal static (Tensor Y, Tensor? Indices) PoolNd(Tensor x, PoolKind kind, int[] kernel, int[] stride, int[] padBegin, int[] padEnd,
        int[] dilation, bool ceilMode, bool countIncludePad, double p = 2, bool wantIndices = false, int storageOrder = 0)
    {
        string op = kind switch { PoolKind.Max => "MaxPool", PoolKind.Average => "AveragePool", _ => "LpPool" };
        x.ThrowIfDisposed();
        int nsp = kernel.Length;
        if (x.Dim != nsp + 2) throw new ShapeMismatchException(op, $"a {nsp}-D kernel needs a {nsp + 2}-D [N, C, ...] input, got {ShapeUtil.Format(x.shape)}");
        if (!x.DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"needs a floating-point input, got {x.DType.Name()}");
        if (stride.Length != nsp || padBegin.Length != nsp || padEnd.Length != nsp || dilation.Length != nsp)
            throw new ArgumentException($"{op}: kernel, strides, pads and dilations must all have {nsp} entries");
        for (int i = 0; i < nsp; i++)
            if (kernel[i] <= 0 || stride[i] <= 0 || dilation[i] <= 0 || padBegin[i] < 0 || padEnd[i] < 0)
                throw new ArgumentException($"{op}: kernel, strides and dilations must be positive and pads non-negative");
        var outSize = new int[nsp];
        for (int i = 0; i < nsp; i++)
        {
            outSize[i] = PoolOutSize(x.shape[2 + i], kernel[i], stride[i], padBegin[i], padEnd[i], dilation[i], ceilMode);
            if (outSize[i] <= 0)
                throw new ShapeMismatchException(op, $"kernel {ShapeUtil.Format(kernel)} is larger than the padded input {ShapeUtil.Format(x.shape)}");
        }
        bool symmetric = Enumerable.Range(0, nsp).All(i => padBegin[i] == padEnd[i] && padBegin[i] <= kernel[i] / 2);
        if (nsp == 2 && symmetric && !wantIndices && kind != PoolKind.Lp && (kind == PoolKind.Max || dilation.All(d => d == 1)))
            return (kind == PoolKind.Max
                ? MaxPool2d(x, kernel, stride, padBegin, dilation, ceilMode)
                : AvgPool2d(x, kernel, stride, padBegin, ceilMode, countIncludePad), null);

        // Pad (or crop) every spatial dim to exactly what the windows cover: pads, plus the ceil-mode overhang.
        var pad = new int[2 * nsp];
        var padded = new int[nsp];
        for (int i = 0; i < nsp; i++)
        {
            int need = (outSize[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1;
            int j = nsp - 1 - i;
            pad[2 * j] = padBegin[i];
            pad[2 * j + 1] = need - padBegin[i] - x.shape[2 + i];
            padded[i] = need;
        }
        double fill = kind == PoolKind.Max ? double.NegativeInfinity : 0;
        var xp = pad.All(v => v == 0) ? x : x.Pad(pad, "constant", fill);
        Tensor? pos = null;
        if (wantIndices)
        {
            int total = 1;
            for (int i = 0; i < nsp; i++) total *= x.shape[2 + i];
            var flat = new long[total];
            var sp = x.shape[2..];
            for (int f = 0; f < total; f++)
            {
                // Row-major position f -> index in the requested storage order.
                if (storageOrder == 0) { flat[f] = f; continue; }
                long rem = f, idx = 0, mul = 1;
                var coord = new int[nsp];
                for (int i = nsp - 1; i >= 0; i--) { coord[i] = (int)(rem % sp[i]); rem /= sp[i]; }
                for (int i = 0; i < nsp; i++) { idx += coord[i] * mul; mul *= sp[i]; }
                flat[f] = idx;
            }
            using var pt = FromArray(flat, [1, 1, .. sp]).To(x.Device);
            pos = pt.Pad(pad, "constant", -1);
        }
        Tensor? acc = null, accIdx = null;
        var offs = new int[nsp];
        while (true)
        {
            var v = xp;
            var vi = pos;
            for (int i = 0; i < nsp; i++)
            {
                int start = offs[i] * dilation[i], end = start + (outSize[i] - 1) * stride[i] + 1;
                v = v.Slice(2 + i, start, end, stride[i]);
                vi = vi?.Slice(2 + i, start, end, stride[i]);
            }
            if (kind == PoolKind.Lp) v = v.Abs().Pow(p);
            if (acc == null)
            {
                acc = v;
                accIdx = vi;
            }
            else if (kind == PoolKind.Max)
            {
                if (vi != null)
                {
                    using var better = v.Gt(acc);
                    accIdx = Where(better, vi, accIdx!);
                }
                acc = acc.Maximum(v);
            }
            else acc = acc.Add(v);
            int k = nsp - 1;
            while (k >= 0 && ++offs[k] == kernel[k]) offs[k--] = 0;
            if (k < 0) break;
        }
        Tensor y = acc!;
        if (kind == PoolKind.Average)
        {
            // The divisor is separable: a product over dims of how many counted cells each window covers.
            var div = new double[outSize.Aggregate(1, (a, b) => a * b)];
            Array.Fill(div, 1.0);
            int inner = div.Length;
            for (int i = 0; i < nsp; i++)
            {
                int lo = countIncludePad ? 0 : padBegin[i], hi = countIncludePad ? padBegin[i] + x.shape[2 + i] + padEnd[i] : padBegin[i] + x.shape[2 + i];
                var cnt = new double[outSize[i]];
                for (int o = 0; o < outSize[i]; o++)
                    for (int kk = 0; kk < kernel[i]; kk++)
                    {
                        int at = o * stride[i] + kk * dilation[i];
                        if (at >= lo && at < hi) cnt[o]++;
                    }
                inner /= outSize[i];
                for (int f = 0; f < div.Length; f++) div[f] *= cnt[f / inner % outSize[i]];
            }
            using var dt = FromArray(div, [1, 1, .. outSize]).To(x.DType, x.Device);
            y = y.Div(dt);
        }
        else if (kind == PoolKind.Lp) y = y.Pow(1 / p);
        else if (ReferenceEquals(y, x) || ReferenceEquals(y, xp)) y = y.Clone();
        if (accIdx == null) return (y.Contiguous(), null);
        int plane = 1;
        for (int i = 0; i < nsp; i++) plane *= x.shape[2 + i];
        int n = x.shape[0], c = x.shape[1];
        var baseIdx = new long[n * c];
        for (int i = 0; i < baseIdx.Length; i++) baseIdx[i] = (long)i * plane;
        using var bt = FromArray(baseIdx, [n, c, .. Enumerable.Repeat(1, nsp)]).To(x.Device);
        return (y.Contiguous(), accIdx.Add(bt));
    }
}
