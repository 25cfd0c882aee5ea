// Host-side test of the elementwise launchers' logic: descriptor validation,
// broadcasting, dimension coalescing, 32/64-bit indexing, dtype dispatch and op
// semantics. It runs the exact code the CUDA kernels run (native/src/elementwise_impl.h)
// through a serial executor, so it needs no GPU and builds with any C++17 compiler.
#include "elementwise_impl.h"
#include "serial_exec.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "host_check.h"

namespace {

nn_status host_fill(nn_tensor_desc out, const void* v) {
    nn::SerialExec ex;
    return nn::fill_impl(ex, out, v);
}
nn_status host_cast(nn_tensor_desc out, nn_tensor_desc in) {
    nn::SerialExec ex;
    return nn::cast_impl(ex, out, in);
}
nn_status host_unary(int op, nn_tensor_desc out, nn_tensor_desc in, double alpha = 0, double beta = 0) {
    nn::SerialExec ex;
    return nn::unary_impl(ex, op, out, in, alpha, beta);
}
nn_status host_binary(int op, nn_tensor_desc out, nn_tensor_desc a, nn_tensor_desc b) {
    nn::SerialExec ex;
    return nn::binary_impl(ex, op, out, a, b);
}

nn_tensor_desc desc(void* data, nn_dtype dtype, std::initializer_list<int64_t> shape,
                    std::initializer_list<int64_t> strides = {}) {
    nn_tensor_desc d;
    std::memset(&d, 0, sizeof d);
    d.data = data;
    d.dtype = dtype;
    d.ndim = static_cast<int32_t>(shape.size());
    int i = 0;
    for (int64_t s : shape) d.shape[i++] = s;
    if (strides.size() == 0) {
        int64_t st = 1;
        for (int k = d.ndim - 1; k >= 0; --k) {
            d.strides[k] = st;
            st *= d.shape[k];
        }
    } else {
        i = 0;
        for (int64_t s : strides) d.strides[i++] = s;
    }
    return d;
}

bool same(double a, double b, double rtol, double atol) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    if (std::isinf(a) || std::isinf(b)) return a == b;
    return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

bool error_contains(const char* text) { return std::strstr(nn_last_error(), text) != nullptr; }

const double kNan = std::nan("");
const double kInf = INFINITY;

// ---------------------------------------------------------------- geometry
void test_geometry() {
    float buf[64] = {};
    nn::Geometry g;
    nn_tensor_desc out = desc(buf, NN_DTYPE_FLOAT32, {2, 3, 4});
    nn_tensor_desc in = desc(buf, NN_DTYPE_FLOAT32, {2, 3, 4});
    CHECK(nn::make_geometry("t", out, &in, 1, &g) == NN_SUCCESS);
    CHECK(g.ndim == 1 && g.contiguous == 1 && g.numel == 24 && g.sizes[0] == 24);

    // a transposed input cannot be merged
    nn_tensor_desc tin = desc(buf, NN_DTYPE_FLOAT32, {4, 3}, {1, 4});
    nn_tensor_desc tout = desc(buf, NN_DTYPE_FLOAT32, {4, 3});
    CHECK(nn::make_geometry("t", tout, &tin, 1, &g) == NN_SUCCESS);
    CHECK(g.ndim == 2 && g.contiguous == 0);

    // [2,3,4] + [4]: the broadcast operand splits the space into [4] and [6]
    nn_tensor_desc ins[2] = {desc(buf, NN_DTYPE_FLOAT32, {2, 3, 4}), desc(buf, NN_DTYPE_FLOAT32, {4})};
    CHECK(nn::make_geometry("t", out, ins, 2, &g) == NN_SUCCESS);
    CHECK(g.ndim == 2 && g.sizes[0] == 4 && g.sizes[1] == 6);
    CHECK(g.strides[2][0] == 1 && g.strides[2][1] == 0);

    // size-1 dims are dropped; a scalar is contiguous
    nn_tensor_desc o1 = desc(buf, NN_DTYPE_FLOAT32, {1, 5, 1});
    CHECK(nn::make_geometry("t", o1, nullptr, 0, &g) == NN_SUCCESS);
    CHECK(g.ndim == 1 && g.contiguous == 1 && g.numel == 5);
    nn_tensor_desc o0 = desc(buf, NN_DTYPE_FLOAT32, {});
    CHECK(nn::make_geometry("t", o0, nullptr, 0, &g) == NN_SUCCESS);
    CHECK(g.ndim == 0 && g.contiguous == 1 && g.numel == 1);

    // int32 and int64 index paths agree; huge strides force int64
    nn_tensor_desc big = desc(buf, NN_DTYPE_FLOAT32, {3, 5, 7}, {35, 1, 5});
    nn_tensor_desc bigo = desc(buf, NN_DTYPE_FLOAT32, {3, 5, 7});
    CHECK(nn::make_geometry("t", bigo, &big, 1, &g) == NN_SUCCESS);
    CHECK(nn::fits_int32(g, 2));
    bool agree = true;
    for (int64_t i = 0; i < g.numel; ++i) {
        int32_t a[2];
        int64_t b[2];
        nn::offsets_at<int32_t, 2>(g, i, a);
        nn::offsets_at<int64_t, 2>(g, i, b);
        if (a[0] != b[0] || a[1] != b[1]) agree = false;
        // reference: row-major over [3,5,7]
        const int64_t i0 = i / 35, i1 = (i / 7) % 5, i2 = i % 7;
        if (b[0] != i || b[1] != i0 * 35 + i1 * 1 + i2 * 5) agree = false;
    }
    CHECK(agree);
    nn_tensor_desc huge = desc(buf, NN_DTYPE_FLOAT32, {2, 3}, {int64_t(1) << 33, 1});
    nn_tensor_desc hugeo = desc(buf, NN_DTYPE_FLOAT32, {2, 3});
    CHECK(nn::make_geometry("t", hugeo, &huge, 1, &g) == NN_SUCCESS);
    CHECK(!nn::fits_int32(g, 2));
    int64_t off[2];
    nn::offsets_at<int64_t, 2>(g, 4, off);
    CHECK(off[0] == 4 && off[1] == (int64_t(1) << 33) + 1);
}

// ---------------------------------------------------------------- errors
void test_errors() {
    float buf[16] = {};
    float v = 1;
    nn_tensor_desc ok = desc(buf, NN_DTYPE_FLOAT32, {2, 4});

    nn_tensor_desc bad = ok;
    bad.ndim = 9;
    CHECK(host_fill(bad, &v) == NN_ERROR_INVALID_VALUE);
    CHECK(error_contains("nn_fill") && error_contains("ndim 9"));

    bad = ok;
    bad.dtype = 17;
    CHECK(host_fill(bad, &v) == NN_ERROR_INVALID_VALUE && error_contains("unknown dtype"));

    bad = ok;
    bad.shape[1] = -1;
    CHECK(host_fill(bad, &v) == NN_ERROR_INVALID_VALUE && error_contains("negative"));

    nn_tensor_desc three = desc(buf, NN_DTYPE_FLOAT32, {3});
    CHECK(host_unary(NN_UNARY_EXP, ok, three) == NN_ERROR_INVALID_VALUE);
    CHECK_MSG(error_contains("cannot broadcast input shape [3] to output shape [2, 4]"), "%s", nn_last_error());

    nn_tensor_desc zero_stride = desc(buf, NN_DTYPE_FLOAT32, {2, 4}, {0, 1});
    CHECK(host_unary(NN_UNARY_EXP, zero_stride, ok) == NN_ERROR_INVALID_VALUE && error_contains("stride 0"));

    nn_tensor_desc null_out = desc(nullptr, NN_DTYPE_FLOAT32, {2, 4});
    CHECK(host_fill(null_out, &v) == NN_ERROR_INVALID_VALUE && error_contains("NULL"));
    CHECK(host_fill(ok, nullptr) == NN_ERROR_INVALID_VALUE);

    nn_tensor_desc empty = desc(nullptr, NN_DTYPE_FLOAT32, {0, 4});
    CHECK(host_fill(empty, &v) == NN_SUCCESS);
    CHECK(nn_last_error()[0] == '\0');
    CHECK(host_unary(NN_UNARY_EXP, empty, desc(nullptr, NN_DTYPE_FLOAT32, {4})) == NN_SUCCESS);

    CHECK(host_unary(999, ok, ok) == NN_ERROR_INVALID_VALUE && error_contains("unknown op"));
    CHECK(host_binary(999, ok, ok, ok) == NN_ERROR_INVALID_VALUE && error_contains("unknown op"));

    double dbuf[8];
    nn_tensor_desc d = desc(dbuf, NN_DTYPE_FLOAT64, {2, 4});
    CHECK(host_binary(NN_BINARY_ADD, ok, ok, d) == NN_ERROR_INVALID_VALUE && error_contains("dtypes differ"));
    CHECK(host_unary(NN_UNARY_EXP, d, ok) == NN_ERROR_INVALID_VALUE && error_contains("output dtype is Float64"));
    CHECK(host_binary(NN_BINARY_LT, ok, ok, ok) == NN_ERROR_INVALID_VALUE && error_contains("expected Bool"));

    int64_t ibuf[8] = {};
    nn_tensor_desc i64 = desc(ibuf, NN_DTYPE_INT64, {2, 4});
    CHECK(host_unary(NN_UNARY_EXP, i64, i64) == NN_ERROR_NOT_SUPPORTED);
    CHECK_MSG(error_contains("exp") && error_contains("Int64"), "%s", nn_last_error());
    CHECK(host_binary(NN_BINARY_DIV, i64, i64, i64) == NN_ERROR_NOT_SUPPORTED && error_contains("div"));
    CHECK(host_unary(NN_UNARY_ADD_SCALAR, i64, i64, 2.5) == NN_ERROR_INVALID_VALUE && error_contains("not an integer"));

    uint8_t bbuf[8] = {};
    nn_tensor_desc b = desc(bbuf, NN_DTYPE_BOOL, {2, 4});
    CHECK(host_unary(NN_UNARY_NEG, b, b) == NN_ERROR_NOT_SUPPORTED && error_contains("Bool"));
    CHECK(host_binary(NN_BINARY_ADD, b, b, b) == NN_ERROR_NOT_SUPPORTED);

    CHECK(std::strcmp(nn_status_string(NN_ERROR_LAUNCH_FAILED), "NN_ERROR_LAUNCH_FAILED") == 0);
    CHECK(nn_abi_version() == NN_ABI_VERSION);
    CHECK(sizeof(nn_tensor_desc) == 144);
}

// ---------------------------------------------------------------- unary ops
double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct UnaryCase {
    int op;
    double alpha, beta;
    double (*ref)(double x, double alpha, double beta);
};

template <typename T>
void check_unary_float(nn_dtype dt, double rtol) {
    const std::vector<double> xs = {-3.5, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 2.5, 7.0, kNan, kInf, -kInf};
    const UnaryCase cases[] = {
        {NN_UNARY_NEG, 0, 0, [](double x, double, double) { return -x; }},
        {NN_UNARY_ABS, 0, 0, [](double x, double, double) { return std::fabs(x); }},
        {NN_UNARY_SIGN, 0, 0, [](double x, double, double) { return double((0 < x) - (x < 0)); }},
        {NN_UNARY_SQUARE, 0, 0, [](double x, double, double) { return x * x; }},
        {NN_UNARY_RECIPROCAL, 0, 0, [](double x, double, double) { return 1 / x; }},
        {NN_UNARY_EXP, 0, 0, [](double x, double, double) { return std::exp(x); }},
        {NN_UNARY_LOG, 0, 0, [](double x, double, double) { return std::log(x); }},
        {NN_UNARY_SQRT, 0, 0, [](double x, double, double) { return std::sqrt(x); }},
        {NN_UNARY_RSQRT, 0, 0, [](double x, double, double) { return 1 / std::sqrt(x); }},
        {NN_UNARY_SIN, 0, 0, [](double x, double, double) { return std::sin(x); }},
        {NN_UNARY_COS, 0, 0, [](double x, double, double) { return std::cos(x); }},
        {NN_UNARY_TANH, 0, 0, [](double x, double, double) { return std::tanh(x); }},
        {NN_UNARY_SIGMOID, 0, 0, [](double x, double, double) { return sigmoid_ref(x); }},
        {NN_UNARY_RELU, 0, 0, [](double x, double, double) { return std::isnan(x) ? x : (x > 0 ? x : 0.0); }},
        {NN_UNARY_GELU, 0, 0,
         [](double x, double, double) {  // long double: 1 + erf(..) cancels for negative x
             const long double lx = x;
             return static_cast<double>(0.5L * lx * (1 + std::erf(lx / std::sqrt(2.0L))));
         }},
        {NN_UNARY_GELU_TANH, 0, 0,
         [](double x, double, double) {
             const long double lx = x;
             const long double u = std::sqrt(2.0L / 3.14159265358979323846264338327950288L) * (lx + 0.044715L * lx * lx * lx);
             return static_cast<double>(0.5L * lx * (1 + std::tanh(u)));
         }},
        {NN_UNARY_SILU, 0, 0, [](double x, double, double) { return x * sigmoid_ref(x); }},
        {NN_UNARY_ERF, 0, 0, [](double x, double, double) { return std::erf(x); }},
        {NN_UNARY_LOG1P, 0, 0, [](double x, double, double) { return std::log1p(x); }},
        {NN_UNARY_EXPM1, 0, 0, [](double x, double, double) { return std::expm1(x); }},
        {NN_UNARY_FLOOR, 0, 0, [](double x, double, double) { return std::floor(x); }},
        {NN_UNARY_CEIL, 0, 0, [](double x, double, double) { return std::ceil(x); }},
        {NN_UNARY_ROUND, 0, 0, [](double x, double, double) { return std::nearbyint(x); }},
        {NN_UNARY_TRUNC, 0, 0, [](double x, double, double) { return std::trunc(x); }},
        {NN_UNARY_ADD_SCALAR, 1.5, 0, [](double x, double a, double) { return x + a; }},
        {NN_UNARY_MUL_SCALAR, -2.0, 0, [](double x, double a, double) { return x * a; }},
        {NN_UNARY_RSUB_SCALAR, 1.0, 0, [](double x, double a, double) { return a - x; }},
        {NN_UNARY_RDIV_SCALAR, 3.0, 0, [](double x, double a, double) { return a / x; }},
        {NN_UNARY_POW_SCALAR, 2.0, 0, [](double x, double a, double) { return std::pow(x, a); }},
        {NN_UNARY_POW_SCALAR, 0.5, 0, [](double x, double a, double) { return std::pow(x, a); }},
        {NN_UNARY_RPOW_SCALAR, 2.0, 0, [](double x, double a, double) { return std::pow(a, x); }},
        {NN_UNARY_CLAMP, -1.0, 2.0, [](double x, double a, double b) { return std::isnan(x) ? x : std::min(std::max(x, a), b); }},
        {NN_UNARY_CLAMP, kNan, 0.5, [](double x, double, double b) { return std::isnan(x) ? x : std::min(x, b); }},
        {NN_UNARY_LEAKY_RELU, 0.01, 0, [](double x, double a, double) { return x > 0 ? x : a * x; }},
        {NN_UNARY_ELU, 1.0, 0, [](double x, double a, double) { return x > 0 ? x : a * std::expm1(x); }},
    };
    std::vector<T> in(xs.size()), out(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) in[i] = static_cast<T>(xs[i]);
    const int64_t n = static_cast<int64_t>(xs.size());
    for (const UnaryCase& c : cases) {
        nn_tensor_desc di = desc(in.data(), dt, {n});
        nn_tensor_desc dout = desc(out.data(), dt, {n});
        nn_status st = host_unary(c.op, dout, di, c.alpha, c.beta);
        CHECK_MSG(st == NN_SUCCESS, "op %s: %s", nn::unary_op_name(c.op), nn_last_error());
        for (size_t i = 0; i < xs.size(); ++i) {
            const double want = c.ref(static_cast<double>(in[i]), c.alpha, c.beta);
            const double want_t = static_cast<double>(static_cast<T>(want));
            CHECK_MSG(same(static_cast<double>(out[i]), want_t, rtol, 1e-30), "%s(%s, x=%g): got %.17g, want %.17g",
                      nn::unary_op_name(c.op), nn::dtype_name(dt), xs[i], static_cast<double>(out[i]), want_t);
        }
    }
    // -> Bool ops
    std::vector<uint8_t> ob(xs.size());
    struct BoolCase {
        int op;
        double alpha;
        bool (*ref)(double, double);
    };
    const BoolCase bcases[] = {
        {NN_UNARY_LOGICAL_NOT, 0, [](double x, double) { return x == 0; }},
        {NN_UNARY_ISNAN, 0, [](double x, double) { return std::isnan(x); }},
        {NN_UNARY_ISINF, 0, [](double x, double) { return std::isinf(x); }},
        {NN_UNARY_EQ_SCALAR, 0.5, [](double x, double a) { return x == a; }},
        {NN_UNARY_NE_SCALAR, 0.5, [](double x, double a) { return x != a; }},
        {NN_UNARY_LT_SCALAR, 0.0, [](double x, double a) { return x < a; }},
        {NN_UNARY_LE_SCALAR, 0.0, [](double x, double a) { return x <= a; }},
        {NN_UNARY_GT_SCALAR, 0.0, [](double x, double a) { return x > a; }},
        {NN_UNARY_GE_SCALAR, 1.0, [](double x, double a) { return x >= a; }},
    };
    for (const BoolCase& c : bcases) {
        nn_tensor_desc di = desc(in.data(), dt, {n});
        nn_tensor_desc dout = desc(ob.data(), NN_DTYPE_BOOL, {n});
        CHECK_MSG(host_unary(c.op, dout, di, c.alpha, 0) == NN_SUCCESS, "%s", nn_last_error());
        for (size_t i = 0; i < xs.size(); ++i)
            CHECK_MSG(ob[i] == (c.ref(xs[i], c.alpha) ? 1 : 0), "%s(x=%g) = %d", nn::unary_op_name(c.op), xs[i], ob[i]);
    }
}

void test_unary_integer() {
    uint8_t u[4] = {0, 3, 200, 255}, uo[4];
    CHECK(host_unary(NN_UNARY_NEG, desc(uo, NN_DTYPE_UINT8, {4}), desc(u, NN_DTYPE_UINT8, {4})) == NN_SUCCESS);
    CHECK(uo[0] == 0 && uo[1] == 253 && uo[2] == 56 && uo[3] == 1);
    CHECK(host_unary(NN_UNARY_ADD_SCALAR, desc(uo, NN_DTYPE_UINT8, {4}), desc(u, NN_DTYPE_UINT8, {4}), 10) == NN_SUCCESS);
    CHECK(uo[0] == 10 && uo[3] == 9);  // wraps

    int32_t a[6] = {-5, -1, 0, 1, 2, 7}, o[6];
    nn_tensor_desc da = desc(a, NN_DTYPE_INT32, {6}), dout = desc(o, NN_DTYPE_INT32, {6});
    CHECK(host_unary(NN_UNARY_ABS, dout, da) == NN_SUCCESS && o[0] == 5 && o[5] == 7);
    CHECK(host_unary(NN_UNARY_SIGN, dout, da) == NN_SUCCESS && o[0] == -1 && o[2] == 0 && o[5] == 1);
    CHECK(host_unary(NN_UNARY_RELU, dout, da) == NN_SUCCESS && o[0] == 0 && o[5] == 7);
    CHECK(host_unary(NN_UNARY_SQUARE, dout, da) == NN_SUCCESS && o[0] == 25);
    CHECK(host_unary(NN_UNARY_FLOOR, dout, da) == NN_SUCCESS && o[0] == -5 && o[5] == 7);
    CHECK(host_unary(NN_UNARY_CLAMP, dout, da, -1.5, 2.5) == NN_SUCCESS);
    CHECK(o[0] == -1 && o[1] == -1 && o[4] == 2 && o[5] == 2);
    CHECK(host_unary(NN_UNARY_CLAMP, dout, da, kNan, 0) == NN_SUCCESS && o[0] == -5 && o[5] == 0);
    CHECK(host_unary(NN_UNARY_CLAMP, dout, da, -1e300, 1e300) == NN_SUCCESS && o[0] == -5 && o[5] == 7);
    CHECK(host_unary(NN_UNARY_MUL_SCALAR, dout, da, -3) == NN_SUCCESS && o[0] == 15 && o[5] == -21);
    CHECK(host_unary(NN_UNARY_RSUB_SCALAR, dout, da, 1) == NN_SUCCESS && o[0] == 6 && o[5] == -6);

    uint8_t b[6];
    nn_tensor_desc db = desc(b, NN_DTYPE_BOOL, {6});
    CHECK(host_unary(NN_UNARY_GT_SCALAR, db, da, 1.5) == NN_SUCCESS && b[3] == 0 && b[4] == 1);
    CHECK(host_unary(NN_UNARY_LOGICAL_NOT, db, da) == NN_SUCCESS && b[2] == 1 && b[0] == 0);
    CHECK(host_unary(NN_UNARY_ISNAN, db, da) == NN_SUCCESS && b[0] == 0);
    uint8_t gt[6], nb[6];
    CHECK(host_unary(NN_UNARY_GT_SCALAR, desc(gt, NN_DTYPE_BOOL, {6}), da, 0) == NN_SUCCESS);  // 0 0 0 1 1 1
    CHECK(host_unary(NN_UNARY_LOGICAL_NOT, desc(nb, NN_DTYPE_BOOL, {6}), desc(gt, NN_DTYPE_BOOL, {6})) == NN_SUCCESS);
    CHECK(nb[0] == 1 && nb[2] == 1 && nb[3] == 0 && nb[5] == 0);

    int64_t big[2] = {(int64_t(1) << 62) + 1, -3}, bo[2];
    CHECK(host_unary(NN_UNARY_NEG, desc(bo, NN_DTYPE_INT64, {2}), desc(big, NN_DTYPE_INT64, {2})) == NN_SUCCESS);
    CHECK(bo[0] == -((int64_t(1) << 62) + 1) && bo[1] == 3);
}

// ---------------------------------------------------------------- binary ops
void test_binary() {
    // a [2,1,3] + b [4,1] -> out [2,4,3]
    double a[6], b[4], out[24];
    for (int i = 0; i < 6; ++i) a[i] = 0.5 * i - 1;
    for (int i = 0; i < 4; ++i) b[i] = 10.0 * (i + 1);
    nn_tensor_desc da = desc(a, NN_DTYPE_FLOAT64, {2, 1, 3}), db = desc(b, NN_DTYPE_FLOAT64, {4, 1});
    nn_tensor_desc dout = desc(out, NN_DTYPE_FLOAT64, {2, 4, 3});
    struct Case {
        int op;
        double (*ref)(double, double);
    };
    const Case cases[] = {
        {NN_BINARY_ADD, [](double x, double y) { return x + y; }},
        {NN_BINARY_SUB, [](double x, double y) { return x - y; }},
        {NN_BINARY_MUL, [](double x, double y) { return x * y; }},
        {NN_BINARY_DIV, [](double x, double y) { return x / y; }},
        {NN_BINARY_POW, [](double x, double y) { return std::pow(y, x); }},  // checked with swapped inputs below
        {NN_BINARY_MAXIMUM, [](double x, double y) { return std::max(x, y); }},
        {NN_BINARY_MINIMUM, [](double x, double y) { return std::min(x, y); }},
    };
    for (const Case& c : cases) {
        const bool swap = c.op == NN_BINARY_POW;
        CHECK_MSG((swap ? host_binary(c.op, dout, db, da) : host_binary(c.op, dout, da, db)) == NN_SUCCESS, "%s",
                  nn_last_error());
        bool ok = true;
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 4; ++j)
                for (int k = 0; k < 3; ++k)
                    if (!same(out[(i * 4 + j) * 3 + k], c.ref(a[i * 3 + k], b[j]), 1e-15, 0)) ok = false;
        CHECK_MSG(ok, "binary %s with broadcasting", nn::binary_op_name(c.op));
    }

