namespace NativeNet;

/// <summary>Convolution, pooling, losses and resizing: ONNX attributes (auto_pad, asymmetric pads, ...) mapped onto the ops.</summary>
internal static partial class OpRegistry
{
    static void RegisterNeural()
    {
        Add("Conv", Conv);
        Add("ConvTranspose", ConvTranspose);
        AddMulti("MaxPool", ctx => Pool(ctx, Tensor.PoolKind.Max));
        Add("AveragePool", ctx => (Tensor)Pool(ctx, Tensor.PoolKind.Average)[0]!);
        Add("LpPool", ctx => (Tensor)Pool(ctx, Tensor.PoolKind.Lp)[0]!);
        Add("GlobalAveragePool", ctx => ctx.In(0).Mean(SpatialDims(ctx.In(0)), keepDim: true));
        Add("GlobalMaxPool", ctx => ctx.In(0).Amax(SpatialDims(ctx.In(0)), keepDim: true));
        Add("GlobalLpPool", ctx =>
        {
            double p = ctx.A.GetInt("p", 2);
            return ctx.In(0).Abs().Pow(p).Sum(SpatialDims(ctx.In(0)), keepDim: true).Pow(1 / p);
        });
        Add("NegativeLogLikelihoodLoss", ctx => NllLoss(ctx, ctx.In(0), ctx.In(1), ctx.Opt(2)));
        AddMulti("SoftmaxCrossEntropyLoss", ctx =>
        {
            var scores = ctx.In(0);
            if (scores.Dim < 2) throw ctx.Fail($"scores must be [N, C, ...], got {ShapeUtil.Format(scores.Shape)}");
            var logp = scores.LogSoftmax(1);
            return [NllLoss(ctx, logp, ctx.In(1), ctx.Opt(2)), ctx.OutputUsed(1) ? logp : null];
        });
        Add("Resize", ResizeOp, ResizeCheck);
        Add("Upsample", ctx =>
        {
            var x = ctx.In(0);
            var scales = (ctx.Opset >= 9 ? ToDoubles(ctx.In(1)) : ctx.A.GetFloats("scales")?.Select(f => (double)f).ToArray()) ?? throw ctx.Fail("scales are required");
            string mode = ctx.A.GetString("mode", "nearest");
            var o = new ResizeOptions(mode is "linear" or "bilinear" ? "linear" : "nearest", "asymmetric", "floor");
            return Tensor.Resize(x, ctx.Guard(OutSizes(ctx, x, scales)), scales, o);
        });
        Add("LRN", ctx =>
        {
            var x = ctx.In(0);
            int size = ctx.A.GetInt32("size");
            double alpha = ctx.A.GetFloat("alpha", 1e-4f), beta = ctx.A.GetFloat("beta", 0.75f), bias = ctx.A.GetFloat("bias", 1f);
            if (x.Dim < 3 || size <= 0) throw ctx.Fail($"needs [N, C, ...] and a positive size, got {ShapeUtil.Format(x.Shape)}, size {size}");
            int c = x.Shape[1], lo = (size - 1) / 2, hi = size - 1 - lo;
            var sq = x.Square();
            var pad = new int[2 * (x.Dim - 1)];
            pad[^2] = lo;
            pad[^1] = hi;
            var padded = sq.Pad(pad);
            Tensor? sum = null;
            for (int k = 0; k < size; k++)
            {
                var s = padded.Narrow(1, k, c);
                sum = sum == null ? s : sum.Add(s);
            }
            return x.Div(sum!.Mul(alpha / size).Add(bias).Pow(beta));
        });
    }

    static int[] SpatialDims(Tensor x) => Enumerable.Range(2, Math.Max(0, x.Dim - 2)).ToArray();

