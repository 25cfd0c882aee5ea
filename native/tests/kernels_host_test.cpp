// Host-side test of the non-elementwise kernels (native/src/kernels_impl.h) and the
// elementwise additions of ABI 2 (where, remainder, relu_grad, integer pow). The exact
// kernel bodies the GPU runs go through a serial executor and are compared with
// independent references: plain loops written in the scatter (CPU backend) form where
// the kernels use a gather form, a published Philox test vector, and adjoint identities.
#include "kernels_impl.h"
#include "serial_exec.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "host_check.h"

namespace {

bool close(double a, double b, double tol) {
    if (a == b) return true;  // infinities included
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::fabs(a - b) <= tol * (1 + std::fabs(b));
}

template <typename T>
std::vector<T> random_vec(size_t n, unsigned seed, double lo = -2, double hi = 2) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(std::is_floating_point<T>::value ? d(rng) : std::floor(d(rng) * 10));
    return v;
}

nn_tensor_desc desc(void* data, int32_t dtype, std::vector<int64_t> shape, std::vector<int64_t> strides = {}) {
    nn_tensor_desc t{};
    t.data = data;
    t.dtype = dtype;
    t.ndim = static_cast<int32_t>(shape.size());
    int64_t s = 1;
    for (int d = t.ndim - 1; d >= 0; --d) {
        t.shape[d] = shape[d];
        t.strides[d] = strides.empty() ? s : strides[d];
        s *= shape[d];
    }
    return t;
}

// ---------------------------------------------------------------- reductions
template <typename T>
void reduce_case(int op, int32_t dtype, int64_t outer, int64_t reduce, int64_t inner, unsigned seed, bool with_nan) {
    auto x = random_vec<T>(static_cast<size_t>(outer * reduce * inner), seed);
    if (with_nan && !x.empty()) x[x.size() / 2] = std::numeric_limits<T>::quiet_NaN();
    const bool arg = op == NN_REDUCE_ARGMAX || op == NN_REDUCE_ARGMIN;
    std::vector<T> out(static_cast<size_t>(outer * inner));
    std::vector<int64_t> out_idx(static_cast<size_t>(outer * inner));
    std::vector<char> ws(nn::reduce_workspace(op, dtype, outer, reduce, inner));
    nn::SerialExec ex;
    nn_status st = nn::reduce_impl(ex, op, arg ? static_cast<void*>(out_idx.data()) : out.data(), x.data(), dtype, outer,
                                   reduce, inner, ws.empty() ? nullptr : ws.data(), ws.size());
    CHECK(st == NN_SUCCESS);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) {
            // Reference: a straight loop in double (sums) or in T (extremes), first extreme wins, NaN is the extreme.
            double acc = op == NN_REDUCE_PROD ? 1 : 0;
            int64_t best = 0;
            for (int64_t r = 0; r < reduce; ++r) {
                const T v = x[(o * reduce + r) * inner + j];
                const T b = x[(o * reduce + best) * inner + j];
                switch (op) {
                    case NN_REDUCE_SUM: acc += v; break;
                    case NN_REDUCE_PROD: acc *= v; break;
                    default: {
                        const bool is_max = op == NN_REDUCE_MAX || op == NN_REDUCE_ARGMAX;
                        if (r > 0 && !std::isnan(static_cast<double>(b)) &&
                            (std::isnan(static_cast<double>(v)) || (is_max ? v > b : v < b)))
                            best = r;
                    }
                }
            }
            const size_t k = static_cast<size_t>(o * inner + j);
            if (arg) {
                CHECK(out_idx[k] == best);
            } else if (op == NN_REDUCE_SUM || op == NN_REDUCE_PROD) {
                CHECK(close(static_cast<double>(out[k]), acc, std::is_same<T, float>::value ? 1e-4 : 1e-10));
            } else {
                CHECK(close(static_cast<double>(out[k]), static_cast<double>(x[(o * reduce + best) * inner + j]), 0));
            }
        }
}

