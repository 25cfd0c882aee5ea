// Internal helpers shared by the CUDA launchers and the host-side tests.
// Everything here compiles with a plain C++17 compiler as well as with nvcc.
#pragma once

#include "nativenet.h"

// Under NVRTC (the CI compile check, __CUDACC_RTC__) there is no C/C++ library: the
// device code uses libcu++ (cuda::std) instead, and host-only declarations are left out.
#if defined(__CUDACC_RTC__)
#include <cuda/std/climits>
#include <cuda/std/cstdint>
#include <cuda/std/limits>
#include <cuda/std/type_traits>
namespace nn { namespace nnstd = ::cuda::std; }
#else
#include <stddef.h>
#include <stdint.h>
#include <limits>
#include <type_traits>
namespace nn { namespace nnstd = ::std; }
#endif

#if defined(__CUDACC__) || defined(__CUDA__)  // nvcc, NVRTC, or clang compiling CUDA
#define NN_HD __host__ __device__ __forceinline__
#else
#define NN_HD inline
#endif
#if defined(__NVCC__) && defined(__CUDA_ARCH__)  // device pass only: the host compiler warns about the pragma
#define NN_UNROLL _Pragma("unroll")
#else
#define NN_UNROLL
#endif

namespace nn {

// Most operands of one elementwise launch (the output included; nn_where has four).
constexpr int kMaxOperands = 4;

// The iteration space of one elementwise launch after broadcasting, dropping size-1
// dimensions and merging dimensions that are contiguous in every operand.
// Dimensions are stored innermost first; operand 0 is the output.
struct Geometry {
    int32_t ndim;
    int32_t contiguous;  // 1: every operand is dense in the same order, so offset == linear index
    int64_t numel;
    int64_t sizes[NN_MAX_DIMS];
    int64_t strides[kMaxOperands][NN_MAX_DIMS];
};

#if !defined(__CUDACC_RTC__)
// Validates `out` and `inputs` (dtype, ndim, shapes, strides, pointers), broadcasts the
// inputs to out's shape and fills `g`. `fn` names the launcher in error messages.
nn_status make_geometry(const char* fn, const nn_tensor_desc& out, const nn_tensor_desc* inputs,
                        int n_inputs, Geometry* g);

// True when every linear index and every operand offset fits in int32 (faster index math).
bool fits_int32(const Geometry& g, int n_operands);

// Bytes per element, or 0 for an unknown dtype value.
size_t dtype_size(int32_t dtype);
// "Float32", ..., or "unknown".
const char* dtype_name(int32_t dtype);
// "[2, 3, 4]" into buf.
const char* format_shape(const nn_tensor_desc& t, char* buf, size_t len);

// Records a message for nn_last_error() and returns `status`.
nn_status set_error(nn_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void clear_error();
#endif  // !__CUDACC_RTC__

// Offsets (in elements) of every operand for the element with the given linear index
// (row-major over out's shape).
template <typename IndexT, int N>
NN_HD void offsets_at(const Geometry& g, int64_t linear, IndexT* off) {
    if (g.contiguous) {
NN_UNROLL
        for (int k = 0; k < N; ++k) off[k] = static_cast<IndexT>(linear);
        return;
    }
NN_UNROLL
    for (int k = 0; k < N; ++k) off[k] = 0;
    IndexT rem = static_cast<IndexT>(linear);
NN_UNROLL
    for (int d = 0; d < NN_MAX_DIMS; ++d) {
        if (d >= g.ndim) break;
        const IndexT size = static_cast<IndexT>(g.sizes[d]);
        const IndexT idx = rem % size;
        rem /= size;
NN_UNROLL
        for (int k = 0; k < N; ++k) off[k] += idx * static_cast<IndexT>(g.strides[k][d]);
    }
}

// Runs `body(offsets)` for the element with the given linear index.
template <typename IndexT, int N, typename Body>
NN_HD void apply_at(const Geometry& g, int64_t linear, const Body& body) {
    IndexT off[N];
    offsets_at<IndexT, N>(g, linear, off);
    body(off);
}

}  // namespace nn
