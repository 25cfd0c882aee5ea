// Elementwise ops: per-element functors and the dtype/op dispatch of nn_fill, nn_cast,
// nn_unary and nn_binary, written once and parameterized by an executor:
//   - CudaExec (native/cuda/elementwise.cu) launches a grid-stride kernel;
//   - SerialExec (native/tests) runs the same bodies in a loop on the host, so the
//     dispatch, broadcasting and op semantics are tested on machines without a GPU.
// An executor provides: template <int N, typename Body> nn_status run(const Geometry&, const Body&),
// where N is the number of operands (output first) and body(const IndexT* offsets) does one element.
#pragma once

#include "nn_internal.h"

#if !defined(__CUDACC_RTC__)  // NVRTC provides the math functions as builtins
#include <math.h>
#include <stdint.h>
#include <string.h>
#endif

namespace nn {

// ------------------------------------------------------------------ math overloads
// Global-namespace C math functions exist for host and device code alike.
#define NN_MATH1(name, ffn, dfn)                          \
    NN_HD float name(float x) { return ffn(x); }          \
    NN_HD double name(double x) { return dfn(x); }

NN_MATH1(m_exp, expf, exp)
NN_MATH1(m_log, logf, log)
NN_MATH1(m_sqrt, sqrtf, sqrt)
NN_MATH1(m_sin, sinf, sin)
NN_MATH1(m_cos, cosf, cos)
NN_MATH1(m_tanh, tanhf, tanh)
NN_MATH1(m_erf, erff, erf)
NN_MATH1(m_erfc, erfcf, erfc)
NN_MATH1(m_log1p, log1pf, log1p)
NN_MATH1(m_expm1, expm1f, expm1)
NN_MATH1(m_floor, floorf, floor)
NN_MATH1(m_ceil, ceilf, ceil)
NN_MATH1(m_rint, rintf, rint)  // half to even in the default rounding mode
NN_MATH1(m_trunc, truncf, trunc)
NN_MATH1(m_fabs, fabsf, fabs)
#undef NN_MATH1

NN_HD float m_pow(float x, float y) { return powf(x, y); }
NN_HD double m_pow(double x, double y) { return pow(x, y); }
NN_HD float m_fmod(float x, float y) { return fmodf(x, y); }
NN_HD double m_fmod(double x, double y) { return fmod(x, y); }

#if defined(__CUDA_ARCH__)
NN_HD float m_rsqrt(float x) { return rsqrtf(x); }
NN_HD double m_rsqrt(double x) { return rsqrt(x); }
#else
NN_HD float m_rsqrt(float x) { return 1.0f / sqrtf(x); }
NN_HD double m_rsqrt(double x) { return 1.0 / sqrt(x); }
#endif

template <typename T>
NN_HD bool is_nan(T x) {
    return x != x;  // false for integers
}

// Integer arithmetic wraps (two's complement) like PyTorch's, without the undefined
// behaviour of signed overflow in C++: signed operands are computed as unsigned.
template <typename T, bool = nnstd::is_integral<T>::value> struct Arith {
    using U = T;
};
template <typename T> struct Arith<T, true> {
    using U = typename nnstd::make_unsigned<T>::type;
};
template <typename T> NN_HD T w_add(T a, T b) {
    using U = typename Arith<T>::U;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
}
template <typename T> NN_HD T w_sub(T a, T b) {
    using U = typename Arith<T>::U;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
}
template <typename T> NN_HD T w_mul(T a, T b) {
    using U = typename Arith<T>::U;
    // uint8/int32 would promote to (signed) int: multiply in a wide unsigned type instead.
    using W = typename nnstd::conditional<nnstd::is_integral<T>::value && (sizeof(U) < sizeof(unsigned)), unsigned, U>::type;
    return static_cast<T>(static_cast<W>(static_cast<U>(a)) * static_cast<W>(static_cast<U>(b)));
}
template <typename T> NN_HD T w_neg(T a) { return w_sub(T(0), a); }

// Float -> integer: NaN -> 0, out of range saturates (the GPU's conversion rule, made
// the rule everywhere so that host and device agree).
template <typename I> struct IntRange;
template <> struct IntRange<int32_t> {
    static constexpr int32_t lo = INT32_MIN;
    static constexpr int32_t hi = INT32_MAX;
};
template <> struct IntRange<int64_t> {
    static constexpr int64_t lo = INT64_MIN;
    static constexpr int64_t hi = INT64_MAX;
};
template <typename I, typename F>
NN_HD I saturating_cast(F x) {
    if (x != x) return 0;
    const F lo = static_cast<F>(IntRange<I>::lo);  // -2^31 or -2^63: exact in float and double
    if (x <= lo) return IntRange<I>::lo;
    if (x >= -lo) return IntRange<I>::hi;
    return static_cast<I>(x);
}

// ------------------------------------------------------------------ unary functors
// Each maps one element: TOut operator()(T x). Parameters are converted on the host.
template <typename T> struct OpNeg { NN_HD T operator()(T x) const { return w_neg(x); } };
template <typename T> struct OpAbs {
    NN_HD T operator()(T x) const {
        if constexpr (nnstd::is_floating_point<T>::value) return m_fabs(x);
        else if constexpr (nnstd::is_unsigned<T>::value) return x;
        else return x < 0 ? w_neg(x) : x;
    }
};
template <typename T> struct OpSign {
    NN_HD T operator()(T x) const {
        if constexpr (nnstd::is_unsigned<T>::value) return static_cast<T>(x != T(0));
        else return static_cast<T>((T(0) < x) - (x < T(0)));  // sign(NaN) = 0
    }
};
template <typename T> struct OpSquare { NN_HD T operator()(T x) const { return w_mul(x, x); } };
template <typename T> struct OpReciprocal { NN_HD T operator()(T x) const { return T(1) / x; } };
template <typename T> struct OpExp { NN_HD T operator()(T x) const { return m_exp(x); } };
template <typename T> struct OpLog { NN_HD T operator()(T x) const { return m_log(x); } };
template <typename T> struct OpSqrt { NN_HD T operator()(T x) const { return m_sqrt(x); } };
template <typename T> struct OpRsqrt { NN_HD T operator()(T x) const { return m_rsqrt(x); } };
template <typename T> struct OpSin { NN_HD T operator()(T x) const { return m_sin(x); } };
template <typename T> struct OpCos { NN_HD T operator()(T x) const { return m_cos(x); } };
template <typename T> struct OpTanh { NN_HD T operator()(T x) const { return m_tanh(x); } };
template <typename T> struct OpSigmoid { NN_HD T operator()(T x) const { return T(1) / (T(1) + m_exp(-x)); } };
template <typename T> struct OpRelu {
    NN_HD T operator()(T x) const { return (is_nan(x) || x > T(0)) ? x : T(0); }
};
// x * Phi(x) = 0.5 * x * erfc(-x / sqrt(2)): the erfc form avoids the cancellation in
// 1 + erf(x / sqrt(2)) for negative x.
template <typename T> struct OpGelu {
    NN_HD T operator()(T x) const {
        const T inv_sqrt2 = static_cast<T>(0.70710678118654752440);
        return T(0.5) * x * m_erfc(-x * inv_sqrt2);
    }
};
// 0.5 * x * (1 + tanh(u)) = x * sigmoid(2u) with u = sqrt(2/pi) * (x + 0.044715 x^3),
// written without the cancellation in 1 + tanh(u).
template <typename T> struct OpGeluTanh {
    NN_HD T operator()(T x) const {
        const T k = static_cast<T>(0.79788456080286535588);  // sqrt(2/pi)
        const T u = k * (x + static_cast<T>(0.044715) * x * x * x);
        return x / (T(1) + m_exp(T(-2) * u));
    }
};
template <typename T> struct OpSilu { NN_HD T operator()(T x) const { return x / (T(1) + m_exp(-x)); } };
template <typename T> struct OpErf { NN_HD T operator()(T x) const { return m_erf(x); } };
template <typename T> struct OpLog1p { NN_HD T operator()(T x) const { return m_log1p(x); } };
template <typename T> struct OpExpm1 { NN_HD T operator()(T x) const { return m_expm1(x); } };
template <typename T> struct OpFloor { NN_HD T operator()(T x) const { return m_floor(x); } };
template <typename T> struct OpCeil { NN_HD T operator()(T x) const { return m_ceil(x); } };
template <typename T> struct OpRound { NN_HD T operator()(T x) const { return m_rint(x); } };
template <typename T> struct OpTrunc { NN_HD T operator()(T x) const { return m_trunc(x); } };
template <typename T> struct OpIdentity { NN_HD T operator()(T x) const { return x; } };
template <typename T> struct OpLogicalNot { NN_HD uint8_t operator()(T x) const { return x == T(0) ? 1 : 0; } };
template <typename T> struct OpIsNan { NN_HD uint8_t operator()(T x) const { return is_nan(x) ? 1 : 0; } };
template <typename T> struct OpIsInf {
    NN_HD uint8_t operator()(T x) const {
        if constexpr (nnstd::is_floating_point<T>::value) return (!is_nan(x) && is_nan(x - x)) ? 1 : 0;  // inf - inf = NaN
        else return 0;
    }
};
template <typename T> struct OpAddScalar { T s; NN_HD T operator()(T x) const { return w_add(x, s); } };
template <typename T> struct OpMulScalar { T s; NN_HD T operator()(T x) const { return w_mul(x, s); } };
template <typename T> struct OpRsubScalar { T s; NN_HD T operator()(T x) const { return w_sub(s, x); } };
template <typename T> struct OpRdivScalar { T s; NN_HD T operator()(T x) const { return s / x; } };
template <typename T> struct OpPowScalar {
    T s;
    NN_HD T operator()(T x) const { return s == T(2) ? x * x : m_pow(x, s); }
};
template <typename T> struct OpRpowScalar { T s; NN_HD T operator()(T x) const { return m_pow(s, x); } };
template <typename T> struct OpClamp {
    T lo, hi;
    bool has_lo, has_hi;
    NN_HD T operator()(T x) const {
        if (has_lo && x < lo) x = lo;
        if (has_hi && x > hi) x = hi;
        return x;  // NaN stays NaN
    }
};
template <typename T> struct OpLeakyRelu { T a; NN_HD T operator()(T x) const { return x > T(0) ? x : a * x; } };
template <typename T> struct OpElu { T a; NN_HD T operator()(T x) const { return x > T(0) ? x : a * m_expm1(x); } };

// Comparison with a scalar, in type C (T for floats, double for integers).
enum class Cmp { Eq, Ne, Lt, Le, Gt, Ge };
template <Cmp K, typename C>
NN_HD uint8_t compare(C a, C b) {
    switch (K) {
        case Cmp::Eq: return a == b;
        case Cmp::Ne: return a != b;
        case Cmp::Lt: return a < b;
        case Cmp::Le: return a <= b;
        case Cmp::Gt: return a > b;
        default: return a >= b;
    }
}
template <typename T, typename C, Cmp K> struct OpCmpScalar {
    C s;
    NN_HD uint8_t operator()(T x) const { return compare<K, C>(static_cast<C>(x), s); }
};

// ------------------------------------------------------------------ binary functors
template <typename T> struct OpAdd { NN_HD T operator()(T a, T b) const { return w_add(a, b); } };
template <typename T> struct OpSub { NN_HD T operator()(T a, T b) const { return w_sub(a, b); } };
template <typename T> struct OpMul { NN_HD T operator()(T a, T b) const { return w_mul(a, b); } };
template <typename T> struct OpDiv { NN_HD T operator()(T a, T b) const { return a / b; } };
template <typename T> struct OpPow {
    NN_HD T operator()(T a, T b) const {
        if constexpr (nnstd::is_floating_point<T>::value) {
            return m_pow(a, b);
        } else {
            // Exact integer power by squaring (wrapping); negative exponents are rejected by callers.
            if constexpr (nnstd::is_signed<T>::value) {
                if (b < T(0)) return T(0);
            }
            T r = T(1), x = a;
            for (T e = b; e != T(0); e = static_cast<T>(e >> 1)) {
                if (e & T(1)) r = w_mul(r, x);
                x = w_mul(x, x);
            }
            return r;
        }
    }
};
// Python's remainder: the result takes the divisor's sign. Integer x % 0 gives 0 (and
// MIN % -1 gives 0) instead of trapping.
template <typename T> struct OpRemainder {
    NN_HD T operator()(T a, T b) const {
        if constexpr (nnstd::is_floating_point<T>::value) {
            T r = m_fmod(a, b);
            return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? r + b : r;
        } else {
            if (b == T(0)) return T(0);
            if constexpr (nnstd::is_signed<T>::value) {
                if (b == T(-1)) return T(0);
            }
            T r = static_cast<T>(a % b);
            if constexpr (nnstd::is_signed<T>::value) {
                if (r != T(0) && ((r < T(0)) != (b < T(0)))) r = w_add(r, b);
            }
            return r;
        }
    }
};
template <typename T> struct OpReluGrad { NN_HD T operator()(T g, T x) const { return x > T(0) ? g : T(0); } };
template <typename T> struct OpMaximum {
    NN_HD T operator()(T a, T b) const {
        if (is_nan(a)) return a;
        if (is_nan(b)) return b;
        return a > b ? a : b;
    }
};
template <typename T> struct OpMinimum {
    NN_HD T operator()(T a, T b) const {
        if (is_nan(a)) return a;
        if (is_nan(b)) return b;
        return a < b ? a : b;
    }
};
template <typename T, Cmp K> struct OpCmp { NN_HD uint8_t operator()(T a, T b) const { return compare<K, T>(a, b); } };
template <typename T> struct OpLogicalAnd {
    NN_HD uint8_t operator()(T a, T b) const { return (a != T(0)) && (b != T(0)); }
};
template <typename T> struct OpLogicalOr {
    NN_HD uint8_t operator()(T a, T b) const { return (a != T(0)) || (b != T(0)); }
};
template <typename T> struct OpLogicalXor {
    NN_HD uint8_t operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); }
};

