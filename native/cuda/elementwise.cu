// CUDA launchers for the elementwise ops of nativenet.h: nn_fill, nn_cast, nn_unary,
// nn_binary, nn_where. The op semantics, dtype dispatch and broadcasting live in
// native/src/elementwise_impl.h (shared with the host-side tests); cuda_exec.cuh
// provides the executor that launches them as grid-stride kernels.
#include "elementwise_impl.h"
#include "cuda_exec.cuh"

#if !defined(__CUDACC_RTC__)
extern "C" {

NN_API nn_status nn_fill(nn_tensor_desc out, const void* value, void* stream) {
    nn::CudaExec ex{static_cast<cudaStream_t>(stream), "nn_fill"};
    return nn::fill_impl(ex, out, value);
}

NN_API nn_status nn_cast(nn_tensor_desc out, nn_tensor_desc in, void* stream) {
    nn::CudaExec ex{static_cast<cudaStream_t>(stream), "nn_cast"};
    return nn::cast_impl(ex, out, in);
}

NN_API nn_status nn_unary(nn_unary_op op, nn_tensor_desc out, nn_tensor_desc in, double alpha, double beta,
                          void* stream) {
    nn::CudaExec ex{static_cast<cudaStream_t>(stream), "nn_unary"};
    return nn::unary_impl(ex, static_cast<int>(op), out, in, alpha, beta);
}

NN_API nn_status nn_binary(nn_binary_op op, nn_tensor_desc out, nn_tensor_desc a, nn_tensor_desc b, void* stream) {
    nn::CudaExec ex{static_cast<cudaStream_t>(stream), "nn_binary"};
    return nn::binary_impl(ex, static_cast<int>(op), out, a, b);
}

NN_API nn_status nn_where(nn_tensor_desc out, nn_tensor_desc cond, nn_tensor_desc a, nn_tensor_desc b, void* stream) {
    nn::CudaExec ex{static_cast<cudaStream_t>(stream), "nn_where"};
    return nn::where_impl(ex, out, cond, a, b);
}

}  // extern "C"
#else
// ---------------------------------------------------------------------------------------------
// NVRTC compile check (tests/NativeNet.Bindings.Tests/Cuda/NvrtcCompileTests): NVRTC accepts no
// host code, so the launchers above are left out and every kernel body the dispatch can launch
// is instantiated explicitly here, per dtype, with 32-bit indexing (the 64-bit variant is the same
// template with another index type: a few are instantiated at the end).
namespace nn {
namespace {

#define NN_RTC_KERNEL(N, ...) template __global__ void elementwise_kernel<int32_t, N, __VA_ARGS__>(Geometry, __VA_ARGS__);

// The functor is the variadic tail, so template-ids with commas pass through.
#define NN_RTC_MAP(T, ...) NN_RTC_KERNEL(2, MapBody<T, T, __VA_ARGS__>)
#define NN_RTC_MAP_BOOL(T, ...) NN_RTC_KERNEL(2, MapBody<uint8_t, T, __VA_ARGS__>)
#define NN_RTC_ZIP(T, ...) NN_RTC_KERNEL(3, ZipBody<T, T, __VA_ARGS__>)
#define NN_RTC_ZIP_BOOL(T, ...) NN_RTC_KERNEL(3, ZipBody<uint8_t, T, __VA_ARGS__>)

// Ops defined for every non-Bool dtype.
#define NN_RTC_ANY(T)                                                                     \
    NN_RTC_KERNEL(1, FillBody<T>)                                                         \
    NN_RTC_KERNEL(4, WhereBody<T>)                                                        \
    NN_RTC_MAP(T, OpNeg<T>) NN_RTC_MAP(T, OpAbs<T>) NN_RTC_MAP(T, OpSign<T>)              \
    NN_RTC_MAP(T, OpSquare<T>) NN_RTC_MAP(T, OpRelu<T>) NN_RTC_MAP(T, OpIdentity<T>)      \
    NN_RTC_MAP(T, OpAddScalar<T>) NN_RTC_MAP(T, OpMulScalar<T>) NN_RTC_MAP(T, OpRsubScalar<T>) \
    NN_RTC_MAP(T, OpClamp<T>)                                                             \
    NN_RTC_MAP_BOOL(T, OpLogicalNot<T>) NN_RTC_MAP_BOOL(T, OpIsNan<T>) NN_RTC_MAP_BOOL(T, OpIsInf<T>) \
    NN_RTC_ZIP(T, OpAdd<T>) NN_RTC_ZIP(T, OpSub<T>) NN_RTC_ZIP(T, OpMul<T>) NN_RTC_ZIP(T, OpPow<T>) \
    NN_RTC_ZIP(T, OpMaximum<T>) NN_RTC_ZIP(T, OpMinimum<T>) NN_RTC_ZIP(T, OpRemainder<T>) \
    NN_RTC_ZIP(T, OpReluGrad<T>)                                                          \
    NN_RTC_ZIP_BOOL(T, OpCmp<T, Cmp::Eq>) NN_RTC_ZIP_BOOL(T, OpCmp<T, Cmp::Ne>)       \
    NN_RTC_ZIP_BOOL(T, OpCmp<T, Cmp::Lt>) NN_RTC_ZIP_BOOL(T, OpCmp<T, Cmp::Le>)       \
    NN_RTC_ZIP_BOOL(T, OpCmp<T, Cmp::Gt>) NN_RTC_ZIP_BOOL(T, OpCmp<T, Cmp::Ge>)       \
    NN_RTC_ZIP_BOOL(T, OpLogicalAnd<T>) NN_RTC_ZIP_BOOL(T, OpLogicalOr<T>) NN_RTC_ZIP_BOOL(T, OpLogicalXor<T>)

#define NN_RTC_CMP_SCALAR(T, C)                                                           \
    NN_RTC_MAP_BOOL(T, OpCmpScalar<T, C, Cmp::Eq>) NN_RTC_MAP_BOOL(T, OpCmpScalar<T, C, Cmp::Ne>) \
    NN_RTC_MAP_BOOL(T, OpCmpScalar<T, C, Cmp::Lt>) NN_RTC_MAP_BOOL(T, OpCmpScalar<T, C, Cmp::Le>) \
    NN_RTC_MAP_BOOL(T, OpCmpScalar<T, C, Cmp::Gt>) NN_RTC_MAP_BOOL(T, OpCmpScalar<T, C, Cmp::Ge>)

// Float-only ops.
#define NN_RTC_FLOAT(T)                                                                   \
    NN_RTC_MAP(T, OpReciprocal<T>) NN_RTC_MAP(T, OpExp<T>) NN_RTC_MAP(T, OpLog<T>)        \
    NN_RTC_MAP(T, OpSqrt<T>) NN_RTC_MAP(T, OpRsqrt<T>) NN_RTC_MAP(T, OpSin<T>)            \
    NN_RTC_MAP(T, OpCos<T>) NN_RTC_MAP(T, OpTanh<T>) NN_RTC_MAP(T, OpSigmoid<T>)          \
    NN_RTC_MAP(T, OpGelu<T>) NN_RTC_MAP(T, OpGeluTanh<T>) NN_RTC_MAP(T, OpSilu<T>)        \
    NN_RTC_MAP(T, OpErf<T>) NN_RTC_MAP(T, OpLog1p<T>) NN_RTC_MAP(T, OpExpm1<T>)           \
    NN_RTC_MAP(T, OpFloor<T>) NN_RTC_MAP(T, OpCeil<T>) NN_RTC_MAP(T, OpRound<T>)          \
    NN_RTC_MAP(T, OpTrunc<T>) NN_RTC_MAP(T, OpRdivScalar<T>) NN_RTC_MAP(T, OpPowScalar<T>) \
    NN_RTC_MAP(T, OpRpowScalar<T>) NN_RTC_MAP(T, OpLeakyRelu<T>) NN_RTC_MAP(T, OpElu<T>)  \
    NN_RTC_ZIP(T, OpDiv<T>) NN_RTC_CMP_SCALAR(T, T)

NN_RTC_ANY(float) NN_RTC_FLOAT(float)
NN_RTC_ANY(double) NN_RTC_FLOAT(double)
NN_RTC_ANY(int64_t) NN_RTC_CMP_SCALAR(int64_t, double)
NN_RTC_ANY(int32_t) NN_RTC_CMP_SCALAR(int32_t, double)
NN_RTC_ANY(uint8_t) NN_RTC_CMP_SCALAR(uint8_t, double)

// Casts between every pair of dtypes (Bool is uint8_t with the ToBool rule).
#define NN_RTC_CAST_TO(TOut, TIn) NN_RTC_KERNEL(2, CastBody<TOut, false, TIn>)
#define NN_RTC_CAST_FROM(TIn)                                                             \
    NN_RTC_CAST_TO(float, TIn) NN_RTC_CAST_TO(double, TIn) NN_RTC_CAST_TO(int64_t, TIn)   \
    NN_RTC_CAST_TO(int32_t, TIn) NN_RTC_CAST_TO(uint8_t, TIn) NN_RTC_KERNEL(2, CastBody<uint8_t, true, TIn>)
NN_RTC_CAST_FROM(float) NN_RTC_CAST_FROM(double) NN_RTC_CAST_FROM(int64_t) NN_RTC_CAST_FROM(int32_t) NN_RTC_CAST_FROM(uint8_t)

template __global__ void elementwise_kernel<int64_t, 2, MapBody<float, float, OpExp<float>>>(Geometry, MapBody<float, float, OpExp<float>>);
template __global__ void elementwise_kernel<int64_t, 3, ZipBody<double, double, OpAdd<double>>>(Geometry, ZipBody<double, double, OpAdd<double>>);
template __global__ void elementwise_kernel<int64_t, 4, WhereBody<int64_t>>(Geometry, WhereBody<int64_t>);

}  // namespace
}  // namespace nn
#endif  // __CUDACC_RTC__
