using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Cuda;

#pragma warning disable IDE1006 // C names on purpose (checked against native/include/nativenet.h by tools/check_cuda_headers)

/// <summary>nn_status (nativenet.h).</summary>
internal enum nn_status
{
    NN_SUCCESS = 0,
    NN_ERROR_INVALID_VALUE = 1,
    NN_ERROR_LAUNCH_FAILED = 2,
    NN_ERROR_NOT_SUPPORTED = 3,
    NN_ERROR_RUNTIME = 4,
}

/// <summary>nn_dtype: the values of NativeNet.DType.</summary>
internal enum nn_dtype
{
    NN_DTYPE_FLOAT32 = 0,
    NN_DTYPE_FLOAT64 = 1,
    NN_DTYPE_INT64 = 2,
    NN_DTYPE_INT32 = 3,
    NN_DTYPE_BOOL = 4,
    NN_DTYPE_UINT8 = 5,
}

internal enum nn_unary_op
{
    NN_UNARY_NEG = 0, NN_UNARY_ABS = 1, NN_UNARY_SIGN = 2, NN_UNARY_SQUARE = 3, NN_UNARY_RECIPROCAL = 4, NN_UNARY_EXP = 5,
    NN_UNARY_LOG = 6, NN_UNARY_SQRT = 7, NN_UNARY_RSQRT = 8, NN_UNARY_SIN = 9, NN_UNARY_COS = 10, NN_UNARY_TANH = 11,
    NN_UNARY_SIGMOID = 12, NN_UNARY_RELU = 13, NN_UNARY_GELU = 14, NN_UNARY_GELU_TANH = 15, NN_UNARY_SILU = 16,
    NN_UNARY_ERF = 17, NN_UNARY_LOG1P = 18, NN_UNARY_EXPM1 = 19, NN_UNARY_FLOOR = 20, NN_UNARY_CEIL = 21,
    NN_UNARY_ROUND = 22, NN_UNARY_TRUNC = 23, NN_UNARY_LOGICAL_NOT = 24, NN_UNARY_ISNAN = 25, NN_UNARY_ISINF = 26,
    NN_UNARY_ADD_SCALAR = 32, NN_UNARY_MUL_SCALAR = 33, NN_UNARY_RSUB_SCALAR = 34, NN_UNARY_RDIV_SCALAR = 35,
    NN_UNARY_POW_SCALAR = 36, NN_UNARY_RPOW_SCALAR = 37, NN_UNARY_CLAMP = 38, NN_UNARY_LEAKY_RELU = 39, NN_UNARY_ELU = 40,
    NN_UNARY_EQ_SCALAR = 48, NN_UNARY_NE_SCALAR = 49, NN_UNARY_LT_SCALAR = 50, NN_UNARY_LE_SCALAR = 51,
    NN_UNARY_GT_SCALAR = 52, NN_UNARY_GE_SCALAR = 53,
}

internal enum nn_binary_op
{
    NN_BINARY_ADD = 0, NN_BINARY_SUB = 1, NN_BINARY_MUL = 2, NN_BINARY_DIV = 3, NN_BINARY_POW = 4, NN_BINARY_MAXIMUM = 5,
    NN_BINARY_MINIMUM = 6, NN_BINARY_REMAINDER = 7, NN_BINARY_RELU_GRAD = 8,
    NN_BINARY_EQ = 16, NN_BINARY_NE = 17, NN_BINARY_LT = 18, NN_BINARY_LE = 19, NN_BINARY_GT = 20, NN_BINARY_GE = 21,
    NN_BINARY_LOGICAL_AND = 24, NN_BINARY_LOGICAL_OR = 25, NN_BINARY_LOGICAL_XOR = 26,
}

internal enum nn_reduce_op
{
    NN_REDUCE_SUM = 0, NN_REDUCE_PROD = 1, NN_REDUCE_MAX = 2, NN_REDUCE_MIN = 3, NN_REDUCE_ARGMAX = 4, NN_REDUCE_ARGMIN = 5,
}

/// <summary>nn_tensor_desc: a strided view of device memory, 144 bytes, passed by value.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct nn_tensor_desc
{
    internal const int MaxDims = 8;
    public nint data;
    public int ndim;
    public int dtype;
    public fixed long shape[MaxDims];
    public fixed long strides[MaxDims];
}

