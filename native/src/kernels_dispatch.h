// Host side of kernels_impl.h: argument validation, dtype dispatch and launch plans.
// Included by kernels_impl.h outside NVRTC; each *_impl runs on any executor.
#pragma once

namespace nn {

// ------------------------------------------------------------------ helpers
inline nn_status need(bool ok, const char* fn, const char* what) {
    return ok ? NN_SUCCESS : set_error(NN_ERROR_INVALID_VALUE, "%s: %s", fn, what);
}

template <typename Fn>
nn_status with_float_dtype(const char* fn, int32_t dtype, Fn&& f) {
    switch (dtype) {
        case NN_DTYPE_FLOAT32: return f(float{});
        case NN_DTYPE_FLOAT64: return f(double{});
        default:
            return set_error(NN_ERROR_NOT_SUPPORTED, "%s: needs a Float32 or Float64 tensor, got %s", fn, dtype_name(dtype));
    }
}

// Float32/Float64/Int64/Int32: the dtypes with atomic adds.
template <typename Fn>
nn_status with_accumulable_dtype(const char* fn, int32_t dtype, Fn&& f) {
    switch (dtype) {
        case NN_DTYPE_FLOAT32: return f(float{});
        case NN_DTYPE_FLOAT64: return f(double{});
        case NN_DTYPE_INT64: return f(int64_t{});
        case NN_DTYPE_INT32: return f(int32_t{});
        default:
            return set_error(NN_ERROR_NOT_SUPPORTED, "%s: not defined for %s (Float32, Float64, Int64, Int32 only)", fn,
                             dtype_name(dtype));
    }
}

// Calls f(Word{}) with an unsigned type of the dtype's size (index kernels move bytes).
template <typename Fn>
nn_status with_word(const char* fn, int32_t dtype, Fn&& f) {
    switch (dtype_size(dtype)) {
        case 1: return f(uint8_t{});
        case 4: return f(uint32_t{});
        case 8: return f(uint64_t{});
        default: return set_error(NN_ERROR_INVALID_VALUE, "%s: unknown dtype value %d", fn, static_cast<int>(dtype));
    }
}

// ------------------------------------------------------------------ reductions
constexpr int64_t kReduceChunk = 1024;      // elements of the reduced axis per thread in a partial pass
constexpr int64_t kReduceParallel = 16384;  // below this many outputs, long axes are split into chunks
constexpr int kReduceMaxLevels = 8;

// Sizes of the reduced axis after each partial pass (empty: one direct pass suffices).
inline int reduce_levels(int64_t outer, int64_t reduce, int64_t inner, int64_t* sizes) {
    int n = 0;
    int64_t r = reduce;
    while (r > kReduceChunk && outer * inner < kReduceParallel && n < kReduceMaxLevels) {
        r = (r + kReduceChunk - 1) / kReduceChunk;
        sizes[n++] = r;
    }
    return n;
}

inline size_t align_up(size_t v) { return (v + 255) & ~static_cast<size_t>(255); }

inline bool is_arg_op(int op) { return op == NN_REDUCE_ARGMAX || op == NN_REDUCE_ARGMIN; }

inline size_t reduce_workspace(int op, int32_t dtype, int64_t outer, int64_t reduce, int64_t inner) {
    int64_t sizes[kReduceMaxLevels];
    const int n = reduce_levels(outer, reduce, inner, sizes);
    size_t bytes = 0;
    for (int l = 0; l < n; ++l) {
        const size_t count = static_cast<size_t>(outer * sizes[l] * inner);
        bytes += align_up(count * dtype_size(dtype));
        if (is_arg_op(op)) bytes += align_up(count * sizeof(int64_t));
    }
    return bytes;
}

template <class Exec, typename T, int Op>
nn_status reduce_typed(Exec& ex, void* out, const void* in, int64_t outer, int64_t reduce, int64_t inner,
                       char* workspace) {
    constexpr bool kArg = Op == NN_REDUCE_ARGMAX || Op == NN_REDUCE_ARGMIN;
    int64_t sizes[kReduceMaxLevels];
    const int levels = reduce_levels(outer, reduce, inner, sizes);
    const T* src = static_cast<const T*>(in);
    const int64_t* src_idx = nullptr;
    int64_t r = reduce;
    char* ws = workspace;
    for (int l = 0; l < levels; ++l) {
        const int64_t count = outer * sizes[l] * inner;
        T* part = reinterpret_cast<T*>(ws);
        ws += align_up(static_cast<size_t>(count) * sizeof(T));
        int64_t* part_idx = nullptr;
        if (kArg) {
            part_idx = reinterpret_cast<int64_t*>(ws);
            ws += align_up(static_cast<size_t>(count) * sizeof(int64_t));
        }
        nn_status st = ex.launch(count, ReduceBody<T, Op>{src, src_idx, part, part_idx, r, inner, kReduceChunk, sizes[l]});
        if (st != NN_SUCCESS) return st;
        src = part;
        src_idx = part_idx;
        r = sizes[l];
    }
    const int64_t chunk = r > 0 ? r : 1;
    if (kArg)
        return ex.launch(outer * inner, ReduceBody<T, Op>{src, src_idx, nullptr, static_cast<int64_t*>(out), r, inner, chunk, 1});
    return ex.launch(outer * inner, ReduceBody<T, Op>{src, src_idx, static_cast<T*>(out), nullptr, r, inner, chunk, 1});
}

template <class Exec>
nn_status reduce_impl(Exec& ex, int op, void* out, const void* in, int32_t dtype, int64_t outer, int64_t reduce,
                      int64_t inner, void* workspace, size_t workspace_bytes) {
    const char* fn = "nn_reduce";
    clear_error();
    if (op < NN_REDUCE_SUM || op > NN_REDUCE_ARGMIN) return set_error(NN_ERROR_INVALID_VALUE, "%s: unknown op value %d", fn, op);
    if (dtype_size(dtype) == 0) return set_error(NN_ERROR_INVALID_VALUE, "%s: unknown dtype value %d", fn, static_cast<int>(dtype));
    if (outer < 0 || reduce < 0 || inner < 0)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: negative size [%lld, %lld, %lld]", fn, static_cast<long long>(outer),
                         static_cast<long long>(reduce), static_cast<long long>(inner));
    if (outer * inner == 0) return NN_SUCCESS;
    if (out == nullptr || (reduce > 0 && in == nullptr)) return set_error(NN_ERROR_INVALID_VALUE, "%s: NULL data pointer", fn);
    const size_t need_ws = reduce_workspace(op, dtype, outer, reduce, inner);
    if (workspace_bytes < need_ws || (need_ws > 0 && workspace == nullptr))
        return set_error(NN_ERROR_INVALID_VALUE, "%s: workspace of %zu bytes is too small (%zu needed)", fn, workspace_bytes, need_ws);
    char* ws = static_cast<char*>(workspace);
    return with_dtype(dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        switch (op) {
            case NN_REDUCE_SUM: return reduce_typed<Exec, T, NN_REDUCE_SUM>(ex, out, in, outer, reduce, inner, ws);
            case NN_REDUCE_PROD: return reduce_typed<Exec, T, NN_REDUCE_PROD>(ex, out, in, outer, reduce, inner, ws);
            case NN_REDUCE_MAX: return reduce_typed<Exec, T, NN_REDUCE_MAX>(ex, out, in, outer, reduce, inner, ws);
            case NN_REDUCE_MIN: return reduce_typed<Exec, T, NN_REDUCE_MIN>(ex, out, in, outer, reduce, inner, ws);
            case NN_REDUCE_ARGMAX: return reduce_typed<Exec, T, NN_REDUCE_ARGMAX>(ex, out, in, outer, reduce, inner, ws);
            default: return reduce_typed<Exec, T, NN_REDUCE_ARGMIN>(ex, out, in, outer, reduce, inner, ws);
        }
    });
}

