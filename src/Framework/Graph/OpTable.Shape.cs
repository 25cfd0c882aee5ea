namespace NativeNet;

/// <summary>Shape manipulation and tensor creation: Reshape, Transpose, Slice, Pad, Concat, Split, Constant, Range, …</summary>
internal static partial class OpRegistry
{
    static void RegisterShapeOps()
    {
        Add("Reshape", Reshape);
        Add("Flatten", ctx =>
        {
            var x = ctx.In(0);
            long axis = ctx.A.GetInt("axis", 1);
            int a = axis == x.Dim ? x.Dim : ctx.Axis(axis, x.Dim);
            int outer = 1;
            for (int i = 0; i < a; i++) outer *= x.Shape[i];
            return x.Reshape(outer, outer == 0 ? 0 : x.NumEl / outer);
        });
        Add("Transpose", ctx =>
        {
            var x = ctx.In(0);
            var perm = ctx.A.GetInts32("perm") ?? Enumerable.Range(0, x.Dim).Reverse().ToArray();
            return x.Permute(perm);
        });
        Add("Squeeze", ctx =>
        {
            var x = ctx.In(0);
            long[]? axes = ctx.Opset >= 13 ? ctx.OptInts(1) : ctx.A.GetInts("axes");
            if (axes == null || axes.Length == 0) return x.Squeeze();
            var dims = axes.Select(a => ctx.Axis(a, x.Dim)).ToHashSet();
            foreach (var d in dims)
                if (x.Shape[d] != 1) throw ctx.Fail($"cannot squeeze axis {d} of size {x.Shape[d]} (shape {ShapeUtil.Format(x.Shape)})");
            return x.Reshape(Enumerable.Range(0, x.Dim).Where(i => !dims.Contains(i)).Select(i => x.Shape[i]).ToArray());
        });
        Add("Unsqueeze", ctx =>
        {
            var x = ctx.In(0);
            long[] axes = (ctx.Opset >= 13 ? ctx.OptInts(1) : ctx.A.GetInts("axes")) ?? throw ctx.Fail("axes are required");
            int rank = x.Dim + axes.Length;
            var dims = axes.Select(a => ctx.Axis(a, rank)).ToHashSet();
            if (dims.Count != axes.Length) throw ctx.Fail($"axes {string.Join(", ", axes)} repeat");
            var shape = new int[rank];
            for (int i = 0, j = 0; i < rank; i++) shape[i] = dims.Contains(i) ? 1 : x.Shape[j++];
            return x.Reshape(shape);
        });
        Add("Concat", ctx =>
        {
            var xs = Enumerable.Range(0, ctx.InputCount).Where(ctx.Has).Select(ctx.In).ToList();
            if (xs.Count == 0) throw ctx.Fail("needs at least one input");
            // Before opset 4 the axis was optional with default 1.
            return Tensor.Cat(xs, ctx.Axis(ctx.Opset < 4 ? ctx.A.GetInt("axis", 1) : ctx.A.GetInt("axis"), xs[0].Dim));
        });
        AddMulti("Split", Split);
        Add("Slice", Slice);
        Add("Expand", ctx =>
        {
            var x = ctx.In(0);
            var target = ctx.Int32s(ctx.Ints(1), "shape");
            return x.Expand(ctx.Guard(ShapeUtil.Broadcast(x.Shape.ToArray(), target, "Expand")));
        });
        Add("Tile", ctx =>
        {
            var x = ctx.In(0);
            var repeats = ctx.Int32s(ctx.Ints(1), "repeats");
            if (repeats.Length != x.Dim || repeats.Any(r => r < 0)) throw ctx.Fail($"repeats {ShapeUtil.Format(repeats)} must be {x.Dim} non-negative values");
            ctx.Guard(repeats.Select((r, i) => (int)Math.Min((long)r * x.Shape[i], int.MaxValue)).ToArray());
            return x.Repeat(repeats);
        });
        Add("Pad", PadOp);
        Add("Shape", ctx => CompiledGraph.ShapeSlice(ctx.In(0).Shape, ctx.A, ctx.Opset));
        Add("Size", ctx => Tensor.Scalar(ctx.In(0).NumEl, DType.Int64));
        Add("ConstantOfShape", ctx =>
        {
            var shape = ctx.Guard(ctx.Int32s(ctx.Ints(0), "shape"));
            var v = ctx.A.GetTensor("value");
            if (v == null) return Tensor.Zeros(shape, DType.Float32);
            if (v.NumEl != 1) throw ctx.Fail("value must hold one element");
            return Tensor.Full(shape, v.Item(), v.DType);
        });
        Add("Constant", Constant, ConstantCheck);
        Add("Range", ctx =>
        {
            var s = ctx.In(0);
            double start = ctx.Scalar(0), limit = ctx.Scalar(1), delta = ctx.Scalar(2);
            if (delta == 0) throw ctx.Fail("delta must be non-zero");
            double n = Math.Max(Math.Ceiling((limit - start) / delta), 0);
            if (double.IsNaN(n) || n > int.MaxValue) throw ctx.Fail($"{n} elements is too many");
            ctx.Guard((long)n);
            var data = new double[(int)n];
            for (int i = 0; i < data.Length; i++) data[i] = start + i * delta;
            var t = Tensor.FromArray(data);
            return t.To(s.DType);
        });
        Add("DepthToSpace", ctx =>
        {
            var x = ctx.In(0);
            int b = ctx.A.GetInt32("blocksize");
            if (x.Dim != 4 || b <= 0 || x.Shape[1] % (b * b) != 0) throw ctx.Fail($"needs [N, C, H, W] with C divisible by blocksize² ({b}²), got {ShapeUtil.Format(x.Shape)}");
            int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], oc = c / (b * b);
            var t = ctx.A.GetString("mode", "DCR") == "CRD"
                ? x.Reshape(n, oc, b, b, h, w).Permute(0, 1, 4, 2, 5, 3)
                : x.Reshape(n, b, b, oc, h, w).Permute(0, 3, 4, 1, 5, 2);
            return t.Reshape(n, oc, h * b, w * b);
        });
        Add("SpaceToDepth", ctx =>
        {
            var x = ctx.In(0);
            int b = ctx.A.GetInt32("blocksize");
            if (x.Dim != 4 || b <= 0 || x.Shape[2] % b != 0 || x.Shape[3] % b != 0) throw ctx.Fail($"needs [N, C, H, W] with H and W divisible by {b}, got {ShapeUtil.Format(x.Shape)}");
            int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
            return x.Reshape(n, c, h / b, b, w / b, b).Permute(0, 3, 5, 1, 2, 4).Reshape(n, c * b * b, h / b, w / b);
        });
        Add("EyeLike", ctx =>
        {
            var x = ctx.In(0);
            if (x.Dim != 2) throw ctx.Fail($"needs a 2-D input, got {ShapeUtil.Format(x.Shape)}");
            int k = ctx.A.GetInt32("k", 0), r = x.Shape[0], c = x.Shape[1];
            var data = new double[r * c];
            for (int i = 0; i < r; i++) if (i + k >= 0 && i + k < c) data[i * c + i + k] = 1;
            var t = Tensor.FromArray(data, [r, c]);
            return t.To(DTypeAttr(ctx, "dtype", x.DType));
        }, DTypeAttrCheck("dtype"));
    }

    static Tensor Reshape(OpContext ctx)
    {
        var x = ctx.In(0);
        var target = ctx.Int32s(ctx.Opset >= 5 ? ctx.Ints(1) : ctx.A.GetInts("shape") ?? throw ctx.Fail("shape is required"), "shape");
        bool allowZero = ctx.A.GetInt("allowzero", 0) != 0;
        var shape = (int[])target.Clone();
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] == 0 && !allowZero)
            {
                if (i >= x.Dim) throw ctx.Fail($"shape[{i}] = 0 copies a dimension the input {ShapeUtil.Format(x.Shape)} does not have");
                shape[i] = x.Shape[i];
            }
        return x.Reshape(shape);
    }

    static object?[] Split(OpContext ctx)
    {
        var x = ctx.In(0);
        int axis = ctx.Axis(ctx.A.GetInt("axis", 0), x.Dim);
        // Opset 1 took split as an optional input, 2-12 as an attribute, 13+ as an input again.
        long[]? split = ctx.Opset >= 13 ? ctx.OptInts(1) : ctx.A.GetInts("split") ?? ctx.OptInts(1);
        int n = x.Shape[axis], parts = ctx.OutputCount;
        int[] sizes;
        if (split != null && split.Length > 0) sizes = ctx.Int32s(split, "split");
        else
        {
            if (ctx.Opset >= 18 && ctx.A.Has("num_outputs")) parts = ctx.A.GetInt32("num_outputs");
            if (parts <= 0) throw ctx.Fail("needs at least one output");
            int chunk = (n + parts - 1) / parts;
            if (ctx.Opset < 18 && n % parts != 0) throw ctx.Fail($"axis {axis} of size {n} does not split evenly into {parts} outputs");
            sizes = Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(chunk, n - i * chunk))).ToArray();
        }
        if (sizes.Sum() != n || sizes.Any(s => s < 0)) throw ctx.Fail($"split sizes {ShapeUtil.Format(sizes)} do not sum to axis {axis} of size {n}");
        return x.Split(sizes, axis);
    }

    static Tensor Slice(OpContext ctx)
    {
        var x = ctx.In(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (ctx.Opset < 10)
        {
            starts = ctx.A.GetInts("starts") ?? throw ctx.Fail("starts is required");
            ends = ctx.A.GetInts("ends") ?? throw ctx.Fail("ends is required");
            axes = ctx.A.GetInts("axes");
        }
        else
        {
            starts = ctx.Ints(1);
            ends = ctx.Ints(2);
            axes = ctx.OptInts(3);
            steps = ctx.OptInts(4);
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || (steps != null && steps.Length != starts.Length))
            throw ctx.Fail("starts, ends, axes and steps must have the same length");
        var y = x;
        for (int i = 0; i < starts.Length; i++)
        {
            int d = ctx.Axis(axes[i], x.Dim);
            long n = x.Shape[d], step = steps?[i] ?? 1;
            if (step == 0) throw ctx.Fail("steps cannot be 0");
            long s = starts[i] < 0 ? starts[i] + n : starts[i], e = ends[i] < 0 ? ends[i] + n : ends[i];
            if (step > 0)
            {
                s = Math.Clamp(s, 0, n);
                e = Math.Clamp(e, 0, n);
                y = y.Slice(d, (int)s, (int)e, (int)Math.Min(step, int.MaxValue));
            }
            else
            {
                s = Math.Clamp(s, 0, n - 1);
                e = Math.Clamp(e, -1, n - 1);
                if (n == 0 || s <= e) { y = y.Slice(d, 0, 0); continue; }
                y = y.Flip(d).Slice(d, (int)(n - 1 - s), (int)(n - 1 - e), (int)Math.Min(-step, int.MaxValue));
            }
        }
        return y;
    }

    static Tensor PadOp(OpContext ctx)
    {
        var x = ctx.In(0);
        long[] pads;
        double value = 0;
        string mode = ctx.A.GetString("mode", "constant");
        long[]? axes = null;
        if (ctx.Opset < 11)
        {
            pads = ctx.A.GetInts("pads") ?? ctx.A.GetInts("paddings") ?? throw ctx.Fail("pads is required");
            value = ctx.A.GetFloat("value", 0f);
        }
        else
        {
            pads = ctx.Ints(1);
            if (ctx.Has(2) && ctx.In(2).NumEl > 0) value = ctx.Scalar(2);
            axes = ctx.OptInts(3);
        }
        var dims = axes?.Select(a => ctx.Axis(a, x.Dim)).ToArray() ?? Enumerable.Range(0, x.Dim).ToArray();
        if (pads.Length != 2 * dims.Length) throw ctx.Fail($"pads must have {2 * dims.Length} values, got {pads.Length}");
        // ONNX order [b1, b2, ..., e1, e2, ...] -> PyTorch order (last dim first) over all dims.
        var torch = new int[2 * x.Dim];
        var p32 = ctx.Int32s(pads, "pads");
        for (int i = 0; i < dims.Length; i++)
        {
            int j = x.Dim - 1 - dims[i];
            torch[2 * j] = p32[i];
            torch[2 * j + 1] = p32[dims.Length + i];
        }
        string m = mode switch
        {
            "constant" => "constant", "reflect" => "reflect", "edge" => "replicate", "wrap" => "circular",
            _ => throw ctx.Fail($"unknown mode '{mode}'"),
        };
        ctx.Guard(x.Shape.ToArray().Select((d, i) => (int)Math.Clamp((long)d + torch[2 * (x.Dim - 1 - i)] + torch[2 * (x.Dim - 1 - i) + 1], 0, int.MaxValue)).ToArray());
        return x.Pad(torch, m, value);
    }

    static Tensor Constant(OpContext ctx)
    {
        var a = ctx.A;
        if (a.GetTensor("value") is { } t) return t;
        if (a.Has("value_float")) return Tensor.Scalar(a.GetFloat("value_float"), DType.Float32);
        if (a.Has("value_int")) return Tensor.Scalar(a.GetInt("value_int"), DType.Int64);
        if (a.GetFloats("value_floats") is { } fs) return Tensor.FromArray(fs);
        if (a.GetInts("value_ints") is { } ls) return Tensor.FromArray(ls);
        throw ctx.Fail("needs one of value, value_float(s) or value_int(s)");
    }

    static string? ConstantCheck(GraphNode n, int opset)
    {
        foreach (var name in new[] { "value_string", "value_strings", "sparse_value" })
            if (n.Attributes.Has(name)) return $"attribute {name}: NativeNet has no string or sparse tensors";
        return null;
    }
}