/// <summary>nn_conv2d_params: pooling/convolution geometry (136 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nn_conv2d_params
{
    public long n, c, h, w;
    public long o, kh, kw, oh, ow;
    public long stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
    public long groups;
    public int count_include_pad;
    public int reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct nn_sgd_params
{
    public double lr, momentum, dampening, weight_decay;
    public int nesterov, maximize, first_step, reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct nn_adam_params
{
    public double lr, beta1, beta2, eps, weight_decay;
    public long step;
    public int decoupled, amsgrad, maximize, reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct nn_rmsprop_params
{
    public double lr, alpha, eps, weight_decay, momentum;
    public int centered, maximize;
}

/// <summary>
/// NativeNet's own CUDA kernels (libnativenet_cuda, built from native/ by CMake with nvcc), behind the C ABI of
/// native/include/nativenet.h. Every launcher only enqueues work on the given stream; a non-success status becomes a
/// <see cref="NativeKernelException"/> carrying nn_last_error().
/// </summary>
internal static unsafe partial class NativeKernels
{
    const string Lib = CudaLibraries.Kernels;

    /// <summary>The ABI version these bindings were written for (NN_ABI_VERSION).</summary>
    internal const int AbiVersion = 2;

    static NativeKernels() => CudaLibraries.EnsureRegistered();

    internal static (nint Handle, string? Path, string Report) Load() => CudaLibraries.Load(Lib);

    internal static void Check(nn_status status, string call)
    {
        if (status == nn_status.NN_SUCCESS) return;
        var message = Marshal.PtrToStringUTF8((nint)nn_last_error());
        throw new NativeKernelException(call, (int)status, Enum.IsDefined(status) ? status.ToString() : $"nn_status({(int)status})", message);
    }

    [LibraryImport(Lib)] internal static partial int nn_abi_version();
    [LibraryImport(Lib)] internal static partial byte* nn_status_string(nn_status status);
    [LibraryImport(Lib)] internal static partial byte* nn_last_error();

    [LibraryImport(Lib)] internal static partial nn_status nn_fill(nn_tensor_desc @out, void* value, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_cast(nn_tensor_desc @out, nn_tensor_desc @in, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_unary(nn_unary_op op, nn_tensor_desc @out, nn_tensor_desc @in, double alpha, double beta, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_binary(nn_binary_op op, nn_tensor_desc @out, nn_tensor_desc a, nn_tensor_desc b, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_where(nn_tensor_desc @out, nn_tensor_desc cond, nn_tensor_desc a, nn_tensor_desc b, nint stream);

    [LibraryImport(Lib)] internal static partial nuint nn_reduce_workspace_size(nn_reduce_op op, int dtype, long outer, long reduce, long inner);
    [LibraryImport(Lib)] internal static partial nn_status nn_reduce(nn_reduce_op op, nint @out, nint @in, int dtype, long outer, long reduce, long inner, nint workspace, nuint workspaceBytes, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_softmax(nint @out, nint @in, int dtype, long outer, long dim, long inner, int log, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_index_select(nint @out, nint @in, int dtype, long outer, long n, long inner, nint index, long k, nint errorFlag, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_index_add(nint dst, nint src, int dtype, long outer, long n, long inner, nint index, long k, nint errorFlag, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_gather(nn_tensor_desc @out, nn_tensor_desc @in, nn_tensor_desc index, int dim, nint errorFlag, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_scatter_add(nn_tensor_desc dst, nn_tensor_desc src, nn_tensor_desc index, int dim, nint errorFlag, nint stream);

    [LibraryImport(Lib)] internal static partial nn_status nn_max_pool2d(nint @out, nint indices, nint @in, int dtype, nn_conv2d_params p, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_max_pool2d_backward(nint gradIn, nint gradOut, nint indices, int dtype, nn_conv2d_params p, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_avg_pool2d(nint @out, nint @in, int dtype, nn_conv2d_params p, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_avg_pool2d_backward(nint gradIn, nint gradOut, int dtype, nn_conv2d_params p, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_adaptive_avg_pool2d(nint @out, nint @in, int dtype, long planes, long h, long w, long oh, long ow, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_adaptive_avg_pool2d_backward(nint gradIn, nint gradOut, int dtype, long planes, long h, long w, long oh, long ow, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_im2col(nint col, nint @in, int dtype, nn_conv2d_params p, long n0, long nb, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_col2im(nint gradIn, nint col, int dtype, nn_conv2d_params p, long n0, long nb, nint stream);

    [LibraryImport(Lib)] internal static partial nn_status nn_random(nint @out, int dtype, long count, int normal, double a, double b, ulong seed, ulong offset, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_matmul_int(nn_tensor_desc c, nn_tensor_desc a, nn_tensor_desc b, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_sgd_step(nint param, nint grad, nint momentumBuffer, int dtype, long n, nn_sgd_params p, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_adam_step(nint param, nint grad, nint expAvg, nint expAvgSq, nint maxExpAvgSq, int dtype, long n, nn_adam_params p, nint stream);
    [LibraryImport(Lib)] internal static partial nn_status nn_rmsprop_step(nint param, nint grad, nint squareAvg, nint gradAvg, nint momentumBuffer, int dtype, long n, nn_rmsprop_params p, nint stream);
}
