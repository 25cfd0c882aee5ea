namespace NativeNet;

/// <summary>
/// The CUDA caching allocator's counters for one device (PyTorch <c>torch.cuda.memory_stats</c>). Sizes are in bytes and
/// count whole blocks (requests are rounded up to a block size).
/// </summary>
/// <param name="AllocatedBytes">Bytes in blocks held by live tensors (<c>allocated_bytes.all.current</c>).</param>
/// <param name="ReservedBytes">Bytes obtained from the driver: allocated plus cached (<c>reserved_bytes.all.current</c>).</param>
/// <param name="CachedBytes">Bytes in freed blocks kept for reuse; <see cref="Cuda.EmptyCache"/> returns them.</param>
/// <param name="PeakAllocatedBytes">Highest <paramref name="AllocatedBytes"/> so far (<c>allocated_bytes.all.peak</c>).</param>
/// <param name="PeakReservedBytes">Highest <paramref name="ReservedBytes"/> so far.</param>
/// <param name="ActiveBlocks">Blocks held by live tensors.</param>
/// <param name="Allocations">Blocks handed out since start.</param>
/// <param name="CacheHits">Allocations served from the cache without a driver call.</param>
/// <param name="DeviceMallocs">Driver allocations (cudaMalloc) since start.</param>
/// <param name="DeviceFrees">Driver frees (cudaFree) since start (only EmptyCache and the out-of-memory retry free).</param>
/// <param name="OutOfMemoryRetries">Times an allocation failed and the cache was released to retry (<c>num_alloc_retries</c>).</param>
/// <param name="DeferredFrees">Blocks recycled from tensors reclaimed by the garbage collector instead of Dispose.</param>
public readonly record struct CudaMemoryStats(
    long AllocatedBytes, long ReservedBytes, long CachedBytes, long PeakAllocatedBytes, long PeakReservedBytes, long ActiveBlocks,
    long Allocations, long CacheHits, long DeviceMallocs, long DeviceFrees, long OutOfMemoryRetries, long DeferredFrees)
{
    /// <summary>One line for error messages and logs.</summary>
    public override string ToString()
        => $"allocated {Mb(AllocatedBytes)} (peak {Mb(PeakAllocatedBytes)}), reserved {Mb(ReservedBytes)} (peak {Mb(PeakReservedBytes)}), " +
           $"cached {Mb(CachedBytes)}, {ActiveBlocks} live blocks";

    static string Mb(long b) => $"{b / (1024.0 * 1024.0):F1} MiB";
}

/// <summary>
/// A CUDA device ran out of memory even after the allocator released its cache and the garbage collector reclaimed
/// forgotten tensors (PyTorch's <c>torch.cuda.OutOfMemoryError</c>). <see cref="Stats"/> says what was held.
/// </summary>
public sealed class CudaOutOfMemoryException : OutOfMemoryException
{
    /// <summary>Creates the exception for a failed request of <paramref name="requestedBytes"/> on <paramref name="device"/>.</summary>
    public CudaOutOfMemoryException(string device, long requestedBytes, long blockBytes, CudaMemoryStats stats)
        : base($"CUDA out of memory on {device}: tried to allocate {requestedBytes} bytes ({blockBytes}-byte block) after releasing " +
               $"the cache and collecting garbage; {stats}. Dispose tensors (or use Tensor.Scope()) and reduce the batch size.")
    {
        Device = device;
        RequestedBytes = requestedBytes;
        Stats = stats;
    }

    /// <summary>The device, e.g. "cuda:0".</summary>
    public string Device { get; }

    /// <summary>The request that failed, in bytes.</summary>
    public long RequestedBytes { get; }

    /// <summary>The allocator's counters at the failure.</summary>
    public CudaMemoryStats Stats { get; }
}