// ------------------------------------------------------------------ softmax
template <class Exec>
nn_status softmax_impl(Exec& ex, void* out, const void* in, int32_t dtype, int64_t outer, int64_t dim, int64_t inner,
                       int32_t log) {
    const char* fn = log ? "nn_softmax(log)" : "nn_softmax";
    clear_error();
    nn_status st = need(outer >= 0 && dim >= 0 && inner >= 0, fn, "negative size");
    if (st != NN_SUCCESS) return st;
    if (outer * dim * inner == 0) return NN_SUCCESS;
    st = need(out != nullptr && in != nullptr, fn, "NULL data pointer");
    if (st != NN_SUCCESS) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.launch(outer * inner, SoftmaxBody<T>{static_cast<T*>(out), static_cast<const T*>(in), dim, inner, log});
    });
}

// ------------------------------------------------------------------ index ops
inline nn_status check_axis(const char* fn, int64_t outer, int64_t n, int64_t inner, int64_t k, const void* index) {
    if (outer < 0 || n < 0 || inner < 0 || k < 0)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: negative size (outer %lld, n %lld, inner %lld, k %lld)", fn,
                         static_cast<long long>(outer), static_cast<long long>(n), static_cast<long long>(inner),
                         static_cast<long long>(k));
    if (k > 0 && index == nullptr) return set_error(NN_ERROR_INVALID_VALUE, "%s: index is NULL", fn);
    return NN_SUCCESS;
}