// ------------------------------------------------------------------ conversion
// ToBool: nonzero (NaN included) -> 1. Floating -> Int32/Int64 saturates (NaN -> 0);
// floating -> UInt8 goes through a saturating int64 and wraps, so -1.0 -> 255 as in
// PyTorch on x86.
template <typename TOut, bool ToBool, typename TIn>
NN_HD TOut convert(TIn x) {
    if constexpr (ToBool) {
        return static_cast<TOut>(x != TIn(0) ? 1 : 0);
    } else if constexpr (nnstd::is_floating_point<TIn>::value && nnstd::is_integral<TOut>::value) {
        if constexpr (nnstd::is_same<TOut, int32_t>::value) return saturating_cast<int32_t>(x);
        else return static_cast<TOut>(saturating_cast<int64_t>(x));
    } else {
        return static_cast<TOut>(x);
    }
}

// ------------------------------------------------------------------ kernel bodies
template <typename T> struct FillBody {
    T* out;
    T value;
    template <typename IndexT> NN_HD void operator()(const IndexT* off) const { out[off[0]] = value; }
};
template <typename TOut, typename TIn, typename F> struct MapBody {
    TOut* out;
    const TIn* in;
    F f;
    template <typename IndexT> NN_HD void operator()(const IndexT* off) const { out[off[0]] = f(in[off[1]]); }
};
template <typename TOut, typename TIn, typename F> struct ZipBody {
    TOut* out;
    const TIn* a;
    const TIn* b;
    F f;
    template <typename IndexT> NN_HD void operator()(const IndexT* off) const {
        out[off[0]] = f(a[off[1]], b[off[2]]);
    }
};
template <typename TOut, bool ToBool, typename TIn> struct CastBody {
    TOut* out;
    const TIn* in;
    template <typename IndexT> NN_HD void operator()(const IndexT* off) const {
        out[off[0]] = convert<TOut, ToBool>(in[off[1]]);
    }
};

