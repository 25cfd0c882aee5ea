// GPU conformance test of the elementwise launchers: every op value, every dtype,
// contiguous, broadcast and strided layouts, compared with the serial host executor
// (itself checked against independent references by elementwise_host_test).
// Exits 77 (CTest: skipped) when no CUDA device is present.
#include "elementwise_impl.h"
#include "serial_exec.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

namespace {

int g_failures = 0;
int g_cases = 0;

#define CUDA_OK(call)                                                                             \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) {                                                                  \
            std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            std::exit(1);                                                                         \
        }                                                                                         \
    } while (0)

const int kDtypes[] = {NN_DTYPE_FLOAT32, NN_DTYPE_FLOAT64, NN_DTYPE_INT64, NN_DTYPE_INT32, NN_DTYPE_BOOL, NN_DTYPE_UINT8};

// A host buffer and its device twin, sized for a view's extent.
struct Buffer {
    int32_t dtype = NN_DTYPE_FLOAT32;
    size_t count = 0;
    std::vector<unsigned char> host;
    void* device = nullptr;

    Buffer(int32_t dt, size_t n) : dtype(dt), count(n), host(n * nn::dtype_size(dt)) {
        CUDA_OK(cudaMalloc(&device, host.size() == 0 ? 1 : host.size()));
    }
    ~Buffer() { cudaFree(device); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    void randomize(std::mt19937& rng) {
        std::uniform_real_distribution<double> real(-3.0, 3.0);
        std::uniform_int_distribution<int> small(-50, 50), byte(0, 255), bit(0, 1);
        for (size_t i = 0; i < count; ++i) {
            switch (dtype) {
                case NN_DTYPE_FLOAT32: { float v = static_cast<float>(real(rng)); std::memcpy(&host[i * 4], &v, 4); break; }
                case NN_DTYPE_FLOAT64: { double v = real(rng); std::memcpy(&host[i * 8], &v, 8); break; }
                case NN_DTYPE_INT64: { int64_t v = small(rng); std::memcpy(&host[i * 8], &v, 8); break; }
                case NN_DTYPE_INT32: { int32_t v = small(rng); std::memcpy(&host[i * 4], &v, 4); break; }
                case NN_DTYPE_BOOL: host[i] = static_cast<unsigned char>(bit(rng)); break;
                default: host[i] = static_cast<unsigned char>(byte(rng)); break;
            }
        }
        // a few special values in float buffers
        if (dtype == NN_DTYPE_FLOAT32 && count >= 3) {
            const float sp[3] = {NAN, INFINITY, 0.0f};
            std::memcpy(&host[0], sp, sizeof sp);
        } else if (dtype == NN_DTYPE_FLOAT64 && count >= 3) {
            const double sp[3] = {NAN, -INFINITY, 0.0};
            std::memcpy(&host[0], sp, sizeof sp);
        }
    }
    void upload() { CUDA_OK(cudaMemcpy(device, host.data(), host.size(), cudaMemcpyHostToDevice)); }
    std::vector<unsigned char> download() const {
        std::vector<unsigned char> out(host.size());
        CUDA_OK(cudaMemcpy(out.data(), device, out.size(), cudaMemcpyDeviceToHost));
        return out;
    }
};

struct Layout {
    int32_t ndim;
    int64_t shape[NN_MAX_DIMS];
    int64_t strides[NN_MAX_DIMS];
    size_t extent;  // elements the buffer must hold
};

Layout contiguous(std::initializer_list<int64_t> shape) {
    Layout l{};
    l.ndim = static_cast<int32_t>(shape.size());
    int i = 0;
    for (int64_t s : shape) l.shape[i++] = s;
    int64_t st = 1;
    for (int d = l.ndim - 1; d >= 0; --d) {
        l.strides[d] = st;
        st *= l.shape[d];
    }
    l.extent = static_cast<size_t>(st);
    return l;
}

Layout transposed_last2(Layout l) {  // swap the last two dims' roles (a non-contiguous view)
    std::swap(l.shape[l.ndim - 1], l.shape[l.ndim - 2]);
    std::swap(l.strides[l.ndim - 1], l.strides[l.ndim - 2]);
    return l;
}

nn_tensor_desc make_desc(void* data, int32_t dtype, const Layout& l) {
    nn_tensor_desc d;
    std::memset(&d, 0, sizeof d);
    d.data = data;
    d.dtype = dtype;
    d.ndim = l.ndim;
    for (int i = 0; i < l.ndim; ++i) {
        d.shape[i] = l.shape[i];
        d.strides[i] = l.strides[i];
    }
    return d;
}

double element(const std::vector<unsigned char>& bytes, int32_t dtype, size_t i) {
    switch (dtype) {
        case NN_DTYPE_FLOAT32: { float v; std::memcpy(&v, &bytes[i * 4], 4); return v; }
        case NN_DTYPE_FLOAT64: { double v; std::memcpy(&v, &bytes[i * 8], 8); return v; }
        case NN_DTYPE_INT64: { int64_t v; std::memcpy(&v, &bytes[i * 8], 8); return static_cast<double>(v); }
        case NN_DTYPE_INT32: { int32_t v; std::memcpy(&v, &bytes[i * 4], 4); return v; }
        default: return bytes[i];
    }
}

// GPU result vs host result. Transcendental functions may differ by a few ulps
// between CUDA's math library and the host's.
bool compare(const char* what, const Buffer& out, const std::vector<unsigned char>& gpu) {
    const double rtol = out.dtype == NN_DTYPE_FLOAT32 ? 2e-6 : 1e-14;
    for (size_t i = 0; i < out.count; ++i) {
        const double h = element(out.host, out.dtype, i), d = element(gpu, out.dtype, i);
        const bool ok = (std::isnan(h) && std::isnan(d)) || h == d ||
                        (std::isfinite(h) && std::fabs(h - d) <= 1e-30 + rtol * std::fabs(h));
        if (!ok) {
            std::fprintf(stderr, "MISMATCH %s at %zu: host %.17g gpu %.17g\n", what, i, h, d);
            ++g_failures;
            return false;
        }
    }
    return true;
}

// Runs one launch on host (serial) and GPU and compares status and output.
template <typename HostCall, typename GpuCall>
void run_case(const char* what, Buffer& out, HostCall host_call, GpuCall gpu_call) {
    ++g_cases;
    // the output starts with the same bytes on both sides (strided views leave gaps)
    std::memset(out.host.data(), 0x5a, out.host.size());
    out.upload();
    const nn_status hs = host_call();
    const nn_status ds = gpu_call();
    if (hs != ds) {
        std::fprintf(stderr, "STATUS %s: host %s, gpu %s (%s)\n", what, nn_status_string(hs), nn_status_string(ds),
                     nn_last_error());
        ++g_failures;
        return;
    }
    if (ds != NN_SUCCESS) return;
    CUDA_OK(cudaDeviceSynchronize());
    compare(what, out, out.download());
}

struct Geometry3 {
    const char* name;
    Layout out, a, b;
};

}  // namespace

