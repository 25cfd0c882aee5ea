namespace NativeNet.Backends.Cpu;

/// <summary>Index kernels, type-agnostic (they move elements of any size). Out-of-range indices throw naming the op.</summary>
internal sealed unsafe partial class CpuBackend
{
    static long CheckIndex(long i, int n, string op)
    {
        if (i < -n || i >= n) throw new IndexOutOfRangeException($"{op}: index {i} is out of bounds for dimension of size {n}");
        return i < 0 ? i + n : i;
    }

    public void IndexSelect(TensorView x, int outer, int n, int inner, TensorView index, TensorView y)
    {
        int es = x.DType.ElementSize(), k = index.NumEl;
        long* idx = P<long>(index);
        byte* px = S(x).Pointer + (long)x.Offset * es, py = S(y).Pointer + (long)y.Offset * es;
        long rowBytes = (long)inner * es;
        for (int j = 0; j < k; j++) CheckIndex(idx[j], n, "IndexSelect");
        For(outer * k, inner, (s, e) =>
        {
            for (int oj = s; oj < e; oj++)
            {
                int o = oj / k, j = oj % k;
                long src = CheckIndex(idx[j], n, "IndexSelect");
                Buffer.MemoryCopy(px + ((long)o * n + src) * rowBytes, py + (long)oj * rowBytes, rowBytes, rowBytes);
            }
        });
    }

    public void IndexAdd(TensorView dst, int outer, int n, int inner, TensorView index, TensorView src)
    {
        int k = index.NumEl;
        long* idx = P<long>(index);
        for (int j = 0; j < k; j++) CheckIndex(idx[j], n, "IndexAdd");
        switch (dst.DType)
        {
            case DType.Float32: IndexAddT(P<float>(dst), P<float>(src), idx, outer, n, inner, k); break;
            case DType.Float64: IndexAddT(P<double>(dst), P<double>(src), idx, outer, n, inner, k); break;
            case DType.Int64: IndexAddT(P<long>(dst), P<long>(src), idx, outer, n, inner, k); break;
            case DType.Int32: IndexAddT(P<int>(dst), P<int>(src), idx, outer, n, inner, k); break;
            default: throw new DTypeMismatchException("IndexAdd", $"not defined for {dst.DType.Name()}");
        }
    }

    static void IndexAddT<T>(T* dst, T* src, long* idx, int outer, int n, int inner, int k) where T : unmanaged, System.Numerics.INumber<T>
    {
        // Parallel over `outer` only: duplicates in idx write the same destination row.
        For(outer, (long)k * inner, (s, e) =>
        {
            for (int o = s; o < e; o++)
                for (int j = 0; j < k; j++)
                {
                    long t = idx[j] < 0 ? idx[j] + n : idx[j];
                    var d = new Span<T>(dst + ((long)o * n + t) * inner, inner);
                    System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<T>(src + ((long)o * k + j) * inner, inner), d);
                }
        });
    }

    /// <summary>Walks every position of <paramref name="index"/> and yields the matching flat offset in a tensor of <paramref name="shape"/>.</summary>
    static void ForEachIndexed(int[] shape, int dim, TensorView index, string op, Action<int, long> body)
    {
        int r = index.Shape.Length;
        var ishape = index.Shape;
        var xs = ShapeUtil.ContiguousStrides(shape);
        long* idx = P<long>(index);
        var pos = new int[r];
        int total = index.NumEl;
        for (int flat = 0; flat < total; flat++)
        {
            long off = 0;
            for (int d = 0; d < r; d++)
            {
                long c = d == dim ? CheckIndex(idx[flat], shape[d], op) : pos[d];
                off += c * xs[d];
            }
            body(flat, off);
            for (int d = r - 1; d >= 0; d--)
            {
                if (++pos[d] < ishape[d]) break;
                pos[d] = 0;
            }
        }
    }

    public void Gather(TensorView x, int dim, TensorView index, TensorView y)
    {
        int es = x.DType.ElementSize();
        byte* px = S(x).Pointer + (long)x.Offset * es, py = S(y).Pointer + (long)y.Offset * es;
        ForEachIndexed(x.Shape, dim, index, "Gather", (flat, off) => Buffer.MemoryCopy(px + off * es, py + (long)flat * es, es, es));
    }

    public void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src)
    {
        switch (dst.DType)
        {
            case DType.Float32: { float* d = P<float>(dst), s = P<float>(src); ForEachIndexed(dst.Shape, dim, index, "ScatterAdd", (f, off) => d[off] += s[f]); break; }
            case DType.Float64: { double* d = P<double>(dst), s = P<double>(src); ForEachIndexed(dst.Shape, dim, index, "ScatterAdd", (f, off) => d[off] += s[f]); break; }
            case DType.Int64: { long* d = P<long>(dst), s = P<long>(src); ForEachIndexed(dst.Shape, dim, index, "ScatterAdd", (f, off) => d[off] += s[f]); break; }
            case DType.Int32: { int* d = P<int>(dst), s = P<int>(src); ForEachIndexed(dst.Shape, dim, index, "ScatterAdd", (f, off) => d[off] += s[f]); break; }
            default: throw new DTypeMismatchException("ScatterAdd", $"not defined for {dst.DType.Name()}");
        }
    }
}