template <typename T> struct WhereBody {
    T* out;
    const uint8_t* cond;
    const T* a;
    const T* b;
    template <typename IndexT> NN_HD void operator()(const IndexT* off) const {
        out[off[0]] = cond[off[1]] != 0 ? a[off[2]] : b[off[3]];
    }
};

#if !defined(__CUDACC_RTC__)  // host-side validation and dispatch (NVRTC compiles only the device code above)
// ------------------------------------------------------------------ dispatch helpers
// Calls fn(T{}) with T the C++ type of the dtype (Bool -> uint8_t).
template <typename Fn>
nn_status with_dtype(int32_t dtype, Fn&& fn) {
    switch (dtype) {
        case NN_DTYPE_FLOAT32: return fn(float{});
        case NN_DTYPE_FLOAT64: return fn(double{});
        case NN_DTYPE_INT64: return fn(int64_t{});
        case NN_DTYPE_INT32: return fn(int32_t{});
        case NN_DTYPE_BOOL: return fn(uint8_t{});
        case NN_DTYPE_UINT8: return fn(uint8_t{});
        default: return set_error(NN_ERROR_INVALID_VALUE, "unknown dtype value %d", static_cast<int>(dtype));
    }
}

inline bool unary_outputs_bool(int op) {
    switch (op) {
        case NN_UNARY_LOGICAL_NOT: case NN_UNARY_ISNAN: case NN_UNARY_ISINF:
        case NN_UNARY_EQ_SCALAR: case NN_UNARY_NE_SCALAR: case NN_UNARY_LT_SCALAR:
        case NN_UNARY_LE_SCALAR: case NN_UNARY_GT_SCALAR: case NN_UNARY_GE_SCALAR:
            return true;
        default:
            return false;
    }
}

