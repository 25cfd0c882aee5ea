using System.Numerics;
using NativeNet.Bindings.Blas;

namespace NativeNet.Backends.Cpu;

/// <summary>GEMM through CBLAS (float/double) and a plain loop for integer matmul.</summary>
internal sealed unsafe partial class CpuBackend
{
    /// <summary>How a [rows, cols] matrix view maps onto BLAS: transposed or not, and its leading dimension.</summary>
    internal static bool TryGemmLayout(int rows, int cols, int sRow, int sCol, out bool trans, out int ld)
    {
        if (cols == 1 || sCol == 1)
        {
            if (rows <= 1 || sRow >= cols) { trans = false; ld = rows <= 1 ? Math.Max(cols, 1) : Math.Max(sRow, 1); return true; }
        }
        if (rows == 1 || sRow == 1)
        {
            if (cols <= 1 || sCol >= rows) { trans = true; ld = cols <= 1 ? Math.Max(rows, 1) : Math.Max(sCol, 1); return true; }
        }
        trans = false;
        ld = 0;
        return false;
    }

    public void MatMul(TensorView a, TensorView b, TensorView c)
    {
        int r = c.Shape.Length;
        int m = a.Shape[r - 2], k = a.Shape[r - 1], n = b.Shape[r - 1];
        bool okA = TryGemmLayout(m, k, a.Strides[r - 2], a.Strides[r - 1], out bool ta, out int lda);
        bool okB = TryGemmLayout(k, n, b.Strides[r - 2], b.Strides[r - 1], out bool tb, out int ldb);
        if (a.DType.IsFloatingPoint() && (!okA || !okB))
            throw new InvalidOperationException("MatMul: operand layout is not BLAS-compatible (the op layer must make it contiguous)");
        if (r == 2)
        {
            GemmOne(a, b, c, a.Offset, b.Offset, c.Offset, m, n, k, ta, lda, tb, ldb);
            return;
        }
        var batchShape = c.Shape[..(r - 2)];
        var lay = new StridedLayout(batchShape.Length == 0 ? [1] : batchShape,
            batchShape.Length == 0 ? [0] : a.Strides[..(r - 2)],
            batchShape.Length == 0 ? [0] : b.Strides[..(r - 2)],
            batchShape.Length == 0 ? [0] : c.Strides[..(r - 2)]);
        for (int row = 0; row < lay.Rows; row++)
            for (int i = 0; i < lay.Inner; i++)
            {
                int oa = a.Offset + lay.RowOffset(0, row) + i * lay.InnerStride[0];
                int ob = b.Offset + lay.RowOffset(1, row) + i * lay.InnerStride[1];
                int oc = c.Offset + lay.RowOffset(2, row) + i * lay.InnerStride[2];
                GemmOne(a, b, c, oa, ob, oc, m, n, k, ta, lda, tb, ldb);
            }
    }

    /// <summary>Products this small are done here: a BLAS call costs more than the arithmetic (per-op overhead bar).</summary>
    const long SmallGemmFlops = 16 * 1024;

    static void GemmOne(TensorView a, TensorView b, TensorView c, int oa, int ob, int oc, int m, int n, int k, bool ta, int lda, bool tb, int ldb)
    {
        bool small = (long)m * n * k <= SmallGemmFlops;
        switch (a.DType)
        {
            case DType.Float32:
                if (small) SmallGemm(ta, tb, m, n, k, S(a).Ptr<float>(oa), lda, S(b).Ptr<float>(ob), ldb, S(c).Ptr<float>(oc));
                else Gemm(ta, tb, m, n, k, 1f, S(a).Ptr<float>(oa), lda, S(b).Ptr<float>(ob), ldb, 0f, S(c).Ptr<float>(oc), n);
                break;
            case DType.Float64:
                if (small) SmallGemm(ta, tb, m, n, k, S(a).Ptr<double>(oa), lda, S(b).Ptr<double>(ob), ldb, S(c).Ptr<double>(oc));
                else Gemm(ta, tb, m, n, k, 1.0, S(a).Ptr<double>(oa), lda, S(b).Ptr<double>(ob), ldb, 0.0, S(c).Ptr<double>(oc), n);
                break;
            case DType.Int64: IntMatMul(S(a).Ptr<long>(oa), a, S(b).Ptr<long>(ob), b, S(c).Ptr<long>(oc), m, n, k); break;
            case DType.Int32: IntMatMul(S(a).Ptr<int>(oa), a, S(b).Ptr<int>(ob), b, S(c).Ptr<int>(oc), m, n, k); break;
            default: throw new DTypeMismatchException("MatMul", $"not defined for {a.DType.Name()}");
        }
    }