void test_reductions() {
    for (int op = NN_REDUCE_SUM; op <= NN_REDUCE_ARGMIN; ++op) {
        reduce_case<float>(op, NN_DTYPE_FLOAT32, 3, 7, 5, 1, false);
        reduce_case<double>(op, NN_DTYPE_FLOAT64, 2, 9, 1, 2, op >= NN_REDUCE_MAX);
        reduce_case<double>(op, NN_DTYPE_FLOAT64, 1, 5000, 1, 3, op >= NN_REDUCE_MAX);  // two passes
        reduce_case<double>(op, NN_DTYPE_FLOAT64, 2, 3000, 3, 4, false);                  // two passes, inner > 1
        reduce_case<int64_t>(op == NN_REDUCE_PROD ? NN_REDUCE_SUM : op, NN_DTYPE_INT64, 4, 6, 2, 5, false);
        reduce_case<int32_t>(op == NN_REDUCE_PROD ? NN_REDUCE_SUM : op, NN_DTYPE_INT32, 1, 3000 * 1024 + 7, 1, 6, false);  // three passes
    }
    CHECK(nn::reduce_workspace(NN_REDUCE_SUM, NN_DTYPE_FLOAT32, 1000, 5000, 100) == 0);  // enough outputs: one pass
    CHECK(nn::reduce_workspace(NN_REDUCE_ARGMAX, NN_DTYPE_FLOAT32, 1, 5000, 1) > 0);
    // Empty axis: SUM gives 0, PROD gives 1.
    std::vector<float> out(2, 7.f);
    nn::SerialExec ex;
    CHECK(nn::reduce_impl(ex, NN_REDUCE_SUM, out.data(), nullptr, NN_DTYPE_FLOAT32, 2, 0, 1, nullptr, 0) == NN_SUCCESS);
    CHECK(out[0] == 0.f && out[1] == 0.f);
    CHECK(nn::reduce_impl(ex, NN_REDUCE_PROD, out.data(), nullptr, NN_DTYPE_FLOAT32, 2, 0, 1, nullptr, 0) == NN_SUCCESS);
    CHECK(out[0] == 1.f);
    // Too small a workspace is rejected.
    std::vector<double> x(5000, 1.0), y(1);
    CHECK(nn::reduce_impl(ex, NN_REDUCE_SUM, y.data(), x.data(), NN_DTYPE_FLOAT64, 1, 5000, 1, nullptr, 0) == NN_ERROR_INVALID_VALUE);
}

// ---------------------------------------------------------------- softmax
void test_softmax() {
    const int64_t outer = 3, dim = 6, inner = 4;
    auto x = random_vec<double>(outer * dim * inner, 7, -5, 5);
    for (int d = 0; d < dim; ++d) x[(1 * dim + d) * inner + 2] = -std::numeric_limits<double>::infinity();  // a row of -inf
    x[(1 * dim + 0) * inner + 2] = 0.5;
    for (int log = 0; log <= 1; ++log) {
        std::vector<double> y(x.size());
        nn::SerialExec ex;
        CHECK(nn::softmax_impl(ex, y.data(), x.data(), NN_DTYPE_FLOAT64, outer, dim, inner, log) == NN_SUCCESS);
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < inner; ++j) {
                long double s = 0;
                for (int64_t d = 0; d < dim; ++d) s += std::exp(static_cast<long double>(x[(o * dim + d) * inner + j]));
                for (int64_t d = 0; d < dim; ++d) {
                    const long double v = x[(o * dim + d) * inner + j];
                    const double want = log ? static_cast<double>(v - std::log(s)) : static_cast<double>(std::exp(v) / s);
                    CHECK(close(y[(o * dim + d) * inner + j], want, 1e-12));
                }
            }
    }
    std::vector<int64_t> bad(4);
    nn::SerialExec ex;
    CHECK(nn::softmax_impl(ex, bad.data(), bad.data(), NN_DTYPE_INT64, 1, 4, 1, 0) == NN_ERROR_NOT_SUPPORTED);
}

