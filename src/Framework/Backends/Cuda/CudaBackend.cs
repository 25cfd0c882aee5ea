using NativeNet.Bindings.Cuda;

namespace NativeNet.Backends.Cuda;

/// <summary>
/// The CUDA backend of one device: cuBLAS for GEMM, cuDNN for convolution and softmax when it is installed (im2col +
/// cuBLAS and our kernels otherwise), NativeNet's kernels (libnativenet_cuda) for everything else. All work is queued
/// on the device's stream; only copies to the host and index-range checks wait for it. Dtype rules mirror the CPU
/// backend's (the reference it is tested against), so an op rejected on the CPU is rejected here the same way.
/// </summary>
internal sealed unsafe partial class CudaBackend : IBackend
{
    internal readonly CudaDevice Owner;

    internal CudaBackend(CudaDevice owner) => Owner = owner;

    public Device Device => Owner.Device;

    nint Stream => Owner.StreamPtr;

    public Storage Allocate(long bytes)
    {
        Owner.MakeCurrent();
        return new CudaStorage(Owner, bytes);
    }

    // ---------------------------------------------------------------- views -> native descriptors
    CudaStorage Store(TensorView v, string op)
    {
        if (v.Storage is CudaStorage cs && ReferenceEquals(cs.Owner, Owner)) return cs;
        throw new DeviceMismatchException(op, $"expected every tensor on {Device}, got one on {v.Storage.Device}; move it with To({Device})");
    }

    /// <summary>Device address of the view's first element.</summary>
    nint Ptr(TensorView v, string op) => Store(v, op).Pointer + (nint)((long)v.Offset * v.DType.ElementSize());

    nn_tensor_desc Desc(TensorView v, string op) => Desc(v, v.Shape, v.Strides, op);

    nn_tensor_desc Desc(TensorView v, int[] shape, int[] strides, string op)
    {
        if (shape.Length > nn_tensor_desc.MaxDims)
            throw new ShapeMismatchException(op, $"CUDA kernels take at most {nn_tensor_desc.MaxDims} dimensions, got shape {ShapeUtil.Format(shape)}");
        var d = new nn_tensor_desc { data = Ptr(v, op), ndim = shape.Length, dtype = (int)v.DType };
        for (int i = 0; i < shape.Length; i++)
        {
            d.shape[i] = shape[i];
            d.strides[i] = strides[i];
        }
        return d;
    }

    /// <summary>A contiguous descriptor of <paramref name="count"/> elements at <paramref name="address"/>.</summary>
    static nn_tensor_desc Flat(nint address, DType dtype, long count)
    {
        var d = new nn_tensor_desc { data = address, ndim = 1, dtype = (int)dtype };
        d.shape[0] = count;
        d.strides[0] = 1;
        return d;
    }

    void Run(nn_status status, string call, string op)
    {
        NativeKernels.Check(status, call);
        Owner.AfterOp(op);
    }

    /// <summary>Encodes <paramref name="value"/> in <paramref name="dtype"/> exactly like the CPU backend's Fill.</summary>
    internal static ulong Encode(DType dtype, double value)
    {
        ulong bits = 0;
        switch (dtype)
        {
            case DType.Float32: *(float*)&bits = (float)value; break;
            case DType.Float64: *(double*)&bits = value; break;
            case DType.Int64: *(long*)&bits = (long)value; break;
            case DType.Int32: *(int*)&bits = (int)value; break;
            case DType.Bool: *(byte*)&bits = value != 0 ? (byte)1 : (byte)0; break;
            default: *(byte*)&bits = (byte)value; break;
        }
        return bits;
    }

    // ---------------------------------------------------------------- memory
    public void Fill(TensorView dst, double value)
    {
        Owner.MakeCurrent();
        ulong bits = Encode(dst.DType, value);
        Run(NativeKernels.nn_fill(Desc(dst, "Fill"), &bits, Stream), "nn_fill", "Fill");
    }