inline bool binary_outputs_bool(int op) { return op >= NN_BINARY_EQ; }

inline const char* unary_op_name(int op) {
    switch (op) {
        case NN_UNARY_NEG: return "neg";
        case NN_UNARY_ABS: return "abs";
        case NN_UNARY_SIGN: return "sign";
        case NN_UNARY_SQUARE: return "square";
        case NN_UNARY_RECIPROCAL: return "reciprocal";
        case NN_UNARY_EXP: return "exp";
        case NN_UNARY_LOG: return "log";
        case NN_UNARY_SQRT: return "sqrt";
        case NN_UNARY_RSQRT: return "rsqrt";
        case NN_UNARY_SIN: return "sin";
        case NN_UNARY_COS: return "cos";
        case NN_UNARY_TANH: return "tanh";
        case NN_UNARY_SIGMOID: return "sigmoid";
        case NN_UNARY_RELU: return "relu";
        case NN_UNARY_GELU: return "gelu";
        case NN_UNARY_GELU_TANH: return "gelu_tanh";
        case NN_UNARY_SILU: return "silu";
        case NN_UNARY_ERF: return "erf";
        case NN_UNARY_LOG1P: return "log1p";
        case NN_UNARY_EXPM1: return "expm1";
        case NN_UNARY_FLOOR: return "floor";
        case NN_UNARY_CEIL: return "ceil";
        case NN_UNARY_ROUND: return "round";
        case NN_UNARY_TRUNC: return "trunc";
        case NN_UNARY_LOGICAL_NOT: return "logical_not";
        case NN_UNARY_ISNAN: return "isnan";
        case NN_UNARY_ISINF: return "isinf";
        case NN_UNARY_ADD_SCALAR: return "add_scalar";
        case NN_UNARY_MUL_SCALAR: return "mul_scalar";
        case NN_UNARY_RSUB_SCALAR: return "rsub_scalar";
        case NN_UNARY_RDIV_SCALAR: return "rdiv_scalar";
        case NN_UNARY_POW_SCALAR: return "pow_scalar";
        case NN_UNARY_RPOW_SCALAR: return "rpow_scalar";
        case NN_UNARY_CLAMP: return "clamp";
        case NN_UNARY_LEAKY_RELU: return "leaky_relu";
        case NN_UNARY_ELU: return "elu";
        case NN_UNARY_EQ_SCALAR: return "eq_scalar";
        case NN_UNARY_NE_SCALAR: return "ne_scalar";
        case NN_UNARY_LT_SCALAR: return "lt_scalar";
        case NN_UNARY_LE_SCALAR: return "le_scalar";
        case NN_UNARY_GT_SCALAR: return "gt_scalar";
        case NN_UNARY_GE_SCALAR: return "ge_scalar";
        default: return nullptr;
    }
}

