// A serial executor for the dispatch in elementwise_impl.h and kernels_impl.h: runs each
// kernel body in a plain loop on the host, with the same 32/64-bit index choice as
// the CUDA executor. The host test checks it against independent references; the
// CUDA test checks the GPU against it.
#pragma once

#include "elementwise_impl.h"

namespace nn {

struct SerialExec {
    template <int N, typename Body>
    nn_status run(const Geometry& g, const Body& body) {
        if (fits_int32(g, N)) {
            for (int64_t i = 0; i < g.numel; ++i) apply_at<int32_t, N>(g, i, body);
        } else {
            for (int64_t i = 0; i < g.numel; ++i) apply_at<int64_t, N>(g, i, body);
        }
        return NN_SUCCESS;
    }

    template <typename Body>
    nn_status launch(int64_t n, const Body& body) {
        for (int64_t i = 0; i < n; ++i) body(i);
        return NN_SUCCESS;
    }
};

}  // namespace nn
