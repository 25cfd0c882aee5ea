using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Cuda;

#pragma warning disable IDE1006 // C names on purpose: the raw layer mirrors the headers 1:1 (checked by tools/check_cuda_headers)

/// <summary>cudaError_t (driver_types.h). Only SUCCESS is stable knowledge we rely on; names come from cudaGetErrorName when loaded.</summary>
internal enum cudaError_t
{
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInitializationError = 3,
    cudaErrorCudartUnloading = 4,
    cudaErrorProfilerDisabled = 5,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidPitchValue = 12,
    cudaErrorInvalidSymbol = 13,
    cudaErrorInvalidMemcpyDirection = 21,
    cudaErrorStubLibrary = 34,
    cudaErrorInsufficientDriver = 35,
    cudaErrorCallRequiresNewerDriver = 36,
    cudaErrorDevicesUnavailable = 46,
    cudaErrorMissingConfiguration = 52,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorDeviceNotLicensed = 102,
    cudaErrorStartupFailure = 127,
    cudaErrorInvalidKernelImage = 200,
    cudaErrorDeviceUninitialized = 201,
    cudaErrorNoKernelImageForDevice = 209,
    cudaErrorECCUncorrectable = 214,
    cudaErrorUnsupportedPtxVersion = 222,
    cudaErrorJitCompilerNotFound = 221,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorIllegalState = 401,
    cudaErrorSymbolNotFound = 500,
    cudaErrorNotReady = 600,
    cudaErrorIllegalAddress = 700,
    cudaErrorLaunchOutOfResources = 701,
    cudaErrorLaunchTimeout = 702,
    cudaErrorPeerAccessAlreadyEnabled = 704,
    cudaErrorPeerAccessNotEnabled = 705,
    cudaErrorAssert = 710,
    cudaErrorHardwareStackError = 714,
    cudaErrorIllegalInstruction = 715,
    cudaErrorMisalignedAddress = 716,
    cudaErrorLaunchFailure = 719,
    cudaErrorNotPermitted = 800,
    cudaErrorNotSupported = 801,
    cudaErrorSystemNotReady = 802,
    cudaErrorSystemDriverMismatch = 803,
    cudaErrorCompatNotSupportedOnDevice = 804,
    cudaErrorUnknown = 999,
}

/// <summary>cudaMemcpyKind (driver_types.h).</summary>
internal enum cudaMemcpyKind
{
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4,
}

/// <summary>The cudaDeviceAttr values NativeNet queries (driver_types.h); used instead of marshalling cudaDeviceProp, whose size changes across versions.</summary>
internal enum cudaDeviceAttr
{
    cudaDevAttrMaxThreadsPerBlock = 1,
    cudaDevAttrMaxSharedMemoryPerBlock = 8,
    cudaDevAttrTotalConstantMemory = 9,
    cudaDevAttrWarpSize = 10,
    cudaDevAttrClockRate = 13,
    cudaDevAttrMultiProcessorCount = 16,
    cudaDevAttrPciBusId = 33,
    cudaDevAttrPciDeviceId = 34,
    cudaDevAttrMemoryClockRate = 36,
    cudaDevAttrGlobalMemoryBusWidth = 37,
    cudaDevAttrL2CacheSize = 38,
    cudaDevAttrUnifiedAddressing = 41,
    cudaDevAttrComputeCapabilityMajor = 75,
    cudaDevAttrComputeCapabilityMinor = 76,
    cudaDevAttrMemoryPoolsSupported = 115,
}

/// <summary>cudaMemPoolAttr (driver_types.h), the one NativeNet sets.</summary>
internal enum cudaMemPoolAttr
{
    cudaMemPoolAttrReleaseThreshold = 4,
}

/// <summary>Stream and event creation flags (driver_types.h #defines).</summary>
internal static class CudaFlags
{
    internal const uint cudaStreamDefault = 0;
    internal const uint cudaStreamNonBlocking = 1;
    internal const uint cudaEventDefault = 0;
    internal const uint cudaEventBlockingSync = 1;
    internal const uint cudaEventDisableTiming = 2;
}

/// <summary>
/// cudaDeviceProp is not marshalled (728 bytes in CUDA 11.8, 1032 in 12.x, changed again in 13): only the name at offset 0
/// and totalGlobalMem are read from a zeroed buffer larger than any version's struct. Offsets are checked against the
/// installed headers by tools/check_cuda_headers.
/// </summary>
internal static class CudaDeviceProp
{
    internal const int BufferSize = 4096;
    internal const int NameOffset = 0;
    internal const int NameLength = 256;
    internal const int TotalGlobalMemOffset = 288;
}

/// <summary>
/// The CUDA runtime API (libcudart), raw and 1:1 (C names, pointers, status returns), plus <see cref="Check"/>, which
/// turns a status into a <see cref="CudaRuntimeException"/> naming the call. Optional entry points (stream-ordered
/// allocation, cudaGetDeviceProperties_v2) are looked up at run time.
/// </summary>
internal static unsafe partial class Cudart
{
    const string Lib = CudaLibraries.Cudart;

