using System.Runtime.InteropServices;
using NativeNet.Bindings.Cuda;

namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>
/// cuDNN headers cannot be installed on Debian, so the bound cuDNN values are checked against the reference tables in
/// /work/shared/design/DEPENDENCIES.md §3 (copied below), which were obtained there by compiling a C program against the
/// cuDNN 8.2.1 and 9.6.0 headers. This is a check against that record, not against a header installed here.
/// </summary>
public class CudnnEnumTests
{
    static void Expect<T>(params (T Member, int Value)[] table) where T : struct, Enum
    {
        Assert.Equal(table.Length, Enum.GetValues<T>().Length);
        foreach (var (m, v) in table) Assert.True(Convert.ToInt32(m) == v, $"{typeof(T).Name}.{m} = {Convert.ToInt32(m)}, reference {v}");
    }

    [Fact]
    public void EnumValuesMatchTheCudnn8And9Tables()
    {
        Expect((cudnnDataType_t.CUDNN_DATA_FLOAT, 0), (cudnnDataType_t.CUDNN_DATA_DOUBLE, 1), (cudnnDataType_t.CUDNN_DATA_HALF, 2),
            (cudnnDataType_t.CUDNN_DATA_INT8, 3), (cudnnDataType_t.CUDNN_DATA_INT32, 4), (cudnnDataType_t.CUDNN_DATA_INT8x4, 5),
            (cudnnDataType_t.CUDNN_DATA_UINT8, 6), (cudnnDataType_t.CUDNN_DATA_UINT8x4, 7), (cudnnDataType_t.CUDNN_DATA_INT8x32, 8),
            (cudnnDataType_t.CUDNN_DATA_BFLOAT16, 9), (cudnnDataType_t.CUDNN_DATA_INT64, 10));
        Expect((cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, 0), (cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, 1), (cudnnTensorFormat_t.CUDNN_TENSOR_NCHW_VECT_C, 2));
        Expect((cudnnConvolutionMode_t.CUDNN_CONVOLUTION, 0), (cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, 1));
        Expect((cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 0), (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, 1),
            (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_GEMM, 2), (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, 3),
            (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_FFT, 4), (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, 5),
            (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, 6), (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, 7),
            (cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_COUNT, 8));
        Expect((cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, 0), (cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, 1),
            (cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, 2), (cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING, 3),
            (cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD, 4), (cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED, 5),
            (cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, 6));
        Expect((cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, 0), (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, 1),
            (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, 2), (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, 3),
            (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD, 4), (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED, 5),
            (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING, 6), (cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, 7));
        Expect((cudnnPoolingMode_t.CUDNN_POOLING_MAX, 0), (cudnnPoolingMode_t.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, 1),
            (cudnnPoolingMode_t.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, 2), (cudnnPoolingMode_t.CUDNN_POOLING_MAX_DETERMINISTIC, 3));
        Expect((cudnnNanPropagation_t.CUDNN_NOT_PROPAGATE_NAN, 0), (cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN, 1));
        Expect((cudnnActivationMode_t.CUDNN_ACTIVATION_SIGMOID, 0), (cudnnActivationMode_t.CUDNN_ACTIVATION_RELU, 1), (cudnnActivationMode_t.CUDNN_ACTIVATION_TANH, 2),
            (cudnnActivationMode_t.CUDNN_ACTIVATION_CLIPPED_RELU, 3), (cudnnActivationMode_t.CUDNN_ACTIVATION_ELU, 4),
            (cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY, 5), (cudnnActivationMode_t.CUDNN_ACTIVATION_SWISH, 6));
        Expect((cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_FAST, 0), (cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_ACCURATE, 1), (cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_LOG, 2));
        Expect((cudnnSoftmaxMode_t.CUDNN_SOFTMAX_MODE_INSTANCE, 0), (cudnnSoftmaxMode_t.CUDNN_SOFTMAX_MODE_CHANNEL, 1));
        Expect((cudnnBatchNormMode_t.CUDNN_BATCHNORM_PER_ACTIVATION, 0), (cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL, 1),
            (cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL_PERSISTENT, 2));
        Expect((cudnnMathType_t.CUDNN_DEFAULT_MATH, 0), (cudnnMathType_t.CUDNN_TENSOR_OP_MATH, 1),
            (cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION, 2), (cudnnMathType_t.CUDNN_FMA_MATH, 3));
        Expect((cudnnDeterminism_t.CUDNN_NON_DETERMINISTIC, 0), (cudnnDeterminism_t.CUDNN_DETERMINISTIC, 1));
    }