inline const char* binary_op_name(int op) {
    switch (op) {
        case NN_BINARY_ADD: return "add";
        case NN_BINARY_SUB: return "sub";
        case NN_BINARY_MUL: return "mul";
        case NN_BINARY_DIV: return "div";
        case NN_BINARY_POW: return "pow";
        case NN_BINARY_MAXIMUM: return "maximum";
        case NN_BINARY_MINIMUM: return "minimum";
        case NN_BINARY_REMAINDER: return "remainder";
        case NN_BINARY_RELU_GRAD: return "relu_grad";
        case NN_BINARY_EQ: return "eq";
        case NN_BINARY_NE: return "ne";
        case NN_BINARY_LT: return "lt";
        case NN_BINARY_LE: return "le";
        case NN_BINARY_GT: return "gt";
        case NN_BINARY_GE: return "ge";
        case NN_BINARY_LOGICAL_AND: return "logical_and";
        case NN_BINARY_LOGICAL_OR: return "logical_or";
        case NN_BINARY_LOGICAL_XOR: return "logical_xor";
        default: return nullptr;
    }
}

// An integer scalar for an integer tensor: must be integral and in range.
template <typename T>
nn_status integral_scalar(const char* fn, double v, T* out) {
    const double lo = static_cast<double>(nnstd::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(nnstd::numeric_limits<T>::max());
    if (!(v == floor(v)) || v < lo || v > hi)
        return set_error(NN_ERROR_INVALID_VALUE,
                         "%s: scalar %.17g is not an integer in range for this integer tensor; cast to a float dtype first",
                         fn, v);
    *out = static_cast<T>(v);
    return NN_SUCCESS;
}

// ------------------------------------------------------------------ nn_fill
template <class Exec>
nn_status fill_impl(Exec& ex, const nn_tensor_desc& out, const void* value) {
    const char* fn = "nn_fill";
    clear_error();
    Geometry g;
    nn_status st = make_geometry(fn, out, nullptr, 0, &g);
    if (st != NN_SUCCESS) return st;
    if (g.numel == 0) return NN_SUCCESS;
    if (value == nullptr) return set_error(NN_ERROR_INVALID_VALUE, "%s: value pointer is NULL", fn);
    return with_dtype(out.dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        T v;
        memcpy(&v, value, sizeof v);
        if (out.dtype == NN_DTYPE_BOOL) v = v != 0 ? 1 : 0;
        return ex.template run<1>(g, FillBody<T>{static_cast<T*>(out.data), v});
    });
}

// ------------------------------------------------------------------ nn_cast
template <class Exec>
nn_status cast_impl(Exec& ex, const nn_tensor_desc& out, const nn_tensor_desc& in) {
    const char* fn = "nn_cast";
    clear_error();
    Geometry g;
    nn_status st = make_geometry(fn, out, &in, 1, &g);
    if (st != NN_SUCCESS) return st;
    if (g.numel == 0) return NN_SUCCESS;
    const bool to_bool = out.dtype == NN_DTYPE_BOOL;
    return with_dtype(out.dtype, [&](auto out_tag) -> nn_status {
        using TOut = decltype(out_tag);
        return with_dtype(in.dtype, [&](auto in_tag) -> nn_status {
            using TIn = decltype(in_tag);
            TOut* o = static_cast<TOut*>(out.data);
            const TIn* x = static_cast<const TIn*>(in.data);
            if constexpr (nnstd::is_same<TOut, uint8_t>::value) {
                if (to_bool) return ex.template run<2>(g, CastBody<TOut, true, TIn>{o, x});
            }
            return ex.template run<2>(g, CastBody<TOut, false, TIn>{o, x});
        });
    });
}

