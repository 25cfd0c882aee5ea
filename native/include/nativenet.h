/*
 * nativenet.h: the C ABI of NativeNet's own native kernels (libnativenet_cuda).
 *
 * The C# side (src/Bindings) calls these through LibraryImport. Everything here is
 * blittable: enums are 32-bit integers, tensor descriptors are passed by value, and
 * every launcher returns an nn_status. Launchers only enqueue work on the given
 * stream; they never allocate, never synchronize and never call exit/abort.
 *
 * Conventions for every launcher
 *  - A descriptor's `data` points at the view's first element (the view offset is
 *    already applied); `strides` are in elements, not bytes, and may be 0 (broadcast)
 *    or negative. Only shape[0..ndim-1] and strides[0..ndim-1] are read. ndim = 0 is
 *    a scalar (one element).
 *  - Inputs broadcast to the output's shape NumPy-style: shapes are right-aligned,
 *    and an input dimension that is missing or of size 1 is repeated. The output's
 *    shape is the result shape; an output dimension of size > 1 with stride 0 is
 *    rejected. An output may alias an input exactly (same data and strides: in-place);
 *    partial overlap is undefined.
 *  - A tensor with zero elements is a successful no-op (its data may be NULL).
 *  - `stream` is a cudaStream_t (NULL: the default stream) on the current device;
 *    all pointers must be device (or managed) memory of that device, except where a
 *    parameter says "host".
 *  - On failure the status says what kind of error it is, and nn_last_error() gives a
 *    message naming the launcher, the shapes and dtypes (per thread, until the next
 *    call into this library on that thread).
 */
#ifndef NATIVENET_H_
#define NATIVENET_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(NATIVENET_BUILDING)
#    define NN_API __declspec(dllexport)
#  else
#    define NN_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define NN_API __attribute__((visibility("default")))
#else
#  define NN_API
#endif

/* Bumped whenever a signature, a struct layout or an enum value changes. */
#define NN_ABI_VERSION 1

/* Most dimensions a descriptor carries. */
#define NN_MAX_DIMS 8

typedef enum nn_status {
    NN_SUCCESS = 0,
    NN_ERROR_INVALID_VALUE = 1,  /* a bad argument: shape, stride, dtype, ndim, NULL pointer, op value */
    NN_ERROR_LAUNCH_FAILED = 2,  /* the kernel launch failed (or an earlier asynchronous error surfaced) */
    NN_ERROR_NOT_SUPPORTED = 3,  /* a valid request this library does not implement (e.g. exp on Int64) */
    NN_ERROR_RUNTIME = 4         /* a CUDA runtime query failed (no device, driver mismatch, ...) */
} nn_status;

/* Element types. Values match the C# enum NativeNet.DType (Float32 = 0, ...).
 * Bool is one byte holding 0 or 1. */
typedef enum nn_dtype {
    NN_DTYPE_FLOAT32 = 0,
    NN_DTYPE_FLOAT64 = 1,
    NN_DTYPE_INT64 = 2,
    NN_DTYPE_INT32 = 3,
    NN_DTYPE_BOOL = 4,
    NN_DTYPE_UINT8 = 5
} nn_dtype;

/* A strided view of device memory (144 bytes, passed by value). */
typedef struct nn_tensor_desc {
    void* data;                     /* first element of the view */
    int32_t ndim;                   /* 0 .. NN_MAX_DIMS */
    int32_t dtype;                  /* an nn_dtype */
    int64_t shape[NN_MAX_DIMS];     /* sizes, >= 0 */
    int64_t strides[NN_MAX_DIMS];   /* in elements */
} nn_tensor_desc;

/*
 * Unary ops: out[i] = f(in[i]) with out.dtype == in.dtype, except the ops marked
 * "-> Bool", whose output dtype is Bool. Ops marked "float" accept Float32/Float64
 * only (NN_ERROR_NOT_SUPPORTED otherwise: cast first); the others also accept
 * Int64, Int32 and UInt8 (UInt8 arithmetic wraps), and Bool only for LOGICAL_NOT.
 * alpha and beta are the scalar parameters named in the comment (ignored otherwise).
 * For integer tensors a scalar added, subtracted or multiplied must be integral
 * (NN_ERROR_INVALID_VALUE otherwise: promote to a float dtype first); comparisons
 * with a scalar are exact for Int32/UInt8 and done in double for Int64.
 * Semantics follow PyTorch (NaN propagates through relu/clamp/maximum; round is
 * half-to-even; sign(NaN) = 0).
 */