    static Cudart() => CudaLibraries.EnsureRegistered();

    /// <summary>Loads libcudart; the handle is 0 when no version could be loaded.</summary>
    internal static (nint Handle, string? Path, string Report) Load() => CudaLibraries.Load(Lib);

    /// <summary>Throws <see cref="CudaRuntimeException"/> naming <paramref name="call"/> unless <paramref name="status"/> is cudaSuccess.</summary>
    internal static void Check(cudaError_t status, string call)
    {
        if (status != cudaError_t.cudaSuccess) throw Error(status, call);
    }

    internal static CudaRuntimeException Error(cudaError_t status, string call)
        => new(call, (int)status, StatusName(status), Description(status));

    /// <summary>The status's C name: from the loaded library when possible, else from the enum, else "cudaError(N)".</summary>
    internal static string StatusName(cudaError_t status)
    {
        if (Load().Handle != 0)
        {
            var s = Marshal.PtrToStringUTF8((nint)cudaGetErrorName(status));
            if (!string.IsNullOrEmpty(s) && s != "unrecognized error code") return s;
        }
        return Enum.IsDefined(status) ? status.ToString() : $"cudaError({(int)status})";
    }

    static string? Description(cudaError_t status)
        => Load().Handle != 0 ? Marshal.PtrToStringUTF8((nint)cudaGetErrorString(status)) : null;

    // ---------------------------------------------------------------- device management
    [LibraryImport(Lib)] internal static partial cudaError_t cudaGetDeviceCount(int* count);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaSetDevice(int device);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaGetDevice(int* device);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaDeviceSynchronize();
    [LibraryImport(Lib)] internal static partial cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMemGetInfo(nuint* free, nuint* total);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaDriverGetVersion(int* driverVersion);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaRuntimeGetVersion(int* runtimeVersion);

    // ---------------------------------------------------------------- errors
    [LibraryImport(Lib)] internal static partial cudaError_t cudaGetLastError();
    [LibraryImport(Lib)] internal static partial cudaError_t cudaPeekAtLastError();
    [LibraryImport(Lib)] internal static partial byte* cudaGetErrorName(cudaError_t error);
    [LibraryImport(Lib)] internal static partial byte* cudaGetErrorString(cudaError_t error);

    // ---------------------------------------------------------------- memory
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMalloc(nint* devPtr, nuint size);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaFree(nint devPtr);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMallocHost(nint* ptr, nuint size);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaFreeHost(nint ptr);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMemcpy(nint dst, nint src, nuint count, cudaMemcpyKind kind);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMemcpyAsync(nint dst, nint src, nuint count, cudaMemcpyKind kind, nint stream);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMemset(nint devPtr, int value, nuint count);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaMemsetAsync(nint devPtr, int value, nuint count, nint stream);

    // ---------------------------------------------------------------- streams and events
    [LibraryImport(Lib)] internal static partial cudaError_t cudaStreamCreateWithFlags(nint* stream, uint flags);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaStreamDestroy(nint stream);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaStreamSynchronize(nint stream);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaStreamQuery(nint stream);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaStreamWaitEvent(nint stream, nint evt, uint flags);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaEventCreateWithFlags(nint* evt, uint flags);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaEventDestroy(nint evt);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaEventSynchronize(nint evt);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaEventQuery(nint evt);
    [LibraryImport(Lib)] internal static partial cudaError_t cudaEventElapsedTime(float* ms, nint start, nint end);

    // ---------------------------------------------------------------- optional (resolved at run time)
    static nint Export(string name) => CudaLibraries.TryGetExport(Lib, name, out var a) ? a : 0;

    static readonly Lazy<nint> MallocAsyncFn = new(() => Export("cudaMallocAsync"));
    static readonly Lazy<nint> FreeAsyncFn = new(() => Export("cudaFreeAsync"));
    static readonly Lazy<nint> DefaultMemPoolFn = new(() => Export("cudaDeviceGetDefaultMemPool"));
    static readonly Lazy<nint> MemPoolSetAttributeFn = new(() => Export("cudaMemPoolSetAttribute"));

    /// <summary>True when the loaded runtime exports cudaMallocAsync/cudaFreeAsync and the pool API (CUDA ≥ 11.2).</summary>
    internal static bool HasStreamOrderedAllocator
        => MallocAsyncFn.Value != 0 && FreeAsyncFn.Value != 0 && DefaultMemPoolFn.Value != 0 && MemPoolSetAttributeFn.Value != 0;

    internal static cudaError_t cudaMallocAsync(nint* devPtr, nuint size, nint stream)
        => ((delegate* unmanaged<nint*, nuint, nint, cudaError_t>)Required(MallocAsyncFn, "cudaMallocAsync"))(devPtr, size, stream);

    internal static cudaError_t cudaFreeAsync(nint devPtr, nint stream)
        => ((delegate* unmanaged<nint, nint, cudaError_t>)Required(FreeAsyncFn, "cudaFreeAsync"))(devPtr, stream);