template <class Exec>
nn_status index_select_impl(Exec& ex, void* out, const void* in, int32_t dtype, int64_t outer, int64_t n, int64_t inner,
                            const int64_t* index, int64_t k, int32_t* error_flag) {
    const char* fn = "nn_index_select";
    clear_error();
    nn_status st = check_axis(fn, outer, n, inner, k, index);
    if (st != NN_SUCCESS || outer * k * inner == 0) return st;
    return with_word(fn, dtype, [&](auto tag) -> nn_status {
        using W = decltype(tag);
        return ex.launch(outer * k * inner,
                         IndexSelectBody<W>{static_cast<W*>(out), static_cast<const W*>(in), index, error_flag, n, inner, k});
    });
}

template <class Exec>
nn_status index_add_impl(Exec& ex, void* dst, const void* src, int32_t dtype, int64_t outer, int64_t n, int64_t inner,
                         const int64_t* index, int64_t k, int32_t* error_flag) {
    const char* fn = "nn_index_add";
    clear_error();
    nn_status st = check_axis(fn, outer, n, inner, k, index);
    if (st != NN_SUCCESS || outer * k * inner == 0) return st;
    return with_accumulable_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.launch(outer * k * inner,
                         IndexAddBody<T>{static_cast<T*>(dst), static_cast<const T*>(src), index, error_flag, n, inner, k});
    });
}

inline nn_status check_indexed(const char* fn, const nn_tensor_desc& target, const nn_tensor_desc& other,
                               const nn_tensor_desc& index, int32_t dim, int64_t* count) {
    char a[256], b[256];
    if (index.dtype != NN_DTYPE_INT64)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: index dtype is %s; expected Int64", fn, dtype_name(index.dtype));
    if (target.dtype != other.dtype)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: dtypes differ (%s and %s)", fn, dtype_name(target.dtype), dtype_name(other.dtype));
    if (index.ndim < 1 || index.ndim > NN_MAX_DIMS || target.ndim != index.ndim || other.ndim != index.ndim)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: tensor ranks differ (%d, %d, index %d)", fn, static_cast<int>(target.ndim),
                         static_cast<int>(other.ndim), static_cast<int>(index.ndim));
    if (dim < 0 || dim >= index.ndim) return set_error(NN_ERROR_INVALID_VALUE, "%s: dim %d out of range", fn, static_cast<int>(dim));
    int64_t n = 1;
    for (int d = 0; d < index.ndim; ++d) {
        if (other.shape[d] != index.shape[d] || (d != dim && index.shape[d] > target.shape[d]))
            return set_error(NN_ERROR_INVALID_VALUE, "%s: index shape %s does not fit %s", fn, format_shape(index, a, sizeof a),
                             format_shape(target, b, sizeof b));
        n *= index.shape[d];
    }
    *count = n;
    if (n > 0 && (index.data == nullptr || target.data == nullptr || other.data == nullptr))
        return set_error(NN_ERROR_INVALID_VALUE, "%s: NULL data pointer", fn);
    return NN_SUCCESS;
}

template <class Exec>
nn_status gather_impl(Exec& ex, const nn_tensor_desc& out, const nn_tensor_desc& in, const nn_tensor_desc& index,
                      int32_t dim, int32_t* error_flag) {
    const char* fn = "nn_gather";
    clear_error();
    int64_t count = 0;
    nn_status st = check_indexed(fn, in, out, index, dim, &count);
    if (st != NN_SUCCESS || count == 0) return st;
    return with_word(fn, in.dtype, [&](auto tag) -> nn_status {
        using W = decltype(tag);
        return ex.launch(count, GatherBody<W>{IndexedGeometry{index, in, out, dim}, error_flag});
    });
}