// ------------------------------------------------------------------ nn_unary
template <class Exec, typename T>
nn_status unary_typed(Exec& ex, int op, const Geometry& g, void* out_data, const void* in_data, double alpha,
                      double beta) {
    const char* fn = "nn_unary";
    constexpr bool kFloat = nnstd::is_floating_point<T>::value;
    using C = typename nnstd::conditional<kFloat, T, double>::type;  // scalar comparison type
    T* o = static_cast<T*>(out_data);
    uint8_t* ob = static_cast<uint8_t*>(out_data);
    const T* x = static_cast<const T*>(in_data);
    auto map = [&](auto f) -> nn_status { return ex.template run<2>(g, MapBody<T, T, decltype(f)>{o, x, f}); };
    auto map_bool = [&](auto f) -> nn_status {
        return ex.template run<2>(g, MapBody<uint8_t, T, decltype(f)>{ob, x, f});
    };
    T s{};
    switch (op) {
        case NN_UNARY_NEG: return map(OpNeg<T>{});
        case NN_UNARY_ABS: return map(OpAbs<T>{});
        case NN_UNARY_SIGN: return map(OpSign<T>{});
        case NN_UNARY_SQUARE: return map(OpSquare<T>{});
        case NN_UNARY_RELU: return map(OpRelu<T>{});
        case NN_UNARY_LOGICAL_NOT: return map_bool(OpLogicalNot<T>{});
        case NN_UNARY_ISNAN: return map_bool(OpIsNan<T>{});
        case NN_UNARY_ISINF: return map_bool(OpIsInf<T>{});
        case NN_UNARY_EQ_SCALAR: return map_bool(OpCmpScalar<T, C, Cmp::Eq>{static_cast<C>(alpha)});
        case NN_UNARY_NE_SCALAR: return map_bool(OpCmpScalar<T, C, Cmp::Ne>{static_cast<C>(alpha)});
        case NN_UNARY_LT_SCALAR: return map_bool(OpCmpScalar<T, C, Cmp::Lt>{static_cast<C>(alpha)});
        case NN_UNARY_LE_SCALAR: return map_bool(OpCmpScalar<T, C, Cmp::Le>{static_cast<C>(alpha)});
        case NN_UNARY_GT_SCALAR: return map_bool(OpCmpScalar<T, C, Cmp::Gt>{static_cast<C>(alpha)});
        case NN_UNARY_GE_SCALAR: return map_bool(OpCmpScalar<T, C, Cmp::Ge>{static_cast<C>(alpha)});
        case NN_UNARY_ADD_SCALAR:
        case NN_UNARY_MUL_SCALAR:
        case NN_UNARY_RSUB_SCALAR: {
            if constexpr (kFloat) {
                s = static_cast<T>(alpha);
            } else {
                nn_status st = integral_scalar<T>(fn, alpha, &s);
                if (st != NN_SUCCESS) return st;
            }
            if (op == NN_UNARY_ADD_SCALAR) return map(OpAddScalar<T>{s});
            if (op == NN_UNARY_MUL_SCALAR) return map(OpMulScalar<T>{s});
            return map(OpRsubScalar<T>{s});
        }
        case NN_UNARY_CLAMP: {
            OpClamp<T> f{};
            f.has_lo = !(alpha != alpha);
            f.has_hi = !(beta != beta);
            if constexpr (kFloat) {
                f.lo = static_cast<T>(alpha);
                f.hi = static_cast<T>(beta);
            } else {
                // Integer bounds: ceil(lo), floor(hi), saturated to T's range.
                const double tlo = static_cast<double>(nnstd::numeric_limits<T>::lowest());
                const double thi = static_cast<double>(nnstd::numeric_limits<T>::max());
                if (f.has_lo) {
                    const double v = ceil(alpha);
                    if (v > thi) { f.lo = nnstd::numeric_limits<T>::max(); }
                    else if (v <= tlo) { f.has_lo = false; }
                    else { f.lo = static_cast<T>(v); }
                }
                if (f.has_hi) {
                    const double v = floor(beta);
                    if (v < tlo) { f.hi = nnstd::numeric_limits<T>::lowest(); }
                    else if (v >= thi) { f.has_hi = false; }
                    else { f.hi = static_cast<T>(v); }
                }
            }
            return map(f);
        }
        case NN_UNARY_FLOOR:
        case NN_UNARY_CEIL:
        case NN_UNARY_ROUND:
        case NN_UNARY_TRUNC:
            if constexpr (!kFloat) {
                return map(OpIdentity<T>{});
            } else {
                if (op == NN_UNARY_FLOOR) return map(OpFloor<T>{});
                if (op == NN_UNARY_CEIL) return map(OpCeil<T>{});
                if (op == NN_UNARY_ROUND) return map(OpRound<T>{});
                return map(OpTrunc<T>{});
            }
        default:
            break;
    }
    if constexpr (kFloat) {
        const T a = static_cast<T>(alpha);
        switch (op) {
            case NN_UNARY_RECIPROCAL: return map(OpReciprocal<T>{});
            case NN_UNARY_EXP: return map(OpExp<T>{});
            case NN_UNARY_LOG: return map(OpLog<T>{});
            case NN_UNARY_SQRT: return map(OpSqrt<T>{});
            case NN_UNARY_RSQRT: return map(OpRsqrt<T>{});
            case NN_UNARY_SIN: return map(OpSin<T>{});
            case NN_UNARY_COS: return map(OpCos<T>{});
            case NN_UNARY_TANH: return map(OpTanh<T>{});
            case NN_UNARY_SIGMOID: return map(OpSigmoid<T>{});
            case NN_UNARY_GELU: return map(OpGelu<T>{});
            case NN_UNARY_GELU_TANH: return map(OpGeluTanh<T>{});
            case NN_UNARY_SILU: return map(OpSilu<T>{});
            case NN_UNARY_ERF: return map(OpErf<T>{});
            case NN_UNARY_LOG1P: return map(OpLog1p<T>{});
            case NN_UNARY_EXPM1: return map(OpExpm1<T>{});
            case NN_UNARY_RDIV_SCALAR: return map(OpRdivScalar<T>{a});
            case NN_UNARY_POW_SCALAR: return map(OpPowScalar<T>{a});
            case NN_UNARY_RPOW_SCALAR: return map(OpRpowScalar<T>{a});
            case NN_UNARY_LEAKY_RELU: return map(OpLeakyRelu<T>{a});
            case NN_UNARY_ELU: return map(OpElu<T>{a});
            default: break;
        }
    }
    return NN_ERROR_NOT_SUPPORTED;  // message set by the caller
}