    public void Copy(TensorView src, TensorView dst)
    {
        Owner.MakeCurrent();
        if (src.DType == dst.DType && src.IsContiguous && dst.IsContiguous)
        {
            long bytes = (long)dst.NumEl * dst.DType.ElementSize();
            if (bytes > 0)
                Cudart.Check(Cudart.cudaMemcpyAsync(Ptr(dst, "Copy"), Ptr(src, "Copy"), (nuint)bytes, cudaMemcpyKind.cudaMemcpyDeviceToDevice, Stream), "cudaMemcpyAsync");
            Owner.AfterOp("Copy");
            return;
        }
        Run(NativeKernels.nn_cast(Desc(dst, "Copy"), Desc(src, "Copy"), Stream), "nn_cast", "Copy");
    }

    public void CopyFromHost(ReadOnlySpan<byte> src, TensorView dst)
    {
        Owner.MakeCurrent();
        long bytes = (long)dst.NumEl * dst.DType.ElementSize();
        if (src.Length < bytes) throw new ArgumentException($"CopyFromHost: {src.Length} host bytes for a {bytes}-byte tensor");
        if (bytes == 0) return;
        // From pageable memory the runtime stages the bytes before returning, so the span may be released afterwards.
        fixed (byte* p = src)
            Cudart.Check(Cudart.cudaMemcpyAsync(Ptr(dst, "CopyFromHost"), (nint)p, (nuint)bytes, cudaMemcpyKind.cudaMemcpyHostToDevice, Stream), "cudaMemcpyAsync(host to device)");
        Owner.AfterOp("CopyFromHost");
    }

    public void CopyToHost(TensorView src, Span<byte> dst)
    {
        Owner.MakeCurrent();
        long bytes = (long)src.NumEl * src.DType.ElementSize();
        if (dst.Length < bytes) throw new ArgumentException($"CopyToHost: {dst.Length} host bytes for a {bytes}-byte tensor");
        if (bytes == 0) return;
        fixed (byte* p = dst)
        {
            Cudart.Check(Cudart.cudaMemcpyAsync((nint)p, Ptr(src, "CopyToHost"), (nuint)bytes, cudaMemcpyKind.cudaMemcpyDeviceToHost, Stream), "cudaMemcpyAsync(device to host)");
            Owner.Stream.Synchronize();
        }
    }

    // ---------------------------------------------------------------- elementwise
    static readonly nn_unary_op[] UnaryMap = BuildUnaryMap();

    static nn_unary_op[] BuildUnaryMap()
    {
        var m = new nn_unary_op[Enum.GetValues<UnaryOp>().Length];
        m[(int)UnaryOp.Neg] = nn_unary_op.NN_UNARY_NEG;
        m[(int)UnaryOp.Abs] = nn_unary_op.NN_UNARY_ABS;
        m[(int)UnaryOp.Exp] = nn_unary_op.NN_UNARY_EXP;
        m[(int)UnaryOp.Log] = nn_unary_op.NN_UNARY_LOG;
        m[(int)UnaryOp.Sqrt] = nn_unary_op.NN_UNARY_SQRT;
        m[(int)UnaryOp.Rsqrt] = nn_unary_op.NN_UNARY_RSQRT;
        m[(int)UnaryOp.Tanh] = nn_unary_op.NN_UNARY_TANH;
        m[(int)UnaryOp.Sigmoid] = nn_unary_op.NN_UNARY_SIGMOID;
        m[(int)UnaryOp.Relu] = nn_unary_op.NN_UNARY_RELU;
        m[(int)UnaryOp.Sin] = nn_unary_op.NN_UNARY_SIN;
        m[(int)UnaryOp.Cos] = nn_unary_op.NN_UNARY_COS;
        m[(int)UnaryOp.Floor] = nn_unary_op.NN_UNARY_FLOOR;
        m[(int)UnaryOp.Ceil] = nn_unary_op.NN_UNARY_CEIL;
        m[(int)UnaryOp.Round] = nn_unary_op.NN_UNARY_ROUND;
        m[(int)UnaryOp.Sign] = nn_unary_op.NN_UNARY_SIGN;
        m[(int)UnaryOp.Reciprocal] = nn_unary_op.NN_UNARY_RECIPROCAL;
        m[(int)UnaryOp.Erf] = nn_unary_op.NN_UNARY_ERF;
        m[(int)UnaryOp.Log1p] = nn_unary_op.NN_UNARY_LOG1P;
        m[(int)UnaryOp.Expm1] = nn_unary_op.NN_UNARY_EXPM1;
        m[(int)UnaryOp.Square] = nn_unary_op.NN_UNARY_SQUARE;
        m[(int)UnaryOp.Not] = nn_unary_op.NN_UNARY_LOGICAL_NOT;
        return m;
    }