template <class Exec>
nn_status scatter_add_impl(Exec& ex, const nn_tensor_desc& dst, const nn_tensor_desc& src, const nn_tensor_desc& index,
                           int32_t dim, int32_t* error_flag) {
    const char* fn = "nn_scatter_add";
    clear_error();
    int64_t count = 0;
    nn_status st = check_indexed(fn, dst, src, index, dim, &count);
    if (st != NN_SUCCESS || count == 0) return st;
    return with_accumulable_dtype(fn, dst.dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.launch(count, ScatterAddBody<T>{IndexedGeometry{index, dst, src, dim}, error_flag});
    });
}

// ------------------------------------------------------------------ pooling and convolution helpers
inline nn_status check_conv(const char* fn, const nn_conv2d_params& p) {
    if (p.n < 0 || p.c < 0 || p.h < 0 || p.w < 0 || p.oh < 0 || p.ow < 0 || p.kh < 1 || p.kw < 1 || p.stride_h < 1 ||
        p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1 || p.pad_h < 0 || p.pad_w < 0)
        return set_error(NN_ERROR_INVALID_VALUE,
                         "%s: invalid geometry (input [%lld, %lld, %lld, %lld], kernel %lldx%lld, output %lldx%lld, stride %lldx%lld, "
                         "padding %lldx%lld, dilation %lldx%lld)",
                         fn, static_cast<long long>(p.n), static_cast<long long>(p.c), static_cast<long long>(p.h),
                         static_cast<long long>(p.w), static_cast<long long>(p.kh), static_cast<long long>(p.kw),
                         static_cast<long long>(p.oh), static_cast<long long>(p.ow), static_cast<long long>(p.stride_h),
                         static_cast<long long>(p.stride_w), static_cast<long long>(p.pad_h), static_cast<long long>(p.pad_w),
                         static_cast<long long>(p.dilation_h), static_cast<long long>(p.dilation_w));
    return NN_SUCCESS;
}

template <class Exec>
nn_status max_pool2d_impl(Exec& ex, void* out, int64_t* indices, const void* in, int32_t dtype, const nn_conv2d_params& p) {
    const char* fn = "nn_max_pool2d";
    clear_error();
    nn_status st = check_conv(fn, p);
    const int64_t count = p.n * p.c * p.oh * p.ow;
    if (st != NN_SUCCESS || count == 0) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.launch(count, MaxPoolBody<T>{static_cast<T*>(out), indices, static_cast<const T*>(in), p});
    });
}

template <class Exec>
nn_status max_pool2d_backward_impl(Exec& ex, void* grad_in, const void* grad_out, const int64_t* indices, int32_t dtype,
                                   const nn_conv2d_params& p) {
    const char* fn = "nn_max_pool2d_backward";
    clear_error();
    nn_status st = check_conv(fn, p);
    if (st != NN_SUCCESS) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        const int64_t n_in = p.n * p.c * p.h * p.w, n_out = p.n * p.c * p.oh * p.ow;
        if (n_in == 0) return NN_SUCCESS;
        nn_status s = ex.launch(n_in, ZeroBody<T>{static_cast<T*>(grad_in)});
        if (s != NN_SUCCESS || n_out == 0) return s;
        return ex.launch(n_out, MaxPoolBackwardBody<T>{static_cast<T*>(grad_in), static_cast<const T*>(grad_out), indices, p});
    });
}

template <class Exec>
nn_status avg_pool2d_impl(Exec& ex, void* out, const void* in, int32_t dtype, const nn_conv2d_params& p, bool backward) {
    const char* fn = backward ? "nn_avg_pool2d_backward" : "nn_avg_pool2d";
    clear_error();
    nn_status st = check_conv(fn, p);
    if (st != NN_SUCCESS) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        if (backward) {
            const int64_t count = p.n * p.c * p.h * p.w;
            return count == 0 ? NN_SUCCESS
                              : ex.launch(count, AvgPoolBackwardBody<T>{static_cast<T*>(out), static_cast<const T*>(in), p});
        }
        const int64_t count = p.n * p.c * p.oh * p.ow;
        return count == 0 ? NN_SUCCESS : ex.launch(count, AvgPoolBody<T>{static_cast<T*>(out), static_cast<const T*>(in), p});
    });
}