template <class Exec>
nn_status unary_impl(Exec& ex, int op, const nn_tensor_desc& out, const nn_tensor_desc& in, double alpha,
                     double beta) {
    const char* fn = "nn_unary";
    clear_error();
    const char* name = unary_op_name(op);
    if (name == nullptr) return set_error(NN_ERROR_INVALID_VALUE, "%s: unknown op value %d", fn, op);
    Geometry g;
    nn_status st = make_geometry(fn, out, &in, 1, &g);
    if (st != NN_SUCCESS) return st;
    const int32_t want_out = unary_outputs_bool(op) ? static_cast<int32_t>(NN_DTYPE_BOOL) : in.dtype;
    if (out.dtype != want_out)
        return set_error(NN_ERROR_INVALID_VALUE, "%s(%s): output dtype is %s; expected %s for a %s input", fn, name,
                         dtype_name(out.dtype), dtype_name(want_out), dtype_name(in.dtype));
    if (in.dtype == NN_DTYPE_BOOL && op != NN_UNARY_LOGICAL_NOT)
        return set_error(NN_ERROR_NOT_SUPPORTED, "%s(%s): not supported for Bool; cast first", fn, name);
    if (g.numel == 0) return NN_SUCCESS;
    st = with_dtype(in.dtype, [&](auto tag) -> nn_status {
        return unary_typed<Exec, decltype(tag)>(ex, op, g, out.data, in.data, alpha, beta);
    });
    if (st == NN_ERROR_NOT_SUPPORTED && nn_last_error()[0] == '\0')
        return set_error(st, "%s(%s): not supported for %s; cast to a float dtype first", fn, name,
                         dtype_name(in.dtype));
    return st;
}

