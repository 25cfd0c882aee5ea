namespace NativeNet;

/// <summary>Reductions along axes with keepDim: Sum/Max/Min/ArgMax/ArgMin are primitives; Mean, Var, Std, LogSumExp are composites.</summary>
public partial class Tensor
{
    int[] NormalizeDims(int[]? dims, string op)
    {
        if (dims == null || dims.Length == 0) return Enumerable.Range(0, shape.Length).ToArray();
        var r = dims.Select(d => ShapeUtil.NormalizeDim(d, shape.Length, op)).Distinct().OrderBy(d => d).ToArray();
        if (r.Length != dims.Length) throw new ArgumentException($"{op}: dimension repeats in {ShapeUtil.Format(dims)}");
        return r;
    }

    int[] ReducedShape(int[] dims, bool keepDim)
    {
        var ns = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (Array.IndexOf(dims, i) < 0) ns.Add(shape[i]);
            else if (keepDim) ns.Add(1);
        }
        return ns.ToArray();
    }

    /// <summary>Runs a reduce kernel over <paramref name="dims"/> (sorted, unique); moves them innermost when they are not adjacent.</summary>
    Tensor ReduceForward(ReduceOp op, int[] dims, bool keepDim, DType outType, string name)
    {
        ThrowIfDisposed();
        if (shape.Length == 0)
        {
            var s = op is ReduceOp.ArgMax or ReduceOp.ArgMin ? Zeros([], DType.Int64, Device) : Clone();
            return s;
        }
        if (op is ReduceOp.Max or ReduceOp.Min or ReduceOp.ArgMax or ReduceOp.ArgMin)
            foreach (var d in dims)
                if (shape[d] == 0) throw new ShapeMismatchException(name, $"cannot reduce over an empty dimension {d} of shape {ShapeUtil.Format(shape)}");
        var outShape = ReducedShape(dims, keepDim);
        bool adjacent = dims[^1] - dims[0] == dims.Length - 1;
        Tensor src;
        int outer = 1, red = 1, inner = 1;
        if (adjacent)
        {
            src = Contiguous();
            for (int i = 0; i < dims[0]; i++) outer *= shape[i];
            foreach (var d in dims) red *= shape[d];
            for (int i = dims[^1] + 1; i < shape.Length; i++) inner *= shape[i];
        }
        else if (op is ReduceOp.Sum or ReduceOp.Prod or ReduceOp.Max or ReduceOp.Min)
            return ReduceByGroups(op, dims, outShape, outType);
        else
        {
            var perm = Enumerable.Range(0, shape.Length).Where(i => Array.IndexOf(dims, i) < 0).Concat(dims).ToArray();
            using (Autograd.NoGrad()) src = Permute(perm).Contiguous();
            foreach (var d in dims) red *= shape[d];
            for (int i = 0; i < shape.Length; i++) if (Array.IndexOf(dims, i) < 0) outer *= shape[i];
        }
        var y = Empty(outShape, outType, Device);
        Backend.Reduce(op, src.View, outer, red, inner, y.View);
        DisposeIfTemp(src, this);
        GraphTracer.Current?.Reduce(op, this, dims, keepDim, y);
        return y;
    }

    /// <summary>
    /// Reduces non-adjacent dims (e.g. [0, 2, 3] of NCHW, a bias gradient or a batch-norm statistic) one run of adjacent
    /// dims at a time, last run first, each a kernel call on contiguous memory: no permuted copy of the whole input.
    /// </summary>
    Tensor ReduceByGroups(ReduceOp op, int[] dims, int[] outShape, DType outType)
    {
        var cur = Contiguous();
        var curShape = (int[])shape.Clone();
        int end = dims.Length;
        Tensor? y = null;
        while (end > 0)
        {
            int start = end - 1;
            while (start > 0 && dims[start - 1] == dims[start] - 1) start--;
            int d0 = dims[start], d1 = dims[end - 1];
            int outer = 1, red = 1, inner = 1;
            for (int i = 0; i < d0; i++) outer *= curShape[i];
            for (int i = d0; i <= d1; i++) { red *= curShape[i]; curShape[i] = 1; }
            for (int i = d1 + 1; i < curShape.Length; i++) inner *= curShape[i];
            // The last step writes the result; earlier ones keep the reduced dims as size 1.
            var next = start == 0 ? Empty(outShape, outType, Device) : Empty(curShape, outType, Device);
            Backend.Reduce(op, cur.View, outer, red, inner, next.View);
            DisposeIfTemp(cur, this);
            cur = next;
            y = next;
            end = start;
        }
        GraphTracer.Current?.Reduce(op, this, dims, outShape.Length == shape.Length, y!);
        return y!;
    }

    /// <summary>Sum of all elements (<c>tensor.sum()</c>). Integer and Bool tensors sum to Int64.</summary>
    public Tensor Sum() => Sum(null, false);

    /// <summary>Sum along one dimension (<c>tensor.sum(dim, keepdim)</c>).</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Sum along several dimensions (<c>tensor.sum(dims, keepdim)</c>).</summary>
    public Tensor Sum(int[]? dims, bool keepDim = false)
    {
        var d = NormalizeDims(dims, "ReduceSum");
        if (!DType.IsFloatingPoint() && DType != DType.Int64)
        {
            using var wide = To(DType.Int64);
            return wide.Sum(dims, keepDim);
        }
        var y = ReduceForward(ReduceOp.Sum, d, keepDim, DType, "ReduceSum");
        if (Autograd.Needs(this))
        {
            int[] from = shape, kept = ReducedShape(d, true);
            Autograd.Record(y, "ReduceSum", [this], g => [g.Reshape(kept).Expand(from)]);
        }
        return y;
    }

    /// <summary>Mean of all elements (<c>tensor.mean()</c>).</summary>
    public Tensor Mean() => Mean(null, false);

    /// <summary>Mean along one dimension (<c>tensor.mean(dim, keepdim)</c>).</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Mean along several dimensions (<c>tensor.mean(dims, keepdim)</c>).</summary>
    public Tensor Mean(int[]? dims, bool keepDim = false)
    {
        if (!DType.IsFloatingPoint())
            throw new DTypeMismatchException("ReduceMean", $"needs a floating-point tensor, got {DType.Name()}; cast with To(DType.Float32)");
        var d = NormalizeDims(dims, "ReduceMean");
        long count = 1;
        foreach (var i in d) count *= shape[i];
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        using var s = Sum(d, keepDim);
        var y = s.Div(Math.Max(count, 1) == 0 ? double.NaN : count);
        if (tr != null && shape.Length > 0)
        {
            tr.Drop(mark);
            tr.Node("ReduceMean", [tr.Name(this)], y, new AttributeBag().Set("axes", d.Select(i => (long)i).ToArray()).Set("keepdims", keepDim ? 1L : 0L));
        }
        return y;
    }

    /// <summary>Largest element (<c>tensor.max()</c>); the gradient is split among ties.</summary>
    public Tensor Max() => Amax(null, false);

    /// <summary>Smallest element (<c>tensor.min()</c>).</summary>
    public Tensor Min() => Amin(null, false);

    /// <summary>Maximum values along dims (<c>torch.amax</c>); the gradient is split among ties.</summary>
    public Tensor Amax(int[]? dims, bool keepDim = false) => Extreme(ReduceOp.Max, dims, keepDim, "ReduceMax");

    /// <summary>Minimum values along dims (<c>torch.amin</c>).</summary>
    public Tensor Amin(int[]? dims, bool keepDim = false) => Extreme(ReduceOp.Min, dims, keepDim, "ReduceMin");

    Tensor Extreme(ReduceOp op, int[]? dims, bool keepDim, string name)
    {
        var d = NormalizeDims(dims, name);
        var y = ReduceForward(op, d, keepDim, DType, name);
        if (Autograd.Needs(this))
        {
            var x = Alias();
            var ys = y.Alias();
            int[] kept = ReducedShape(d, true);
            Autograd.Record(y, name, [this], g =>
            {
                using var mask = x.Eq(ys.Reshape(kept)).To(g.DType);
                using var count = mask.Sum(d, keepDim: true);
                return [mask.Div(count).Mul(g.Reshape(kept))];
            }, x, ys);
        }
        return y;
    }

    /// <summary>Max along a dimension with its indices (<c>torch.max(x, dim, keepdim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremeWithIndex(dim, keepDim, true);

    /// <summary>Min along a dimension with its indices (<c>torch.min(x, dim, keepdim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremeWithIndex(dim, keepDim, false);

    (Tensor, Tensor) ExtremeWithIndex(int dim, bool keepDim, bool max)
    {
        var idx = max ? ArgMax(dim, true) : ArgMin(dim, true);
        var values = Gather(dim, idx);
        int d = ShapeUtil.NormalizeDim(dim, Math.Max(shape.Length, 1), max ? "Max" : "Min");
        if (keepDim || shape.Length == 0) return (values, idx);
        var v = values.Squeeze(d);
        var i = idx.Squeeze(d);
        values.Dispose();
        idx.Dispose();
        return (v, i);
    }

    /// <summary>Index of the largest element of the flattened tensor (<c>tensor.argmax()</c>).</summary>
    public Tensor ArgMax()
    {
        using var f = Reshape(-1);
        return f.ArgMax(0);
    }

    /// <summary>Indices of the maxima along <paramref name="dim"/>, Int64 (<c>tensor.argmax(dim, keepdim)</c>).</summary>
    public Tensor ArgMax(int dim, bool keepDim = false)
        => ReduceForward(ReduceOp.ArgMax, [ShapeUtil.NormalizeDim(dim, Math.Max(shape.Length, 1), "ArgMax")], keepDim, DType.Int64, "ArgMax");

    /// <summary>Index of the smallest element of the flattened tensor (<c>tensor.argmin()</c>).</summary>
    public Tensor ArgMin()
    {
        using var f = Reshape(-1);
        return f.ArgMin(0);
    }

    /// <summary>Indices of the minima along <paramref name="dim"/>, Int64 (<c>tensor.argmin(dim, keepdim)</c>).</summary>
    public Tensor ArgMin(int dim, bool keepDim = false)
        => ReduceForward(ReduceOp.ArgMin, [ShapeUtil.NormalizeDim(dim, Math.Max(shape.Length, 1), "ArgMin")], keepDim, DType.Int64, "ArgMin");

    /// <summary>Product of all elements (<c>tensor.prod()</c>); not differentiable.</summary>
    public Tensor Prod() => ReduceForward(ReduceOp.Prod, NormalizeDims(null, "ReduceProd"), false, DType, "ReduceProd");

    /// <summary>Variance with Bessel's correction by default (<c>tensor.var(dims, correction, keepdim)</c>).</summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        var d = NormalizeDims(dims, "Var");
        long n = 1;
        foreach (var i in d) n *= shape[i];
        var mean = Mean(d, keepDim: true);
        var diff = Sub(mean);
        return diff.Square().Sum(d, keepDim).Div(Math.Max(n - correction, 0));
    }

    /// <summary>Variance along one dimension (<c>tensor.var(dim)</c>).</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>Standard deviation (<c>tensor.std(dims, correction, keepdim)</c>).</summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>Standard deviation along one dimension (<c>tensor.std(dim)</c>).</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => Std([dim], correction, keepDim);

    /// <summary>log(sum(exp(x))) computed stably (<c>torch.logsumexp</c>).</summary>
    public Tensor LogSumExp(int[] dims, bool keepDim = false)
    {
        var d = NormalizeDims(dims, "ReduceLogSumExp");
        Tensor m;
        using (Autograd.NoGrad())
        {
            using var raw = Amax(d, keepDim: true);
            using var finite = raw.Abs().Lt(double.PositiveInfinity);
            using var zero = ZerosLike(raw);
            m = Where(finite, raw, zero);
        }
        var s = Sub(m).Exp().Sum(d, keepDim: true).Log().Add(m);
        return keepDim ? s : s.Reshape(ReducedShape(d, false));
    }

    /// <summary>LogSumExp along one dimension.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    /// <summary>p-norm of all elements (<c>torch.linalg.vector_norm</c>, default p = 2).</summary>
    public Tensor Norm(double p = 2) => p == 2 ? Square().Sum().Sqrt() : Abs().Pow(p).Sum().Pow(1 / p);
}