    /// <summary>The CPU backend's dtype rules for unary ops.</summary>
    internal static void CheckUnary(UnaryOp op, DType dtype)
    {
        bool ok = dtype switch
        {
            DType.Float32 or DType.Float64 => op != UnaryOp.Not,
            DType.Int64 or DType.Int32 => op is UnaryOp.Neg or UnaryOp.Abs or UnaryOp.Sign or UnaryOp.Square or UnaryOp.Relu
                or UnaryOp.Floor or UnaryOp.Ceil or UnaryOp.Round,
            _ => op == UnaryOp.Not,
        };
        if (!ok)
            throw new DTypeMismatchException(op.ToString(), dtype.IsFloatingPoint() || dtype is DType.Bool or DType.UInt8
                ? $"not defined for {dtype.Name()}"
                : $"not defined for integer tensors ({dtype.Name()}); cast to a floating-point dtype first");
    }

    public void Unary(UnaryOp op, TensorView x, TensorView y)
    {
        CheckUnary(op, x.DType);
        Owner.MakeCurrent();
        var dy = Desc(y, op.ToString());
        if (op == UnaryOp.Not) dy.dtype = (int)DType.Bool;  // UInt8 output holds 0/1 like the CPU's
        Run(NativeKernels.nn_unary(UnaryMap[(int)op], dy, Desc(x, op.ToString()), 0, 0, Stream), "nn_unary", op.ToString());
    }

    /// <summary>The native op and the CPU backend's dtype rules for binary ops.</summary>
    internal static nn_binary_op MapBinary(BinaryOp op, DType dtype, DType outDType)
    {
        bool compare = op is BinaryOp.Eq or BinaryOp.Ne or BinaryOp.Lt or BinaryOp.Le or BinaryOp.Gt or BinaryOp.Ge;
        bool logical = op is BinaryOp.And or BinaryOp.Or or BinaryOp.Xor;
        if (dtype == DType.Bool && !compare && !logical)
            throw new DTypeMismatchException(op.ToString(), "not defined for bool tensors (use And/Or/Xor or cast first)");
        if (logical && outDType != DType.Bool)
            throw new DTypeMismatchException(op.ToString(), $"logical ops produce Bool on CUDA, got a {outDType.Name()} output; use LogicalAnd/Or/Xor on Bool tensors");
        if (op == BinaryOp.Div && !dtype.IsFloatingPoint())
            throw new DTypeMismatchException("Div", $"integer division is not defined on CUDA ({dtype.Name()}); Tensor.Div casts to Float32 first");
        return op switch
        {
            BinaryOp.Add => nn_binary_op.NN_BINARY_ADD,
            BinaryOp.Sub => nn_binary_op.NN_BINARY_SUB,
            BinaryOp.Mul => nn_binary_op.NN_BINARY_MUL,
            BinaryOp.Div => nn_binary_op.NN_BINARY_DIV,
            BinaryOp.Pow => nn_binary_op.NN_BINARY_POW,
            BinaryOp.Maximum => nn_binary_op.NN_BINARY_MAXIMUM,
            BinaryOp.Minimum => nn_binary_op.NN_BINARY_MINIMUM,
            BinaryOp.Eq => nn_binary_op.NN_BINARY_EQ,
            BinaryOp.Ne => nn_binary_op.NN_BINARY_NE,
            BinaryOp.Lt => nn_binary_op.NN_BINARY_LT,
            BinaryOp.Le => nn_binary_op.NN_BINARY_LE,
            BinaryOp.Gt => nn_binary_op.NN_BINARY_GT,
            BinaryOp.Ge => nn_binary_op.NN_BINARY_GE,
            BinaryOp.And => nn_binary_op.NN_BINARY_LOGICAL_AND,
            BinaryOp.Or => nn_binary_op.NN_BINARY_LOGICAL_OR,
            BinaryOp.Xor => nn_binary_op.NN_BINARY_LOGICAL_XOR,
            BinaryOp.ReluGrad => nn_binary_op.NN_BINARY_RELU_GRAD,
            BinaryOp.Remainder => nn_binary_op.NN_BINARY_REMAINDER,
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown binary op"),
        };
    }

