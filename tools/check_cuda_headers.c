/*
 * check_cuda_headers: prints, from the real headers, every enum value, struct size and
 * field offset the C# bindings (src/Bindings/Cuda) hard-code, one per line:
 *
 *   version <NAME> <value>          header versions (CUDART_VERSION, CUBLAS_VERSION, NVRTC via nvrtcVersion is runtime-only)
 *   enum <C name> <value>           enumerators and #define'd flags
 *   sizeof <C type> <bytes>
 *   offsetof <C type>.<field> <bytes>
 *   have <header> 0|1               which header groups were found
 *
 * tests/NativeNet.Bindings.Tests/Cuda/HeaderCheckTests.cs builds and runs it through
 * tools/check_cuda_headers.sh and compares each line with the C# declarations. The
 * nativenet.h section needs only a C compiler; the CUDA sections need the toolkit
 * headers (Debian: nvidia-cuda-dev, pulled in by `bash tools/setup.sh --cuda`).
 * cuDNN headers are not installable on Debian: cuDNN values are checked against
 * docs/design tables instead (CudnnEnumTests).
 */
#include <stddef.h>
#include <stdio.h>

#include "nativenet.h"

#define E(x) printf("enum %s %lld\n", #x, (long long)(x))
#define SZ(t) printf("sizeof %s %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(t, f))

#if defined(__has_include)
#  if __has_include(<cuda_runtime_api.h>) && __has_include(<library_types.h>)
#    define HAVE_CUDART 1
#  endif
#  if __has_include(<cublas_v2.h>)
#    define HAVE_CUBLAS 1
#  endif
#  if __has_include(<nvrtc.h>)
#    define HAVE_NVRTC 1
#  endif
#endif

#ifdef HAVE_CUDART
#include <cuda_runtime_api.h>
#include <library_types.h>
#endif
#ifdef HAVE_CUBLAS
#include <cublas_v2.h>
#endif
#ifdef HAVE_NVRTC
#include <nvrtc.h>
#endif

static void nativenet(void) {
    printf("version NN_ABI_VERSION %d\n", NN_ABI_VERSION);
    E(NN_SUCCESS); E(NN_ERROR_INVALID_VALUE); E(NN_ERROR_LAUNCH_FAILED); E(NN_ERROR_NOT_SUPPORTED); E(NN_ERROR_RUNTIME);
    E(NN_DTYPE_FLOAT32); E(NN_DTYPE_FLOAT64); E(NN_DTYPE_INT64); E(NN_DTYPE_INT32); E(NN_DTYPE_BOOL); E(NN_DTYPE_UINT8);
    E(NN_UNARY_NEG); E(NN_UNARY_ABS); E(NN_UNARY_SIGN); E(NN_UNARY_SQUARE); E(NN_UNARY_RECIPROCAL); E(NN_UNARY_EXP);
    E(NN_UNARY_LOG); E(NN_UNARY_SQRT); E(NN_UNARY_RSQRT); E(NN_UNARY_SIN); E(NN_UNARY_COS); E(NN_UNARY_TANH);
    E(NN_UNARY_SIGMOID); E(NN_UNARY_RELU); E(NN_UNARY_GELU); E(NN_UNARY_GELU_TANH); E(NN_UNARY_SILU); E(NN_UNARY_ERF);
    E(NN_UNARY_LOG1P); E(NN_UNARY_EXPM1); E(NN_UNARY_FLOOR); E(NN_UNARY_CEIL); E(NN_UNARY_ROUND); E(NN_UNARY_TRUNC);
    E(NN_UNARY_LOGICAL_NOT); E(NN_UNARY_ISNAN); E(NN_UNARY_ISINF); E(NN_UNARY_ADD_SCALAR); E(NN_UNARY_MUL_SCALAR);
    E(NN_UNARY_RSUB_SCALAR); E(NN_UNARY_RDIV_SCALAR); E(NN_UNARY_POW_SCALAR); E(NN_UNARY_RPOW_SCALAR); E(NN_UNARY_CLAMP);
    E(NN_UNARY_LEAKY_RELU); E(NN_UNARY_ELU); E(NN_UNARY_EQ_SCALAR); E(NN_UNARY_NE_SCALAR); E(NN_UNARY_LT_SCALAR);
    E(NN_UNARY_LE_SCALAR); E(NN_UNARY_GT_SCALAR); E(NN_UNARY_GE_SCALAR);
    E(NN_BINARY_ADD); E(NN_BINARY_SUB); E(NN_BINARY_MUL); E(NN_BINARY_DIV); E(NN_BINARY_POW); E(NN_BINARY_MAXIMUM);
    E(NN_BINARY_MINIMUM); E(NN_BINARY_REMAINDER); E(NN_BINARY_RELU_GRAD); E(NN_BINARY_EQ); E(NN_BINARY_NE); E(NN_BINARY_LT);
    E(NN_BINARY_LE); E(NN_BINARY_GT); E(NN_BINARY_GE); E(NN_BINARY_LOGICAL_AND); E(NN_BINARY_LOGICAL_OR);
    E(NN_BINARY_LOGICAL_XOR);
    E(NN_REDUCE_SUM); E(NN_REDUCE_PROD); E(NN_REDUCE_MAX); E(NN_REDUCE_MIN); E(NN_REDUCE_ARGMAX); E(NN_REDUCE_ARGMIN);
    SZ(nn_tensor_desc); OFF(nn_tensor_desc, data); OFF(nn_tensor_desc, ndim); OFF(nn_tensor_desc, dtype);
    OFF(nn_tensor_desc, shape); OFF(nn_tensor_desc, strides);
    SZ(nn_conv2d_params); OFF(nn_conv2d_params, n); OFF(nn_conv2d_params, c); OFF(nn_conv2d_params, h); OFF(nn_conv2d_params, w);
    OFF(nn_conv2d_params, o); OFF(nn_conv2d_params, kh); OFF(nn_conv2d_params, kw); OFF(nn_conv2d_params, oh);
    OFF(nn_conv2d_params, ow); OFF(nn_conv2d_params, stride_h); OFF(nn_conv2d_params, stride_w); OFF(nn_conv2d_params, pad_h);
    OFF(nn_conv2d_params, pad_w); OFF(nn_conv2d_params, dilation_h); OFF(nn_conv2d_params, dilation_w);
    OFF(nn_conv2d_params, groups); OFF(nn_conv2d_params, count_include_pad); OFF(nn_conv2d_params, reserved);
    SZ(nn_sgd_params); OFF(nn_sgd_params, lr); OFF(nn_sgd_params, momentum); OFF(nn_sgd_params, dampening);
    OFF(nn_sgd_params, weight_decay); OFF(nn_sgd_params, nesterov); OFF(nn_sgd_params, maximize);
    OFF(nn_sgd_params, first_step); OFF(nn_sgd_params, reserved);
    SZ(nn_adam_params); OFF(nn_adam_params, lr); OFF(nn_adam_params, beta1); OFF(nn_adam_params, beta2); OFF(nn_adam_params, eps);
    OFF(nn_adam_params, weight_decay); OFF(nn_adam_params, step); OFF(nn_adam_params, decoupled); OFF(nn_adam_params, amsgrad);
    OFF(nn_adam_params, maximize); OFF(nn_adam_params, reserved);
    SZ(nn_rmsprop_params); OFF(nn_rmsprop_params, lr); OFF(nn_rmsprop_params, alpha); OFF(nn_rmsprop_params, eps);
    OFF(nn_rmsprop_params, weight_decay); OFF(nn_rmsprop_params, momentum); OFF(nn_rmsprop_params, centered);
    OFF(nn_rmsprop_params, maximize);
}