template <class Exec>
nn_status adaptive_avg_pool2d_impl(Exec& ex, void* out, const void* in, int32_t dtype, int64_t planes, int64_t h, int64_t w,
                                   int64_t oh, int64_t ow, bool backward) {
    const char* fn = backward ? "nn_adaptive_avg_pool2d_backward" : "nn_adaptive_avg_pool2d";
    clear_error();
    if (planes < 0 || h < 0 || w < 0 || oh < 0 || ow < 0 || (planes > 0 && (h == 0 || w == 0) && oh * ow > 0))
        return set_error(NN_ERROR_INVALID_VALUE, "%s: invalid sizes (planes %lld, %lldx%lld -> %lldx%lld)", fn,
                         static_cast<long long>(planes), static_cast<long long>(h), static_cast<long long>(w),
                         static_cast<long long>(oh), static_cast<long long>(ow));
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        if (backward) {
            const int64_t count = planes * h * w;
            return count == 0 ? NN_SUCCESS
                              : ex.launch(count, AdaptiveAvgPoolBackwardBody<T>{static_cast<T*>(out), static_cast<const T*>(in), h, w, oh, ow});
        }
        const int64_t count = planes * oh * ow;
        return count == 0 ? NN_SUCCESS
                          : ex.launch(count, AdaptiveAvgPoolBody<T>{static_cast<T*>(out), static_cast<const T*>(in), h, w, oh, ow});
    });
}

template <class Exec>
nn_status im2col_impl(Exec& ex, void* col, const void* in, int32_t dtype, const nn_conv2d_params& p, int64_t n0, int64_t nb,
                      bool backward) {
    const char* fn = backward ? "nn_col2im" : "nn_im2col";
    clear_error();
    nn_status st = check_conv(fn, p);
    if (st != NN_SUCCESS) return st;
    if (n0 < 0 || nb < 0 || n0 + nb > p.n)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: samples [%lld, %lld) outside a batch of %lld", fn, static_cast<long long>(n0),
                         static_cast<long long>(n0 + nb), static_cast<long long>(p.n));
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        if (backward) {
            const int64_t count = nb * p.c * p.h * p.w;
            return count == 0 ? NN_SUCCESS
                              : ex.launch(count, Col2ImBody<T>{static_cast<T*>(col), static_cast<const T*>(in), p, n0, nb});
        }
        const int64_t count = p.c * p.kh * p.kw * nb * p.oh * p.ow;
        return count == 0 ? NN_SUCCESS
                          : ex.launch(count, Im2ColBody<T>{static_cast<T*>(col), static_cast<const T*>(in), p, n0, nb});
    });
}

// ------------------------------------------------------------------ random, integer matmul
template <class Exec>
nn_status random_impl(Exec& ex, void* out, int32_t dtype, int64_t count, int32_t normal, double a, double b, uint64_t seed,
                      uint64_t offset) {
    const char* fn = "nn_random";
    clear_error();
    nn_status st = need(count >= 0 && (count == 0 || out != nullptr), fn, "invalid count or NULL output");
    if (st != NN_SUCCESS || count == 0) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.launch(count, RandomBody<T>{static_cast<T*>(out), seed, offset, a, b, normal});
    });
}

template <class Exec>
nn_status matmul_int_impl(Exec& ex, const nn_tensor_desc& c, const nn_tensor_desc& a, const nn_tensor_desc& b) {
    const char* fn = "nn_matmul_int";
    clear_error();
    char sa[256], sb[256], sc[256];
    if (a.ndim != 2 || b.ndim != 2 || c.ndim != 2 || a.shape[1] != b.shape[0] || c.shape[0] != a.shape[0] ||
        c.shape[1] != b.shape[1])
        return set_error(NN_ERROR_INVALID_VALUE, "%s: shapes %s x %s -> %s do not multiply", fn, format_shape(a, sa, sizeof sa),
                         format_shape(b, sb, sizeof sb), format_shape(c, sc, sizeof sc));
    if (a.dtype != b.dtype || c.dtype != a.dtype)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: dtypes differ", fn);
    if (c.strides[1] != 1 || c.strides[0] != c.shape[1])
        return set_error(NN_ERROR_INVALID_VALUE, "%s: the output must be dense row-major", fn);
    const int64_t count = c.shape[0] * c.shape[1];
    if (count == 0) return NN_SUCCESS;
    auto go = [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.launch(count, MatMulIntBody<T>{static_cast<T*>(c.data), static_cast<const T*>(a.data), static_cast<const T*>(b.data),
                                                 c.shape[1], a.shape[1], a.strides[0], a.strides[1], b.strides[0], b.strides[1]});
    };
    if (a.dtype == NN_DTYPE_INT64) return go(int64_t{});
    if (a.dtype == NN_DTYPE_INT32) return go(int32_t{});
    return set_error(NN_ERROR_NOT_SUPPORTED, "%s: Int64 and Int32 only (float GEMM goes through cuBLAS), got %s", fn,
                     dtype_name(a.dtype));
}

