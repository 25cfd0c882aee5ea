// CUDA launchers for the non-elementwise kernels of nativenet.h. The kernel bodies and
// their validation live in native/src/kernels_impl.h and kernels_dispatch.h (shared with
// the host-side tests); each launcher only binds the CUDA executor to a stream.
#include "kernels_impl.h"
#include "cuda_exec.cuh"

#if !defined(__CUDACC_RTC__)
namespace {
inline nn::CudaExec exec(void* stream, const char* fn) { return nn::CudaExec{static_cast<cudaStream_t>(stream), fn}; }
}  // namespace

extern "C" {

NN_API size_t nn_reduce_workspace_size(nn_reduce_op op, int32_t dtype, int64_t outer, int64_t reduce, int64_t inner) {
    if (outer < 0 || reduce < 0 || inner < 0 || nn::dtype_size(dtype) == 0) return 0;
    return nn::reduce_workspace(static_cast<int>(op), dtype, outer, reduce, inner);
}

NN_API nn_status nn_reduce(nn_reduce_op op, void* out, const void* in, int32_t dtype, int64_t outer, int64_t reduce,
                           int64_t inner, void* workspace, size_t workspace_bytes, void* stream) {
    auto ex = exec(stream, "nn_reduce");
    return nn::reduce_impl(ex, static_cast<int>(op), out, in, dtype, outer, reduce, inner, workspace, workspace_bytes);
}

NN_API nn_status nn_softmax(void* out, const void* in, int32_t dtype, int64_t outer, int64_t dim, int64_t inner, int32_t log,
                            void* stream) {
    auto ex = exec(stream, "nn_softmax");
    return nn::softmax_impl(ex, out, in, dtype, outer, dim, inner, log);
}

NN_API nn_status nn_index_select(void* out, const void* in, int32_t dtype, int64_t outer, int64_t n, int64_t inner,
                                 const int64_t* index, int64_t k, int32_t* error_flag, void* stream) {
    auto ex = exec(stream, "nn_index_select");
    return nn::index_select_impl(ex, out, in, dtype, outer, n, inner, index, k, error_flag);
}

NN_API nn_status nn_index_add(void* dst, const void* src, int32_t dtype, int64_t outer, int64_t n, int64_t inner,
                              const int64_t* index, int64_t k, int32_t* error_flag, void* stream) {
    auto ex = exec(stream, "nn_index_add");
    return nn::index_add_impl(ex, dst, src, dtype, outer, n, inner, index, k, error_flag);
}

NN_API nn_status nn_gather(nn_tensor_desc out, nn_tensor_desc in, nn_tensor_desc index, int32_t dim, int32_t* error_flag,
                           void* stream) {
    auto ex = exec(stream, "nn_gather");
    return nn::gather_impl(ex, out, in, index, dim, error_flag);
}

NN_API nn_status nn_scatter_add(nn_tensor_desc dst, nn_tensor_desc src, nn_tensor_desc index, int32_t dim,
                                int32_t* error_flag, void* stream) {
    auto ex = exec(stream, "nn_scatter_add");
    return nn::scatter_add_impl(ex, dst, src, index, dim, error_flag);
}

NN_API nn_status nn_max_pool2d(void* out, int64_t* indices, const void* in, int32_t dtype, nn_conv2d_params p, void* stream) {
    auto ex = exec(stream, "nn_max_pool2d");
    return nn::max_pool2d_impl(ex, out, indices, in, dtype, p);
}

NN_API nn_status nn_max_pool2d_backward(void* grad_in, const void* grad_out, const int64_t* indices, int32_t dtype,
                                        nn_conv2d_params p, void* stream) {
    auto ex = exec(stream, "nn_max_pool2d_backward");
    return nn::max_pool2d_backward_impl(ex, grad_in, grad_out, indices, dtype, p);
}

NN_API nn_status nn_avg_pool2d(void* out, const void* in, int32_t dtype, nn_conv2d_params p, void* stream) {
    auto ex = exec(stream, "nn_avg_pool2d");
    return nn::avg_pool2d_impl(ex, out, in, dtype, p, false);
}

NN_API nn_status nn_avg_pool2d_backward(void* grad_in, const void* grad_out, int32_t dtype, nn_conv2d_params p,
                                        void* stream) {
    auto ex = exec(stream, "nn_avg_pool2d_backward");
    return nn::avg_pool2d_impl(ex, grad_in, grad_out, dtype, p, true);
}

NN_API nn_status nn_adaptive_avg_pool2d(void* out, const void* in, int32_t dtype, int64_t planes, int64_t h, int64_t w,
                                        int64_t oh, int64_t ow, void* stream) {
    auto ex = exec(stream, "nn_adaptive_avg_pool2d");
    return nn::adaptive_avg_pool2d_impl(ex, out, in, dtype, planes, h, w, oh, ow, false);
}

NN_API nn_status nn_adaptive_avg_pool2d_backward(void* grad_in, const void* grad_out, int32_t dtype, int64_t planes,
                                                 int64_t h, int64_t w, int64_t oh, int64_t ow, void* stream) {
    auto ex = exec(stream, "nn_adaptive_avg_pool2d_backward");
    return nn::adaptive_avg_pool2d_impl(ex, grad_in, grad_out, dtype, planes, h, w, oh, ow, true);
}

NN_API nn_status nn_im2col(void* col, const void* in, int32_t dtype, nn_conv2d_params p, int64_t n0, int64_t nb,
                           void* stream) {
    auto ex = exec(stream, "nn_im2col");
    return nn::im2col_impl(ex, col, in, dtype, p, n0, nb, false);
}

NN_API nn_status nn_col2im(void* grad_in, const void* col, int32_t dtype, nn_conv2d_params p, int64_t n0, int64_t nb,
                           void* stream) {
    auto ex = exec(stream, "nn_col2im");
    return nn::im2col_impl(ex, grad_in, col, dtype, p, n0, nb, true);
}

NN_API nn_status nn_random(void* out, int32_t dtype, int64_t count, int32_t normal, double a, double b, uint64_t seed,
                           uint64_t offset, void* stream) {
    auto ex = exec(stream, "nn_random");
    return nn::random_impl(ex, out, dtype, count, normal, a, b, seed, offset);
}

NN_API nn_status nn_matmul_int(nn_tensor_desc c, nn_tensor_desc a, nn_tensor_desc b, void* stream) {
    auto ex = exec(stream, "nn_matmul_int");
    return nn::matmul_int_impl(ex, c, a, b);
}

NN_API nn_status nn_sgd_step(void* param, const void* grad, void* momentum_buffer, int32_t dtype, int64_t n,
                             nn_sgd_params p, void* stream) {
    auto ex = exec(stream, "nn_sgd_step");
    return nn::sgd_impl(ex, param, grad, momentum_buffer, dtype, n, p);
}

NN_API nn_status nn_adam_step(void* param, const void* grad, void* exp_avg, void* exp_avg_sq, void* max_exp_avg_sq,
                              int32_t dtype, int64_t n, nn_adam_params p, void* stream) {
    auto ex = exec(stream, "nn_adam_step");
    return nn::adam_impl(ex, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, dtype, n, p);
}

NN_API nn_status nn_rmsprop_step(void* param, const void* grad, void* square_avg, void* grad_avg, void* momentum_buffer,
                                 int32_t dtype, int64_t n, nn_rmsprop_params p, void* stream) {
    auto ex = exec(stream, "nn_rmsprop_step");
    return nn::rmsprop_impl(ex, param, grad, square_avg, grad_avg, momentum_buffer, dtype, n, p);
}

}  // extern "C"
#else
// ---------------------------------------------------------------------------------------------
// NVRTC compile check: every body above, for every dtype its dispatch accepts.
namespace nn {
namespace {

#define NN_RTC_LINEAR(...) template __global__ void linear_kernel<__VA_ARGS__>(int64_t, __VA_ARGS__);

#define NN_RTC_REDUCE(T)                                                                  \
    NN_RTC_LINEAR(ReduceBody<T, NN_REDUCE_SUM>) NN_RTC_LINEAR(ReduceBody<T, NN_REDUCE_PROD>) \
    NN_RTC_LINEAR(ReduceBody<T, NN_REDUCE_MAX>) NN_RTC_LINEAR(ReduceBody<T, NN_REDUCE_MIN>) \
    NN_RTC_LINEAR(ReduceBody<T, NN_REDUCE_ARGMAX>) NN_RTC_LINEAR(ReduceBody<T, NN_REDUCE_ARGMIN>)
NN_RTC_REDUCE(float) NN_RTC_REDUCE(double) NN_RTC_REDUCE(int64_t) NN_RTC_REDUCE(int32_t) NN_RTC_REDUCE(uint8_t)

#define NN_RTC_WORD(W) NN_RTC_LINEAR(IndexSelectBody<W>) NN_RTC_LINEAR(GatherBody<W>)
NN_RTC_WORD(uint8_t) NN_RTC_WORD(uint32_t) NN_RTC_WORD(uint64_t)

#define NN_RTC_ACCUMULATE(T) NN_RTC_LINEAR(IndexAddBody<T>) NN_RTC_LINEAR(ScatterAddBody<T>)
NN_RTC_ACCUMULATE(float) NN_RTC_ACCUMULATE(double) NN_RTC_ACCUMULATE(int64_t) NN_RTC_ACCUMULATE(int32_t)

#define NN_RTC_FLOAT(T)                                                                   \
    NN_RTC_LINEAR(SoftmaxBody<T>) NN_RTC_LINEAR(MaxPoolBody<T>) NN_RTC_LINEAR(ZeroBody<T>) \
    NN_RTC_LINEAR(MaxPoolBackwardBody<T>) NN_RTC_LINEAR(AvgPoolBody<T>) NN_RTC_LINEAR(AvgPoolBackwardBody<T>) \
    NN_RTC_LINEAR(AdaptiveAvgPoolBody<T>) NN_RTC_LINEAR(AdaptiveAvgPoolBackwardBody<T>)  \
    NN_RTC_LINEAR(Im2ColBody<T>) NN_RTC_LINEAR(Col2ImBody<T>) NN_RTC_LINEAR(RandomBody<T>) \
    NN_RTC_LINEAR(SgdBody<T>) NN_RTC_LINEAR(AdamBody<T>) NN_RTC_LINEAR(RmsPropBody<T>)
NN_RTC_FLOAT(float) NN_RTC_FLOAT(double)

NN_RTC_LINEAR(MatMulIntBody<int64_t>) NN_RTC_LINEAR(MatMulIntBody<int32_t>)

}  // namespace
}  // namespace nn
#endif  // __CUDACC_RTC__
