// Host-side helpers: status strings, per-thread error messages, descriptor validation
// and the broadcasting/coalescing of elementwise iteration spaces.
#include "nn_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace nn {

namespace {
thread_local char g_last_error[1024];
}

nn_status set_error(nn_status status, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(g_last_error, sizeof g_last_error, fmt, args);
    va_end(args);
    return status;
}

void clear_error() { g_last_error[0] = '\0'; }

size_t dtype_size(int32_t dtype) {
    switch (dtype) {
        case NN_DTYPE_FLOAT32: return 4;
        case NN_DTYPE_FLOAT64: return 8;
        case NN_DTYPE_INT64: return 8;
        case NN_DTYPE_INT32: return 4;
        case NN_DTYPE_BOOL: return 1;
        case NN_DTYPE_UINT8: return 1;
        default: return 0;
    }
}

const char* dtype_name(int32_t dtype) {
    switch (dtype) {
        case NN_DTYPE_FLOAT32: return "Float32";
        case NN_DTYPE_FLOAT64: return "Float64";
        case NN_DTYPE_INT64: return "Int64";
        case NN_DTYPE_INT32: return "Int32";
        case NN_DTYPE_BOOL: return "Bool";
        case NN_DTYPE_UINT8: return "UInt8";
        default: return "unknown";
    }
}

const char* format_shape(const nn_tensor_desc& t, char* buf, size_t len) {
    size_t pos = 0;
    int n = snprintf(buf, len, "[");
    pos = n > 0 ? static_cast<size_t>(n) : 0;
    const int ndim = (t.ndim >= 0 && t.ndim <= NN_MAX_DIMS) ? t.ndim : 0;
    for (int d = 0; d < ndim && pos < len; ++d) {
        n = snprintf(buf + pos, len - pos, d == 0 ? "%lld" : ", %lld", static_cast<long long>(t.shape[d]));
        if (n < 0) break;
        pos += static_cast<size_t>(n);
    }
    if (pos < len) snprintf(buf + pos, len - pos, "]");
    return buf;
}

namespace {

nn_status check_desc(const char* fn, const char* what, const nn_tensor_desc& t, int64_t* numel) {
    if (t.ndim < 0 || t.ndim > NN_MAX_DIMS)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: %s has ndim %d; expected 0..%d", fn, what,
                         static_cast<int>(t.ndim), NN_MAX_DIMS);
    if (dtype_size(t.dtype) == 0)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: %s has unknown dtype value %d", fn, what,
                         static_cast<int>(t.dtype));
    int64_t n = 1;
    for (int d = 0; d < t.ndim; ++d) {
        if (t.shape[d] < 0) {
            char s[256];
            return set_error(NN_ERROR_INVALID_VALUE, "%s: %s has a negative size in shape %s", fn, what,
                             format_shape(t, s, sizeof s));
        }
        if (t.shape[d] != 0 && n > INT64_MAX / t.shape[d]) {
            char s[256];
            return set_error(NN_ERROR_INVALID_VALUE, "%s: %s shape %s has too many elements", fn, what,
                             format_shape(t, s, sizeof s));
        }
        n *= t.shape[d];
    }
    *numel = n;
    return NN_SUCCESS;
}

}  // namespace

