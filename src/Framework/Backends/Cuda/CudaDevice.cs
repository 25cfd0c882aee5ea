using NativeNet.Bindings.Cuda;

namespace NativeNet.Backends.Cuda;

/// <summary>
/// Everything NativeNet holds for one GPU: its stream (all work of the device is ordered on it), the cuBLAS and cuDNN
/// handles bound to that stream, the caching allocator and two tiny device buffers (a scalar operand and an index error
/// flag). Lives for the process.
/// </summary>
internal sealed unsafe class CudaDevice
{
    internal readonly int Index;
    internal readonly Device Device;
    internal readonly CudaStreamHandle Stream;
    internal readonly nint StreamPtr;
    internal readonly CublasHandle Blas;
    internal readonly CudnnHandle? Dnn;
    internal readonly string? DnnUnavailableReason;
    internal readonly CachingAllocator Allocator;

    /// <summary>Serializes uses of the shared handles and scratch buffers across threads (the stream orders the GPU work).</summary>
    internal readonly object Gate = new();

    readonly nint scalarScratch, errorFlag;

    /// <summary>NATIVENET_CUDA_SYNC=1: synchronize after every op so an asynchronous fault names the op that caused it.</summary>
    internal static readonly bool SyncEachOp = Environment.GetEnvironmentVariable("NATIVENET_CUDA_SYNC") == "1";

    [ThreadStatic] static int currentPlusOne;

    internal CudaDevice(int index)
    {
        Index = index;
        Device = new Device(DeviceType.Cuda, index);
        MakeCurrent();
        Stream = CudaStreamHandle.Create();
        StreamPtr = Stream.DangerousGetHandle();
        Blas = CublasHandle.Create(Stream);
        if (CudaProbe.Result.CudnnLoaded)
        {
            try { Dnn = CudnnHandle.Create(Stream); }
            catch (CudaException e) { DnnUnavailableReason = e.Message; }
        }
        else DnnUnavailableReason = "cuDNN (libcudnn) was not found";
        Allocator = new CachingAllocator(new CudaDeviceMemory(this), Device.ToString());
        scalarScratch = Allocator.Allocate(16).Address;
        errorFlag = Allocator.Allocate(4).Address;
    }

    /// <summary>Makes this device current on the calling thread (the runtime's current device is per thread).</summary>
    internal void MakeCurrent()
    {
        if (currentPlusOne == Index + 1) return;
        Cudart.Check(Cudart.cudaSetDevice(Index), "cudaSetDevice");
        currentPlusOne = Index + 1;
    }

    internal void Synchronize()
    {
        MakeCurrent();
        Stream.Synchronize();
    }

    /// <summary>After an op: with NATIVENET_CUDA_SYNC=1, wait and name the op if the GPU reports an error.</summary>
    internal void AfterOp(string op)
    {
        if (!SyncEachOp) return;
        try { Stream.Synchronize(); }
        catch (CudaRuntimeException e) { throw new InvalidOperationException($"{op} on {Device} failed: {e.Message}", e); }
    }

    /// <summary>The 16-byte device buffer for scalar operands (use under <see cref="Gate"/>: fill and use on the stream).</summary>
    internal nint ScalarScratch => scalarScratch;

    /// <summary>Zeroes the index error flag on the stream and returns its address (use under <see cref="Gate"/>).</summary>
    internal nint ResetErrorFlag()
    {
        Cudart.Check(Cudart.cudaMemsetAsync(errorFlag, 0, 4, StreamPtr), "cudaMemsetAsync");
        return errorFlag;
    }

    /// <summary>Reads the index error flag back (waits for the stream).</summary>
    internal bool ReadErrorFlag()
    {
        int flag = 0;
        Cudart.Check(Cudart.cudaMemcpyAsync((nint)(&flag), errorFlag, 4, cudaMemcpyKind.cudaMemcpyDeviceToHost, StreamPtr), "cudaMemcpyAsync");
        Stream.Synchronize();
        return flag != 0;
    }

    /// <summary>A temporary device block (workspace) returned to the cache on Dispose; reuse is safe because all work is on one stream.</summary>
    internal TempBlock Temp(long bytes) => new(this, bytes);

    internal readonly struct TempBlock : IDisposable
    {
        readonly CudaDevice owner;
        internal readonly nint Address;
        internal readonly long Size;

        internal TempBlock(CudaDevice owner, long bytes)
        {
            this.owner = owner;
            if (bytes <= 0) { Address = 0; Size = 0; return; }
            (Address, Size) = owner.Allocator.Allocate(bytes);
        }

        public void Dispose()
        {
            if (Address != 0) owner.Allocator.Free(Address, Size);
        }
    }
}

/// <summary>The device's raw memory: cudaMallocAsync/cudaFreeAsync on the device stream when the runtime and device support memory pools, else cudaMalloc/cudaFree.</summary>
internal sealed unsafe class CudaDeviceMemory : IDeviceAddressSpace
{
    readonly CudaDevice device;
    readonly bool streamOrdered;

    internal CudaDeviceMemory(CudaDevice device)
    {
        this.device = device;
        streamOrdered = Cudart.HasStreamOrderedAllocator &&
                        Cudart.Attribute(cudaDeviceAttr.cudaDevAttrMemoryPoolsSupported, device.Index) != 0 &&
                        Environment.GetEnvironmentVariable("NATIVENET_CUDA_ALLOCATOR") != "malloc";
    }

    public bool TryAllocate(long bytes, out nint address)
    {
        device.MakeCurrent();
        nint p = 0;
        var rc = streamOrdered ? Cudart.cudaMallocAsync(&p, (nuint)bytes, device.StreamPtr) : Cudart.cudaMalloc(&p, (nuint)bytes);
        if (rc == cudaError_t.cudaErrorMemoryAllocation)
        {
            Cudart.cudaGetLastError();  // clear it: an allocation failure is not sticky
            address = 0;
            return false;
        }
        Cudart.Check(rc, streamOrdered ? "cudaMallocAsync" : "cudaMalloc");
        address = p;
        return true;
    }

    public void Free(nint address)
    {
        device.MakeCurrent();
        if (streamOrdered) Cudart.Check(Cudart.cudaFreeAsync(address, device.StreamPtr), "cudaFreeAsync");
        else Cudart.Check(Cudart.cudaFree(address), "cudaFree");
    }

    public void Synchronize() => device.Synchronize();
}

/// <summary>
/// A tensor buffer on a GPU, carved from the device's caching allocator. Dispose returns the block to the cache; a
/// storage reclaimed by the GC only queues its block (its finalizer never calls CUDA).
/// </summary>
internal sealed class CudaStorage : Storage
{
    internal readonly CudaDevice Owner;
    internal readonly nint Pointer;
    readonly long blockSize;

    internal CudaStorage(CudaDevice owner, long bytes) : base(owner.Device, bytes)
    {
        Owner = owner;
        (Pointer, blockSize) = owner.Allocator.Allocate(bytes);
    }

    protected override void Free()
    {
        Owner.Allocator.Free(Pointer, blockSize);
        GC.SuppressFinalize(this);
    }

    ~CudaStorage()
    {
        if (Pointer != 0 && !IsReleased) Owner.Allocator.DeferFree(Pointer, blockSize);
    }
}
