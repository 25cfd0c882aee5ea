namespace NativeNet;

/// <summary>Gather/scatter family, one-hot, non-zero, compress, reverse-sequence, unique.</summary>
internal static partial class OpRegistry
{
    static void RegisterIndexing()
    {
        Add("Gather", ctx =>
        {
            var x = ctx.In(0);
            var idx = ctx.In(1);
            int axis = ctx.Axis(ctx.A.GetInt("axis", 0), x.Dim);
            var picked = x.IndexSelect(axis, idx.Reshape(-1));
            var shape = x.Shape[..axis].ToArray().Concat(idx.Shape.ToArray()).Concat(x.Shape[(axis + 1)..].ToArray()).ToArray();
            return picked.Reshape(shape);
        });
        Add("GatherElements", ctx =>
        {
            var x = ctx.In(0);
            int axis = ctx.Axis(ctx.A.GetInt("axis", 0), x.Dim);
            return x.Gather(axis, NonNegative(ctx.In(1), x.Shape[axis]));
        });
        Add("GatherND", GatherNd);
        Add("ScatterElements", ctx => ScatterElements(ctx, ctx.A.GetString("reduction", "none")));
        Add("Scatter", ctx => ScatterElements(ctx, "none"));
        Add("ScatterND", ScatterNd);
        Add("OneHot", OneHot);
        Add("NonZero", ctx =>
        {
            using var nz = ctx.In(0).NonZero();
            return nz.T.Contiguous().Clone();
        });
        Add("Compress", ctx =>
        {
            var x = ctx.In(0);
            var cond = ctx.In(1).To(DType.Bool).ToArray<bool>();
            Tensor src = x;
            int axis = 0;
            if (ctx.A.Has("axis")) axis = ctx.Axis(ctx.A.GetInt("axis"), x.Dim);
            else src = x.Reshape(-1);
            if (cond.Length > src.Shape[axis]) throw ctx.Fail($"condition has {cond.Length} entries for an axis of size {src.Shape[axis]}");
            var keep = Enumerable.Range(0, cond.Length).Where(i => cond[i]).Select(i => (long)i).ToArray();
            using var it = Tensor.FromArray(keep);
            return src.IndexSelect(axis, it);
        });
        Add("ReverseSequence", ctx =>
        {
            var x = ctx.In(0);
            var lens = ctx.Ints(1);
            int batchAxis = ctx.Axis(ctx.A.GetInt("batch_axis", 1), x.Dim), timeAxis = ctx.Axis(ctx.A.GetInt("time_axis", 0), x.Dim);
            int t = x.Shape[timeAxis], b = x.Shape[batchAxis];
            if (lens.Length != b) throw ctx.Fail($"sequence_lens has {lens.Length} entries for a batch of {b}");
            var idx = new long[t * b];
            for (int ti = 0; ti < t; ti++)
                for (int bi = 0; bi < b; bi++)
                {
                    long len = Math.Clamp(lens[bi], 0, t);
                    int at = timeAxis < batchAxis ? ti * b + bi : bi * t + ti;
                    idx[at] = ti < len ? len - 1 - ti : ti;
                }
            var shape = Enumerable.Repeat(1, x.Dim).ToArray();
            shape[timeAxis] = t;
            shape[batchAxis] = b;
            using var it = Tensor.FromArray(idx, shape);
            using var full = it.Expand(x.Shape.ToArray()).Contiguous();
            return x.Gather(timeAxis, full);
        });
        AddMulti("Unique", Unique);
    }

    /// <summary>Adds the axis size to negative indices (ONNX allows [-n, n)).</summary>
    static Tensor NonNegative(Tensor idx, int n)
    {
        using var neg = idx.Lt(0.0);
        using var shifted = idx.Add((double)n);
        return Tensor.Where(neg, shifted, idx);
    }