nn_status make_geometry(const char* fn, const nn_tensor_desc& out, const nn_tensor_desc* inputs, int n_inputs,
                        Geometry* g) {
    memset(g, 0, sizeof *g);
    if (n_inputs < 0 || n_inputs + 1 > kMaxOperands)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: internal error: %d inputs", fn, n_inputs);

    int64_t numel = 0;
    nn_status st = check_desc(fn, "output", out, &numel);
    if (st != NN_SUCCESS) return st;
    for (int k = 0; k < n_inputs; ++k) {
        int64_t in_numel = 0;
        st = check_desc(fn, n_inputs == 1 ? "input" : (k == 0 ? "input a" : "input b"), inputs[k], &in_numel);
        if (st != NN_SUCCESS) return st;
    }

    const int ndim = out.ndim;
    int64_t sizes[NN_MAX_DIMS];
    int64_t strides[kMaxOperands][NN_MAX_DIMS];
    for (int d = 0; d < ndim; ++d) {
        sizes[d] = out.shape[d];
        strides[0][d] = out.strides[d];
    }
    for (int k = 0; k < n_inputs; ++k) {
        const nn_tensor_desc& in = inputs[k];
        char so[256], si[256];
        if (in.ndim > ndim)
            return set_error(NN_ERROR_INVALID_VALUE, "%s: cannot broadcast input shape %s to output shape %s", fn,
                             format_shape(in, si, sizeof si), format_shape(out, so, sizeof so));
        const int lead = ndim - in.ndim;
        for (int d = 0; d < ndim; ++d) {
            const int j = d - lead;
            if (j < 0) {
                strides[k + 1][d] = 0;
            } else if (in.shape[j] == out.shape[d]) {
                strides[k + 1][d] = out.shape[d] == 1 ? 0 : in.strides[j];
            } else if (in.shape[j] == 1) {
                strides[k + 1][d] = 0;
            } else {
                return set_error(NN_ERROR_INVALID_VALUE, "%s: cannot broadcast input shape %s to output shape %s", fn,
                                 format_shape(in, si, sizeof si), format_shape(out, so, sizeof so));
            }
        }
    }
    for (int d = 0; d < ndim; ++d) {
        if (sizes[d] > 1 && strides[0][d] == 0) {
            char so[256];
            return set_error(NN_ERROR_INVALID_VALUE,
                             "%s: output shape %s has stride 0 in dimension %d: a broadcast view cannot be written", fn,
                             format_shape(out, so, sizeof so), d);
        }
    }

    g->numel = numel;
    if (numel == 0) {
        g->ndim = 0;
        g->contiguous = 1;
        return NN_SUCCESS;
    }
    if (out.data == nullptr)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: output data is NULL", fn);
    for (int k = 0; k < n_inputs; ++k)
        if (inputs[k].data == nullptr)
            return set_error(NN_ERROR_INVALID_VALUE, "%s: input %d data is NULL", fn, k);

    // Innermost first, without size-1 dimensions, merging an outer dimension into the
    // previous (inner) one when it is contiguous with it in every operand.
    const int n_ops = n_inputs + 1;
    int m = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        if (sizes[d] == 1) continue;
        if (m > 0) {
            bool merge = true;
            for (int k = 0; k < n_ops; ++k)
                if (strides[k][d] != g->strides[k][m - 1] * g->sizes[m - 1]) merge = false;
            if (merge) {
                g->sizes[m - 1] *= sizes[d];
                continue;
            }
        }
        g->sizes[m] = sizes[d];
        for (int k = 0; k < n_ops; ++k) g->strides[k][m] = strides[k][d];
        ++m;
    }
    g->ndim = m;
    bool contiguous = m <= 1;
    if (m == 1)
        for (int k = 0; k < n_ops; ++k)
            if (g->strides[k][0] != 1) contiguous = false;
    g->contiguous = contiguous ? 1 : 0;
    return NN_SUCCESS;
}

bool fits_int32(const Geometry& g, int n_operands) {
    const int64_t limit = INT32_MAX;
    if (g.numel > limit) return false;
    for (int k = 0; k < n_operands; ++k) {
        int64_t span = 0;
        for (int d = 0; d < g.ndim; ++d) {
            const int64_t s = g.strides[k][d] < 0 ? -g.strides[k][d] : g.strides[k][d];
            if (s != 0 && g.sizes[d] - 1 > limit / s) return false;
            span += s * (g.sizes[d] - 1);
            if (span > limit) return false;
        }
    }
    return true;
}

}  // namespace nn

extern "C" {

NN_API int32_t nn_abi_version(void) { return NN_ABI_VERSION; }

NN_API const char* nn_status_string(nn_status status) {
    switch (status) {
        case NN_SUCCESS: return "NN_SUCCESS";
        case NN_ERROR_INVALID_VALUE: return "NN_ERROR_INVALID_VALUE";
        case NN_ERROR_LAUNCH_FAILED: return "NN_ERROR_LAUNCH_FAILED";
        case NN_ERROR_NOT_SUPPORTED: return "NN_ERROR_NOT_SUPPORTED";
        case NN_ERROR_RUNTIME: return "NN_ERROR_RUNTIME";
        default: return "NN_ERROR_UNKNOWN";
    }
}

NN_API const char* nn_last_error(void) { return nn::g_last_error; }

}  // extern "C"