    /// <summary>
    /// C[m,n] = op(A)·op(B) for tiny shapes: rows of C as axpy over rows of B (B as stored), or as dot products with rows
    /// of Bᵀ (B transposed, as in Linear's x·Wᵀ). Same layout conventions as the BLAS call it replaces.
    /// </summary>
    static void SmallGemm<T>(bool ta, bool tb, int m, int n, int k, T* a, int lda, T* b, int ldb, T* c)
        where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            var crow = new Span<T>(c + (long)i * n, n);
            if (tb)
            {
                // B[p, j] = Bt[j, p]: C[i, j] = dot(A[i, :], Bt[j, :]).
                for (int j = 0; j < n; j++)
                {
                    T* brow = b + (long)j * ldb;
                    if (!ta) crow[j] = System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<T>(a + (long)i * lda, k), new ReadOnlySpan<T>(brow, k));
                    else
                    {
                        T acc = T.Zero;
                        for (int p = 0; p < k; p++) acc += a[(long)p * lda + i] * brow[p];
                        crow[j] = acc;
                    }
                }
                continue;
            }
            crow.Clear();
            for (int p = 0; p < k; p++)
            {
                T aip = ta ? a[(long)p * lda + i] : a[(long)i * lda + p];
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(b + (long)p * ldb, n), aip, crow, crow);
            }
        }
    }

    static void IntMatMul<T>(T* a, TensorView av, T* b, TensorView bv, T* c, int m, int n, int k) where T : unmanaged, INumber<T>
    {
        int r = av.Shape.Length;
        int sa0 = av.Strides[r - 2], sa1 = av.Strides[r - 1], sb0 = bv.Strides[r - 2], sb1 = bv.Strides[r - 1];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T acc = T.Zero;
                for (int p = 0; p < k; p++) acc += a[(long)i * sa0 + (long)p * sa1] * b[(long)p * sb0 + (long)j * sb1];
                c[(long)i * n + j] = acc;
            }
    }

    /// <summary>GEMMs below this many multiply-adds run as one BLAS call: splitting costs more than it saves.</summary>
    const long GemmSplitMacs = 1L << 20;

    /// <summary>
    /// Row-major C[m,n] = alpha·op(A)·op(B) + beta·C through CBLAS. OpenBLAS runs single-threaded (see
    /// <see cref="Runtime"/>); a large product is split here into column (or row) blocks, one single-threaded BLAS call
    /// per worker, so there is one thread pool in the process and nothing spins against it.
    /// </summary>
    internal static void Gemm<T>(bool ta, bool tb, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            // Nothing to multiply: C = beta·C (beta 0 clears, as BLAS does).
            for (int i = 0; i < m; i++)
            {
                var row = new Span<T>(c + (long)i * ldc, n);
                if (beta == T.Zero) row.Clear();
                else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
            return;
        }
        int parts = (long)m * n * k < GemmSplitMacs ? 1 : WorkerCount(Math.Max(m, n), (long)k * Math.Min(m, n));
        if (parts < 2)
        {
            BlasGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        // Split the larger side of C; column blocks stay multiples of 16 so each block starts on a cache line.
        bool byCols = n >= m;
        int len = byCols ? n : m, align = byCols ? 16 : 1;
        int block = (len / parts + align - 1) / align * align;
        if (block == 0) block = len;
        int blocks = (len + block - 1) / block;
        Action<int, int> run = byCols
            ? (s, e) => BlasGemm(ta, tb, m, e - s, k, alpha, a, lda, tb ? b + (long)s * ldb : b + s, ldb, beta, c + s, ldc)
            : (s, e) => BlasGemm(ta, tb, e - s, n, k, alpha, ta ? a + s : a + (long)s * lda, lda, b, ldb, beta, c + (long)s * ldc, ldc);
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => RunAsWorker(run, p * block, Math.Min(len, p * block + block)));
    }

    static void BlasGemm<T>(bool ta, bool tb, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged
    {
        var tA = ta ? CblasTranspose.Trans : CblasTranspose.NoTrans;
        var tB = tb ? CblasTranspose.Trans : CblasTranspose.NoTrans;
        if (typeof(T) == typeof(float))
            Cblas.Sgemm(CblasOrder.RowMajor, tA, tB, m, n, k, (float)(object)alpha, (float*)a, lda, (float*)b, ldb, (float)(object)beta, (float*)c, ldc);
        else if (typeof(T) == typeof(double))
            Cblas.Dgemm(CblasOrder.RowMajor, tA, tB, m, n, k, (double)(object)alpha, (double*)a, lda, (double*)b, ldb, (double)(object)beta, (double*)c, ldc);
        else throw new DTypeMismatchException("MatMul", $"BLAS GEMM needs float32 or float64, got {typeof(T).Name}");
    }
}