#ifdef HAVE_CUDART
static void cudart(void) {
    printf("version CUDART_VERSION %d\n", CUDART_VERSION);
    E(cudaSuccess); E(cudaErrorInvalidValue); E(cudaErrorMemoryAllocation); E(cudaErrorInitializationError);
    E(cudaErrorCudartUnloading); E(cudaErrorProfilerDisabled); E(cudaErrorInvalidConfiguration); E(cudaErrorInvalidPitchValue);
    E(cudaErrorInvalidSymbol); E(cudaErrorInvalidMemcpyDirection); E(cudaErrorStubLibrary); E(cudaErrorInsufficientDriver);
    E(cudaErrorCallRequiresNewerDriver); E(cudaErrorDevicesUnavailable); E(cudaErrorMissingConfiguration); E(cudaErrorNoDevice);
    E(cudaErrorInvalidDevice); E(cudaErrorDeviceNotLicensed); E(cudaErrorStartupFailure); E(cudaErrorInvalidKernelImage);
    E(cudaErrorDeviceUninitialized); E(cudaErrorNoKernelImageForDevice); E(cudaErrorECCUncorrectable);
    E(cudaErrorUnsupportedPtxVersion); E(cudaErrorJitCompilerNotFound); E(cudaErrorInvalidResourceHandle); E(cudaErrorIllegalState);
    E(cudaErrorSymbolNotFound); E(cudaErrorNotReady); E(cudaErrorIllegalAddress); E(cudaErrorLaunchOutOfResources);
    E(cudaErrorLaunchTimeout); E(cudaErrorPeerAccessAlreadyEnabled); E(cudaErrorPeerAccessNotEnabled); E(cudaErrorAssert);
    E(cudaErrorHardwareStackError); E(cudaErrorIllegalInstruction); E(cudaErrorMisalignedAddress); E(cudaErrorLaunchFailure);
    E(cudaErrorNotPermitted); E(cudaErrorNotSupported); E(cudaErrorSystemNotReady); E(cudaErrorSystemDriverMismatch);
    E(cudaErrorCompatNotSupportedOnDevice); E(cudaErrorUnknown);
    E(cudaMemcpyHostToHost); E(cudaMemcpyHostToDevice); E(cudaMemcpyDeviceToHost); E(cudaMemcpyDeviceToDevice); E(cudaMemcpyDefault);
    E(cudaDevAttrMaxThreadsPerBlock); E(cudaDevAttrMaxSharedMemoryPerBlock); E(cudaDevAttrTotalConstantMemory); E(cudaDevAttrWarpSize);
    E(cudaDevAttrClockRate); E(cudaDevAttrMultiProcessorCount); E(cudaDevAttrPciBusId); E(cudaDevAttrPciDeviceId);
    E(cudaDevAttrMemoryClockRate); E(cudaDevAttrGlobalMemoryBusWidth); E(cudaDevAttrL2CacheSize); E(cudaDevAttrUnifiedAddressing);
    E(cudaDevAttrComputeCapabilityMajor); E(cudaDevAttrComputeCapabilityMinor); E(cudaDevAttrMemoryPoolsSupported);
    E(cudaMemPoolAttrReleaseThreshold);
    E(cudaStreamDefault); E(cudaStreamNonBlocking); E(cudaEventDefault); E(cudaEventBlockingSync); E(cudaEventDisableTiming);
    SZ(struct cudaDeviceProp); OFF(struct cudaDeviceProp, name); OFF(struct cudaDeviceProp, totalGlobalMem);
    E(CUDA_R_32F); E(CUDA_R_64F); E(CUDA_R_16F); E(CUDA_R_8I); E(CUDA_C_32F); E(CUDA_C_64F); E(CUDA_R_8U); E(CUDA_R_32I);
    E(CUDA_R_16BF);
    E(MAJOR_VERSION); E(MINOR_VERSION); E(PATCH_LEVEL);
}
#endif

