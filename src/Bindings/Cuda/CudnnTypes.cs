using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Cuda;

#pragma warning disable IDE1006 // C names on purpose. cuDNN headers are not installable on Debian: values are checked against
// docs/DEPENDENCIES.md §3 (obtained there by compiling against the cuDNN 8.2.1 and 9.6.0 headers) in CudnnEnumTests.

/// <summary>cudnnDataType_t (values shared by cuDNN 8 and 9; 9 adds more at the end).</summary>
internal enum cudnnDataType_t
{
    CUDNN_DATA_FLOAT = 0,
    CUDNN_DATA_DOUBLE = 1,
    CUDNN_DATA_HALF = 2,
    CUDNN_DATA_INT8 = 3,
    CUDNN_DATA_INT32 = 4,
    CUDNN_DATA_INT8x4 = 5,
    CUDNN_DATA_UINT8 = 6,
    CUDNN_DATA_UINT8x4 = 7,
    CUDNN_DATA_INT8x32 = 8,
    CUDNN_DATA_BFLOAT16 = 9,
    CUDNN_DATA_INT64 = 10,
}

internal enum cudnnTensorFormat_t
{
    CUDNN_TENSOR_NCHW = 0,
    CUDNN_TENSOR_NHWC = 1,
    CUDNN_TENSOR_NCHW_VECT_C = 2,
}

internal enum cudnnConvolutionMode_t
{
    CUDNN_CONVOLUTION = 0,
    CUDNN_CROSS_CORRELATION = 1,
}

internal enum cudnnConvolutionFwdAlgo_t
{
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0,
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2,
    CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7,
    CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
}

internal enum cudnnConvolutionBwdDataAlgo_t
{
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 = 0,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 = 1,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT = 2,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING = 3,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD = 4,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED = 5,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6,
}

internal enum cudnnConvolutionBwdFilterAlgo_t
{
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 = 0,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 = 1,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT = 2,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3 = 3,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD = 4,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED = 5,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING = 6,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7,
}

internal enum cudnnPoolingMode_t
{
    CUDNN_POOLING_MAX = 0,
    CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
    CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2,
    CUDNN_POOLING_MAX_DETERMINISTIC = 3,
}

internal enum cudnnNanPropagation_t
{
    CUDNN_NOT_PROPAGATE_NAN = 0,
    CUDNN_PROPAGATE_NAN = 1,
}

internal enum cudnnActivationMode_t
{
    CUDNN_ACTIVATION_SIGMOID = 0,
    CUDNN_ACTIVATION_RELU = 1,
    CUDNN_ACTIVATION_TANH = 2,
    CUDNN_ACTIVATION_CLIPPED_RELU = 3,
    CUDNN_ACTIVATION_ELU = 4,
    CUDNN_ACTIVATION_IDENTITY = 5,
    CUDNN_ACTIVATION_SWISH = 6,
}

internal enum cudnnSoftmaxAlgorithm_t
{
    CUDNN_SOFTMAX_FAST = 0,
    CUDNN_SOFTMAX_ACCURATE = 1,
    CUDNN_SOFTMAX_LOG = 2,
}

internal enum cudnnSoftmaxMode_t
{
    CUDNN_SOFTMAX_MODE_INSTANCE = 0,
    CUDNN_SOFTMAX_MODE_CHANNEL = 1,
}

internal enum cudnnBatchNormMode_t
{
    CUDNN_BATCHNORM_PER_ACTIVATION = 0,
    CUDNN_BATCHNORM_SPATIAL = 1,
    CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2,
}

internal enum cudnnMathType_t
{
    CUDNN_DEFAULT_MATH = 0,
    CUDNN_TENSOR_OP_MATH = 1,
    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
    CUDNN_FMA_MATH = 3,
}

internal enum cudnnDeterminism_t
{
    CUDNN_NON_DETERMINISTIC = 0,
    CUDNN_DETERMINISTIC = 1,
}

/// <summary>
/// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t: the three structs share one 48-byte layout in cuDNN 8 and 9
/// (algo @0, status @4, time @8, memory @16, determinism @24, mathType @28, reserved[3] @32).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct cudnnConvolutionAlgoPerf_t
{
    public int algo;
    public int status;
    public float time;
    public nuint memory;
    public int determinism;
    public int mathType;
    public fixed int reserved[3];
}

/// <summary>
/// cudnnStatus_t names per major version: cuDNN 9 renumbered every status except SUCCESS (8: 0..14; 9: 1000s-5000s),
/// so a code is only meaningful together with the loaded library's version.
/// </summary>
internal static class CudnnStatus
{
    internal const int Success = 0;

