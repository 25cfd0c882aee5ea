namespace NativeNet;

/// <summary>Matrix products (<c>torch.matmul</c>) with NumPy batch broadcasting; GEMM runs in the backend.</summary>
public partial class Tensor
{
    /// <summary>
    /// Matrix product with <c>torch.matmul</c> semantics: 1-D operands are promoted and the added dim removed,
    /// batch dims broadcast. Transposed views go to BLAS without a copy.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        var tr = GraphTracer.Current;
        if (tr == null) return MatMulImpl(other);
        int mark = tr.Mark;
        var y = MatMulImpl(other);
        tr.Collapse(mark, "MatMul", [tr.Name(this), tr.Name(other)], y);
        return y;
    }

    Tensor MatMulImpl(Tensor other)
    {
        ThrowIfDisposed();
        other.ThrowIfDisposed();
        CheckSameDevice("MatMul", this, other);
        if (Dim == 0 || other.Dim == 0)
            throw new ShapeMismatchException("MatMul", $"both arguments need at least 1 dimension, got {ShapeUtil.Format(shape)} and {ShapeUtil.Format(other.shape)}");
        if (DType != other.DType)
            throw new DTypeMismatchException("MatMul", $"expected both operands of one dtype, got {DType.Name()} and {other.DType.Name()}");
        if (Dim == 1 && other.Dim == 1)
        {
            if (shape[0] != other.shape[0]) throw new ShapeMismatchException("MatMul", $"inconsistent sizes {ShapeUtil.Format(shape)} and {ShapeUtil.Format(other.shape)}");
            return Unsqueeze(0).MatMul(other.Unsqueeze(1)).Reshape();
        }
        if (Dim == 1) return Unsqueeze(0).MatMul(other).Squeeze(-2);
        if (other.Dim == 1) return MatMul(other.Unsqueeze(1)).Squeeze(-1);
        int k = shape[^1];
        if (other.shape[^2] != k)
            throw new ShapeMismatchException("MatMul", $"shapes {ShapeUtil.Format(shape)} and {ShapeUtil.Format(other.shape)} cannot be multiplied ({shape[^2]}x{k} and {other.shape[^2]}x{other.shape[^1]})");
        if (Dim > 2 && other.Dim == 2)
        {
            // Fold the batch into M: one large GEMM forward and in both backward products.
            var lead = shape[..^1];
            return Reshape(-1, k).MatMul(other).Reshape([.. lead, other.shape[1]]);
        }
        return MatMulPrimitive(other);
    }

    Tensor MatMulPrimitive(Tensor other)
    {
        int m = shape[^2], k = shape[^1], n = other.shape[^1];
        var a = GemmReady(this);
        var b = GemmReady(other);
        TensorView av, bv;
        int[] outShape;
        if (Dim == 2 && other.Dim == 2)
        {
            outShape = [m, n];
            av = a.View;
            bv = b.View;
        }
        else
        {
            int[] batch;
            try { batch = ShapeUtil.Broadcast(shape[..^2], other.shape[..^2], "MatMul"); }
            catch (ShapeMismatchException)
            {
                throw new ShapeMismatchException("MatMul", $"batch dimensions of {ShapeUtil.Format(shape)} and {ShapeUtil.Format(other.shape)} cannot be broadcast together");
            }
            outShape = [.. batch, m, n];
            int[] aShape = [.. batch, m, k], bShape = [.. batch, k, n];
            av = new TensorView(a.storage, aShape, ShapeUtil.BroadcastStrides(a.shape, a.strides, aShape), a.offset, DType);
            bv = new TensorView(b.storage, bShape, ShapeUtil.BroadcastStrides(b.shape, b.strides, bShape), b.offset, DType);
        }
        var y = Empty(outShape, DType, Device);
        Backend.MatMul(av, bv, y.View);
        DisposeIfTemp(a, this);
        DisposeIfTemp(b, other);
        if (Autograd.Needs(this, other))
        {
            int[] sa = shape, sb = other.shape;
            var x = Alias();
            var w = other.Alias();
            bool needA = RequiresGrad, needB = other.RequiresGrad;
            Autograd.Record(y, "MatMul", [this, other], g =>
                [needA ? g.MatMul(w.MT).SumTo(sa) : null, needB ? x.MT.MatMul(g).SumTo(sb) : null], x, w);
        }
        return y;
    }

    /// <summary>Returns the tensor if BLAS can read its last two dims (row-major or transposed), else a contiguous copy.</summary>
    static Tensor GemmReady(Tensor t)
    {
        int r = t.Dim;
        if (!t.DType.IsFloatingPoint()) return t;
        return Backends.Cpu.CpuBackend.TryGemmLayout(t.shape[r - 2], t.shape[r - 1], t.strides[r - 2], t.strides[r - 1], out _, out _)
            ? t : t.Contiguous();
    }

    /// <summary>2-D matrix product (<c>torch.mm</c>).</summary>
    public Tensor Mm(Tensor other)
    {
        if (Dim != 2 || other.Dim != 2)
            throw new ShapeMismatchException("Mm", $"expects 2-D tensors, got {ShapeUtil.Format(shape)} and {ShapeUtil.Format(other.shape)}");
        return MatMul(other);
    }

    /// <summary>Batched matrix product of 3-D tensors (<c>torch.bmm</c>).</summary>
    public Tensor Bmm(Tensor other)
    {
        if (Dim != 3 || other.Dim != 3)
            throw new ShapeMismatchException("Bmm", $"expects 3-D tensors, got {ShapeUtil.Format(shape)} and {ShapeUtil.Format(other.shape)}");
        return MatMul(other);
    }
}