    // comparisons and logical ops -> Bool, NaN-propagating maximum
    float x[5] = {1, 2, 3, static_cast<float>(kNan), 0}, y[5] = {2, 2, 2, 1, 0}, fo[5];
    uint8_t bo[5];
    nn_tensor_desc dx = desc(x, NN_DTYPE_FLOAT32, {5}), dy = desc(y, NN_DTYPE_FLOAT32, {5});
    nn_tensor_desc dbo = desc(bo, NN_DTYPE_BOOL, {5});
    CHECK(host_binary(NN_BINARY_LT, dbo, dx, dy) == NN_SUCCESS && bo[0] == 1 && bo[1] == 0 && bo[3] == 0);
    CHECK(host_binary(NN_BINARY_LE, dbo, dx, dy) == NN_SUCCESS && bo[1] == 1 && bo[2] == 0);
    CHECK(host_binary(NN_BINARY_EQ, dbo, dx, dy) == NN_SUCCESS && bo[1] == 1 && bo[3] == 0 && bo[4] == 1);
    CHECK(host_binary(NN_BINARY_NE, dbo, dx, dy) == NN_SUCCESS && bo[3] == 1 && bo[4] == 0);
    CHECK(host_binary(NN_BINARY_GT, dbo, dx, dy) == NN_SUCCESS && bo[2] == 1 && bo[0] == 0);
    CHECK(host_binary(NN_BINARY_GE, dbo, dx, dy) == NN_SUCCESS && bo[1] == 1 && bo[0] == 0);
    CHECK(host_binary(NN_BINARY_LOGICAL_AND, dbo, dx, dy) == NN_SUCCESS && bo[0] == 1 && bo[3] == 1 && bo[4] == 0);
    CHECK(host_binary(NN_BINARY_LOGICAL_XOR, dbo, dx, dy) == NN_SUCCESS && bo[0] == 0 && bo[4] == 0);
    CHECK(host_binary(NN_BINARY_MAXIMUM, desc(fo, NN_DTYPE_FLOAT32, {5}), dx, dy) == NN_SUCCESS);
    CHECK(fo[0] == 2 && fo[2] == 3 && std::isnan(fo[3]));
    uint8_t p[3] = {1, 0, 1}, q[3] = {1, 1, 0}, r[3];
    CHECK(host_binary(NN_BINARY_LOGICAL_OR, desc(r, NN_DTYPE_BOOL, {3}), desc(p, NN_DTYPE_BOOL, {3}),
                      desc(q, NN_DTYPE_BOOL, {3})) == NN_SUCCESS &&
          r[0] == 1 && r[1] == 1 && r[2] == 1);
    CHECK(host_binary(NN_BINARY_EQ, desc(r, NN_DTYPE_BOOL, {3}), desc(p, NN_DTYPE_BOOL, {3}),
                      desc(q, NN_DTYPE_BOOL, {3})) == NN_SUCCESS &&
          r[0] == 1 && r[1] == 0 && r[2] == 0);

