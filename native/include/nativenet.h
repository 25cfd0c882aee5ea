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

#if defined(__CUDACC_RTC__)  /* NVRTC (the CI compile check) has no C library headers */
#include <cuda/std/cstdint>
#else
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__CUDACC_RTC__)
/* NVRTC accepts no host declarations: declare the launchers as (never defined) device
 * functions so the header parses; only its types and enums are used there. */
#  define NN_API __device__
#elif defined(_WIN32)
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
#define NN_ABI_VERSION 2

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
 * ops marked "-> Bool". Arithmetic (ADD..RELU_GRAD) accepts every dtype but Bool;
 * DIV accepts Float32/Float64 only (integer division is a float op in PyTorch: cast
 * first). Integer POW is exact by repeated squaring (a negative exponent gives 0:
 * callers reject it). Comparisons accept every dtype; logical ops treat nonzero as
 * true.
 */
typedef enum nn_binary_op {
    NN_BINARY_ADD = 0,
    NN_BINARY_SUB = 1,
    NN_BINARY_MUL = 2,
    NN_BINARY_DIV = 3,          /* float */
    NN_BINARY_POW = 4,
    NN_BINARY_MAXIMUM = 5,      /* NaN-propagating */
    NN_BINARY_MINIMUM = 6,      /* NaN-propagating */
    NN_BINARY_REMAINDER = 7,    /* Python's %: the result has the divisor's sign; integer x % 0 gives 0 */
    NN_BINARY_RELU_GRAD = 8,    /* b > 0 ? a : 0 (ReLU's backward: a = gradient, b = input) */
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

/* out[i] = cond[i] ? a[i] : b[i], all broadcast to out's shape; cond is Bool (any
 * nonzero byte is true), a, b and out share one dtype. */
NN_API nn_status nn_where(nn_tensor_desc out, nn_tensor_desc cond, nn_tensor_desc a, nn_tensor_desc b,
                          void* stream);

/* ------------------------------------------------------------------------------
 * Kernels over contiguous buffers. Unless a parameter says otherwise, every buffer
 * is dense row-major device memory of the given dtype, and sizes are element counts.
 * Index buffers are Int64; a negative index i counts from the end (i + n). An index
 * outside [-n, n) is skipped and sets *error_flag to 1 (error_flag: a device Int32
 * the caller zeroes and reads back; it may be NULL to skip reporting).
 * ------------------------------------------------------------------------------ */

/* Reductions over the middle axis of in = [outer, reduce, inner] into out = [outer,
 * inner]. SUM/PROD/MAX/MIN keep the dtype (integer sums wrap; MAX/MIN propagate NaN;
 * an empty axis gives 0 for SUM, 1 for PROD); ARGMAX/ARGMIN write Int64 (the first
 * extreme, a NaN counts as the extreme). Large axes are reduced in passes through
 * `workspace` (nn_reduce_workspace_size bytes; NULL when that is 0). */
typedef enum nn_reduce_op {
    NN_REDUCE_SUM = 0,
    NN_REDUCE_PROD = 1,
    NN_REDUCE_MAX = 2,
    NN_REDUCE_MIN = 3,
    NN_REDUCE_ARGMAX = 4,
    NN_REDUCE_ARGMIN = 5
} nn_reduce_op;

NN_API size_t nn_reduce_workspace_size(nn_reduce_op op, int32_t dtype, int64_t outer, int64_t reduce, int64_t inner);
NN_API nn_status nn_reduce(nn_reduce_op op, void* out, const void* in, int32_t dtype, int64_t outer, int64_t reduce,
                           int64_t inner, void* workspace, size_t workspace_bytes, void* stream);

/* Softmax (log_softmax when `log` != 0) along the middle axis of [outer, dim, inner];
 * Float32/Float64. Rows are shifted by their maximum (a row of -inf stays finite-safe). */
NN_API nn_status nn_softmax(void* out, const void* in, int32_t dtype, int64_t outer, int64_t dim, int64_t inner,
                            int32_t log, void* stream);

/* out [outer, k, inner] = in [outer, n, inner] at index[0..k) along the middle axis
 * (any dtype). */
NN_API nn_status nn_index_select(void* out, const void* in, int32_t dtype, int64_t outer, int64_t n, int64_t inner,
                                 const int64_t* index, int64_t k, int32_t* error_flag, void* stream);

/* dst [outer, n, inner] += src [outer, k, inner] at index[0..k) (duplicates accumulate,
 * atomically: the order of float additions is unspecified). Float32/Float64/Int64/Int32. */
NN_API nn_status nn_index_add(void* dst, const void* src, int32_t dtype, int64_t outer, int64_t n, int64_t inner,
                              const int64_t* index, int64_t k, int32_t* error_flag, void* stream);

/* out[p] = in[p with coordinate `dim` replaced by index[p]] for every position p of
 * index (out has index's shape; in may be larger in the other dimensions). Strided
 * descriptors; index is Int64. */
NN_API nn_status nn_gather(nn_tensor_desc out, nn_tensor_desc in, nn_tensor_desc index, int32_t dim,
                           int32_t* error_flag, void* stream);

/* dst[p with coordinate `dim` replaced by index[p]] += src[p] for every position p of
 * index (atomic). Float32/Float64/Int64/Int32. */
NN_API nn_status nn_scatter_add(nn_tensor_desc dst, nn_tensor_desc src, nn_tensor_desc index, int32_t dim,
                                int32_t* error_flag, void* stream);

/* 2-D pooling and convolution geometry: NCHW input [n, c, h, w], output [n, c, oh, ow]
 * (convolution: weight [o, c/groups, kh, kw], output [n, o, oh, ow]). */
typedef struct nn_conv2d_params {
    int64_t n, c, h, w;
    int64_t o, kh, kw, oh, ow;
    int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
    int64_t groups;
    int32_t count_include_pad;      /* average pooling only */
    int32_t reserved;
} nn_conv2d_params;

/* Max pooling: out and indices [n, c, oh, ow]; indices hold the flat position ih*w+iw
 * of each maximum in its plane (-1 when a window lies entirely in the padding, whose
 * output is 0). NaN wins. Float32/Float64. */
NN_API nn_status nn_max_pool2d(void* out, int64_t* indices, const void* in, int32_t dtype, nn_conv2d_params p,
                               void* stream);
/* grad_in [n, c, h, w] = 0, then += grad_out at indices (atomic). */
NN_API nn_status nn_max_pool2d_backward(void* grad_in, const void* grad_out, const int64_t* indices, int32_t dtype,
                                        nn_conv2d_params p, void* stream);
/* Average pooling (PyTorch's window and divisor rules; dilation is ignored). */
NN_API nn_status nn_avg_pool2d(void* out, const void* in, int32_t dtype, nn_conv2d_params p, void* stream);
NN_API nn_status nn_avg_pool2d_backward(void* grad_in, const void* grad_out, int32_t dtype, nn_conv2d_params p,
                                        void* stream);
/* Adaptive average pooling over planes = n*c: windows [floor(i*h/oh), ceil((i+1)*h/oh)). */
NN_API nn_status nn_adaptive_avg_pool2d(void* out, const void* in, int32_t dtype, int64_t planes, int64_t h,
                                        int64_t w, int64_t oh, int64_t ow, void* stream);
NN_API nn_status nn_adaptive_avg_pool2d_backward(void* grad_in, const void* grad_out, int32_t dtype, int64_t planes,
                                                 int64_t h, int64_t w, int64_t oh, int64_t ow, void* stream);

/* im2col for samples [n0, n0 + nb): col [c*kh*kw, nb*oh*ow] (padding reads 0). */
NN_API nn_status nn_im2col(void* col, const void* in, int32_t dtype, nn_conv2d_params p, int64_t n0, int64_t nb,
                           void* stream);
/* The adjoint: grad_in samples [n0, n0 + nb) = sum of col's entries (overwritten). */
NN_API nn_status nn_col2im(void* grad_in, const void* col, int32_t dtype, nn_conv2d_params p, int64_t n0, int64_t nb,
                           void* stream);

/* Uniform [a, b) (normal = 0) or normal(a, b) (normal = 1) draws from Philox4x32-10:
 * element i uses counter offset + i under key seed, exactly like the CPU backend
 * (uniform: 53-bit u in [0, 1); normal: Box-Muller on two 53-bit draws, in double). */
NN_API nn_status nn_random(void* out, int32_t dtype, int64_t count, int32_t normal, double a, double b, uint64_t seed,
                           uint64_t offset, void* stream);

/* Integer matrix product c [m, n] (dense) = a [m, k] · b [k, n] (strided descriptors,
 * 2-D, Int64 or Int32; products wrap). Float GEMM goes through cuBLAS instead. */
NN_API nn_status nn_matmul_int(nn_tensor_desc c, nn_tensor_desc a, nn_tensor_desc b, void* stream);

/* Fused optimizer steps over n elements (PyTorch 1.13 single-tensor order of
 * operations, in the parameter's precision; Float32/Float64). Optional state
 * buffers may be NULL when unused. */
typedef struct nn_sgd_params {
    double lr, momentum, dampening, weight_decay;
    int32_t nesterov, maximize, first_step, reserved;
} nn_sgd_params;

typedef struct nn_adam_params {
    double lr, beta1, beta2, eps, weight_decay;
    int64_t step;                   /* 1-based */
    int32_t decoupled, amsgrad, maximize, reserved;
} nn_adam_params;

typedef struct nn_rmsprop_params {
    double lr, alpha, eps, weight_decay, momentum;
    int32_t centered, maximize;
} nn_rmsprop_params;

NN_API nn_status nn_sgd_step(void* param, const void* grad, void* momentum_buffer, int32_t dtype, int64_t n,
                             nn_sgd_params p, void* stream);
NN_API nn_status nn_adam_step(void* param, const void* grad, void* exp_avg, void* exp_avg_sq, void* max_exp_avg_sq,
                              int32_t dtype, int64_t n, nn_adam_params p, void* stream);
NN_API nn_status nn_rmsprop_step(void* param, const void* grad, void* square_avg, void* grad_avg,
                                 void* momentum_buffer, int32_t dtype, int64_t n, nn_rmsprop_params p, void* stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NATIVENET_H_ */