    [Fact]
    public void AlgoPerfStructIs48BytesWithTheRecordedOffsets()
    {
        var t = typeof(cudnnConvolutionAlgoPerf_t);
        Assert.Equal(48, Marshal.SizeOf(t));
        Assert.Equal(0, (int)Marshal.OffsetOf(t, "algo"));
        Assert.Equal(4, (int)Marshal.OffsetOf(t, "status"));
        Assert.Equal(8, (int)Marshal.OffsetOf(t, "time"));
        Assert.Equal(16, (int)Marshal.OffsetOf(t, "memory"));
        Assert.Equal(24, (int)Marshal.OffsetOf(t, "determinism"));
        Assert.Equal(28, (int)Marshal.OffsetOf(t, "mathType"));
        Assert.Equal(32, (int)Marshal.OffsetOf(t, "reserved"));
    }

    [Fact]
    public void StatusNamesFollowTheLoadedMajorVersion()
    {
        // Same number, different meaning: v8 renumbered to v9's 1000s..5000s.
        Assert.Equal("CUDNN_STATUS_BAD_PARAM", CudnnStatus.Name(3, 8));
        Assert.Equal("CUDNN_STATUS_BAD_PARAM", CudnnStatus.Name(2000, 9));
        Assert.Equal("CUDNN_STATUS_NOT_SUPPORTED", CudnnStatus.Name(9, 8));
        Assert.Equal("CUDNN_STATUS_NOT_SUPPORTED", CudnnStatus.Name(3000, 9));
        Assert.Equal("CUDNN_STATUS_ALLOC_FAILED", CudnnStatus.Name(2, 8));
        Assert.Equal("CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED", CudnnStatus.Name(4003, 9));
        Assert.Equal("CUDNN_STATUS_VERSION_MISMATCH", CudnnStatus.Name(14, 8));
        Assert.Equal("CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH", CudnnStatus.Name(1002, 9));
        Assert.Equal("CUDNN_STATUS_EXECUTION_FAILED_CUBLAS", CudnnStatus.Name(5002, 9));
        Assert.Equal("CUDNN_STATUS_SUCCESS", CudnnStatus.Name(0, 8));
        Assert.Equal("CUDNN_STATUS_SUCCESS", CudnnStatus.Name(0, 9));
        Assert.StartsWith("cudnnStatus(2000, cuDNN 8)", CudnnStatus.Name(2000, 8));
        var e = new CudnnException("cudnnConvolutionForward", 2000, CudnnStatus.Name(2000, 9), "CUDNN_STATUS_BAD_PARAM");
        Assert.Contains("cudnnConvolutionForward failed: CUDNN_STATUS_BAD_PARAM (2000)", e.Message);
        Assert.Equal("cudnn", e.Library);
    }

    [Fact]
    public void VersionNumbersDecodePerMajorVersion()
    {
        // cudnnGetVersion(): MAJOR*1000+MINOR*100+PATCH in v8, MAJOR*10000+MINOR*100+PATCH in v9.
        Assert.Equal(8, CudnnStatus.MajorOf(8201));
        Assert.Equal("8.2.1", CudnnStatus.Format(8201));
        Assert.Equal(8, CudnnStatus.MajorOf(8907));
        Assert.Equal("8.9.7", CudnnStatus.Format(8907));
        Assert.Equal(9, CudnnStatus.MajorOf(90600));
        Assert.Equal("9.6.0", CudnnStatus.Format(90600));
        Assert.Equal(9, CudnnStatus.MajorOf(91002));
        Assert.Equal("9.10.2", CudnnStatus.Format(91002));
        Assert.Equal("none", CudnnStatus.Format(0));
    }
}
