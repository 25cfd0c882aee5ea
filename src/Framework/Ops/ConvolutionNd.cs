namespace NativeNet;

/// <summary>
/// 1-D and 3-D convolution as composites of the 2-D kernel, and transposed convolution as a primitive that runs the
/// 2-D convolution's backward-data kernel forward (its backward is the forward convolution and the filter gradient).
/// </summary>
public partial class Tensor
{
    static int[] Triple(int[]? v, int fallback, string name, string op)
    {
        if (v == null || v.Length == 0) return [fallback, fallback, fallback];
        if (v.Length == 1) return [v[0], v[0], v[0]];
        if (v.Length == 3) return v;
        throw new ArgumentException($"{op}: {name} must have 1 or 3 values, got {v.Length}");
    }

    /// <summary>1-D convolution of an [N, C, L] input with an [O, C/groups, K] weight (<c>torch.nn.functional.conv1d</c>).</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        if (input.Dim != 3 || weight.Dim != 3)
            throw new ShapeMismatchException("Conv", $"Conv1d expects a 3-D input and weight, got {ShapeUtil.Format(input.shape)} and {ShapeUtil.Format(weight.shape)}");
        using var x = input.Unsqueeze(2);
        using var w = weight.Unsqueeze(2);
        using var y = Conv2d(x, w, bias, [1, stride], [0, padding], [1, dilation], groups);
        return y.Squeeze(2);
    }

    /// <summary>
    /// 3-D convolution of an [N, C, D, H, W] input with an [O, C/groups, KD, KH, KW] weight (<c>torch.nn.functional.conv3d</c>):
    /// one 2-D convolution per kernel depth over the depth-strided input slices, summed.
    /// </summary>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1)
    {
        const string op = "Conv";
        if (input.Dim != 5 || weight.Dim != 5)
            throw new ShapeMismatchException(op, $"Conv3d expects a 5-D input and weight, got {ShapeUtil.Format(input.shape)} and {ShapeUtil.Format(weight.shape)}");
        var s = Triple(stride, 1, "stride", op);
        var p = Triple(padding, 0, "padding", op);
        var d = Triple(dilation, 1, "dilation", op);
        int n = input.shape[0], c = input.shape[1], kd = weight.shape[2], o = weight.shape[0];
        var x = p[0] > 0 ? input.Pad([0, 0, 0, 0, p[0], p[0]]) : input;
        int depth = x.shape[2];
        int od = (depth - d[0] * (kd - 1) - 1) / s[0] + 1;
        if (od <= 0) throw new ShapeMismatchException(op, $"kernel depth {kd} (dilation {d[0]}) is larger than the padded input depth {depth}");
        Tensor? acc = null;
        for (int k = 0; k < kd; k++)
        {
            int start = k * d[0];
            var xs = x.Slice(2, start, start + (od - 1) * s[0] + 1, s[0]).Permute(0, 2, 1, 3, 4).Reshape(n * od, c, x.shape[3], x.shape[4]);
            var yk = Conv2d(xs, weight.Select(2, k), null, [s[1], s[2]], [p[1], p[2]], [d[1], d[2]], groups);
            acc = acc == null ? yk : acc.Add(yk);
        }
        var y = acc!.Reshape(n, od, o, acc.shape[2], acc.shape[3]).Permute(0, 2, 1, 3, 4);
        if (bias == null) return y.Contiguous();
        using var b = bias.Reshape(1, o, 1, 1, 1);
        return y.Add(b);
    }

    /// <summary>1-D transposed convolution; weight [C_in, C_out/groups, K] (<c>torch.nn.functional.conv_transpose1d</c>).</summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, int dilation = 1)
    {
        if (input.Dim != 3 || weight.Dim != 3)
            throw new ShapeMismatchException("ConvTranspose", $"ConvTranspose1d expects a 3-D input and weight, got {ShapeUtil.Format(input.shape)} and {ShapeUtil.Format(weight.shape)}");
        using var x = input.Unsqueeze(2);
        using var w = weight.Unsqueeze(2);
        using var y = ConvTranspose2d(x, w, bias, [1, stride], [0, padding], [0, outputPadding], groups, [1, dilation]);
        return y.Squeeze(2);
    }

    /// <summary>
    /// 2-D transposed convolution (the gradient of <see cref="Conv2d"/> with respect to its input) of an [N, C_in, H, W]
    /// input with a [C_in, C_out/groups, KH, KW] weight (<c>torch.nn.functional.conv_transpose2d</c>).
    /// Output size: (H - 1)·stride - 2·padding + dilation·(KH - 1) + outputPadding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null,
        int[]? outputPadding = null, int groups = 1, int[]? dilation = null)
    {
        const string op = "ConvTranspose";
        input.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        CheckSameDevice(op, input, weight);
        if (input.Dim != 4 || weight.Dim != 4)
            throw new ShapeMismatchException(op, $"expected a 4-D input and [C_in, C_out/groups, kH, kW] weight, got {ShapeUtil.Format(input.shape)} and {ShapeUtil.Format(weight.shape)}");
        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType)
            throw new DTypeMismatchException(op, $"input and weight must share a floating-point dtype, got {input.DType.Name()} and {weight.DType.Name()}");
        var (sh, sw) = Pair(stride ?? [1], "stride", op);
        var (ph, pw) = Pair(padding ?? [0], "padding", op);
        var (oph, opw) = Pair(outputPadding ?? [0], "outputPadding", op);
        var (dh, dw) = Pair(dilation ?? [1], "dilation", op);
        if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || ph < 0 || pw < 0 || oph < 0 || opw < 0 || groups <= 0)
            throw new ArgumentException($"{op}: stride and dilation must be positive, padding and outputPadding non-negative, groups positive");
        if ((oph >= sh && oph >= dh) || (opw >= sw && opw >= dw))
            throw new ArgumentException($"{op}: outputPadding ({oph}, {opw}) must be smaller than stride or dilation");
        int n = input.shape[0], cin = input.shape[1], h = input.shape[2], w = input.shape[3];
        int kh = weight.shape[2], kw = weight.shape[3], cout = weight.shape[1] * groups;
        if (weight.shape[0] != cin || cin % groups != 0)
            throw new ShapeMismatchException(op, $"input {ShapeUtil.Format(input.shape)} with groups={groups} expects weight [{cin}, C_out/groups, kH, kW], got {ShapeUtil.Format(weight.shape)}");
        int oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
        if (oh <= 0 || ow <= 0) throw new ShapeMismatchException(op, $"padding ({ph}, {pw}) leaves an empty output for input {ShapeUtil.Format(input.shape)}");
        if (bias != null && (bias.Dim != 1 || bias.shape[0] != cout))
            throw new ShapeMismatchException(op, $"bias must be [{cout}], got {ShapeUtil.Format(bias.shape)}");
        // The forward convolution this is the input-gradient of: input [N, C_out, oh, ow] -> output [N, C_in, h, w].
        var g = new Conv2dGeometry(n, cout, oh, ow, cin, kh, kw, h, w, sh, sw, ph, pw, dh, dw, groups);
        var x = input.Contiguous();
        var wt = weight.Contiguous();
        var y = Empty([n, cout, oh, ow], input.DType, input.Device);
        input.Backend.Conv2dBackwardData(x.View, wt.View, y.View, g);
        DisposeIfTemp(x, input);
        DisposeIfTemp(wt, weight);
        if (Autograd.Needs(input, weight))
        {
            var xs = input.Alias();
            var ws = weight.Alias();
            bool needX = input.RequiresGrad, needW = weight.RequiresGrad;
            Autograd.Record(y, op, [input, weight], gy =>
            {
                var gc = gy.Contiguous();
                Tensor? gx = null, gw = null;
                if (needX)
                {
                    gx = Empty(xs.shape, gy.DType, gy.Device);
                    using var wc = ws.Contiguous().Alias();
                    gy.Backend.Conv2d(gc.View, wc.View, null, gx.View, g);
                }
                if (needW)
                {
                    gw = Empty(ws.shape, gy.DType, gy.Device);
                    using var xc = xs.Contiguous().Alias();
                    gy.Backend.Conv2dBackwardFilter(xc.View, gc.View, gw.View, g);
                }
                DisposeIfTemp(gc, gy);
                return [gx, gw];
            }, xs, ws);
        }
        if (bias == null) return y;
        using (y) using (var b = bias.Reshape(1, cout, 1, 1)) return y.Add(b);
    }

    /// <summary>
    /// 3-D transposed convolution of an [N, C_in, D, H, W] input with a [C_in, C_out/groups, KD, KH, KW] weight
    /// (<c>torch.nn.functional.conv_transpose3d</c>): one 2-D transposed convolution per kernel depth, spread along depth
    /// by the stride and summed.
    /// </summary>
    public static Tensor ConvTranspose3d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null,
        int[]? outputPadding = null, int groups = 1, int[]? dilation = null)
    {
        const string op = "ConvTranspose";
        if (input.Dim != 5 || weight.Dim != 5)
            throw new ShapeMismatchException(op, $"ConvTranspose3d expects a 5-D input and weight, got {ShapeUtil.Format(input.shape)} and {ShapeUtil.Format(weight.shape)}");
        var s = Triple(stride, 1, "stride", op);
        var p = Triple(padding, 0, "padding", op);
        var o = Triple(outputPadding, 0, "outputPadding", op);
        var d = Triple(dilation, 1, "dilation", op);
        int n = input.shape[0], cin = input.shape[1], depth = input.shape[2], kd = weight.shape[2];
        int full = (depth - 1) * s[0] + d[0] * (kd - 1) + 1;
        var slices = input.Permute(0, 2, 1, 3, 4).Reshape(n * depth, cin, input.shape[3], input.shape[4]);
        Tensor? acc = null;
        for (int k = 0; k < kd; k++)
        {
            var y2 = ConvTranspose2d(slices, weight.Select(2, k), null, [s[1], s[2]], [p[1], p[2]], [o[1], o[2]], groups, [d[1], d[2]]);
            int cout = y2.shape[1], h = y2.shape[2], w = y2.shape[3];
            var y = y2.Reshape(n, depth, cout, h, w).Permute(0, 2, 1, 3, 4);
            if (s[0] > 1)
            {
                // Spread the depth slices stride apart: interleave zeros, then drop the trailing ones.
                var zeros = Zeros([n, cout, depth, s[0] - 1, h, w], y.DType, y.Device);
                y = Cat([y.Unsqueeze(3), zeros], 3).Reshape(n, cout, depth * s[0], h, w).Narrow(2, 0, (depth - 1) * s[0] + 1);
            }
            int before = k * d[0];
            y = y.Pad([0, 0, 0, 0, before, full - before - y.shape[2]]);
            acc = acc == null ? y : acc.Add(y);
        }
        var r = acc!.Pad([0, 0, 0, 0, -p[0], o[0] - p[0]]);
        if (bias == null) return r;
        using var b = bias.Reshape(1, bias.NumEl, 1, 1, 1);
        return r.Add(b);
    }
}