// ---------------------------------------------------------------- index ops
void test_index_ops() {
    nn::SerialExec ex;
    const int64_t outer = 2, n = 5, inner = 3;
    auto x = random_vec<float>(outer * n * inner, 11);
    std::vector<int64_t> idx = {4, -1, 0, 2, 4};  // duplicates and a negative index
    const int64_t k = static_cast<int64_t>(idx.size());
    std::vector<float> y(outer * k * inner);
    int32_t flag = 0;
    CHECK(nn::index_select_impl(ex, y.data(), x.data(), NN_DTYPE_FLOAT32, outer, n, inner, idx.data(), k, &flag) == NN_SUCCESS);
    CHECK(flag == 0);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < k; ++j)
            for (int64_t e = 0; e < inner; ++e) {
                const int64_t t = idx[j] < 0 ? idx[j] + n : idx[j];
                CHECK(y[(o * k + j) * inner + e] == x[(o * n + t) * inner + e]);
            }
    std::vector<double> dst(outer * n * inner, 1.0);
    auto src = random_vec<double>(outer * k * inner, 12);
    CHECK(nn::index_add_impl(ex, dst.data(), src.data(), NN_DTYPE_FLOAT64, outer, n, inner, idx.data(), k, &flag) == NN_SUCCESS);
    std::vector<double> want(outer * n * inner, 1.0);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < k; ++j)
            for (int64_t e = 0; e < inner; ++e) want[(o * n + (idx[j] + n) % n) * inner + e] += src[(o * k + j) * inner + e];
    for (size_t i = 0; i < want.size(); ++i) CHECK(close(dst[i], want[i], 1e-14));
    // Out of range: skipped, flag raised.
    std::vector<int64_t> oob = {1, 5};
    std::vector<float> y2(outer * 2 * inner, -9.f);
    flag = 0;
    CHECK(nn::index_select_impl(ex, y2.data(), x.data(), NN_DTYPE_FLOAT32, outer, n, inner, oob.data(), 2, &flag) == NN_SUCCESS);
    CHECK(flag == 1 && y2[3] == -9.f && y2[0] == x[1 * inner]);

    // gather / scatter_add along dim 1 of x [2, 4, 3] with index [2, 3, 2] (smaller than x in dim 2), then a strided view.
    auto g = random_vec<int64_t>(2 * 4 * 3, 13);
    std::vector<int64_t> gi = {0, 3, -1, 2, 1, 1, 3, 0, 2, 2, 0, -4};
    std::vector<int64_t> gout(12);
    flag = 0;
    CHECK(nn::gather_impl(ex, desc(gout.data(), NN_DTYPE_INT64, {2, 3, 2}), desc(g.data(), NN_DTYPE_INT64, {2, 4, 3}),
                          desc(gi.data(), NN_DTYPE_INT64, {2, 3, 2}), 1, &flag) == NN_SUCCESS);
    CHECK(flag == 0);
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 3; ++b)
            for (int c = 0; c < 2; ++c) {
                int64_t t = gi[(a * 3 + b) * 2 + c];
                t = t < 0 ? t + 4 : t;
                CHECK(gout[(a * 3 + b) * 2 + c] == g[(a * 4 + t) * 3 + c]);
            }
    std::vector<int32_t> sdst(2 * 4 * 3, 0), ssrc(12);
    for (int i = 0; i < 12; ++i) ssrc[i] = i + 1;
    CHECK(nn::scatter_add_impl(ex, desc(sdst.data(), NN_DTYPE_INT32, {2, 4, 3}), desc(ssrc.data(), NN_DTYPE_INT32, {2, 3, 2}),
                               desc(gi.data(), NN_DTYPE_INT64, {2, 3, 2}), 1, &flag) == NN_SUCCESS);
    std::vector<int32_t> swant(2 * 4 * 3, 0);
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 3; ++b)
            for (int c = 0; c < 2; ++c) {
                int64_t t = gi[(a * 3 + b) * 2 + c];
                t = t < 0 ? t + 4 : t;
                swant[(a * 4 + t) * 3 + c] += ssrc[(a * 3 + b) * 2 + c];
            }
    CHECK(sdst == swant);
    // A transposed (strided) source view: x^T [3, 4] of x [4, 3], gather along dim 0.
    std::vector<float> xt = random_vec<float>(12, 14), tout(2 * 4);
    std::vector<int64_t> ti = {2, 0, 1, 1, 0, 2, 2, 0};
    CHECK(nn::gather_impl(ex, desc(tout.data(), NN_DTYPE_FLOAT32, {2, 4}), desc(xt.data(), NN_DTYPE_FLOAT32, {3, 4}, {1, 3}),
                          desc(ti.data(), NN_DTYPE_INT64, {2, 4}), 0, &flag) == NN_SUCCESS);
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 4; ++c) CHECK(tout[r * 4 + c] == xt[c * 3 + ti[r * 4 + c]]);
    std::vector<int64_t> bad = {0, 9};
    flag = 0;
    CHECK(nn::gather_impl(ex, desc(tout.data(), NN_DTYPE_FLOAT32, {1, 2}), desc(xt.data(), NN_DTYPE_FLOAT32, {3, 4}, {1, 3}),
                          desc(bad.data(), NN_DTYPE_INT64, {1, 2}), 1, &flag) == NN_SUCCESS);
    CHECK(flag == 1);
    CHECK(nn::gather_impl(ex, desc(tout.data(), NN_DTYPE_FLOAT32, {1, 2}), desc(xt.data(), NN_DTYPE_FLOAT32, {3, 4}),
                          desc(bad.data(), NN_DTYPE_INT32, {1, 2}), 1, &flag) == NN_ERROR_INVALID_VALUE);
}

