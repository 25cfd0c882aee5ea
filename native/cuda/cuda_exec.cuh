// The CUDA executor shared by every launcher file: grid-stride kernels over an
// elementwise Geometry (run<N>) or over a flat index range (launch). Kernel templates
// are device code (compiled by NVRTC too); the executor itself is host code.
#pragma once

#include "nn_internal.h"

#if !defined(__CUDACC_RTC__)
#include <cuda_runtime.h>

#include <atomic>
#endif

namespace nn {
namespace {

constexpr int kThreads = 256;

template <typename IndexT, int N, typename Body>
__global__ void __launch_bounds__(kThreads) elementwise_kernel(Geometry g, Body body) {
    const int64_t n = g.numel;
    const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
        apply_at<IndexT, N>(g, i, body);
}

template <typename Body>
__global__ void __launch_bounds__(kThreads) linear_kernel(int64_t n, Body body) {
    const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) body(i);
}

#if !defined(__CUDACC_RTC__)
constexpr int kMaxCachedDevices = 64;

// Multiprocessor count per device, read once (an attribute query per launch is not free).
inline std::atomic<int>& cached_sm_count(int device) {
    static std::atomic<int> counts[kMaxCachedDevices];
    return counts[device];
}

inline nn_status sm_count(const char* fn, int* out) {
    int device = 0;
    cudaError_t e = cudaGetDevice(&device);
    if (e != cudaSuccess)
        return set_error(NN_ERROR_RUNTIME, "%s: cudaGetDevice failed: %s (%s)", fn, cudaGetErrorName(e), cudaGetErrorString(e));
    if (device >= 0 && device < kMaxCachedDevices) {
        const int cached = cached_sm_count(device).load(std::memory_order_relaxed);
        if (cached > 0) {
            *out = cached;
            return NN_SUCCESS;
        }
    }
    int count = 0;
    e = cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device);
    if (e != cudaSuccess)
        return set_error(NN_ERROR_RUNTIME, "%s: cudaDeviceGetAttribute(MultiProcessorCount, device %d) failed: %s (%s)", fn,
                         device, cudaGetErrorName(e), cudaGetErrorString(e));
    if (count <= 0) count = 1;
    if (device >= 0 && device < kMaxCachedDevices) cached_sm_count(device).store(count, std::memory_order_relaxed);
    *out = count;
    return NN_SUCCESS;
}

struct CudaExec {
    cudaStream_t stream;
    const char* fn;

    nn_status blocks_for(int64_t n, unsigned* blocks) {
        int sms = 0;
        nn_status st = sm_count(fn, &sms);
        if (st != NN_SUCCESS) return st;
        // Enough blocks to fill every SM several times over; the grid-stride loop does the rest.
        const int64_t wanted = (n + kThreads - 1) / kThreads;
        const int64_t cap = static_cast<int64_t>(sms) * 8;
        *blocks = static_cast<unsigned>(wanted < cap ? wanted : cap);
        return NN_SUCCESS;
    }

    nn_status check_launch(int64_t n, unsigned blocks) {
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess)
            return set_error(NN_ERROR_LAUNCH_FAILED, "%s: kernel launch failed (%lld elements, %u blocks): %s (%s)", fn,
                             static_cast<long long>(n), blocks, cudaGetErrorName(e), cudaGetErrorString(e));
        return NN_SUCCESS;
    }

    template <int N, typename Body>
    nn_status run(const Geometry& g, const Body& body) {
        if (g.numel == 0) return NN_SUCCESS;
        unsigned blocks = 0;
        nn_status st = blocks_for(g.numel, &blocks);
        if (st != NN_SUCCESS) return st;
        if (fits_int32(g, N))
            elementwise_kernel<int32_t, N, Body><<<blocks, kThreads, 0, stream>>>(g, body);
        else
            elementwise_kernel<int64_t, N, Body><<<blocks, kThreads, 0, stream>>>(g, body);
        return check_launch(g.numel, blocks);
    }

    template <typename Body>
    nn_status launch(int64_t n, const Body& body) {
        if (n <= 0) return NN_SUCCESS;
        unsigned blocks = 0;
        nn_status st = blocks_for(n, &blocks);
        if (st != NN_SUCCESS) return st;
        linear_kernel<Body><<<blocks, kThreads, 0, stream>>>(n, body);
        return check_launch(n, blocks);
    }
};
#endif  // !__CUDACC_RTC__

}  // namespace
}  // namespace nn
