using NativeNet.Backends.Cpu;
using NativeNet.Bindings.Cuda;

namespace NativeNet.Backends.Cuda;

/// <summary>Reductions, softmax (cuDNN when present) and GEMM (cuBLAS; integer matmul through our kernel).</summary>
internal sealed unsafe partial class CudaBackend
{
    public void Reduce(ReduceOp op, TensorView x, int outer, int reduce, int inner, TensorView y)
    {
        Owner.MakeCurrent();
        var nop = op switch
        {
            ReduceOp.Sum => nn_reduce_op.NN_REDUCE_SUM,
            ReduceOp.Prod => nn_reduce_op.NN_REDUCE_PROD,
            ReduceOp.Max => nn_reduce_op.NN_REDUCE_MAX,
            ReduceOp.Min => nn_reduce_op.NN_REDUCE_MIN,
            ReduceOp.ArgMax => nn_reduce_op.NN_REDUCE_ARGMAX,
            _ => nn_reduce_op.NN_REDUCE_ARGMIN,
        };
        long wsBytes = (long)NativeKernels.nn_reduce_workspace_size(nop, (int)x.DType, outer, reduce, inner);
        using var ws = Owner.Temp(wsBytes);
        Run(NativeKernels.nn_reduce(nop, Ptr(y, op.ToString()), reduce == 0 ? 0 : Ptr(x, op.ToString()), (int)x.DType, outer, reduce, inner,
            ws.Address, (nuint)ws.Size, Stream), "nn_reduce", op.ToString());
    }

    public void Softmax(TensorView x, int outer, int dim, int inner, bool log, TensorView y)
    {
        string name = log ? "LogSoftmax" : "Softmax";
        if (!x.DType.IsFloatingPoint()) throw new DTypeMismatchException(name, $"needs a floating-point tensor, got {x.DType.Name()}");
        Owner.MakeCurrent();
        if ((long)outer * dim * inner == 0) return;
        if (Owner.Dnn is { } dnn && (long)outer * dim * inner < int.MaxValue)
        {
            lock (Owner.Gate)
            {
                using var xd = CudnnTensorDescriptor.Create();
                var type = x.DType == DType.Float32 ? cudnnDataType_t.CUDNN_DATA_FLOAT : cudnnDataType_t.CUDNN_DATA_DOUBLE;
                // CHANNEL mode normalizes over C for every (n, h, w): [outer, dim, inner, 1] is exactly the softmax axis.
                xd.Set4d(type, outer, dim, inner, 1);
                double a = 1, b = 0;
                float af = 1, bf = 0;
                void* pa = x.DType == DType.Float32 ? &af : &a, pb = x.DType == DType.Float32 ? &bf : &b;
                Cudnn.Check(Cudnn.cudnnSoftmaxForward(dnn.Ptr, log ? cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_LOG : cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_ACCURATE,
                    cudnnSoftmaxMode_t.CUDNN_SOFTMAX_MODE_CHANNEL, pa, xd.Ptr, Ptr(x, name), pb, xd.Ptr, Ptr(y, name)), "cudnnSoftmaxForward");
            }
            Owner.AfterOp(name);
            return;
        }
        Run(NativeKernels.nn_softmax(Ptr(y, name), Ptr(x, name), (int)x.DType, outer, dim, inner, log ? 1 : 0, Stream), "nn_softmax", name);
    }