// ---------------------------------------------------------------- pooling
nn_conv2d_params pool_params(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t s, int64_t pad, int64_t dil,
                             bool ceil_mode, bool include_pad) {
    nn_conv2d_params p{};
    p.n = n; p.c = c; p.h = h; p.w = w; p.kh = k; p.kw = k; p.stride_h = s; p.stride_w = s;
    p.pad_h = pad; p.pad_w = pad; p.dilation_h = dil; p.dilation_w = dil; p.o = c; p.groups = 1;
    auto out = [&](int64_t in) {
        const int64_t span = in + 2 * pad - dil * (k - 1) - 1;
        int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        if (ceil_mode && (o - 1) * s >= in + pad) --o;
        return o;
    };
    p.oh = out(h);
    p.ow = out(w);
    p.count_include_pad = include_pad ? 1 : 0;
    return p;
}

void test_pooling() {
    nn::SerialExec ex;
    const nn_conv2d_params cases[] = {
        pool_params(2, 3, 7, 6, 3, 2, 1, 1, false, true),
        pool_params(1, 2, 8, 8, 2, 2, 0, 1, false, false),
        pool_params(1, 1, 9, 7, 3, 2, 1, 2, true, false),
        pool_params(2, 1, 5, 5, 3, 1, 1, 1, true, true),
    };
    for (const auto& p : cases) {
        const int64_t nin = p.n * p.c * p.h * p.w, nout = p.n * p.c * p.oh * p.ow;
        auto x = random_vec<double>(nin, 21);
        auto gy = random_vec<double>(nout, 22);
        // Max pooling vs a straight window scan; backward vs a scatter through the recorded indices.
        std::vector<double> y(nout), gx(nin, 5.0);
        std::vector<int64_t> ind(nout);
        CHECK(nn::max_pool2d_impl(ex, y.data(), ind.data(), x.data(), NN_DTYPE_FLOAT64, p) == NN_SUCCESS);
        std::vector<double> gwant(nin, 0.0);
        for (int64_t pl = 0; pl < p.n * p.c; ++pl)
            for (int64_t oh = 0; oh < p.oh; ++oh)
                for (int64_t ow = 0; ow < p.ow; ++ow) {
                    double best = -1e300;
                    int64_t bi = -1;
                    for (int64_t a = 0; a < p.kh; ++a)
                        for (int64_t b = 0; b < p.kw; ++b) {
                            const int64_t ih = oh * p.stride_h - p.pad_h + a * p.dilation_h, iw = ow * p.stride_w - p.pad_w + b * p.dilation_w;
                            if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                            if (x[pl * p.h * p.w + ih * p.w + iw] > best) { best = x[pl * p.h * p.w + ih * p.w + iw]; bi = ih * p.w + iw; }
                        }
                    const int64_t o = (pl * p.oh + oh) * p.ow + ow;
                    CHECK(ind[o] == bi);
                    CHECK(y[o] == (bi < 0 ? 0.0 : best));
                    if (bi >= 0) gwant[pl * p.h * p.w + bi] += gy[o];
                }
        CHECK(nn::max_pool2d_backward_impl(ex, gx.data(), gy.data(), ind.data(), NN_DTYPE_FLOAT64, p) == NN_SUCCESS);
        for (int64_t i = 0; i < nin; ++i) CHECK(close(gx[i], gwant[i], 1e-14));

        // Average pooling: forward vs a window scan; backward (gather form) vs the CPU backend's scatter form.
        std::vector<double> ya(nout), gxa(nin), gscatter(nin, 0.0);
        CHECK(nn::avg_pool2d_impl(ex, ya.data(), x.data(), NN_DTYPE_FLOAT64, p, false) == NN_SUCCESS);
        CHECK(nn::avg_pool2d_impl(ex, gxa.data(), gy.data(), NN_DTYPE_FLOAT64, p, true) == NN_SUCCESS);
        for (int64_t pl = 0; pl < p.n * p.c; ++pl)
            for (int64_t oh = 0; oh < p.oh; ++oh)
                for (int64_t ow = 0; ow < p.ow; ++ow) {
                    int64_t hs = oh * p.stride_h - p.pad_h, ws = ow * p.stride_w - p.pad_w;
                    int64_t he = std::min(hs + p.kh, p.h + p.pad_h), we = std::min(ws + p.kw, p.w + p.pad_w);
                    const int64_t pool = (he - hs) * (we - ws);
                    hs = std::max<int64_t>(hs, 0); ws = std::max<int64_t>(ws, 0); he = std::min(he, p.h); we = std::min(we, p.w);
                    const int64_t div = p.count_include_pad ? pool : (he - hs) * (we - ws);
                    double s = 0;
                    for (int64_t a = hs; a < he; ++a)
                        for (int64_t b = ws; b < we; ++b) {
                            s += x[pl * p.h * p.w + a * p.w + b];
                            gscatter[pl * p.h * p.w + a * p.w + b] += gy[(pl * p.oh + oh) * p.ow + ow] / div;
                        }
                    CHECK(close(ya[(pl * p.oh + oh) * p.ow + ow], div > 0 ? s / div : 0.0, 1e-12));
                }
        for (int64_t i = 0; i < nin; ++i) CHECK(close(gxa[i], gscatter[i], 1e-12));
    }

    // Adaptive average pooling, including windows that overlap (7 -> 3) and grow (2 -> 5).
    const int64_t shapes[][4] = {{7, 6, 3, 4}, {2, 3, 5, 3}, {5, 5, 5, 5}, {9, 4, 1, 1}};
    for (const auto& s : shapes) {
        const int64_t planes = 3, h = s[0], w = s[1], oh = s[2], ow = s[3];
        auto x = random_vec<double>(planes * h * w, 31);
        auto gy = random_vec<double>(planes * oh * ow, 32);
        std::vector<double> y(planes * oh * ow), gx(planes * h * w), gwant(planes * h * w, 0.0);
        CHECK(nn::adaptive_avg_pool2d_impl(ex, y.data(), x.data(), NN_DTYPE_FLOAT64, planes, h, w, oh, ow, false) == NN_SUCCESS);
        CHECK(nn::adaptive_avg_pool2d_impl(ex, gx.data(), gy.data(), NN_DTYPE_FLOAT64, planes, h, w, oh, ow, true) == NN_SUCCESS);
        for (int64_t pl = 0; pl < planes; ++pl)
            for (int64_t i = 0; i < oh; ++i)
                for (int64_t j = 0; j < ow; ++j) {
                    const int64_t hs = i * h / oh, he = ((i + 1) * h + oh - 1) / oh, ws = j * w / ow, we = ((j + 1) * w + ow - 1) / ow;
                    double sum = 0;
                    const double cnt = static_cast<double>((he - hs) * (we - ws));
                    for (int64_t a = hs; a < he; ++a)
                        for (int64_t b = ws; b < we; ++b) {
                            sum += x[pl * h * w + a * w + b];
                            gwant[pl * h * w + a * w + b] += gy[(pl * oh + i) * ow + j] / cnt;
                        }
                    CHECK(close(y[(pl * oh + i) * ow + j], sum / cnt, 1e-12));
                }
        for (size_t i = 0; i < gx.size(); ++i) CHECK(close(gx[i], gwant[i], 1e-12));
    }
    nn_conv2d_params bad = cases[0];
    bad.stride_h = 0;
    std::vector<double> d(1);
    std::vector<int64_t> di(1);
    CHECK(nn::max_pool2d_impl(ex, d.data(), di.data(), d.data(), NN_DTYPE_FLOAT64, bad) == NN_ERROR_INVALID_VALUE);
}

