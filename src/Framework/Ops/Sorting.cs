namespace NativeNet;

/// <summary>
/// Data-dependent selection: top-k and non-zero positions. Positions are computed on the host from the values; the
/// values themselves are gathered with differentiable ops, so gradients flow through TopK.
/// </summary>
public partial class Tensor
{
    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) elements along <paramref name="dim"/> and their Int64 indices
    /// (<c>torch.topk</c>). Equal values keep their original order (the lower index first), as ONNX TopK specifies.
    /// </summary>
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        ThrowIfDisposed();
        _ = sorted; // results are always sorted, which every caller of sorted=false also accepts
        int d = ShapeUtil.NormalizeDim(dim, Math.Max(Dim, 1), "TopK");
        if (Dim == 0) throw new ShapeMismatchException("TopK", "needs at least one dimension");
        int n = shape[d];
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"TopK: k = {k} must be in [0, {n}] for dimension {d}");
        var order = SortOrder(d, largest, k);
        var values = Gather(d, order);
        return (values, order);
    }

    /// <summary>
    /// Indices that sort the tensor along <paramref name="dim"/> (<c>torch.argsort(stable=True)</c>); NaN sorts as the largest value.
    /// </summary>
    public Tensor ArgSort(int dim = -1, bool descending = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, Math.Max(Dim, 1), "ArgSort");
        if (Dim == 0) return Zeros([], DType.Int64, Device);
        return SortOrder(d, descending, shape[d]);
    }

    /// <summary>Int64 indices of the first <paramref name="k"/> elements of each row along <paramref name="d"/> in sorted order.</summary>
    Tensor SortOrder(int d, bool descending, int k)
    {
        int n = shape[d];
        var perm = Enumerable.Range(0, Dim).Where(i => i != d).Append(d).ToArray();
        Tensor moved;
        using (Autograd.NoGrad()) moved = Permute(perm).Contiguous();
        int rows = n == 0 ? 0 : moved.NumEl / n;
        var idx = new long[rows * k];
        var keys = new int[n];
        if (DType.IsFloatingPoint())
        {
            using var wide = moved.To(DType.Float64);
            var v = wide.ToArray<double>();
            for (int r = 0; r < rows; r++)
            {
                int o = r * n;
                for (int i = 0; i < n; i++) keys[i] = i;
                Comparison<int> cmp = descending
                    ? (a, b) => { int c = CompareNan(v[o + b], v[o + a]); return c != 0 ? c : a.CompareTo(b); }
                    : (a, b) => { int c = CompareNan(v[o + a], v[o + b]); return c != 0 ? c : a.CompareTo(b); };
                Array.Sort(keys, cmp);
                for (int i = 0; i < k; i++) idx[r * k + i] = keys[i];
            }
        }
        else
        {
            using var wide = moved.To(DType.Int64);
            var v = wide.ToArray<long>();
            for (int r = 0; r < rows; r++)
            {
                int o = r * n;
                for (int i = 0; i < n; i++) keys[i] = i;
                Comparison<int> cmp = descending
                    ? (a, b) => { int c = v[o + b].CompareTo(v[o + a]); return c != 0 ? c : a.CompareTo(b); }
                    : (a, b) => { int c = v[o + a].CompareTo(v[o + b]); return c != 0 ? c : a.CompareTo(b); };
                Array.Sort(keys, cmp);
                for (int i = 0; i < k; i++) idx[r * k + i] = keys[i];
            }
        }
        if (!ReferenceEquals(moved, this)) moved.Dispose();
        var movedShape = perm.Select(i => shape[i]).ToArray();
        movedShape[^1] = k;
        var inv = new int[Dim];
        for (int i = 0; i < Dim; i++) inv[perm[i]] = i;
        using var t = FromArray(idx, movedShape).To(Device);
        return t.Permute(inv).Contiguous().Clone();
    }

    /// <summary>Total order on doubles with NaN above +infinity (so NaN is the largest, as in NumPy sorts).</summary>
    static int CompareNan(double a, double b)
    {
        bool na = double.IsNaN(a), nb = double.IsNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return a.CompareTo(b);
    }

    /// <summary>Int64 coordinates of the non-zero elements, one row per element in row-major order: shape [count, rank] (<c>torch.nonzero</c>).</summary>
    public Tensor NonZero()
    {
        ThrowIfDisposed();
        var v = NonZeroMask();
        int count = v.Count(b => b);
        int r = Dim;
        var coords = new long[count * r];
        int row = 0;
        var pos = new int[r];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i])
            {
                for (int j = 0; j < r; j++) coords[row * r + j] = pos[j];
                row++;
            }
            for (int j = r - 1; j >= 0; j--)
            {
                if (++pos[j] < shape[j]) break;
                pos[j] = 0;
            }
        }
        using var t = FromArray(coords, [count, r]);
        return t.To(Device).Clone();
    }

    bool[] NonZeroMask()
    {
        using var b = Ne(0.0);
        return b.ToArray<bool>();
    }
}