    /// <summary>Row offsets of the index tuples of GatherND/ScatterND: [batch..., idx..., k] into data [batch..., d..., rest...].</summary>
    static long[] NdRows(OpContext ctx, int[] dataShape, Tensor indices, int batchDims, out int rowSize, out int[] outPrefix)
    {
        if (indices.Dim < 1) throw ctx.Fail("indices need at least one dimension");
        int k = indices.Shape[^1];
        if (batchDims + k > dataShape.Length) throw ctx.Fail($"index tuples of length {k} (batch_dims {batchDims}) exceed data rank {dataShape.Length}");
        var idx = ctx.Ints(1);
        int batch = 1;
        for (int i = 0; i < batchDims; i++)
        {
            if (indices.Shape[i] != dataShape[i]) throw ctx.Fail($"batch dimension {i} differs: data {dataShape[i]}, indices {indices.Shape[i]}");
            batch *= dataShape[i];
        }
        rowSize = 1;
        for (int i = batchDims + k; i < dataShape.Length; i++) rowSize *= dataShape[i];
        long block = 1;
        for (int i = batchDims; i < batchDims + k; i++) block *= dataShape[i];
        int tuples = idx.Length / Math.Max(k, 1);
        if (k == 0) tuples = indices.NumEl == 0 ? 0 : ShapeUtil.NumEl(indices.Shape[..^1]);
        int perBatch = batch == 0 ? 0 : tuples / batch;
        var rows = new long[tuples];
        for (int t = 0; t < tuples; t++)
        {
            long off = 0;
            for (int j = 0; j < k; j++)
            {
                int n = dataShape[batchDims + j];
                long v = idx[t * k + j];
                if (v < -n || v >= n) throw ctx.Fail($"index {v} is out of bounds for dimension {batchDims + j} of size {n}");
                off = off * n + (v < 0 ? v + n : v);
            }
            rows[t] = (perBatch == 0 ? 0 : t / perBatch) * block + off;
        }
        outPrefix = indices.Shape[..^1].ToArray();
        return rows;
    }

    static Tensor GatherNd(OpContext ctx)
    {
        var x = ctx.In(0);
        var indices = ctx.In(1);
        int b = ctx.A.GetInt32("batch_dims", 0);
        var rows = NdRows(ctx, x.Shape.ToArray(), indices, b, out int rowSize, out var prefix);
        var rest = x.Shape[(b + indices.Shape[^1])..].ToArray();
        using var it = Tensor.FromArray(rows);
        var flat = x.Reshape(-1, rowSize);
        return flat.IndexSelect(0, it).Reshape([.. prefix, .. rest]);
    }

    static Tensor ScatterNd(OpContext ctx)
    {
        var x = ctx.In(0);
        var rows = NdRows(ctx, x.Shape.ToArray(), ctx.In(1), 0, out int rowSize, out _);
        var updates = ctx.In(2).Reshape(rows.Length, rowSize);
        return ScatterRows(x, rows, rowSize, updates, ctx.A.GetString("reduction", "none"), ctx);
    }

    static Tensor ScatterElements(OpContext ctx, string reduction)
    {
        var x = ctx.In(0);
        var indices = ctx.In(1);
        var updates = ctx.In(2);
        int axis = ctx.Axis(ctx.A.GetInt("axis", 0), x.Dim);
        if (indices.Dim != x.Dim || !indices.Shape.SequenceEqual(updates.Shape))
            throw ctx.Fail($"indices {ShapeUtil.Format(indices.Shape)} and updates {ShapeUtil.Format(updates.Shape)} must share a shape of the data's rank {x.Dim}");
        var idx = ctx.Ints(1);
        var xs = x.Shape.ToArray();
        var strides = ShapeUtil.ContiguousStrides(xs);
        var rows = new long[idx.Length];
        var pos = new int[x.Dim];
        for (int f = 0; f < idx.Length; f++)
        {
            long v = idx[f];
            int n = xs[axis];
            if (v < -n || v >= n) throw ctx.Fail($"index {v} is out of bounds for axis {axis} of size {n}");
            long off = 0;
            for (int d = 0; d < x.Dim; d++) off += (long)(d == axis ? (v < 0 ? v + n : v) : pos[d]) * strides[d];
            rows[f] = off;
            for (int d = x.Dim - 1; d >= 0; d--)
            {
                if (++pos[d] < indices.Shape[d]) break;
                pos[d] = 0;
            }
        }
        return ScatterRows(x, rows, 1, updates.Reshape(-1, 1), reduction, ctx);
    }