    // integer arithmetic wraps for UInt8; scalar (0-d) operand broadcasts
    uint8_t u[2] = {250, 5}, ten = 10, uo[2];
    CHECK(host_binary(NN_BINARY_ADD, desc(uo, NN_DTYPE_UINT8, {2}), desc(u, NN_DTYPE_UINT8, {2}),
                      desc(&ten, NN_DTYPE_UINT8, {})) == NN_SUCCESS &&
          uo[0] == 4 && uo[1] == 15);
    int64_t i1[3] = {-7, 7, 3}, i2[3] = {2, -2, 3}, io[3];
    nn_tensor_desc d1 = desc(i1, NN_DTYPE_INT64, {3}), d2 = desc(i2, NN_DTYPE_INT64, {3}), dio = desc(io, NN_DTYPE_INT64, {3});
    CHECK(host_binary(NN_BINARY_MUL, dio, d1, d2) == NN_SUCCESS && io[0] == -14 && io[1] == -14 && io[2] == 9);
    CHECK(host_binary(NN_BINARY_MINIMUM, dio, d1, d2) == NN_SUCCESS && io[0] == -7 && io[1] == -2);

    // in place: out aliases a
    double inplace[3] = {1, 2, 3}, addend[3] = {10, 20, 30};
    nn_tensor_desc dip = desc(inplace, NN_DTYPE_FLOAT64, {3});
    CHECK(host_binary(NN_BINARY_ADD, dip, dip, desc(addend, NN_DTYPE_FLOAT64, {3})) == NN_SUCCESS);
    CHECK(inplace[0] == 11 && inplace[2] == 33);
}