// ---------------------------------------------------------------- im2col / col2im
void test_im2col() {
    nn::SerialExec ex;
    nn_conv2d_params p{};
    p.n = 3; p.c = 2; p.h = 6; p.w = 5; p.kh = 3; p.kw = 2; p.stride_h = 2; p.stride_w = 1; p.pad_h = 1; p.pad_w = 1;
    p.dilation_h = 1; p.dilation_w = 2; p.groups = 1; p.o = 4;
    p.oh = (p.h + 2 * p.pad_h - p.dilation_h * (p.kh - 1) - 1) / p.stride_h + 1;
    p.ow = (p.w + 2 * p.pad_w - p.dilation_w * (p.kw - 1) - 1) / p.stride_w + 1;
    const int64_t n0 = 1, nb = 2, q = p.oh * p.ow, rows = p.c * p.kh * p.kw;
    auto x = random_vec<double>(p.n * p.c * p.h * p.w, 41);
    std::vector<double> col(rows * nb * q);
    CHECK(nn::im2col_impl(ex, col.data(), x.data(), NN_DTYPE_FLOAT64, p, n0, nb, false) == NN_SUCCESS);
    for (int64_t c = 0; c < p.c; ++c)
        for (int64_t a = 0; a < p.kh; ++a)
            for (int64_t b = 0; b < p.kw; ++b)
                for (int64_t n = 0; n < nb; ++n)
                    for (int64_t oh = 0; oh < p.oh; ++oh)
                        for (int64_t ow = 0; ow < p.ow; ++ow) {
                            const int64_t ih = oh * p.stride_h - p.pad_h + a * p.dilation_h, iw = ow * p.stride_w - p.pad_w + b * p.dilation_w;
                            const double want = (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) ? 0.0
                                                : x[(((n0 + n) * p.c + c) * p.h + ih) * p.w + iw];
                            CHECK(col[((c * p.kh + a) * p.kw + b) * nb * q + n * q + oh * p.ow + ow] == want);
                        }
    // col2im is im2col's adjoint: <col2im(g), x> == <g, im2col(x)> over the chunk's samples; other samples untouched.
    auto g = random_vec<double>(col.size(), 42);
    std::vector<double> gx(x.size(), 3.0);
    CHECK(nn::im2col_impl(ex, gx.data(), g.data(), NN_DTYPE_FLOAT64, p, n0, nb, true) == NN_SUCCESS);
    double lhs = 0, rhs = 0;
    for (int64_t i = n0 * p.c * p.h * p.w; i < (n0 + nb) * p.c * p.h * p.w; ++i) lhs += gx[i] * x[i];
    for (size_t i = 0; i < col.size(); ++i) rhs += g[i] * col[i];
    CHECK(close(lhs, rhs, 1e-12));
    CHECK(gx[0] == 3.0);  // sample 0 is outside the chunk
}

