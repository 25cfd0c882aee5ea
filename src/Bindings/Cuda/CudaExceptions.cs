namespace NativeNet.Bindings.Cuda;

/// <summary>
/// A CUDA library call returned an error status. The message names the library call, the status name and the library's
/// own description (like PyTorch's <c>RuntimeError: CUDA error: ...</c>).
/// </summary>
public class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> returning <paramref name="status"/>.</summary>
    public CudaException(string library, string call, int status, string statusName, string? description)
        : base($"{call} failed: {statusName} ({status}){(string.IsNullOrEmpty(description) ? "" : ": " + description)}")
    {
        Library = library;
        Call = call;
        Status = status;
        StatusName = statusName;
    }

    /// <summary>The library that returned the status: "cudart", "cublas", "cudnn", "nvrtc" or "nativenet_cuda".</summary>
    public string Library { get; }

    /// <summary>The C function that failed, e.g. "cudaMalloc".</summary>
    public string Call { get; }

    /// <summary>The numeric status as the library returned it.</summary>
    public int Status { get; }

    /// <summary>The status's C name, e.g. "cudaErrorMemoryAllocation" or "CUDNN_STATUS_BAD_PARAM".</summary>
    public string StatusName { get; }
}

/// <summary>A CUDA runtime (cudart) call failed (<c>cudaError_t</c> other than cudaSuccess).</summary>
public sealed class CudaRuntimeException : CudaException
{
    /// <summary>Creates the exception.</summary>
    public CudaRuntimeException(string call, int status, string statusName, string? description)
        : base("cudart", call, status, statusName, description) { }

    /// <summary>True when the status is cudaErrorMemoryAllocation (the device is out of memory).</summary>
    public bool IsOutOfMemory => Status == 2;
}

/// <summary>A cuBLAS call failed (<c>cublasStatus_t</c> other than CUBLAS_STATUS_SUCCESS).</summary>
public sealed class CublasException : CudaException
{
    /// <summary>Creates the exception.</summary>
    public CublasException(string call, int status, string statusName, string? description)
        : base("cublas", call, status, statusName, description) { }
}

/// <summary>A cuDNN call failed (<c>cudnnStatus_t</c> other than CUDNN_STATUS_SUCCESS; names depend on the cuDNN major version).</summary>
public sealed class CudnnException : CudaException
{
    /// <summary>Creates the exception.</summary>
    public CudnnException(string call, int status, string statusName, string? description)
        : base("cudnn", call, status, statusName, description) { }
}

/// <summary>An NVRTC call failed; for compilation errors the message carries the compiler log.</summary>
public sealed class NvrtcException : CudaException
{
    /// <summary>Creates the exception.</summary>
    public NvrtcException(string call, int status, string statusName, string? description)
        : base("nvrtc", call, status, statusName, description) { }
}

/// <summary>A launcher of NativeNet's own kernels (libnativenet_cuda) returned an error; the message is the library's nn_last_error().</summary>
public sealed class NativeKernelException : CudaException
{
    /// <summary>Creates the exception.</summary>
    public NativeKernelException(string call, int status, string statusName, string? description)
        : base("nativenet_cuda", call, status, statusName, description) { }
}