    // ---------------------------------------------------------------- GEMM
    /// <summary>
    /// Element offsets of every matrix in a batched operand, row-major over the batch shape, and whether they form one
    /// arithmetic progression (then a single strided-batched call covers the batch).
    /// </summary>
    internal static long[] BatchOffsets(ReadOnlySpan<int> batchShape, ReadOnlySpan<int> batchStrides, out long uniformStride)
    {
        long count = 1;
        foreach (var s in batchShape) count *= s;
        var offsets = new long[count];
        var idx = new int[batchShape.Length];
        for (long i = 0; i < count; i++)
        {
            long off = 0;
            for (int d = 0; d < batchShape.Length; d++) off += (long)idx[d] * batchStrides[d];
            offsets[i] = off;
            for (int d = batchShape.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < batchShape[d]) break;
                idx[d] = 0;
            }
        }
        uniformStride = count > 1 ? offsets[1] - offsets[0] : 0;
        for (long i = 2; i < count; i++)
            if (offsets[i] - offsets[i - 1] != uniformStride) { uniformStride = long.MinValue; break; }
        return offsets;
    }

    public void MatMul(TensorView a, TensorView b, TensorView c)
    {
        Owner.MakeCurrent();
        int r = c.Shape.Length;
        int m = a.Shape[r - 2], k = a.Shape[r - 1], n = b.Shape[r - 1];
        var batch = c.Shape.AsSpan(0, r - 2);
        var offA = BatchOffsets(batch, a.Strides.AsSpan(0, r - 2), out long strideA);
        var offB = BatchOffsets(batch, b.Strides.AsSpan(0, r - 2), out long strideB);
        var offC = BatchOffsets(batch, c.Strides.AsSpan(0, r - 2), out long strideC);
        int es = a.DType.ElementSize();
        if (!a.DType.IsFloatingPoint())
        {
            if (a.DType is not (DType.Int64 or DType.Int32)) throw new DTypeMismatchException("MatMul", $"not defined for {a.DType.Name()}");
            for (int i = 0; i < offC.Length; i++)
            {
                var da = Matrix(a, offA[i], m, k, r);
                var db = Matrix(b, offB[i], k, n, r);
                var dc = Matrix(c, offC[i], m, n, r);
                NativeKernels.Check(NativeKernels.nn_matmul_int(dc, da, db, Stream), "nn_matmul_int");
            }
            Owner.AfterOp("MatMul");
            return;
        }
        bool okA = CpuBackend.TryGemmLayout(m, k, a.Strides[r - 2], a.Strides[r - 1], out bool ta, out int lda);
        bool okB = CpuBackend.TryGemmLayout(k, n, b.Strides[r - 2], b.Strides[r - 1], out bool tb, out int ldb);
        if (!okA || !okB) throw new InvalidOperationException("MatMul: operand layout is not BLAS-compatible (the op layer must make it contiguous)");
        if (m == 0 || n == 0 || offC.Length == 0) return;
        if (k == 0)
        {
            Fill(c, 0);
            return;
        }
        nint pa = Ptr(a, "MatMul"), pb = Ptr(b, "MatMul"), pc = Ptr(c, "MatMul");
        lock (Owner.Gate)
        {
            if (offC.Length > 1 && strideA != long.MinValue && strideB != long.MinValue && strideC != long.MinValue)
            {
                GemmStridedBatched(a.DType, ta, tb, m, n, k, pa + (nint)(offA[0] * es), lda, strideA, pb + (nint)(offB[0] * es), ldb, strideB,
                    pc + (nint)(offC[0] * es), n, strideC, offC.Length);
            }
            else
            {
                for (int i = 0; i < offC.Length; i++)
                    Gemm(a.DType, ta, tb, m, n, k, pa + (nint)(offA[i] * es), lda, pb + (nint)(offB[i] * es), ldb, 0, pc + (nint)(offC[i] * es), n);
            }
        }
        Owner.AfterOp("MatMul");
    }

    nn_tensor_desc Matrix(TensorView v, long offset, int rows, int cols, int r)
    {
        var d = new nn_tensor_desc { data = Ptr(v, "MatMul") + (nint)(offset * v.DType.ElementSize()), ndim = 2, dtype = (int)v.DType };
        d.shape[0] = rows;
        d.shape[1] = cols;
        d.strides[0] = v.Strides[r - 2];
        d.strides[1] = v.Strides[r - 1];
        return d;
    }

    static cublasOperation_t Op(bool trans) => trans ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;

    /// <summary>
    /// Row-major C[m,n] = op(A)·op(B) + beta·C on device pointers. cuBLAS is column-major, so it computes Cᵀ = op(B)ᵀ·op(A)ᵀ:
    /// the operands are swapped and m/n exchanged, the leading dimensions stay (a row-major matrix is its transpose in
    /// column-major). Call under <see cref="CudaDevice.Gate"/>.
    /// </summary>
    internal void Gemm(DType dtype, bool ta, bool tb, int m, int n, int k, nint a, int lda, nint b, int ldb, double beta, nint c, int ldc)
    {
        var h = Owner.Blas.DangerousGetHandle();
        if (dtype == DType.Float32)
        {
            float alpha = 1, bt = (float)beta;
            Cublas.Check(Cublas.cublasSgemm_v2(h, Op(tb), Op(ta), n, m, k, &alpha, b, ldb, a, lda, &bt, c, ldc), "cublasSgemm");
        }
        else
        {
            double alpha = 1, bt = beta;
            Cublas.Check(Cublas.cublasDgemm_v2(h, Op(tb), Op(ta), n, m, k, &alpha, b, ldb, a, lda, &bt, c, ldc), "cublasDgemm");
        }
    }

    void GemmStridedBatched(DType dtype, bool ta, bool tb, int m, int n, int k, nint a, int lda, long sa, nint b, int ldb, long sb,
        nint c, int ldc, long sc, int count)
    {
        var h = Owner.Blas.DangerousGetHandle();
        if (dtype == DType.Float32)
        {
            float alpha = 1, beta = 0;
            Cublas.Check(Cublas.cublasSgemmStridedBatched(h, Op(tb), Op(ta), n, m, k, &alpha, b, ldb, sb, a, lda, sa, &beta, c, ldc, sc, count),
                "cublasSgemmStridedBatched");
        }
        else
        {
            double alpha = 1, beta = 0;
            Cublas.Check(Cublas.cublasDgemmStridedBatched(h, Op(tb), Op(ta), n, m, k, &alpha, b, ldb, sb, a, lda, sa, &beta, c, ldc, sc, count),
                "cublasDgemmStridedBatched");
        }
    }
}
