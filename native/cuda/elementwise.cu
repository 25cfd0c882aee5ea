// CUDA launchers for the elementwise ops of nativenet.h: nn_fill, nn_cast, nn_unary,
// nn_binary. The op semantics, dtype dispatch and broadcasting live in
// native/src/elementwise_impl.h (shared with the host-side tests); this file only
// provides the executor that launches them as grid-stride kernels.
#include "elementwise_impl.h"

#include <cuda_runtime.h>

#include <atomic>

namespace nn {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxCachedDevices = 64;

// Multiprocessor count per device, read once (a device attribute query is cheap, but
// not free on every launch).
std::atomic<int> g_sm_count[kMaxCachedDevices];

nn_status sm_count(const char* fn, int* out) {
    int device = 0;
    cudaError_t e = cudaGetDevice(&device);
    if (e != cudaSuccess)
        return set_error(NN_ERROR_RUNTIME, "%s: cudaGetDevice failed: %s (%s)", fn, cudaGetErrorName(e),
                         cudaGetErrorString(e));
    if (device >= 0 && device < kMaxCachedDevices) {
        const int cached = g_sm_count[device].load(std::memory_order_relaxed);
        if (cached > 0) {
            *out = cached;
            return NN_SUCCESS;
        }
    }
    int count = 0;
    e = cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device);
    if (e != cudaSuccess)
        return set_error(NN_ERROR_RUNTIME, "%s: cudaDeviceGetAttribute(MultiProcessorCount, device %d) failed: %s (%s)",
                         fn, device, cudaGetErrorName(e), cudaGetErrorString(e));
    if (count <= 0) count = 1;
    if (device >= 0 && device < kMaxCachedDevices) g_sm_count[device].store(count, std::memory_order_relaxed);
    *out = count;
    return NN_SUCCESS;
}

template <typename IndexT, int N, typename Body>
__global__ void __launch_bounds__(kThreads) elementwise_kernel(Geometry g, Body body) {
    const int64_t n = g.numel;
    const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
        apply_at<IndexT, N>(g, i, body);
}

struct CudaExec {
    cudaStream_t stream;
    const char* fn;

    template <int N, typename Body>
    nn_status run(const Geometry& g, const Body& body) {
        if (g.numel == 0) return NN_SUCCESS;
        int sms = 0;
        nn_status st = sm_count(fn, &sms);
        if (st != NN_SUCCESS) return st;
        // Enough blocks to fill every SM several times over; the grid-stride loop does the rest.
        const int64_t wanted = (g.numel + kThreads - 1) / kThreads;
        const int64_t cap = static_cast<int64_t>(sms) * 8;
        const unsigned blocks = static_cast<unsigned>(wanted < cap ? wanted : cap);
        if (fits_int32(g, N))
            elementwise_kernel<int32_t, N, Body><<<blocks, kThreads, 0, stream>>>(g, body);
        else
            elementwise_kernel<int64_t, N, Body><<<blocks, kThreads, 0, stream>>>(g, body);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess)
            return set_error(NN_ERROR_LAUNCH_FAILED, "%s: kernel launch failed (%lld elements, %u blocks): %s (%s)", fn,
                             static_cast<long long>(g.numel), blocks, cudaGetErrorName(e), cudaGetErrorString(e));
        return NN_SUCCESS;
    }
};

}  // namespace
}  // namespace nn

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

}  // extern "C"