typedef enum nn_unary_op {
    NN_UNARY_NEG = 0,
    NN_UNARY_ABS = 1,
    NN_UNARY_SIGN = 2,
    NN_UNARY_SQUARE = 3,
    NN_UNARY_RECIPROCAL = 4,   /* float */
    NN_UNARY_EXP = 5,          /* float */
    NN_UNARY_LOG = 6,          /* float */
    NN_UNARY_SQRT = 7,         /* float */
    NN_UNARY_RSQRT = 8,        /* float */
    NN_UNARY_SIN = 9,          /* float */
    NN_UNARY_COS = 10,         /* float */
    NN_UNARY_TANH = 11,        /* float */
    NN_UNARY_SIGMOID = 12,     /* float */
    NN_UNARY_RELU = 13,
    NN_UNARY_GELU = 14,        /* float: x * Phi(x), exact (erf) form */
    NN_UNARY_GELU_TANH = 15,   /* float: tanh approximation */
    NN_UNARY_SILU = 16,        /* float: x * sigmoid(x) */
    NN_UNARY_ERF = 17,         /* float */
    NN_UNARY_LOG1P = 18,       /* float */
    NN_UNARY_EXPM1 = 19,       /* float */
    NN_UNARY_FLOOR = 20,       /* identity on integers */
    NN_UNARY_CEIL = 21,        /* identity on integers */
    NN_UNARY_ROUND = 22,       /* half to even; identity on integers */
    NN_UNARY_TRUNC = 23,       /* identity on integers */
    NN_UNARY_LOGICAL_NOT = 24, /* -> Bool: in == 0 */
    NN_UNARY_ISNAN = 25,       /* -> Bool */
    NN_UNARY_ISINF = 26,       /* -> Bool */
    NN_UNARY_ADD_SCALAR = 32,  /* in + alpha */
    NN_UNARY_MUL_SCALAR = 33,  /* in * alpha */
    NN_UNARY_RSUB_SCALAR = 34, /* alpha - in */
    NN_UNARY_RDIV_SCALAR = 35, /* float: alpha / in */
    NN_UNARY_POW_SCALAR = 36,  /* float: in ^ alpha */
    NN_UNARY_RPOW_SCALAR = 37, /* float: alpha ^ in */
    NN_UNARY_CLAMP = 38,       /* min(max(in, alpha), beta); a NaN bound means "no bound" */
    NN_UNARY_LEAKY_RELU = 39,  /* float: in > 0 ? in : alpha * in */
    NN_UNARY_ELU = 40,         /* float: in > 0 ? in : alpha * (exp(in) - 1) */
    NN_UNARY_EQ_SCALAR = 48,   /* -> Bool: in == alpha */
    NN_UNARY_NE_SCALAR = 49,   /* -> Bool */
    NN_UNARY_LT_SCALAR = 50,   /* -> Bool: in < alpha */
    NN_UNARY_LE_SCALAR = 51,   /* -> Bool */
    NN_UNARY_GT_SCALAR = 52,   /* -> Bool */
    NN_UNARY_GE_SCALAR = 53    /* -> Bool */
} nn_unary_op;

/*
 * Binary ops: out[i] = f(a[i], b[i]) with a and b broadcast to out's shape.
 * a.dtype must equal b.dtype (promote first); out.dtype equals it, except for the
 * ops marked "-> Bool". Arithmetic (ADD..MINIMUM) accepts every dtype but Bool;
 * DIV and POW accept Float32/Float64 only (integer division is a float op in
 * PyTorch: cast first). Comparisons accept every dtype; logical ops treat nonzero
 * as true.
 */
typedef enum nn_binary_op {
    NN_BINARY_ADD = 0,
    NN_BINARY_SUB = 1,
    NN_BINARY_MUL = 2,
    NN_BINARY_DIV = 3,          /* float */
    NN_BINARY_POW = 4,          /* float */
    NN_BINARY_MAXIMUM = 5,      /* NaN-propagating */
    NN_BINARY_MINIMUM = 6,      /* NaN-propagating */
    NN_BINARY_EQ = 16,          /* -> Bool */
    NN_BINARY_NE = 17,          /* -> Bool */
    NN_BINARY_LT = 18,          /* -> Bool */
    NN_BINARY_LE = 19,          /* -> Bool */
    NN_BINARY_GT = 20,          /* -> Bool */
    NN_BINARY_GE = 21,          /* -> Bool */
    NN_BINARY_LOGICAL_AND = 24, /* -> Bool */
    NN_BINARY_LOGICAL_OR = 25,  /* -> Bool */
    NN_BINARY_LOGICAL_XOR = 26  /* -> Bool */
} nn_binary_op;

/* NN_ABI_VERSION of the library actually loaded (check it against the header's). */
NN_API int32_t nn_abi_version(void);

/* A static name for a status, e.g. "NN_ERROR_INVALID_VALUE". */
NN_API const char* nn_status_string(nn_status status);

/* The message of the last failed call on this thread ("" if the last call succeeded).
 * Valid until the next call into this library on the same thread. */
NN_API const char* nn_last_error(void);

/* out[...] = *value, where `value` is a host pointer to one element of out.dtype. */
NN_API nn_status nn_fill(nn_tensor_desc out, const void* value, void* stream);

/* out[i] = (out.dtype) in[i], any dtype pair, with broadcasting; with equal dtypes this
 * is a strided copy (e.g. making a view contiguous). To Bool: nonzero (NaN too) -> 1.
 * Float to Int32/Int64 truncates toward zero, saturates out of range and maps NaN to 0
 * (the GPU's rule, so results do not depend on the device); float to UInt8 converts
 * through Int64 and wraps like PyTorch on x86 (-1.0 -> 255). Integer arithmetic in
 * every launcher wraps around (two's complement). */
NN_API nn_status nn_cast(nn_tensor_desc out, nn_tensor_desc in, void* stream);

NN_API nn_status nn_unary(nn_unary_op op, nn_tensor_desc out, nn_tensor_desc in,
                          double alpha, double beta, void* stream);

NN_API nn_status nn_binary(nn_binary_op op, nn_tensor_desc out, nn_tensor_desc a,
                           nn_tensor_desc b, void* stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NATIVENET_H_ */