    static double[] ToDoubles(Tensor t)
    {
        var d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    /// <summary>Per-dim begin/end pads from pads/auto_pad (for convolution and pooling), given output sizes for SAME.</summary>
    internal static (int[] Begin, int[] End) Pads(OpContext ctx, int[] input, int[] kernel, int[] stride, int[] dilation)
    {
        int n = kernel.Length;
        var begin = new int[n];
        var end = new int[n];
        string auto = ctx.A.GetString("auto_pad", "NOTSET");
        switch (auto)
        {
            case "NOTSET":
                var pads = ctx.A.GetInts32("pads") ?? new int[2 * n];
                if (pads.Length != 2 * n) throw ctx.Fail($"pads needs {2 * n} values, got {pads.Length}");
                for (int i = 0; i < n; i++) { begin[i] = pads[i]; end[i] = pads[n + i]; }
                break;
            case "VALID": break;
            case "SAME_UPPER" or "SAME_LOWER":
                for (int i = 0; i < n; i++)
                {
                    int o = (input[i] + stride[i] - 1) / stride[i];
                    int total = Math.Max(0, (o - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - input[i]);
                    int small = total / 2, big = total - small;
                    (begin[i], end[i]) = auto == "SAME_UPPER" ? (small, big) : (big, small);
                }
                break;
            default: throw ctx.Fail($"unknown auto_pad '{auto}'");
        }
        return (begin, end);
    }

    static int[] Ones(int n) => Enumerable.Repeat(1, n).ToArray();

    static Tensor Conv(OpContext ctx)
    {
        var x = ctx.In(0);
        var w = ctx.In(1);
        var b = ctx.Opt(2);
        int nsp = x.Dim - 2;
        if (nsp < 1 || w.Dim != x.Dim) throw ctx.Fail($"input {ShapeUtil.Format(x.Shape)} and weight {ShapeUtil.Format(w.Shape)} must be [N, C, ...] and [O, C/group, ...] of one rank");
        var kernel = w.Shape[2..].ToArray();
        var stride = ctx.A.GetInts32("strides") ?? Ones(nsp);
        var dilation = ctx.A.GetInts32("dilations") ?? Ones(nsp);
        int group = ctx.A.GetInt32("group", 1);
        var (pb, pe) = Pads(ctx, x.Shape[2..].ToArray(), kernel, stride, dilation);
        var pad = pb;
        if (!pb.SequenceEqual(pe))
        {
            // Asymmetric padding: pad explicitly with zeros, then convolve unpadded.
            var torch = new int[2 * nsp];
            for (int i = 0; i < nsp; i++) { torch[2 * (nsp - 1 - i)] = pb[i]; torch[2 * (nsp - 1 - i) + 1] = pe[i]; }
            ctx.Guard(x.Shape.ToArray().Select((d, i) => i < 2 ? d : (int)Math.Min((long)d + pb[i - 2] + pe[i - 2], int.MaxValue)).ToArray());
            x = x.Pad(torch);
            pad = new int[nsp];
        }
        return nsp switch
        {
            1 => Tensor.Conv1d(x, w, b, stride[0], pad[0], dilation[0], group),
            2 => Tensor.Conv2d(x, w, b, stride, pad, dilation, group),
            3 => Tensor.Conv3d(x, w, b, stride, pad, dilation, group),
            _ => throw ctx.Fail($"{nsp}-D convolution is not supported (1-D, 2-D and 3-D are)"),
        };
    }

    static Tensor ConvTranspose(OpContext ctx)
    {
        var x = ctx.In(0);
        var w = ctx.In(1);
        var b = ctx.Opt(2);
        int nsp = x.Dim - 2;
        if (nsp is < 1 or > 3 || w.Dim != x.Dim) throw ctx.Fail($"supports 1-D, 2-D and 3-D inputs with a weight of the same rank, got {ShapeUtil.Format(x.Shape)} and {ShapeUtil.Format(w.Shape)}");
        var kernel = w.Shape[2..].ToArray();
        var stride = ctx.A.GetInts32("strides") ?? Ones(nsp);
        var dilation = ctx.A.GetInts32("dilations") ?? Ones(nsp);
        var outPad = ctx.A.GetInts32("output_padding") ?? new int[nsp];
        int group = ctx.A.GetInt32("group", 1);
        var outShape = ctx.A.GetInts32("output_shape");
        string auto = ctx.A.GetString("auto_pad", "NOTSET");
        var pb = new int[nsp];
        var pe = new int[nsp];
        var outSize = new int[nsp];
        var pads = ctx.A.GetInts32("pads");
        for (int i = 0; i < nsp; i++)
        {
            int full = (x.Shape[2 + i] - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1;
            if (outShape != null || auto is "SAME_UPPER" or "SAME_LOWER")
            {
                int target = outShape != null ? outShape[outShape.Length - nsp + i] : x.Shape[2 + i] * stride[i];
                int total = Math.Max(0, full + outPad[i] - target);
                (pb[i], pe[i]) = auto == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
                outSize[i] = target;
            }
            else
            {
                if (pads != null && auto != "VALID") { pb[i] = pads[i]; pe[i] = pads[nsp + i]; }
                outSize[i] = full - pb[i] - pe[i] + outPad[i];
            }
        }
        var y = nsp switch
        {
            1 => Tensor.ConvTranspose1d(x, w, null, stride[0], 0, 0, group, dilation[0]),
            2 => Tensor.ConvTranspose2d(x, w, null, stride, [0], [0], group, dilation),
            _ => Tensor.ConvTranspose3d(x, w, null, stride, [0], [0], group, dilation),
        };
        // Crop the leading pads, then crop or zero-extend the end to the requested size.
        var torch = new int[2 * nsp];
        for (int i = 0; i < nsp; i++)
        {
            int full = y.Shape[2 + i];
            torch[2 * (nsp - 1 - i)] = -pb[i];
            torch[2 * (nsp - 1 - i) + 1] = outSize[i] - (full - pb[i]);
        }
        if (torch.Any(v => v != 0)) y = y.Pad(torch);
        if (b == null) return y;
        return y.Add(b.Reshape([1, b.NumEl, .. Ones(nsp)]));
    }

    static object?[] Pool(OpContext ctx, Tensor.PoolKind kind)
    {
        var x = ctx.In(0);
        int nsp = x.Dim - 2;
        var kernel = ctx.A.GetInts32("kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
        if (kernel.Length != nsp) throw ctx.Fail($"kernel_shape {ShapeUtil.Format(kernel)} does not match input {ShapeUtil.Format(x.Shape)}");
        var stride = ctx.A.GetInts32("strides") ?? Ones(nsp);
        var dilation = ctx.A.GetInts32("dilations") ?? Ones(nsp);
        var (pb, pe) = Pads(ctx, x.Shape[2..].ToArray(), kernel, stride, dilation);
        bool ceil = ctx.A.GetInt("ceil_mode", 0) != 0;
        bool includePad = ctx.A.GetInt("count_include_pad", 0) != 0;
        bool wantIdx = kind == Tensor.PoolKind.Max && ctx.OutputUsed(1);
        ctx.Guard(x.Shape.ToArray().Select((d, i) => i < 2 ? d : (int)Math.Min((long)d + pb[i - 2] + pe[i - 2], int.MaxValue)).ToArray());
        if (kernel.Aggregate(1L, (p, k) => p * Math.Max(k, 1)) > 1 << 16) throw ctx.Fail($"kernel_shape {ShapeUtil.Format(kernel)} has more than 65536 positions");
        var input = x.DType.IsFloatingPoint() ? x : x.To(DType.Float32);
        var (y, idx) = Tensor.PoolNd(input, kind, kernel, stride, pb, pe, dilation, ceil, includePad, ctx.A.GetInt("p", 2), wantIdx, ctx.A.GetInt32("storage_order", 0));
        return [y.DType == x.DType ? y : y.To(x.DType), idx];
    }

    static Tensor NllLoss(OpContext ctx, Tensor input, Tensor target, Tensor? weight)
    {
        if (input.Dim < 2) throw ctx.Fail($"input must be [N, C, ...], got {ShapeUtil.Format(input.Shape)}");
        string reduction = ctx.A.GetString("reduction", "mean");
        long? ignore = ctx.A.Has("ignore_index") ? ctx.A.GetInt("ignore_index") : null;
        var t = target.To(DType.Int64);
        using var valid = ignore is long ig ? t.Ne((double)ig) : Tensor.Full(t.Shape.ToArray(), 1, DType.Bool);
        using var zero = Tensor.Scalar(0, DType.Int64);
        using var safe = Tensor.Where(valid, t, zero);
        var picked = input.Gather(1, safe.Unsqueeze(1)).Squeeze(1);
        var w = weight != null ? weight.IndexSelect(0, safe.Reshape(-1)).Reshape(t.Shape.ToArray()) : Tensor.OnesLike(picked);
        w = w.Mul(valid.To(w.DType));
        var loss = picked.Mul(w).Neg();
        return reduction switch
        {
            "none" => loss,
            "sum" => loss.Sum(),
            "mean" => loss.Sum().Div(w.Sum()),
            _ => throw ctx.Fail($"unknown reduction '{reduction}'"),
        };
    }

    static int[] OutSizes(OpContext ctx, Tensor x, double[] scales)
    {
        if (scales.Length != x.Dim) throw ctx.Fail($"scales need {x.Dim} values, got {scales.Length}");
        return x.Shape.ToArray().Select((s, i) =>
        {
            double o = Math.Floor(s * scales[i]);
            if (o < 0 || o > int.MaxValue) throw ctx.Fail($"output size {o} is out of range");
            return (int)o;
        }).ToArray();
    }

    static string? ResizeCheck(GraphNode n, int opset)
    {
        var a = n.Attributes;
        if (a.GetInt("antialias", 0) != 0) return "antialias=1 is not supported";
        if (a.Has("keep_aspect_ratio_policy") && a.GetString("keep_aspect_ratio_policy") != "stretch") return "keep_aspect_ratio_policy other than stretch is not supported";
        string mode = a.GetString("coordinate_transformation_mode", "half_pixel");
        if (mode == "half_pixel_symmetric") return "coordinate_transformation_mode half_pixel_symmetric is not supported";
        return null;
    }

    static Tensor ResizeOp(OpContext ctx)
    {
        var x = ctx.In(0);
        string mode = ctx.A.GetString("mode", "nearest");
        if (ctx.Opset < 11)
        {
            var s10 = ToDoubles(ctx.In(1));
            return Tensor.Resize(x, ctx.Guard(OutSizes(ctx, x, s10)), s10, new ResizeOptions(mode, "asymmetric", "floor"));
        }
        var axes = ctx.A.GetInts32("axes")?.Select(a => ctx.Axis(a, x.Dim)).ToArray() ?? Enumerable.Range(0, x.Dim).ToArray();
        double[]? roiIn = ctx.Has(1) && ctx.In(1).NumEl > 0 ? ToDoubles(ctx.In(1)) : null;
        double[]? scalesIn = ctx.Has(2) && ctx.In(2).NumEl > 0 ? ToDoubles(ctx.In(2)) : null;
        long[]? sizesIn = ctx.Has(3) && ctx.In(3).NumEl > 0 ? ctx.Ints(3) : null;
        var scales = Enumerable.Repeat(1.0, x.Dim).ToArray();
        var sizes = x.Shape.ToArray();
        if (sizesIn != null)
        {
            if (sizesIn.Length != axes.Length) throw ctx.Fail($"sizes need {axes.Length} values, got {sizesIn.Length}");
            for (int i = 0; i < axes.Length; i++)
            {
                sizes[axes[i]] = ctx.Int32s([sizesIn[i]], "sizes")[0];
                scales[axes[i]] = (double)sizes[axes[i]] / x.Shape[axes[i]];
            }
        }
        else if (scalesIn != null)
        {
            if (scalesIn.Length != axes.Length) throw ctx.Fail($"scales need {axes.Length} values, got {scalesIn.Length}");
            for (int i = 0; i < axes.Length; i++) scales[axes[i]] = scalesIn[i];
            sizes = OutSizes(ctx, x, scales);
        }
        else throw ctx.Fail("needs scales or sizes");
        double[]? roi = null;
        string ctm = ctx.A.GetString("coordinate_transformation_mode", "half_pixel");
        if (ctm == "tf_crop_and_resize")
        {
            if (roiIn == null || roiIn.Length != 2 * axes.Length) throw ctx.Fail("tf_crop_and_resize needs a roi of 2 values per axis");
            roi = new double[2 * x.Dim];
            for (int d = 0; d < x.Dim; d++) roi[x.Dim + d] = 1;
            for (int i = 0; i < axes.Length; i++) { roi[axes[i]] = roiIn[i]; roi[x.Dim + axes[i]] = roiIn[axes.Length + i]; }
        }
        var o = new ResizeOptions(mode, ctm, ctx.A.GetString("nearest_mode", "round_prefer_floor"), ctx.A.GetFloat("cubic_coeff_a", -0.75f),
            ctx.A.GetInt("exclude_outside", 0) != 0, ctx.A.GetFloat("extrapolation_value", 0f), roi);
        return Tensor.Resize(x, ctx.Guard(sizes), scales, o);
    }
}
