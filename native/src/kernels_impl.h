// The non-elementwise kernels of nativenet.h (reductions, softmax, index ops, pooling,
// im2col/col2im, random, integer matmul, optimizer steps), written once as per-element
// bodies and parameterized by an executor like elementwise_impl.h:
//   template <typename Body> nn_status launch(int64_t n, const Body& body)
// runs body(i) for every i in [0, n) (a grid-stride kernel on the GPU, a loop on the host).
// Every body computes one output element from its inputs (gather form), except the
// scatter kernels (index_add, scatter_add, max-pool backward), which use atomic_add.
#pragma once

#include "elementwise_impl.h"

namespace nn {

// ------------------------------------------------------------------ device helpers
// +infinity in host and device code (std::numeric_limits is host-only under nvcc).
template <typename T>
NN_HD T m_inf() {
#if defined(__CUDACC_RTC__)
    return nnstd::numeric_limits<T>::infinity();  // libcu++: host and device
#else
    return static_cast<T>(HUGE_VAL);
#endif
}

template <typename T>
NN_HD void atomic_add(T* p, T v) {
#if defined(__CUDA_ARCH__)
    if constexpr (nnstd::is_same<T, int64_t>::value)
        atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
#if __CUDA_ARCH__ < 600
    else if constexpr (nnstd::is_same<T, double>::value) {
        // No native double atomicAdd before sm_60: compare-and-swap on the bit pattern.
        auto* a = reinterpret_cast<unsigned long long*>(p);
        unsigned long long old = *a, assumed;
        do {
            assumed = old;
            old = atomicCAS(a, assumed, __double_as_longlong(v + __longlong_as_double(assumed)));
        } while (assumed != old);
    }
#endif
    else
        atomicAdd(p, v);
#else
    *p = w_add(*p, v);
#endif
}

NN_HD int64_t floor_div(int64_t a, int64_t b) {
    const int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// A wrapped index in [0, n), or -1 (and the error flag raised) when out of range.
NN_HD int64_t wrap_index(int64_t i, int64_t n, int32_t* error_flag) {
    if (i < -n || i >= n) {
        if (error_flag != nullptr) *error_flag = 1;
        return -1;
    }
    return i < 0 ? i + n : i;
}

// Plain element types by size: index kernels move bytes, not values.
template <int Bytes> struct Word;
template <> struct Word<1> { using type = uint8_t; };
template <> struct Word<4> { using type = uint32_t; };
template <> struct Word<8> { using type = uint64_t; };

// ------------------------------------------------------------------ reductions
// One pass: out[(o, c, j)] reduces in[o, r, j] for r in chunk c of length `chunk`.
// in_idx (arg ops after the first pass) carries each input's original index along the axis.
template <typename T, int Op>
struct ReduceBody {
    const T* in;
    const int64_t* in_idx;
    T* out_val;          // NULL for the last pass of an arg op
    int64_t* out_idx;    // arg ops only
    int64_t reduce, inner, chunk, chunks;

    NN_HD void operator()(int64_t i) const {
        const int64_t j = i % inner;
        const int64_t oc = i / inner;
        const int64_t c = oc % chunks, o = oc / chunks;
        const int64_t r0 = c * chunk;
        const int64_t r1 = r0 + chunk < reduce ? r0 + chunk : reduce;
        const T* base = in + o * reduce * inner + j;
        if constexpr (Op == NN_REDUCE_ARGMAX || Op == NN_REDUCE_ARGMIN) {
            int64_t bi = r0 < r1 ? (in_idx ? in_idx[o * reduce * inner + r0 * inner + j] : r0) : 0;
            T bv = r0 < r1 ? base[r0 * inner] : T(0);
            for (int64_t r = r0 + 1; r < r1; ++r) {
                if (is_nan(bv)) break;
                const T v = base[r * inner];
                const bool better = Op == NN_REDUCE_ARGMAX ? v > bv : v < bv;
                if (is_nan(v) || better) {
                    bv = v;
                    bi = in_idx ? in_idx[o * reduce * inner + r * inner + j] : r;
                }
            }
            if (out_val != nullptr) out_val[i] = bv;
            out_idx[i] = bi;
        } else {
            T acc;
            if constexpr (Op == NN_REDUCE_SUM) acc = T(0);
            else if constexpr (Op == NN_REDUCE_PROD) acc = T(1);
            else acc = r0 < r1 ? base[r0 * inner] : T(0);
            for (int64_t r = (Op == NN_REDUCE_SUM || Op == NN_REDUCE_PROD) ? r0 : r0 + 1; r < r1; ++r) {
                const T v = base[r * inner];
                if constexpr (Op == NN_REDUCE_SUM) acc = w_add(acc, v);
                else if constexpr (Op == NN_REDUCE_PROD) acc = w_mul(acc, v);
                else if constexpr (Op == NN_REDUCE_MAX) { if (!is_nan(acc) && (is_nan(v) || v > acc)) acc = v; }
                else { if (!is_nan(acc) && (is_nan(v) || v < acc)) acc = v; }
            }
            out_val[i] = acc;
        }
    }
};

// ------------------------------------------------------------------ softmax
template <typename T>
struct SoftmaxBody {
    T* out;
    const T* in;
    int64_t dim, inner;
    int32_t log;
    NN_HD void operator()(int64_t i) const {
        const int64_t o = i / inner, j = i % inner;
        const T* x = in + o * dim * inner + j;
        T* y = out + o * dim * inner + j;
        T m = -m_inf<T>();
        for (int64_t d = 0; d < dim; ++d)
            if (x[d * inner] > m) m = x[d * inner];
        if (m == -m_inf<T>()) m = T(0);
        T sum = T(0);
        for (int64_t d = 0; d < dim; ++d) sum += m_exp(x[d * inner] - m);
        if (log) {
            const T ls = m_log(sum);
            for (int64_t d = 0; d < dim; ++d) y[d * inner] = x[d * inner] - m - ls;
        } else {
            for (int64_t d = 0; d < dim; ++d) y[d * inner] = m_exp(x[d * inner] - m) / sum;
        }
    }
};

// ------------------------------------------------------------------ index ops
template <typename W>
struct IndexSelectBody {
    W* out;
    const W* in;
    const int64_t* index;
    int32_t* error_flag;
    int64_t n, inner, k;
    NN_HD void operator()(int64_t i) const {
        const int64_t e = i % inner, oj = i / inner;
        const int64_t j = oj % k, o = oj / k;
        const int64_t t = wrap_index(index[j], n, error_flag);
        if (t >= 0) out[i] = in[(o * n + t) * inner + e];
    }
};

template <typename T>
struct IndexAddBody {
    T* dst;
    const T* src;
    const int64_t* index;
    int32_t* error_flag;
    int64_t n, inner, k;
    NN_HD void operator()(int64_t i) const {
        const int64_t e = i % inner, oj = i / inner;
        const int64_t j = oj % k, o = oj / k;
        const int64_t t = wrap_index(index[j], n, error_flag);
        if (t >= 0) atomic_add(&dst[(o * n + t) * inner + e], src[i]);
    }
};

// Position p of `index` (row-major over index's shape) -> offsets in index, in/dst (with
// coordinate `dim` replaced by the index value) and out/src. Returns false when the
// index value is out of range.
struct IndexedGeometry {
    nn_tensor_desc index, target, other;  // target: the tensor indexed along dim; other: shaped like index
    int32_t dim;
    NN_HD bool offsets(int64_t p, int64_t* off_index, int64_t* off_target, int64_t* off_other, int32_t* error_flag) const {
        int64_t oi = 0, ot = 0, oo = 0, rem = p;
        for (int d = index.ndim - 1; d >= 0; --d) {
            const int64_t c = rem % index.shape[d];
            rem /= index.shape[d];
            oi += c * index.strides[d];
            oo += c * other.strides[d];
            if (d != dim) ot += c * target.strides[d];
        }
        *off_index = oi;
        *off_other = oo;
        const int64_t* idx = static_cast<const int64_t*>(index.data);
        const int64_t t = wrap_index(idx[oi], target.shape[dim], error_flag);
        if (t < 0) return false;
        *off_target = ot + t * target.strides[dim];
        return true;
    }
};

template <typename W>
struct GatherBody {
    IndexedGeometry geo;  // target = in, other = out
    int32_t* error_flag;
    NN_HD void operator()(int64_t p) const {
        int64_t oi, ot, oo;
        if (!geo.offsets(p, &oi, &ot, &oo, error_flag)) return;
        static_cast<W*>(geo.other.data)[oo] = static_cast<const W*>(geo.target.data)[ot];
    }
};

template <typename T>
struct ScatterAddBody {
    IndexedGeometry geo;  // target = dst, other = src
    int32_t* error_flag;
    NN_HD void operator()(int64_t p) const {
        int64_t oi, ot, oo;
        if (!geo.offsets(p, &oi, &ot, &oo, error_flag)) return;
        atomic_add(&static_cast<T*>(geo.target.data)[ot], static_cast<const T*>(geo.other.data)[oo]);
    }
};

// ------------------------------------------------------------------ pooling
template <typename T>
struct MaxPoolBody {
    T* out;
    int64_t* indices;
    const T* in;
    nn_conv2d_params p;
    NN_HD void operator()(int64_t i) const {
        const int64_t ow = i % p.ow, oh = (i / p.ow) % p.oh, plane = i / (p.ow * p.oh);
        const T* src = in + plane * p.h * p.w;
        const int64_t h0 = oh * p.stride_h - p.pad_h, w0 = ow * p.stride_w - p.pad_w;
        T best = T(0);
        int64_t bi = -1;
        for (int64_t a = 0; a < p.kh; ++a) {
            const int64_t ih = h0 + a * p.dilation_h;
            if (ih < 0 || ih >= p.h) continue;
            for (int64_t b = 0; b < p.kw; ++b) {
                const int64_t iw = w0 + b * p.dilation_w;
                if (iw < 0 || iw >= p.w) continue;
                const T v = src[ih * p.w + iw];
                if (bi < 0 || v > best || is_nan(v)) {
                    best = v;
                    bi = ih * p.w + iw;
                }
            }
        }
        out[i] = best;
        indices[i] = bi;
    }
};

template <typename T>
struct ZeroBody {
    T* out;
    NN_HD void operator()(int64_t i) const { out[i] = T(0); }
};

template <typename T>
struct MaxPoolBackwardBody {
    T* grad_in;
    const T* grad_out;
    const int64_t* indices;
    nn_conv2d_params p;
    NN_HD void operator()(int64_t i) const {
        const int64_t plane = i / (p.ow * p.oh);
        const int64_t at = indices[i];
        if (at >= 0) atomic_add(&grad_in[plane * p.h * p.w + at], grad_out[i]);
    }
};

// PyTorch's average-pool window for output (oh, ow): the divisor and the clipped window.
struct AvgWindow {
    int64_t hs, he, ws, we, div;
};
NN_HD AvgWindow avg_window(const nn_conv2d_params& p, int64_t oh, int64_t ow) {
    AvgWindow r;
    int64_t hs = oh * p.stride_h - p.pad_h, ws = ow * p.stride_w - p.pad_w;
    int64_t he = hs + p.kh < p.h + p.pad_h ? hs + p.kh : p.h + p.pad_h;
    int64_t we = ws + p.kw < p.w + p.pad_w ? ws + p.kw : p.w + p.pad_w;
    const int64_t pool = (he - hs) * (we - ws);
    hs = hs > 0 ? hs : 0;
    ws = ws > 0 ? ws : 0;
    he = he < p.h ? he : p.h;
    we = we < p.w ? we : p.w;
    r.hs = hs; r.he = he; r.ws = ws; r.we = we;
    r.div = p.count_include_pad ? pool : (he - hs) * (we - ws);
    return r;
}

template <typename T>
struct AvgPoolBody {
    T* out;
    const T* in;
    nn_conv2d_params p;
    NN_HD void operator()(int64_t i) const {
        const int64_t ow = i % p.ow, oh = (i / p.ow) % p.oh, plane = i / (p.ow * p.oh);
        const AvgWindow win = avg_window(p, oh, ow);
        if (win.div <= 0) { out[i] = T(0); return; }
        const T* src = in + plane * p.h * p.w;
        T sum = T(0);
        for (int64_t a = win.hs; a < win.he; ++a)
            for (int64_t b = win.ws; b < win.we; ++b) sum += src[a * p.w + b];
        out[i] = sum * (T(1) / static_cast<T>(win.div));
    }
};

// Gather form of the backward: each input element sums the windows that contain it.
template <typename T>
struct AvgPoolBackwardBody {
    T* grad_in;
    const T* grad_out;
    nn_conv2d_params p;
    NN_HD void operator()(int64_t i) const {
        const int64_t x = i % p.w, y = (i / p.w) % p.h, plane = i / (p.w * p.h);
        const T* gy = grad_out + plane * p.oh * p.ow;
        int64_t oh0 = floor_div(y + p.pad_h - p.kh, p.stride_h), oh1 = floor_div(y + p.pad_h, p.stride_h);
        int64_t ow0 = floor_div(x + p.pad_w - p.kw, p.stride_w), ow1 = floor_div(x + p.pad_w, p.stride_w);
        oh0 = oh0 > 0 ? oh0 : 0;
        ow0 = ow0 > 0 ? ow0 : 0;
        oh1 = oh1 < p.oh - 1 ? oh1 : p.oh - 1;
        ow1 = ow1 < p.ow - 1 ? ow1 : p.ow - 1;
        T acc = T(0);
        for (int64_t oh = oh0; oh <= oh1; ++oh)
            for (int64_t ow = ow0; ow <= ow1; ++ow) {
                const AvgWindow win = avg_window(p, oh, ow);
                if (win.div <= 0 || y < win.hs || y >= win.he || x < win.ws || x >= win.we) continue;
                acc += gy[oh * p.ow + ow] * (T(1) / static_cast<T>(win.div));
            }
        grad_in[i] = acc;
    }
};

NN_HD int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
NN_HD int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

template <typename T>
struct AdaptiveAvgPoolBody {
    T* out;
    const T* in;
    int64_t h, w, oh, ow;
    NN_HD void operator()(int64_t i) const {
        const int64_t b = i % ow, a = (i / ow) % oh, plane = i / (ow * oh);
        const int64_t hs = adaptive_start(a, h, oh), he = adaptive_end(a, h, oh);
        const int64_t ws = adaptive_start(b, w, ow), we = adaptive_end(b, w, ow);
        const T* src = in + plane * h * w;
        T sum = T(0);
        for (int64_t y = hs; y < he; ++y)
            for (int64_t x = ws; x < we; ++x) sum += src[y * w + x];
        out[i] = sum * (T(1) / static_cast<T>((he - hs) * (we - ws)));
    }
};

template <typename T>
struct AdaptiveAvgPoolBackwardBody {
    T* grad_in;
    const T* grad_out;
    int64_t h, w, oh, ow;
    NN_HD void operator()(int64_t i) const {
        const int64_t x = i % w, y = (i / w) % h, plane = i / (w * h);
        const T* gy = grad_out + plane * oh * ow;
        // Windows containing row y start at or before y: a superset of candidates, checked exactly.
        int64_t a0 = y * oh / h - 1, a1 = (y + 1) * oh / h + 1;
        int64_t b0 = x * ow / w - 1, b1 = (x + 1) * ow / w + 1;
        a0 = a0 > 0 ? a0 : 0; b0 = b0 > 0 ? b0 : 0;
        a1 = a1 < oh ? a1 : oh; b1 = b1 < ow ? b1 : ow;
        T acc = T(0);
        for (int64_t a = a0; a < a1; ++a) {
            const int64_t hs = adaptive_start(a, h, oh), he = adaptive_end(a, h, oh);
            if (y < hs || y >= he) continue;
            for (int64_t b = b0; b < b1; ++b) {
                const int64_t ws = adaptive_start(b, w, ow), we = adaptive_end(b, w, ow);
                if (x < ws || x >= we) continue;
                acc += gy[a * ow + b] * (T(1) / static_cast<T>((he - hs) * (we - ws)));
            }
        }
        grad_in[i] = acc;
    }
};

// ------------------------------------------------------------------ im2col / col2im
// col is [c*kh*kw, nb*oh*ow]; sample n of the chunk is image n0 + n.
template <typename T>
struct Im2ColBody {
    T* col;
    const T* in;
    nn_conv2d_params p;
    int64_t n0, nb;
    NN_HD void operator()(int64_t i) const {
        const int64_t q = p.oh * p.ow, np = nb * q, kk = p.kh * p.kw;
        const int64_t row = i / np, rest = i % np;
        const int64_t n = rest / q, pos = rest % q;
        const int64_t oh = pos / p.ow, ow = pos % p.ow;
        const int64_t c = row / kk, ki = (row % kk) / p.kw, kj = row % p.kw;
        const int64_t ih = oh * p.stride_h - p.pad_h + ki * p.dilation_h;
        const int64_t iw = ow * p.stride_w - p.pad_w + kj * p.dilation_w;
        col[i] = (ih >= 0 && ih < p.h && iw >= 0 && iw < p.w) ? in[(((n0 + n) * p.c + c) * p.h + ih) * p.w + iw] : T(0);
    }
};

template <typename T>
struct Col2ImBody {
    T* grad_in;
    const T* col;
    nn_conv2d_params p;
    int64_t n0, nb;
    NN_HD void operator()(int64_t i) const {
        const int64_t x = i % p.w, y = (i / p.w) % p.h, c = (i / (p.w * p.h)) % p.c, n = i / (p.w * p.h * p.c);
        const int64_t q = p.oh * p.ow, np = nb * q, kk = p.kh * p.kw;
        T acc = T(0);
        for (int64_t ki = 0; ki < p.kh; ++ki) {
            const int64_t th = y + p.pad_h - ki * p.dilation_h;
            if (th < 0 || th % p.stride_h != 0) continue;
            const int64_t oh = th / p.stride_h;
            if (oh >= p.oh) continue;
            for (int64_t kj = 0; kj < p.kw; ++kj) {
                const int64_t tw = x + p.pad_w - kj * p.dilation_w;
                if (tw < 0 || tw % p.stride_w != 0) continue;
                const int64_t ow = tw / p.stride_w;
                if (ow >= p.ow) continue;
                acc += col[(c * kk + ki * p.kw + kj) * np + n * q + oh * p.ow + ow];
            }
        }
        grad_in[(((n0 + n) * p.c + c) * p.h + y) * p.w + x] = acc;
    }
};

// ------------------------------------------------------------------ random (Philox4x32-10, as the CPU backend)
NN_HD void philox(uint64_t key, uint64_t counter, uint32_t* o) {
    uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
        const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0, n1 = static_cast<uint32_t>(p1);
        const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1, n3 = static_cast<uint32_t>(p0);
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    o[0] = c0; o[1] = c1; o[2] = c2; o[3] = c3;
}

NN_HD double philox_draw(uint64_t seed, uint64_t counter, bool normal, double a, double b) {
    uint32_t r[4];
    philox(seed, counter, r);
    const uint64_t mask = (1ull << 53) - 1;
    const double scale = 1.0 / static_cast<double>(1ull << 53);
    const double u1 = static_cast<double>(((static_cast<uint64_t>(r[0]) << 21) ^ r[1]) & mask) * scale;
    if (!normal) return a + (b - a) * u1;
    const double u2 = static_cast<double>(((static_cast<uint64_t>(r[2]) << 21) ^ r[3]) & mask) * scale;
    return a + b * sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

template <typename T>
struct RandomBody {
    T* out;
    uint64_t seed, offset;
    double a, b;
    int32_t normal;
    NN_HD void operator()(int64_t i) const {
        double v = philox_draw(seed, offset + static_cast<uint64_t>(i), normal != 0, a, b);
        if constexpr (nnstd::is_same<T, float>::value) {
            float f = static_cast<float>(v);
            const float hi = static_cast<float>(b);
            // A double just below b can round up to b in float32: keep uniform draws in [a, b).
            if (!normal && f >= hi && b > a) f = nextafterf(hi, -m_inf<float>());
            out[i] = f;
        } else {
            out[i] = static_cast<T>(v);
        }
    }
};

// ------------------------------------------------------------------ integer matmul
template <typename T>
struct MatMulIntBody {
    T* c;
    const T* a;
    const T* b;
    int64_t n, k, sa0, sa1, sb0, sb1;
    NN_HD void operator()(int64_t i) const {
        const int64_t row = i / n, col = i % n;
        T acc = T(0);
        for (int64_t q = 0; q < k; ++q) acc = w_add(acc, w_mul(a[row * sa0 + q * sa1], b[q * sb0 + col * sb1]));
        c[i] = acc;
    }
};

// ------------------------------------------------------------------ optimizer steps
// Scalars are converted to T on the host, exactly like the CPU backend (T.CreateTruncating of the doubles).
template <typename T>
struct SgdBody {
    T* p;
    const T* g;
    T* buf;
    T neg_lr, wd, mom, damp;
    bool use_wd, use_mom, first, nesterov, maximize;
    NN_HD void operator()(int64_t i) const {
        T d = maximize ? -g[i] : g[i];
        if (use_wd) d += wd * p[i];
        if (use_mom) {
            const T b = first ? d : buf[i] * mom + damp * d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] += neg_lr * d;
    }
};

template <typename T>
struct AdamBody {
    T* p;
    const T* g;
    T* m;
    T* v;
    T* vmax;
    T neg_step, bc2_sqrt, eps, b1, omb1, b2, omb2, wd, decay;
    bool l2, decoupled, ams, maximize;
    NN_HD void operator()(int64_t i) const {
        T gi = maximize ? -g[i] : g[i];
        T pi = p[i];
        if (l2) gi += wd * pi;
        if (decoupled) pi *= decay;
        const T mi = m[i] * b1 + omb1 * gi;
        T vi = v[i] * b2 + omb2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (ams) {
            vi = vmax[i] > vi ? vmax[i] : vi;
            vmax[i] = vi;
        }
        const T denom = m_sqrt(vi) / bc2_sqrt + eps;
        p[i] = pi + neg_step * (mi / denom);
    }
};

template <typename T>
struct RmsPropBody {
    T* p;
    const T* g;
    T* sq;
    T* ga;
    T* buf;
    T neg_lr, alpha, oma, eps, wd, mom;
    bool use_wd, centered, use_mom, maximize;
    NN_HD void operator()(int64_t i) const {
        T gi = maximize ? -g[i] : g[i];
        if (use_wd) gi += wd * p[i];
        const T si = sq[i] * alpha + oma * gi * gi;
        sq[i] = si;
        T avg;
        if (centered) {
            const T gai = ga[i] * alpha + oma * gi;
            ga[i] = gai;
            avg = m_sqrt(si - gai * gai) + eps;
        } else {
            avg = m_sqrt(si) + eps;
        }
        if (use_mom) {
            const T b = buf[i] * mom + gi / avg;
            buf[i] = b;
            p[i] += neg_lr * b;
        } else {
            p[i] += neg_lr * (gi / avg);
        }
    }
};

}  // namespace nn

#if !defined(__CUDACC_RTC__)
#include "kernels_dispatch.h"
#endif
