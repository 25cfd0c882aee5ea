namespace NativeNet;

/// <summary>Matrix products, softmax family, scans, sorting and reductions.</summary>
internal static partial class OpRegistry
{
    static void RegisterMath()
    {
        Binary("MatMul", (a, b) => a.MatMul(b));
        Add("Gemm", Gemm);
        Add("Einsum", ctx => Tensor.Einsum(ctx.A.GetString("equation"), Enumerable.Range(0, ctx.InputCount).Select(ctx.In).ToArray()));
        Add("Softmax", ctx => SoftmaxFamily(ctx, (x, d) => x.Softmax(d)), traits: OpTraits.SameShape);
        Add("LogSoftmax", ctx => SoftmaxFamily(ctx, (x, d) => x.LogSoftmax(d)), traits: OpTraits.SameShape);
        Add("Hardmax", ctx => SoftmaxFamily(ctx, Hardmax), traits: OpTraits.SameShape);
        Add("CumSum", ctx =>
        {
            var x = ctx.In(0);
            int axis = ctx.Axis((long)ctx.Scalar(1), x.Dim);
            return x.CumSum(axis, ctx.A.GetInt("exclusive", 0) != 0, ctx.A.GetInt("reverse", 0) != 0);
        });
        AddMulti("TopK", ctx =>
        {
            var x = ctx.In(0);
            long k = ctx.Opset >= 10 ? ctx.Ints(1).Single() : ctx.A.GetInt("k");
            int axis = ctx.Axis(ctx.A.GetInt("axis", -1), x.Dim);
            if (k < 0 || k > x.Shape[axis]) throw ctx.Fail($"k = {k} is out of range for axis {axis} of size {x.Shape[axis]}");
            var (v, i) = x.TopK((int)k, axis, ctx.A.GetInt("largest", 1) != 0, ctx.A.GetInt("sorted", 1) != 0);
            return [v, i];
        });
        Add("Trilu", ctx =>
        {
            long k = ctx.Has(1) ? ctx.Ints(1).Single() : 0;
            int kk = (int)Math.Clamp(k, int.MinValue / 2, int.MaxValue / 2);
            return ctx.A.GetInt("upper", 1) != 0 ? ctx.In(0).Triu(kk) : ctx.In(0).Tril(kk);
        });
        Add("Det", ctx => Determinant(ctx.In(0)));
    }