// ---------------------------------------------------------------- random
void test_random() {
    // Philox4x32-10 known-answer test (Random123 kat_vectors: counter 0, key 0).
    uint32_t r[4];
    nn::philox(0, 0, r);
    CHECK(r[0] == 0x6627e8d5u && r[1] == 0xe169c58du && r[2] == 0xbc57ac4cu && r[3] == 0x9b00dbd8u);
    nn::SerialExec ex;
    std::vector<double> u(1000);
    CHECK(nn::random_impl(ex, u.data(), NN_DTYPE_FLOAT64, 1000, 0, -1.0, 3.0, 1234, 77) == NN_SUCCESS);
    double mean = 0;
    for (size_t i = 0; i < u.size(); ++i) {
        CHECK(u[i] >= -1.0 && u[i] < 3.0);
        mean += u[i] / u.size();
        uint32_t q[4];
        nn::philox(1234, 77 + i, q);
        const double v = static_cast<double>((((static_cast<uint64_t>(q[0]) << 21) ^ q[1]) & ((1ull << 53) - 1))) / 9007199254740992.0;
        CHECK(u[i] == -1.0 + 4.0 * v);
    }
    CHECK(std::fabs(mean - 1.0) < 0.15);
    std::vector<float> nrm(4000);
    CHECK(nn::random_impl(ex, nrm.data(), NN_DTYPE_FLOAT32, 4000, 1, 2.0, 0.5, 9, 0) == NN_SUCCESS);
    double m = 0, v2 = 0;
    for (float f : nrm) m += f / 4000.0;
    for (float f : nrm) v2 += (f - m) * (f - m) / 4000.0;
    CHECK(std::fabs(m - 2.0) < 0.05 && std::fabs(std::sqrt(v2) - 0.5) < 0.05);
}

// ---------------------------------------------------------------- integer matmul
void test_matmul_int() {
    nn::SerialExec ex;
    const int64_t m = 3, k = 4, n = 5;
    auto a = random_vec<int64_t>(m * k, 51);
    auto bt = random_vec<int64_t>(n * k, 52);  // b = bt^T, a transposed view
    std::vector<int64_t> c(m * n);
    CHECK(nn::matmul_int_impl(ex, desc(c.data(), NN_DTYPE_INT64, {m, n}), desc(a.data(), NN_DTYPE_INT64, {m, k}),
                              desc(bt.data(), NN_DTYPE_INT64, {k, n}, {1, k})) == NN_SUCCESS);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            int64_t s = 0;
            for (int64_t q = 0; q < k; ++q) s += a[i * k + q] * bt[j * k + q];
            CHECK(c[i * n + j] == s);
        }
    std::vector<float> f(4);
    CHECK(nn::matmul_int_impl(ex, desc(f.data(), NN_DTYPE_FLOAT32, {2, 2}), desc(f.data(), NN_DTYPE_FLOAT32, {2, 2}),
                              desc(f.data(), NN_DTYPE_FLOAT32, {2, 2})) == NN_ERROR_NOT_SUPPORTED);
}