// ------------------------------------------------------------------ nn_binary
template <class Exec, typename T>
nn_status binary_typed(Exec& ex, int op, const Geometry& g, void* out_data, const void* a_data,
                       const void* b_data) {
    constexpr bool kFloat = nnstd::is_floating_point<T>::value;
    T* o = static_cast<T*>(out_data);
    uint8_t* ob = static_cast<uint8_t*>(out_data);
    const T* a = static_cast<const T*>(a_data);
    const T* b = static_cast<const T*>(b_data);
    auto zip = [&](auto f) -> nn_status { return ex.template run<3>(g, ZipBody<T, T, decltype(f)>{o, a, b, f}); };
    auto zip_bool = [&](auto f) -> nn_status {
        return ex.template run<3>(g, ZipBody<uint8_t, T, decltype(f)>{ob, a, b, f});
    };
    switch (op) {
        case NN_BINARY_EQ: return zip_bool(OpCmp<T, Cmp::Eq>{});
        case NN_BINARY_NE: return zip_bool(OpCmp<T, Cmp::Ne>{});
        case NN_BINARY_LT: return zip_bool(OpCmp<T, Cmp::Lt>{});
        case NN_BINARY_LE: return zip_bool(OpCmp<T, Cmp::Le>{});
        case NN_BINARY_GT: return zip_bool(OpCmp<T, Cmp::Gt>{});
        case NN_BINARY_GE: return zip_bool(OpCmp<T, Cmp::Ge>{});
        case NN_BINARY_LOGICAL_AND: return zip_bool(OpLogicalAnd<T>{});
        case NN_BINARY_LOGICAL_OR: return zip_bool(OpLogicalOr<T>{});
        case NN_BINARY_LOGICAL_XOR: return zip_bool(OpLogicalXor<T>{});
        case NN_BINARY_ADD: return zip(OpAdd<T>{});
        case NN_BINARY_SUB: return zip(OpSub<T>{});
        case NN_BINARY_MUL: return zip(OpMul<T>{});
        case NN_BINARY_MAXIMUM: return zip(OpMaximum<T>{});
        case NN_BINARY_MINIMUM: return zip(OpMinimum<T>{});
        case NN_BINARY_POW: return zip(OpPow<T>{});
        case NN_BINARY_REMAINDER: return zip(OpRemainder<T>{});
        case NN_BINARY_RELU_GRAD: return zip(OpReluGrad<T>{});
        default: break;
    }
    if constexpr (kFloat) {
        if (op == NN_BINARY_DIV) return zip(OpDiv<T>{});
    }
    return NN_ERROR_NOT_SUPPORTED;  // message set by the caller
}

template <class Exec>
nn_status binary_impl(Exec& ex, int op, const nn_tensor_desc& out, const nn_tensor_desc& a, const nn_tensor_desc& b) {
    const char* fn = "nn_binary";
    clear_error();
    const char* name = binary_op_name(op);
    if (name == nullptr) return set_error(NN_ERROR_INVALID_VALUE, "%s: unknown op value %d", fn, op);
    const nn_tensor_desc inputs[2] = {a, b};
    Geometry g;
    nn_status st = make_geometry(fn, out, inputs, 2, &g);
    if (st != NN_SUCCESS) return st;
    if (a.dtype != b.dtype)
        return set_error(NN_ERROR_INVALID_VALUE, "%s(%s): input dtypes differ (%s and %s); promote first", fn, name,
                         dtype_name(a.dtype), dtype_name(b.dtype));
    const int32_t want_out = binary_outputs_bool(op) ? static_cast<int32_t>(NN_DTYPE_BOOL) : a.dtype;
    if (out.dtype != want_out)
        return set_error(NN_ERROR_INVALID_VALUE, "%s(%s): output dtype is %s; expected %s for %s inputs", fn, name,
                         dtype_name(out.dtype), dtype_name(want_out), dtype_name(a.dtype));
    if (a.dtype == NN_DTYPE_BOOL && !binary_outputs_bool(op))
        return set_error(NN_ERROR_NOT_SUPPORTED, "%s(%s): not supported for Bool; cast first", fn, name);
    if (g.numel == 0) return NN_SUCCESS;
    st = with_dtype(a.dtype, [&](auto tag) -> nn_status {
        return binary_typed<Exec, decltype(tag)>(ex, op, g, out.data, a.data, b.data);
    });
    if (st == NN_ERROR_NOT_SUPPORTED && nn_last_error()[0] == '\0')
        return set_error(st, "%s(%s): not supported for %s; cast to a float dtype first", fn, name,
                         dtype_name(a.dtype));
    return st;
}

// ------------------------------------------------------------------ nn_where
template <class Exec>
nn_status where_impl(Exec& ex, const nn_tensor_desc& out, const nn_tensor_desc& cond, const nn_tensor_desc& a,
                     const nn_tensor_desc& b) {
    const char* fn = "nn_where";
    clear_error();
    const nn_tensor_desc inputs[3] = {cond, a, b};
    Geometry g;
    nn_status st = make_geometry(fn, out, inputs, 3, &g);
    if (st != NN_SUCCESS) return st;
    if (cond.dtype != NN_DTYPE_BOOL)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: condition dtype is %s; expected Bool", fn, dtype_name(cond.dtype));
    if (a.dtype != out.dtype || b.dtype != out.dtype)
        return set_error(NN_ERROR_INVALID_VALUE, "%s: input dtypes %s and %s differ from the output's %s; promote first",
                         fn, dtype_name(a.dtype), dtype_name(b.dtype), dtype_name(out.dtype));
    if (g.numel == 0) return NN_SUCCESS;
    return with_dtype(out.dtype, [&](auto tag) -> nn_status {
        using T = decltype(tag);
        return ex.template run<4>(g, WhereBody<T>{static_cast<T*>(out.data), static_cast<const uint8_t*>(cond.data),
                                                  static_cast<const T*>(a.data), static_cast<const T*>(b.data)});
    });
}
#endif  // !__CUDACC_RTC__

}  // namespace nn