    static readonly Dictionary<int, string> V8 = new()
    {
        [0] = "CUDNN_STATUS_SUCCESS", [1] = "CUDNN_STATUS_NOT_INITIALIZED", [2] = "CUDNN_STATUS_ALLOC_FAILED",
        [3] = "CUDNN_STATUS_BAD_PARAM", [4] = "CUDNN_STATUS_INTERNAL_ERROR", [5] = "CUDNN_STATUS_INVALID_VALUE",
        [6] = "CUDNN_STATUS_ARCH_MISMATCH", [7] = "CUDNN_STATUS_MAPPING_ERROR", [8] = "CUDNN_STATUS_EXECUTION_FAILED",
        [9] = "CUDNN_STATUS_NOT_SUPPORTED", [10] = "CUDNN_STATUS_LICENSE_ERROR", [11] = "CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING",
        [12] = "CUDNN_STATUS_RUNTIME_IN_PROGRESS", [13] = "CUDNN_STATUS_RUNTIME_FP_OVERFLOW", [14] = "CUDNN_STATUS_VERSION_MISMATCH",
    };

    static readonly Dictionary<int, string> V9 = new()
    {
        [0] = "CUDNN_STATUS_SUCCESS",
        [1001] = "CUDNN_STATUS_NOT_INITIALIZED", [1002] = "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
        [1003] = "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH", [1004] = "CUDNN_STATUS_DEPRECATED",
        [1005] = "CUDNN_STATUS_LICENSE_ERROR", [1006] = "CUDNN_STATUS_RUNTIME_IN_PROGRESS",
        [1007] = "CUDNN_STATUS_RUNTIME_FP_OVERFLOW", [1008] = "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED",
        [2000] = "CUDNN_STATUS_BAD_PARAM", [2001] = "CUDNN_STATUS_INVALID_VALUE", [2002] = "CUDNN_STATUS_BAD_PARAM_NULL_POINTER",
        [2003] = "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER", [2004] = "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED",
        [2005] = "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND", [2006] = "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT",
        [2007] = "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH", [2008] = "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH",
        [2009] = "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES", [2010] = "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE",
        [2011] = "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH", [2012] = "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE",
        [3000] = "CUDNN_STATUS_NOT_SUPPORTED", [3001] = "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN",
        [3002] = "CUDNN_STATUS_NOT_SUPPORTED_SHAPE", [3003] = "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE",
        [3004] = "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT", [3005] = "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER",
        [3006] = "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART", [3007] = "CUDNN_STATUS_ARCH_MISMATCH",
        [3008] = "CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING", [3009] = "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE",
        [3010] = "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT", [3011] = "CUDNN_STATUS_NOT_SUPPORTED_PADDING",
        [3012] = "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM", [3013] = "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API",
        [4000] = "CUDNN_STATUS_INTERNAL_ERROR", [4001] = "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED",
        [4002] = "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE", [4003] = "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED",
        [4004] = "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED", [4005] = "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM",
        [4006] = "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED",
        [5000] = "CUDNN_STATUS_EXECUTION_FAILED", [5001] = "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER",
        [5002] = "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS", [5003] = "CUDNN_STATUS_EXECUTION_FAILED_CUDART",
        [5004] = "CUDNN_STATUS_EXECUTION_FAILED_CURAND",
    };

    /// <summary>The status's C name for a library of major version <paramref name="major"/> (8 or 9; others use 9's table when ≥ 9).</summary>
    internal static string Name(int status, int major)
    {
        var table = major >= 9 ? V9 : V8;
        return table.TryGetValue(status, out var n) ? n : $"cudnnStatus({status}, cuDNN {major})";
    }

    /// <summary>
    /// The major version from cudnnGetVersion(): v8 encodes MAJOR*1000 + MINOR*100 + PATCH (8.2.1 → 8201), v9 encodes
    /// MAJOR*10000 + MINOR*100 + PATCH (9.6.0 → 90600).
    /// </summary>
    internal static int MajorOf(long version) => version >= 10000 ? (int)(version / 10000) : (int)(version / 1000);

    /// <summary>"8.2.1" / "9.6.0" from cudnnGetVersion().</summary>
    internal static string Format(long version)
    {
        if (version <= 0) return "none";
        if (version >= 10000) return $"{version / 10000}.{version % 10000 / 100}.{version % 100}";
        return $"{version / 1000}.{version % 1000 / 100}.{version % 100}";
    }
}