int main() {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("elementwise_cuda_test: no CUDA device; skipped\n");
        return 77;
    }
    std::mt19937 rng(1234);
    cudaStream_t stream;
    CUDA_OK(cudaStreamCreate(&stream));

    const Geometry3 geometries[] = {
        {"contiguous", contiguous({1000}), contiguous({1000}), contiguous({1000})},
        {"broadcast", contiguous({3, 4, 6, 5}), contiguous({4, 1, 5}), contiguous({6, 1})},
        {"transposed", contiguous({7, 9}), transposed_last2(contiguous({9, 7})), contiguous({9})},
        {"grid-stride", contiguous({(1 << 20) + 3}), contiguous({(1 << 20) + 3}), contiguous({})},
    };

    for (const Geometry3& geo : geometries) {
        for (int dt : kDtypes) {
            Buffer a(dt, geo.a.extent), b(dt, geo.b.extent);
            a.randomize(rng);
            b.randomize(rng);
            a.upload();
            b.upload();
            const nn_tensor_desc ha = make_desc(a.host.data(), dt, geo.a), da = make_desc(a.device, dt, geo.a);
            const nn_tensor_desc hb = make_desc(b.host.data(), dt, geo.b), db = make_desc(b.device, dt, geo.b);
            char what[160];

            // unary: every op value 0..63 (unknown values must fail alike)
            for (int op = 0; op < 64; ++op) {
                const int32_t odt = nn::unary_outputs_bool(op) ? static_cast<int32_t>(NN_DTYPE_BOOL) : dt;
                Buffer out(odt, geo.out.extent);
                const nn_tensor_desc ho = make_desc(out.host.data(), odt, geo.out), dout = make_desc(out.device, odt, geo.out);
                const bool integral = dt != NN_DTYPE_FLOAT32 && dt != NN_DTYPE_FLOAT64;
                const double alpha = integral ? 2.0 : 0.5, beta = integral ? 5.0 : 2.0;
                std::snprintf(what, sizeof what, "unary %s on %s (%s)", nn::unary_op_name(op) ? nn::unary_op_name(op) : "?",
                              nn::dtype_name(dt), geo.name);
                run_case(what, out,
                         [&] { nn::SerialExec ex; return nn::unary_impl(ex, op, ho, ha, alpha, beta); },
                         [&] { return nn_unary(static_cast<nn_unary_op>(op), dout, da, alpha, beta, stream); });
            }
            // binary: every op value 0..31
            for (int op = 0; op < 32; ++op) {
                const int32_t odt = nn::binary_outputs_bool(op) ? static_cast<int32_t>(NN_DTYPE_BOOL) : dt;
                Buffer out(odt, geo.out.extent);
                const nn_tensor_desc ho = make_desc(out.host.data(), odt, geo.out), dout = make_desc(out.device, odt, geo.out);
                std::snprintf(what, sizeof what, "binary %s on %s (%s)",
                              nn::binary_op_name(op) ? nn::binary_op_name(op) : "?", nn::dtype_name(dt), geo.name);
                run_case(what, out,
                         [&] { nn::SerialExec ex; return nn::binary_impl(ex, op, ho, ha, hb); },
                         [&] { return nn_binary(static_cast<nn_binary_op>(op), dout, da, db, stream); });
            }
            // cast to every dtype
            for (int odt : kDtypes) {
                Buffer out(odt, geo.out.extent);
                const nn_tensor_desc ho = make_desc(out.host.data(), odt, geo.out), dout = make_desc(out.device, odt, geo.out);
                std::snprintf(what, sizeof what, "cast %s -> %s (%s)", nn::dtype_name(dt), nn::dtype_name(odt), geo.name);
                run_case(what, out, [&] { nn::SerialExec ex; return nn::cast_impl(ex, ho, ha); },
                         [&] { return nn_cast(dout, da, stream); });
            }
            // fill a transposed view of the output
            {
                Buffer out(dt, geo.out.extent);
                const Layout l = geo.out.ndim >= 2 ? transposed_last2(geo.out) : geo.out;
                const nn_tensor_desc ho = make_desc(out.host.data(), dt, l), dout = make_desc(out.device, dt, l);
                unsigned char value[8] = {};
                const size_t esize = nn::dtype_size(dt), pick = b.count > 3 ? 3 : 0;
                std::memcpy(value, b.host.data() + pick * esize, esize);
                std::snprintf(what, sizeof what, "fill %s (%s)", nn::dtype_name(dt), geo.name);
                run_case(what, out, [&] { nn::SerialExec ex; return nn::fill_impl(ex, ho, value); },
                         [&] { return nn_fill(dout, value, stream); });
            }
        }
    }
    CUDA_OK(cudaStreamDestroy(stream));
    if (g_failures != 0) {
        std::printf("elementwise_cuda_test: %d of %d cases FAILED\n", g_failures, g_cases);
        return 1;
    }
    std::printf("elementwise_cuda_test: all %d cases match the host\n", g_cases);
    return 0;
}