    static Tensor Gemm(OpContext ctx)
    {
        var a = ctx.In(0);
        var b = ctx.In(1);
        if (a.Dim != 2 || b.Dim != 2) throw ctx.Fail($"A and B must be 2-D, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        if (ctx.A.GetInt("transA", 0) != 0) a = a.T;
        if (ctx.A.GetInt("transB", 0) != 0) b = b.T;
        double alpha = ctx.A.GetFloat("alpha", 1f), beta = ctx.A.GetFloat("beta", 1f);
        var y = a.MatMul(b);
        if (alpha != 1) y = y.Mul(alpha);
        var c = ctx.Opt(2);
        if (c == null || beta == 0) return y;
        return y.Add(beta == 1 ? c : c.Mul(beta));
    }

    /// <summary>Before opset 13 the softmax family flattens to 2-D at axis (default 1); from 13 it works along axis (default -1).</summary>
    static Tensor SoftmaxFamily(OpContext ctx, Func<Tensor, int, Tensor> f)
    {
        var x = ctx.In(0);
        if (ctx.Opset >= 13) return f(x, ctx.Axis(ctx.A.GetInt("axis", -1), x.Dim));
        int axis = ctx.Axis(ctx.A.GetInt("axis", 1), x.Dim);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        int inner = x.NumEl / Math.Max(outer, 1);
        var flat = x.Reshape(outer, inner);
        return f(flat, 1).Reshape(x.Shape.ToArray());
    }

    static Tensor Hardmax(Tensor x, int dim)
    {
        using var idx = x.ArgMax(dim, keepDim: true);
        var shape = Enumerable.Repeat(1, x.Dim).ToArray();
        shape[dim] = x.Shape[dim];
        using var ar = Tensor.Arange(x.Shape[dim]).Reshape(shape);
        var hit = idx.Eq(ar);
        return hit.To(x.DType);
    }

    /// <summary>Determinant of (batches of) square matrices by Gaussian elimination with partial pivoting, in float64.</summary>
    static Tensor Determinant(Tensor x)
    {
        if (x.Dim < 2 || x.Shape[^1] != x.Shape[^2])
            throw new ShapeMismatchException("Det", $"expects [..., n, n], got {ShapeUtil.Format(x.Shape)}");
        int n = x.Shape[^1];
        var xd = x.To(DType.Float64);
        var v = xd.ToArray<double>();
        int count = n == 0 ? 1 : v.Length / (n * n);
        var r = new double[count];
        for (int b = 0; b < count; b++)
        {
            double det = 1;
            var m = new double[n * n];
            if (n > 0) Array.Copy(v, b * n * n, m, 0, n * n);
            for (int c = 0; c < n && det != 0; c++)
            {
                int piv = c;
                for (int i = c + 1; i < n; i++) if (Math.Abs(m[i * n + c]) > Math.Abs(m[piv * n + c])) piv = i;
                if (m[piv * n + c] == 0) { det = 0; break; }
                if (piv != c)
                {
                    for (int j = 0; j < n; j++) (m[c * n + j], m[piv * n + j]) = (m[piv * n + j], m[c * n + j]);
                    det = -det;
                }
                det *= m[c * n + c];
                for (int i = c + 1; i < n; i++)
                {
                    double f = m[i * n + c] / m[c * n + c];
                    for (int j = c; j < n; j++) m[i * n + j] -= f * m[c * n + j];
                }
            }
            r[b] = det;
        }
        var t = Tensor.FromArray(r, x.Shape[..^2].ToArray());
        return t.To(x.DType);
    }

    static void RegisterReductions()
    {
        Reduce("ReduceSum", 13, (x, d, k) => x.Sum(d, k));
        Reduce("ReduceMean", 18, (x, d, k) => x.Mean(d, k));
        Reduce("ReduceMax", 18, (x, d, k) => x.Amax(d, k));
        Reduce("ReduceMin", 18, (x, d, k) => x.Amin(d, k));
        Reduce("ReduceProd", 18, (x, d, k) => x.Prod(d, k));
        Reduce("ReduceL1", 18, (x, d, k) => x.Abs().Sum(d, k));
        Reduce("ReduceL2", 18, (x, d, k) => x.Square().Sum(d, k).Sqrt());
        Reduce("ReduceLogSum", 18, (x, d, k) => x.Sum(d, k).Log());
        Reduce("ReduceLogSumExp", 18, (x, d, k) => x.LogSumExp(d, k));
        Reduce("ReduceSumSquare", 18, (x, d, k) => x.Square().Sum(d, k));
        Add("ArgMax", ctx => ArgExtreme(ctx, true));
        Add("ArgMin", ctx => ArgExtreme(ctx, false));
    }

    /// <summary>A Reduce* op: axes become an input at <paramref name="axesInputSince"/>; integer inputs keep their dtype.</summary>
    static void Reduce(string op, int axesInputSince, Func<Tensor, int[], bool, Tensor> f)
    {
        Add(op, ctx =>
        {
            var x = ctx.In(0);
            long[]? axes = ctx.Opset >= axesInputSince ? ctx.OptInts(1) : ctx.A.GetInts("axes");
            bool keep = ctx.A.GetInt("keepdims", 1) != 0;
            bool noop = ctx.A.GetInt("noop_with_empty_axes", 0) != 0;
            if (axes == null || axes.Length == 0)
            {
                if (noop) return x;
                axes = Enumerable.Range(0, x.Dim).Select(i => (long)i).ToArray();
            }
            var dims = axes.Select(a => ctx.Axis(a, x.Dim)).Distinct().ToArray();
            if (x.Dim == 0) return x;
            var input = x.DType.IsFloatingPoint() || op is "ReduceMax" or "ReduceMin" or "ReduceSum" or "ReduceProd" ? x : x.To(DType.Float64);
            if (dims.Length == 0) return input.Clone();
            var y = f(input, dims, keep);
            return y.DType == x.DType ? y : y.To(x.DType);
        });
    }

    static Tensor ArgExtreme(OpContext ctx, bool max)
    {
        var x = ctx.In(0);
        int axis = ctx.Axis(ctx.A.GetInt("axis", 0), x.Dim);
        bool keep = ctx.A.GetInt("keepdims", 1) != 0;
        if (ctx.A.GetInt("select_last_index", 0) == 0) return max ? x.ArgMax(axis, keep) : x.ArgMin(axis, keep);
        using var flipped = x.Flip(axis);
        using var idx = max ? flipped.ArgMax(axis, keep) : flipped.ArgMin(axis, keep);
        return idx.RSub(x.Shape[axis] - 1);
    }
}