#ifdef HAVE_CUBLAS
static void cublas(void) {
    printf("version CUBLAS_VERSION %d\n", CUBLAS_VERSION);
    E(CUBLAS_STATUS_SUCCESS); E(CUBLAS_STATUS_NOT_INITIALIZED); E(CUBLAS_STATUS_ALLOC_FAILED); E(CUBLAS_STATUS_INVALID_VALUE);
    E(CUBLAS_STATUS_ARCH_MISMATCH); E(CUBLAS_STATUS_MAPPING_ERROR); E(CUBLAS_STATUS_EXECUTION_FAILED);
    E(CUBLAS_STATUS_INTERNAL_ERROR); E(CUBLAS_STATUS_NOT_SUPPORTED); E(CUBLAS_STATUS_LICENSE_ERROR);
    E(CUBLAS_OP_N); E(CUBLAS_OP_T); E(CUBLAS_OP_C);
    E(CUBLAS_POINTER_MODE_HOST); E(CUBLAS_POINTER_MODE_DEVICE);
    E(CUBLAS_DEFAULT_MATH); E(CUBLAS_TENSOR_OP_MATH); E(CUBLAS_PEDANTIC_MATH); E(CUBLAS_TF32_TENSOR_OP_MATH);
    E(CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
    E(CUBLAS_COMPUTE_16F); E(CUBLAS_COMPUTE_16F_PEDANTIC); E(CUBLAS_COMPUTE_32F); E(CUBLAS_COMPUTE_32F_PEDANTIC);
    E(CUBLAS_COMPUTE_64F); E(CUBLAS_COMPUTE_64F_PEDANTIC); E(CUBLAS_COMPUTE_32I); E(CUBLAS_COMPUTE_32I_PEDANTIC);
    E(CUBLAS_COMPUTE_32F_FAST_16F); E(CUBLAS_COMPUTE_32F_FAST_16BF); E(CUBLAS_COMPUTE_32F_FAST_TF32);
    E(CUBLAS_GEMM_DEFAULT); E(CUBLAS_GEMM_DEFAULT_TENSOR_OP);
}
#endif

#ifdef HAVE_NVRTC
static void nvrtc(void) {
    E(NVRTC_SUCCESS); E(NVRTC_ERROR_OUT_OF_MEMORY); E(NVRTC_ERROR_PROGRAM_CREATION_FAILURE); E(NVRTC_ERROR_INVALID_INPUT);
    E(NVRTC_ERROR_INVALID_PROGRAM); E(NVRTC_ERROR_INVALID_OPTION); E(NVRTC_ERROR_COMPILATION);
    E(NVRTC_ERROR_BUILTIN_OPERATION_FAILURE); E(NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION);
    E(NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION); E(NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID);
    E(NVRTC_ERROR_INTERNAL_ERROR);
}
#endif

int main(void) {
    nativenet();
#ifdef HAVE_CUDART
    printf("have cuda_runtime_api.h 1\n");
    cudart();
#else
    printf("have cuda_runtime_api.h 0\n");
#endif
#ifdef HAVE_CUBLAS
    printf("have cublas_v2.h 1\n");
    cublas();
#else
    printf("have cublas_v2.h 0\n");
#endif
#ifdef HAVE_NVRTC
    printf("have nvrtc.h 1\n");
    nvrtc();
#else
    printf("have nvrtc.h 0\n");
#endif
    return 0;
}