// ---------------------------------------------------------------- optimizer steps (PyTorch 1.13 formulas, in double)
void test_optimizers() {
    nn::SerialExec ex;
    const int64_t n = 37;
    for (int variant = 0; variant < 4; ++variant) {
        auto p = random_vec<double>(n, 61), g = random_vec<double>(n, 62), buf = random_vec<double>(n, 63);
        auto p0 = p, buf0 = buf;
        nn_sgd_params a{};
        a.lr = 0.1; a.momentum = variant == 0 ? 0 : 0.9; a.dampening = variant == 2 ? 0.3 : 0; a.weight_decay = variant >= 2 ? 0.01 : 0;
        a.nesterov = variant == 3; a.maximize = variant == 1; a.first_step = variant == 2;
        CHECK(nn::sgd_impl(ex, p.data(), g.data(), buf.data(), NN_DTYPE_FLOAT64, n, a) == NN_SUCCESS);
        for (int64_t i = 0; i < n; ++i) {
            double d = a.maximize ? -g[i] : g[i];
            d += a.weight_decay * p0[i];
            if (a.momentum != 0) {
                const double b = a.first_step ? d : a.momentum * buf0[i] + (1 - a.dampening) * d;
                CHECK(close(buf[i], b, 1e-14));
                d = a.nesterov ? d + a.momentum * b : b;
            }
            CHECK(close(p[i], p0[i] - a.lr * d, 1e-14));
        }
    }
    for (int variant = 0; variant < 3; ++variant) {
        auto p = random_vec<double>(n, 71), g = random_vec<double>(n, 72), m = random_vec<double>(n, 73, -0.1, 0.1);
        auto v = random_vec<double>(n, 74, 0, 0.1), vmax = random_vec<double>(n, 75, 0, 0.1);
        auto p0 = p, m0 = m, v0 = v, vmax0 = vmax;
        nn_adam_params a{};
        a.lr = 1e-3; a.beta1 = 0.9; a.beta2 = 0.999; a.eps = 1e-8; a.weight_decay = variant == 0 ? 0 : 0.01; a.step = 3;
        a.decoupled = variant == 2; a.amsgrad = variant == 1;
        CHECK(nn::adam_impl(ex, p.data(), g.data(), m.data(), v.data(), vmax.data(), NN_DTYPE_FLOAT64, n, a) == NN_SUCCESS);
        for (int64_t i = 0; i < n; ++i) {
            double gi = g[i], pi = p0[i];
            if (!a.decoupled) gi += a.weight_decay * pi;
            else pi *= 1 - a.lr * a.weight_decay;
            const double mi = a.beta1 * m0[i] + (1 - a.beta1) * gi, vi = a.beta2 * v0[i] + (1 - a.beta2) * gi * gi;
            const double vhat = a.amsgrad ? std::max(vmax0[i], vi) : vi;
            const double bc1 = 1 - std::pow(a.beta1, 3), bc2 = 1 - std::pow(a.beta2, 3);
            const double want = pi - a.lr / bc1 * mi / (std::sqrt(vhat) / std::sqrt(bc2) + a.eps);
            CHECK(close(m[i], mi, 1e-14) && close(v[i], vi, 1e-14) && close(p[i], want, 1e-12));
        }
    }
    for (int variant = 0; variant < 2; ++variant) {
        auto p = random_vec<double>(n, 81), g = random_vec<double>(n, 82), sq = random_vec<double>(n, 83, 0.5, 1);
        auto ga = random_vec<double>(n, 84, -0.1, 0.1), buf = random_vec<double>(n, 85);
        auto p0 = p, sq0 = sq, ga0 = ga, buf0 = buf;
        nn_rmsprop_params a{};
        a.lr = 0.01; a.alpha = 0.99; a.eps = 1e-8; a.weight_decay = 0.1; a.momentum = variant ? 0.9 : 0; a.centered = variant;
        CHECK(nn::rmsprop_impl(ex, p.data(), g.data(), sq.data(), ga.data(), buf.data(), NN_DTYPE_FLOAT64, n, a) == NN_SUCCESS);
        for (int64_t i = 0; i < n; ++i) {
            const double gi = g[i] + a.weight_decay * p0[i];
            const double si = a.alpha * sq0[i] + (1 - a.alpha) * gi * gi;
            double avg = std::sqrt(si) + a.eps;
            if (a.centered) {
                const double gai = a.alpha * ga0[i] + (1 - a.alpha) * gi;
                avg = std::sqrt(si - gai * gai) + a.eps;
            }
            const double step = a.momentum > 0 ? a.momentum * buf0[i] + gi / avg : gi / avg;
            CHECK(close(sq[i], si, 1e-14) && close(p[i], p0[i] - a.lr * step, 1e-12));
        }
    }
}

