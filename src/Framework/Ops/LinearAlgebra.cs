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

    /// <summary>
    /// y = x·Wᵀ + b as one autograd node (PyTorch's addmm), for <c>F.Linear</c> outside tracing; x is [..., in], W
    /// [out, in], b [out] of x's dtype. Against the composite (Transpose, MatMul, Add) it saves two nodes, the bias sum's
    /// temporary and, above all, the weight gradient's layout: computed as gᵀ·x it comes out row-major like W, so the
    /// leaf adopts it instead of copying a transposed [in, out] product (1.6 MB for the CNN's first Linear).
    /// </summary>
    internal static Tensor LinearPrimitive(Tensor input, Tensor weight, Tensor? bias)
    {
        int n = weight.shape[0], k = weight.shape[1];
        int[] inShape = input.shape;
        bool flat = input.Dim != 2;
        Tensor y;
        using (Autograd.NoGrad())
        {
            var x2 = flat ? input.Reshape(-1, k) : input;
            using (var wt = weight.T) y = x2.MatMul(wt);
            if (flat) x2.Dispose();
            if (bias != null) y.AddInPlace(bias);
            if (flat)
            {
                var r = y.Reshape([.. inShape[..^1], n]);
                y.Dispose();
                y = r;
            }
        }
        bool needX = Autograd.Needs(input), needW = Autograd.Needs(weight), needB = bias != null && Autograd.Needs(bias);
        if (!(needX || needW || needB)) return y;
        var xs = input.Alias();
        var ws = weight.Alias();
        Tensor[] inputs = bias == null ? [input, weight] : [input, weight, bias];
        Autograd.Record(y, "Gemm", inputs, g =>
        {
            var g2 = g.Dim == 2 ? g : g.Reshape(-1, n);
            Tensor? gx = null, gw = null, gb = null;
            if (needX)
            {
                gx = g2.MatMul(ws);
                if (flat)
                {
                    var r = gx.Reshape(inShape);
                    gx.Dispose();
                    gx = r;
                }
            }
            if (needW)
            {
                var x2 = flat ? xs.Reshape(-1, k) : xs;
                using (var gt = g2.T) gw = gt.MatMul(x2);
                if (flat) x2.Dispose();
            }
            if (needB) gb = g2.Sum(0);
            DisposeIfTemp(g2, g);
            return inputs.Length == 2 ? [gx, gw] : [gx, gw, gb];
        }, xs, ws);
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