// ---------------------------------------------------------------- cast, copy, fill
void test_cast_fill() {
    double d[5] = {kNan, 0.0, -0.0, 2.0, -1.0};
    uint8_t b[5];
    CHECK(host_cast(desc(b, NN_DTYPE_BOOL, {5}), desc(d, NN_DTYPE_FLOAT64, {5})) == NN_SUCCESS);
    CHECK(b[0] == 1 && b[1] == 0 && b[2] == 0 && b[3] == 1 && b[4] == 1);

    float f[3] = {-1.0f, 256.7f, 300.0f};
    uint8_t u[3];
    CHECK(host_cast(desc(u, NN_DTYPE_UINT8, {3}), desc(f, NN_DTYPE_FLOAT32, {3})) == NN_SUCCESS);
    CHECK(u[0] == 255 && u[1] == 0 && u[2] == 44);

    int64_t i[3] = {-3, 0, int64_t(1) << 40};
    float fo[3];
    CHECK(host_cast(desc(fo, NN_DTYPE_FLOAT32, {3}), desc(i, NN_DTYPE_INT64, {3})) == NN_SUCCESS);
    CHECK(fo[0] == -3.0f && fo[2] == 1099511627776.0f);
    int32_t io[3];
    double t[3] = {-2.7, 2.7, 0.5};
    CHECK(host_cast(desc(io, NN_DTYPE_INT32, {3}), desc(t, NN_DTYPE_FLOAT64, {3})) == NN_SUCCESS);
    CHECK(io[0] == -2 && io[1] == 2 && io[2] == 0);
    // NaN -> 0, out of range saturates (host and GPU agree)
    double sp[4] = {kNan, kInf, -kInf, 1e300};
    int32_t s32[4];
    int64_t s64[4];
    uint8_t s8[4];
    CHECK(host_cast(desc(s32, NN_DTYPE_INT32, {4}), desc(sp, NN_DTYPE_FLOAT64, {4})) == NN_SUCCESS);
    CHECK(s32[0] == 0 && s32[1] == INT32_MAX && s32[2] == INT32_MIN && s32[3] == INT32_MAX);
    CHECK(host_cast(desc(s64, NN_DTYPE_INT64, {4}), desc(sp, NN_DTYPE_FLOAT64, {4})) == NN_SUCCESS);
    CHECK(s64[0] == 0 && s64[1] == INT64_MAX && s64[2] == INT64_MIN && s64[3] == INT64_MAX);
    CHECK(host_cast(desc(s8, NN_DTYPE_UINT8, {4}), desc(sp, NN_DTYPE_FLOAT64, {4})) == NN_SUCCESS);
    CHECK(s8[0] == 0 && s8[1] == 255 && s8[2] == 0);
    float big32[2] = {2147483648.0f, -2147483904.0f};
    CHECK(host_cast(desc(s32, NN_DTYPE_INT32, {2}), desc(big32, NN_DTYPE_FLOAT32, {2})) == NN_SUCCESS);
    CHECK(s32[0] == INT32_MAX && s32[1] == INT32_MIN);

    // integer overflow wraps
    int32_t ov[2] = {INT32_MAX, INT32_MIN}, ovo[2];
    int32_t one = 1;
    CHECK(host_binary(NN_BINARY_ADD, desc(ovo, NN_DTYPE_INT32, {2}), desc(ov, NN_DTYPE_INT32, {2}),
                      desc(&one, NN_DTYPE_INT32, {})) == NN_SUCCESS);
    CHECK(ovo[0] == INT32_MIN && ovo[1] == INT32_MIN + 1);
    CHECK(host_unary(NN_UNARY_NEG, desc(ovo, NN_DTYPE_INT32, {2}), desc(ov, NN_DTYPE_INT32, {2})) == NN_SUCCESS);
    CHECK(ovo[1] == INT32_MIN);
    CHECK(host_unary(NN_UNARY_MUL_SCALAR, desc(ovo, NN_DTYPE_INT32, {2}), desc(ov, NN_DTYPE_INT32, {2}), 2) == NN_SUCCESS);
    CHECK(ovo[0] == -2 && ovo[1] == 0);
    uint8_t ub[1] = {200}, ubo[1];
    CHECK(host_unary(NN_UNARY_SQUARE, desc(ubo, NN_DTYPE_UINT8, {1}), desc(ub, NN_DTYPE_UINT8, {1})) == NN_SUCCESS);
    CHECK(ubo[0] == static_cast<uint8_t>(40000 & 0xff));

    uint8_t bb[2] = {1, 0};
    int64_t bi[2];
    CHECK(host_cast(desc(bi, NN_DTYPE_INT64, {2}), desc(bb, NN_DTYPE_BOOL, {2})) == NN_SUCCESS && bi[0] == 1 && bi[1] == 0);

    // same dtype: transposed view -> contiguous copy; expanded (stride 0) source
    float src[6] = {0, 1, 2, 3, 4, 5}, dst[6];
    CHECK(host_cast(desc(dst, NN_DTYPE_FLOAT32, {3, 2}), desc(src, NN_DTYPE_FLOAT32, {3, 2}, {1, 3})) == NN_SUCCESS);
    CHECK(dst[0] == 0 && dst[1] == 3 && dst[2] == 1 && dst[3] == 4 && dst[4] == 2 && dst[5] == 5);
    float col[2] = {7, 9}, wide[6];
    CHECK(host_cast(desc(wide, NN_DTYPE_FLOAT32, {2, 3}), desc(col, NN_DTYPE_FLOAT32, {2, 3}, {1, 0})) == NN_SUCCESS);
    CHECK(wide[0] == 7 && wide[2] == 7 && wide[3] == 9 && wide[5] == 9);

    // fill a strided view: every other element of [2, 4]
    float fb[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float v = 2.5f;
    CHECK(host_fill(desc(fb, NN_DTYPE_FLOAT32, {2, 2}, {4, 2}), &v) == NN_SUCCESS);
    CHECK(fb[0] == 2.5f && fb[1] == 0 && fb[2] == 2.5f && fb[4] == 2.5f && fb[6] == 2.5f && fb[7] == 0);
    int64_t il[3], iv = (int64_t(1) << 62) + 1;
    CHECK(host_fill(desc(il, NN_DTYPE_INT64, {3}), &iv) == NN_SUCCESS && il[0] == iv && il[2] == iv);
    uint8_t bl[2], bv = 7;
    CHECK(host_fill(desc(bl, NN_DTYPE_BOOL, {2}), &bv) == NN_SUCCESS && bl[0] == 1 && bl[1] == 1);
    uint8_t ul[2];
    CHECK(host_fill(desc(ul, NN_DTYPE_UINT8, {2}), &bv) == NN_SUCCESS && ul[0] == 7);
    double scalar = 0, sv = -4.25;
    CHECK(host_fill(desc(&scalar, NN_DTYPE_FLOAT64, {}), &sv) == NN_SUCCESS && scalar == -4.25);
}

}  // namespace

int main() {
    test_geometry();
    test_errors();
    check_unary_float<double>(NN_DTYPE_FLOAT64, 1e-14);
    check_unary_float<float>(NN_DTYPE_FLOAT32, 1e-6);
    test_unary_integer();
    test_binary();
    test_cast_fill();
    if (g_failures != 0) {
        std::printf("elementwise_host_test: %d of %d checks FAILED\n", g_failures, g_checks);
        return 1;
    }
    std::printf("elementwise_host_test: all %d checks passed\n", g_checks);
    return 0;
}