// ---------------------------------------------------------------- ABI 2 elementwise additions
void test_elementwise_additions() {
    nn::SerialExec ex;
    std::vector<double> a = {5.5, -5.5, 5.5, -5.5, 0.0}, b = {2.0, 2.0, -2.0, -2.0, 3.0}, y(5);
    auto da = desc(a.data(), NN_DTYPE_FLOAT64, {5}), db = desc(b.data(), NN_DTYPE_FLOAT64, {5}), dy = desc(y.data(), NN_DTYPE_FLOAT64, {5});
    CHECK(nn::binary_impl(ex, NN_BINARY_REMAINDER, dy, da, db) == NN_SUCCESS);
    const double rem[] = {1.5, 0.5, -0.5, -1.5, 0.0};  // Python: 5.5 % 2, -5.5 % 2, 5.5 % -2, -5.5 % -2, 0 % 3
    for (int i = 0; i < 5; ++i) CHECK(y[i] == rem[i]);
    std::vector<int32_t> ia = {7, -7, 7, -7, 5, INT32_MIN}, ib = {3, 3, -3, -3, 0, -1}, iy(6);
    CHECK(nn::binary_impl(ex, NN_BINARY_REMAINDER, desc(iy.data(), NN_DTYPE_INT32, {6}), desc(ia.data(), NN_DTYPE_INT32, {6}),
                          desc(ib.data(), NN_DTYPE_INT32, {6})) == NN_SUCCESS);
    const int32_t irem[] = {1, 2, -2, -1, 0, 0};
    for (int i = 0; i < 6; ++i) CHECK(iy[i] == irem[i]);
    CHECK(nn::binary_impl(ex, NN_BINARY_RELU_GRAD, dy, da, db) == NN_SUCCESS);  // b > 0 ? a : 0
    const double rg[] = {5.5, -5.5, 0.0, 0.0, 0.0};
    for (int i = 0; i < 5; ++i) CHECK(y[i] == rg[i]);
    std::vector<int64_t> pa = {3, -2, 2, 10, 7}, pb = {4, 3, 62, 0, -1}, py(5);
    CHECK(nn::binary_impl(ex, NN_BINARY_POW, desc(py.data(), NN_DTYPE_INT64, {5}), desc(pa.data(), NN_DTYPE_INT64, {5}),
                          desc(pb.data(), NN_DTYPE_INT64, {5})) == NN_SUCCESS);
    CHECK(py[0] == 81 && py[1] == -8 && py[2] == (int64_t(1) << 62) && py[3] == 1 && py[4] == 0);
    // where with a broadcast condition row [3] over [2, 3].
    std::vector<uint8_t> cond = {1, 0, 7};
    std::vector<float> wa = {1, 2, 3, 4, 5, 6}, wb = {-1}, wy(6);
    CHECK(nn::where_impl(ex, desc(wy.data(), NN_DTYPE_FLOAT32, {2, 3}), desc(cond.data(), NN_DTYPE_BOOL, {3}),
                         desc(wa.data(), NN_DTYPE_FLOAT32, {2, 3}), desc(wb.data(), NN_DTYPE_FLOAT32, {1})) == NN_SUCCESS);
    const float want[] = {1, -1, 3, 4, -1, 6};
    for (int i = 0; i < 6; ++i) CHECK(wy[i] == want[i]);
    CHECK(nn::where_impl(ex, desc(wy.data(), NN_DTYPE_FLOAT32, {2, 3}), desc(wa.data(), NN_DTYPE_FLOAT32, {2, 3}),
                         desc(wa.data(), NN_DTYPE_FLOAT32, {2, 3}), desc(wb.data(), NN_DTYPE_FLOAT32, {1})) == NN_ERROR_INVALID_VALUE);
}

}  // namespace

int main() {
    test_reductions();
    test_softmax();
    test_index_ops();
    test_pooling();
    test_im2col();
    test_random();
    test_matmul_int();
    test_optimizers();
    test_elementwise_additions();
    std::printf("kernels_host_test: %d checks, %d failures\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
