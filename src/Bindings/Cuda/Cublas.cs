using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Cuda;

#pragma warning disable IDE1006 // C names on purpose (checked against cublas_api.h / library_types.h by tools/check_cuda_headers)

/// <summary>cublasStatus_t (cublas_api.h; identical in 11.x and 12.x).</summary>
internal enum cublasStatus_t
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary>cublasOperation_t.</summary>
internal enum cublasOperation_t
{
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
    CUBLAS_OP_C = 2,
}

/// <summary>cublasPointerMode_t.</summary>
internal enum cublasPointerMode_t
{
    CUBLAS_POINTER_MODE_HOST = 0,
    CUBLAS_POINTER_MODE_DEVICE = 1,
}

/// <summary>cublasMath_t.</summary>
internal enum cublasMath_t
{
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TENSOR_OP_MATH = 1,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16,
}

/// <summary>cublasComputeType_t (CUDA ≥ 11).</summary>
internal enum cublasComputeType_t
{
    CUBLAS_COMPUTE_16F = 64,
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_64F = 70,
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    CUBLAS_COMPUTE_32I = 72,
    CUBLAS_COMPUTE_32I_PEDANTIC = 73,
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
}

/// <summary>cublasGemmAlgo_t (the two values NativeNet uses).</summary>
internal enum cublasGemmAlgo_t
{
    CUBLAS_GEMM_DEFAULT = -1,
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
}

/// <summary>cudaDataType_t (library_types.h).</summary>
internal enum cudaDataType_t
{
    CUDA_R_32F = 0,
    CUDA_R_64F = 1,
    CUDA_R_16F = 2,
    CUDA_R_8I = 3,
    CUDA_C_32F = 4,
    CUDA_C_64F = 5,
    CUDA_R_8U = 8,
    CUDA_R_32I = 10,
    CUDA_R_16BF = 14,
}

/// <summary>
/// cuBLAS (libcublas), raw and 1:1. The exported names of the classic API carry a _v2 suffix (cublas_v2.h maps them by
/// macro); the newer entry points do not. cuBLAS is column-major: row-major C = A·B is computed as Cᵀ = Bᵀ·Aᵀ.
/// </summary>
internal static unsafe partial class Cublas
{
    const string Lib = CudaLibraries.Cublas;

    static Cublas() => CudaLibraries.EnsureRegistered();

    internal static (nint Handle, string? Path, string Report) Load() => CudaLibraries.Load(Lib);

    internal static void Check(cublasStatus_t status, string call)
    {
        if (status != cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            throw new CublasException(call, (int)status, StatusName(status), Description(status));
    }

    /// <summary>The status's C name (the values are the same in every cuBLAS version NativeNet supports).</summary>
    internal static string StatusName(cublasStatus_t status)
        => Enum.IsDefined(status) ? status.ToString() : $"cublasStatus({(int)status})";

    static string? Description(cublasStatus_t status)
        => CudaLibraries.TryGetExport(Lib, "cublasGetStatusString", out var fn)
            ? Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<cublasStatus_t, byte*>)fn)(status))
            : null;

    /// <summary>libraryPropertyType (library_types.h) for <see cref="cublasGetProperty"/>: MAJOR_VERSION 0, MINOR_VERSION 1, PATCH_LEVEL 2.</summary>
    internal enum libraryPropertyType { MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2 }

    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value);

    /// <summary>"11.11.3" without needing a device (cublasGetProperty), or null when cuBLAS is not loaded.</summary>
    internal static string? VersionText()
    {
        if (Load().Handle == 0) return null;
        int major = 0, minor = 0, patch = 0;
        if (cublasGetProperty(libraryPropertyType.MAJOR_VERSION, &major) != cublasStatus_t.CUBLAS_STATUS_SUCCESS) return null;
        cublasGetProperty(libraryPropertyType.MINOR_VERSION, &minor);
        cublasGetProperty(libraryPropertyType.PATCH_LEVEL, &patch);
        return $"{major}.{minor}.{patch}";
    }

    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasCreate_v2(nint* handle);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasDestroy_v2(nint handle);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasGetVersion_v2(nint handle, int* version);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasSetStream_v2(nint handle, nint stream);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasGetStream_v2(nint handle, nint* stream);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasSetPointerMode_v2(nint handle, cublasPointerMode_t mode);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasSetMathMode(nint handle, cublasMath_t mode);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasGetMathMode(nint handle, cublasMath_t* mode);
    [LibraryImport(Lib)] internal static partial cublasStatus_t cublasSetWorkspace_v2(nint handle, nint workspace, nuint workspaceSizeInBytes);

    [LibraryImport(Lib)]
    internal static partial cublasStatus_t cublasSgemm_v2(nint handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        float* alpha, nint A, int lda, nint B, int ldb, float* beta, nint C, int ldc);

    [LibraryImport(Lib)]
    internal static partial cublasStatus_t cublasDgemm_v2(nint handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        double* alpha, nint A, int lda, nint B, int ldb, double* beta, nint C, int ldc);

    [LibraryImport(Lib)]
    internal static partial cublasStatus_t cublasSgemmStridedBatched(nint handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        float* alpha, nint A, int lda, long strideA, nint B, int ldb, long strideB, float* beta, nint C, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib)]
    internal static partial cublasStatus_t cublasDgemmStridedBatched(nint handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        double* alpha, nint A, int lda, long strideA, nint B, int ldb, long strideB, double* beta, nint C, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib)]
    internal static partial cublasStatus_t cublasGemmEx(nint handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        void* alpha, nint A, cudaDataType_t Atype, int lda, nint B, cudaDataType_t Btype, int ldb, void* beta, nint C, cudaDataType_t Ctype, int ldc,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo);
}

/// <summary>A cuBLAS context (cublasHandle_t) destroyed with cublasDestroy.</summary>
internal sealed unsafe class CublasHandle : SafeHandle
{
    CublasHandle() : base(0, true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>Creates a handle on the current device, bound to <paramref name="stream"/>, with tensor-core TF32 off
    /// (FP32 results match the CPU backend's within float rounding; PyTorch's default for matmul is the same).</summary>
    internal static CublasHandle Create(CudaStreamHandle stream)
    {
        nint h = 0;
        Cublas.Check(Cublas.cublasCreate_v2(&h), "cublasCreate");
        var r = new CublasHandle();
        r.SetHandle(h);
        Cublas.Check(Cublas.cublasSetStream_v2(h, stream.DangerousGetHandle()), "cublasSetStream");
        Cublas.Check(Cublas.cublasSetMathMode(h, cublasMath_t.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        return r;
    }

    /// <summary>The library version (e.g. 111103 for 11.11.3).</summary>
    internal int Version
    {
        get
        {
            int v = 0;
            Cublas.Check(Cublas.cublasGetVersion_v2(handle, &v), "cublasGetVersion");
            return v;
        }
    }

    protected override bool ReleaseHandle()
    {
        Cublas.cublasDestroy_v2(handle);
        return true;
    }
}