    internal static cudaError_t cudaDeviceGetDefaultMemPool(nint* memPool, int device)
        => ((delegate* unmanaged<nint*, int, cudaError_t>)Required(DefaultMemPoolFn, "cudaDeviceGetDefaultMemPool"))(memPool, device);

    internal static cudaError_t cudaMemPoolSetAttribute(nint memPool, cudaMemPoolAttr attr, void* value)
        => ((delegate* unmanaged<nint, cudaMemPoolAttr, void*, cudaError_t>)Required(MemPoolSetAttributeFn, "cudaMemPoolSetAttribute"))(memPool, attr, value);

    static nint Required(Lazy<nint> fn, string name)
        => fn.Value != 0 ? fn.Value : throw new EntryPointNotFoundException($"{name} is not exported by the loaded CUDA runtime ({Load().Path})");

    /// <summary>
    /// The device name, read from cudaGetDeviceProperties into a zeroed buffer larger than any version's struct. CUDA 12+
    /// headers map the call to cudaGetDeviceProperties_v2 (the plain symbol keeps the old layout's size), so the _v2
    /// export is preferred when present.
    /// </summary>
    internal static string DeviceName(int device)
    {
        if (!CudaLibraries.TryGetExport(Lib, "cudaGetDeviceProperties_v2", out var fn) &&
            !CudaLibraries.TryGetExport(Lib, "cudaGetDeviceProperties", out fn))
            return "unknown";
        var buf = stackalloc byte[CudaDeviceProp.BufferSize];
        new Span<byte>(buf, CudaDeviceProp.BufferSize).Clear();
        var rc = ((delegate* unmanaged<byte*, int, cudaError_t>)fn)(buf, device);
        Check(rc, "cudaGetDeviceProperties");
        var name = new ReadOnlySpan<byte>(buf + CudaDeviceProp.NameOffset, CudaDeviceProp.NameLength);
        int end = name.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? name : name[..end]);
    }

    /// <summary>An int device attribute, checked.</summary>
    internal static int Attribute(cudaDeviceAttr attr, int device)
    {
        int v = 0;
        Check(cudaDeviceGetAttribute(&v, attr, device), $"cudaDeviceGetAttribute({attr})");
        return v;
    }

    /// <summary>Formats a CUDA version number (major*1000 + minor*10) as "12.2".</summary>
    internal static string FormatVersion(int v) => v <= 0 ? "none" : $"{v / 1000}.{v % 1000 / 10}";
}

/// <summary>A CUDA stream (cudaStream_t) destroyed with cudaStreamDestroy.</summary>
internal sealed unsafe class CudaStreamHandle : SafeHandle
{
    CudaStreamHandle() : base(0, true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>Creates a non-blocking stream on the current device (it does not synchronize with the legacy default stream).</summary>
    internal static CudaStreamHandle Create()
    {
        nint s = 0;
        Cudart.Check(Cudart.cudaStreamCreateWithFlags(&s, CudaFlags.cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
        var h = new CudaStreamHandle();
        h.SetHandle(s);
        return h;
    }

    internal void Synchronize() => Cudart.Check(Cudart.cudaStreamSynchronize(handle), "cudaStreamSynchronize");

    // Errors at release are ignored: at process exit the runtime may already be unloading (cudaErrorCudartUnloading).
    protected override bool ReleaseHandle()
    {
        Cudart.cudaStreamDestroy(handle);
        return true;
    }
}

/// <summary>A CUDA event (cudaEvent_t) destroyed with cudaEventDestroy.</summary>
internal sealed unsafe class CudaEventHandle : SafeHandle
{
    CudaEventHandle() : base(0, true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>Creates an event; <paramref name="timing"/> false makes record/wait cheaper.</summary>
    internal static CudaEventHandle Create(bool timing = false)
    {
        nint e = 0;
        Cudart.Check(Cudart.cudaEventCreateWithFlags(&e, timing ? CudaFlags.cudaEventDefault : CudaFlags.cudaEventDisableTiming), "cudaEventCreateWithFlags");
        var h = new CudaEventHandle();
        h.SetHandle(e);
        return h;
    }

    internal void Record(CudaStreamHandle stream) => Cudart.Check(Cudart.cudaEventRecord(handle, stream.DangerousGetHandle()), "cudaEventRecord");

    internal void Synchronize() => Cudart.Check(Cudart.cudaEventSynchronize(handle), "cudaEventSynchronize");

    /// <summary>Milliseconds between two recorded timing events.</summary>
    internal float ElapsedSince(CudaEventHandle start)
    {
        float ms = 0;
        Cudart.Check(Cudart.cudaEventElapsedTime(&ms, start.DangerousGetHandle(), handle), "cudaEventElapsedTime");
        return ms;
    }

    protected override bool ReleaseHandle()
    {
        Cudart.cudaEventDestroy(handle);
        return true;
    }
}