    public void Binary(BinaryOp op, TensorView a, TensorView b, TensorView y)
    {
        var nop = MapBinary(op, a.DType, y.DType);
        Owner.MakeCurrent();
        string name = op.ToString();
        Run(NativeKernels.nn_binary(nop, Desc(y, name), Desc(a, name), Desc(b, name), Stream), "nn_binary", name);
    }

    public void BinaryScalar(BinaryOp op, TensorView x, double s, bool scalarFirst, TensorView y)
    {
        var nop = MapBinary(op, x.DType, y.DType);
        if (op == BinaryOp.Remainder && !x.DType.IsFloatingPoint() && (long)s == 0)
            throw new DivideByZeroException("Remainder: integer division by zero");
        Owner.MakeCurrent();
        string name = op.ToString();
        // The scalar becomes a 0-d operand (broadcast by the kernel) in a per-device scratch word, filled on the stream
        // right before use: the same conversion and op table as the CPU backend's stride-0 scalar.
        lock (Owner.Gate)
        {
            ulong bits = Encode(x.DType, s);
            var sd = new nn_tensor_desc { data = Owner.ScalarScratch, ndim = 0, dtype = (int)x.DType };
            NativeKernels.Check(NativeKernels.nn_fill(sd, &bits, Stream), "nn_fill");
            var dx = Desc(x, name);
            Run(scalarFirst
                ? NativeKernels.nn_binary(nop, Desc(y, name), sd, dx, Stream)
                : NativeKernels.nn_binary(nop, Desc(y, name), dx, sd, Stream), "nn_binary", name);
        }
    }

    public void Clamp(TensorView x, double min, double max, TensorView y)
    {
        if (x.DType is DType.Bool or DType.UInt8) throw new DTypeMismatchException("Clamp", $"not defined for {x.DType.Name()}");
        Owner.MakeCurrent();
        Run(NativeKernels.nn_unary(nn_unary_op.NN_UNARY_CLAMP, Desc(y, "Clamp"), Desc(x, "Clamp"), min, max, Stream), "nn_unary", "Clamp");
    }

    public void Where(TensorView cond, TensorView a, TensorView b, TensorView y)
    {
        Owner.MakeCurrent();
        Run(NativeKernels.nn_where(Desc(y, "Where"), Desc(cond, "Where"), Desc(a, "Where"), Desc(b, "Where"), Stream), "nn_where", "Where");
    }

    public void Random(TensorView y, bool normal, double a, double b, ulong seed, ulong offset)
    {
        if (!y.DType.IsFloatingPoint()) throw new DTypeMismatchException("Random", $"draws floating-point values, got {y.DType.Name()}");
        Owner.MakeCurrent();
        Run(NativeKernels.nn_random(Ptr(y, "Random"), (int)y.DType, y.NumEl, normal ? 1 : 0, a, b, seed, offset, Stream), "nn_random", "Random");
    }
}