// ------------------------------------------------------------------ optimizer steps
template <class Exec>
nn_status sgd_impl(Exec& ex, void* param, const void* grad, void* buf, int32_t dtype, int64_t n, const nn_sgd_params& a) {
    const char* fn = "nn_sgd_step";
    clear_error();
    nn_status st = need(n >= 0 && (n == 0 || (param != nullptr && grad != nullptr)), fn, "invalid size or NULL buffer");
    if (st != NN_SUCCESS || n == 0) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        SgdBody<T> b{static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(buf),
                     static_cast<T>(-a.lr), static_cast<T>(a.weight_decay), static_cast<T>(a.momentum),
                     static_cast<T>(1 - a.dampening), a.weight_decay != 0, a.momentum != 0 && buf != nullptr,
                     a.first_step != 0, a.nesterov != 0, a.maximize != 0};
        return ex.launch(n, b);
    });
}

template <class Exec>
nn_status adam_impl(Exec& ex, void* param, const void* grad, void* m, void* v, void* vmax, int32_t dtype, int64_t n,
                    const nn_adam_params& a) {
    const char* fn = "nn_adam_step";
    clear_error();
    nn_status st = need(n >= 0 && (n == 0 || (param && grad && m && v)), fn, "invalid size or NULL buffer");
    if (st != NN_SUCCESS || n == 0) return st;
    if (a.step < 1) return set_error(NN_ERROR_INVALID_VALUE, "%s: step must be >= 1, got %lld", fn, static_cast<long long>(a.step));
    const double bc1 = 1 - pow(a.beta1, static_cast<double>(a.step)), bc2 = 1 - pow(a.beta2, static_cast<double>(a.step));
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        AdamBody<T> b{static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(m), static_cast<T*>(v),
                      static_cast<T*>(vmax), static_cast<T>(-(a.lr / bc1)), static_cast<T>(sqrt(bc2)), static_cast<T>(a.eps),
                      static_cast<T>(a.beta1), static_cast<T>(1 - a.beta1), static_cast<T>(a.beta2), static_cast<T>(1 - a.beta2),
                      static_cast<T>(a.weight_decay), static_cast<T>(1 - a.lr * a.weight_decay),
                      a.weight_decay != 0 && !a.decoupled, a.weight_decay != 0 && a.decoupled,
                      a.amsgrad != 0 && vmax != nullptr, a.maximize != 0};
        return ex.launch(n, b);
    });
}

template <class Exec>
nn_status rmsprop_impl(Exec& ex, void* param, const void* grad, void* sq, void* ga, void* buf, int32_t dtype, int64_t n,
                       const nn_rmsprop_params& a) {
    const char* fn = "nn_rmsprop_step";
    clear_error();
    nn_status st = need(n >= 0 && (n == 0 || (param && grad && sq)), fn, "invalid size or NULL buffer");
    if (st != NN_SUCCESS || n == 0) return st;
    return with_float_dtype(fn, dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        RmsPropBody<T> b{static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(sq), static_cast<T*>(ga),
                         static_cast<T*>(buf), static_cast<T>(-a.lr), static_cast<T>(a.alpha), static_cast<T>(1 - a.alpha),
                         static_cast<T>(a.eps), static_cast<T>(a.weight_decay), static_cast<T>(a.momentum),
                         a.weight_decay != 0, a.centered != 0 && ga != nullptr, a.momentum > 0 && buf != nullptr, a.maximize != 0};
        return ex.launch(n, b);
    });
}

}  // namespace nn