    /// <summary>data viewed as [rows, rowSize]; writes (or combines) the update rows at the given row positions.</summary>
    static Tensor ScatterRows(Tensor data, long[] rows, int rowSize, Tensor updates, string reduction, OpContext ctx)
    {
        int m = rowSize == 0 ? 0 : data.NumEl / rowSize;
        var d2 = data.Reshape(m, rowSize);
        var u = updates.To(data.DType);
        using var it = Tensor.FromArray(rows).Reshape(rows.Length, 1);
        using var idx = it.Expand(rows.Length, rowSize).Contiguous();
        Tensor y;
        switch (reduction)
        {
            case "none":
                var written = new bool[m];
                foreach (var r in rows) written[r] = true;
                using (var zeros = Tensor.ZerosLike(d2))
                using (var mask = Tensor.FromArray(written, [m, 1]))
                    y = Tensor.Where(mask, zeros.ScatterAdd(0, idx, u), d2);
                break;
            case "add":
                y = d2.ScatterAdd(0, idx, u);
                break;
            case "mul" or "max" or "min":
                // Not differentiable: combined on the host in float64 (exact for every dtype NativeNet has but int64 beyond 2^53).
                {
                    var dd = d2.To(DType.Float64);
                    var ud = u.To(DType.Float64);
                    var dv = dd.ToArray<double>();
                    var uv = ud.ToArray<double>();
                    for (int r = 0; r < rows.Length; r++)
                        for (int c = 0; c < rowSize; c++)
                        {
                            ref double t = ref dv[rows[r] * rowSize + c];
                            double s = uv[r * rowSize + c];
                            t = reduction == "mul" ? t * s : reduction == "max" ? Math.Max(t, s) : Math.Min(t, s);
                        }
                    using var res = Tensor.FromArray(dv, [m, rowSize]);
                    y = res.To(data.DType);
                }
                break;
            default: throw ctx.Fail($"unknown reduction '{reduction}'");
        }
        return y.Reshape(data.Shape.ToArray());
    }

    static Tensor OneHot(OpContext ctx)
    {
        var indices = ctx.In(0);
        long depth = (long)ctx.Scalar(1);
        var values = ctx.In(2);
        if (values.NumEl != 2) throw ctx.Fail("values must hold [off, on]");
        if (depth <= 0 || depth > int.MaxValue) throw ctx.Fail($"depth {depth} is out of range");
        ctx.Guard(indices.NumEl * depth);
        int axis = ctx.Axis(ctx.A.GetInt("axis", -1), indices.Dim + 1);
        var idx = indices.DType.IsFloatingPoint() ? indices.Floor().To(DType.Int64) : indices.To(DType.Int64);
        using var fixedIdx = NonNegative(idx, (int)depth);
        using var expanded = fixedIdx.Unsqueeze(axis);
        var shape = Enumerable.Repeat(1, indices.Dim + 1).ToArray();
        shape[axis] = (int)depth;
        using var ar = Tensor.Arange((int)depth).Reshape(shape);
        using var hit = expanded.Eq(ar);
        using var off = values.Select(0, 0);
        using var on = values.Select(0, 1);
        return Tensor.Where(hit, on, off);
    }

    /// <summary>ONNX Unique: unique values (or slices along axis), first-occurrence indices, inverse indices and counts.</summary>
    static object?[] Unique(OpContext ctx)
    {
        var x = ctx.In(0);
        bool sorted = ctx.A.GetInt("sorted", 1) != 0;
        Tensor src = x;
        int axis = 0;
        if (ctx.A.Has("axis")) axis = ctx.Axis(ctx.A.GetInt("axis"), x.Dim);
        else src = x.Reshape(-1);
        int n = src.Shape[axis];
        var moved = src.Transpose(0, axis).Reshape(n, -1);
        using var md = moved.To(DType.Float64);
        var v = md.ToArray<double>();
        int w = n == 0 ? 0 : v.Length / n;
        var first = new List<int>();
        var inverse = new long[n];
        var counts = new List<long>();
        var seen = new Dictionary<string, int>();
        for (int i = 0; i < n; i++)
        {
            string key = string.Join(",", v.Skip(i * w).Take(w).Select(d => d.ToString("R")));
            if (!seen.TryGetValue(key, out int u))
            {
                u = first.Count;
                seen[key] = u;
                first.Add(i);
                counts.Add(0);
            }
            inverse[i] = u;
            counts[u]++;
        }
        var order = Enumerable.Range(0, first.Count).ToArray();
        if (sorted)
            Array.Sort(order, (a, b) =>
            {
                for (int j = 0; j < w; j++)
                {
                    int c = v[first[a] * w + j].CompareTo(v[first[b] * w + j]);
                    if (c != 0) return c;
                }
                return 0;
            });
        var rank = new long[order.Length];
        for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
        var firstSorted = order.Select(o => (long)first[o]).ToArray();
        using var fi = Tensor.FromArray(firstSorted);
        var y = src.IndexSelect(axis, fi);
        return [y, Tensor.FromArray(firstSorted), Tensor.FromArray(inverse.Select(i => rank[i]).ToArray()), Tensor.FromArray(order.Select(o => counts[o]).ToArray())];
    }
}
