using System.Collections.Concurrent;

namespace NativeNet.Backends.Cuda;

/// <summary>
/// The raw memory a <see cref="CachingAllocator"/> carves blocks from. On a GPU this is cudaMalloc/cudaFree
/// (<see cref="CudaDeviceMemory"/>); the allocator's own policy is tested against a fake address space.
/// </summary>
internal interface IDeviceAddressSpace
{
    /// <summary>Reserves <paramref name="bytes"/>; false when the device is out of memory (other failures throw).</summary>
    bool TryAllocate(long bytes, out nint address);

    /// <summary>Returns a reservation made by <see cref="TryAllocate"/>.</summary>
    void Free(nint address);

    /// <summary>Waits until freed memory is really available again (stream-ordered frees complete at a sync).</summary>
    void Synchronize();
}

/// <summary>
/// A caching allocator in the spirit of PyTorch's: freed blocks go to size-bucketed free lists and are reused without
/// touching the driver; finalizers never call CUDA (they only queue their block, drained on the next allocator call);
/// on out-of-memory it drains that queue, runs the GC and its finalizers, drains again, releases the cache and retries
/// once before throwing <see cref="CudaOutOfMemoryException"/> with the statistics.
/// </summary>
internal sealed class CachingAllocator
{
    /// <summary>Smallest block: every request is rounded up to a multiple of this.</summary>
    internal const long MinBlock = 512;

    /// <summary>Up to this size, blocks are multiples of <see cref="MinBlock"/>; above, quarter steps between powers of two.</summary>
    internal const long SmallLimit = 1L << 20;

    readonly IDeviceAddressSpace space;
    readonly string deviceName;
    readonly object gate = new();
    readonly Dictionary<long, Stack<nint>> free = new();
    readonly ConcurrentQueue<(nint Address, long Size)> deferred = new();
    long allocated, reserved, peakAllocated, peakReserved, cached;
    long allocations, cacheHits, rawAllocations, rawFrees, oomRetries, deferredFrees, activeBlocks;

    internal CachingAllocator(IDeviceAddressSpace space, string deviceName)
    {
        this.space = space;
        this.deviceName = deviceName;
    }

    /// <summary>
    /// The block size for a request: multiples of 512 bytes up to 1 MiB, then 2^k·{1, 1.25, 1.5, 1.75} so that reuse is
    /// likely and the waste stays below 25%.
    /// </summary>
    internal static long SizeClass(long bytes)
    {
        if (bytes <= 0) return MinBlock;
        if (bytes <= SmallLimit) return (bytes + MinBlock - 1) / MinBlock * MinBlock;
        long p = 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)bytes));
        if (p == bytes) return bytes;
        for (int q = 5; q <= 8; q++)
        {
            long c = p / 4 * q;
            if (c >= bytes) return c;
        }
        return p * 2;
    }

    /// <summary>A block of at least <paramref name="bytes"/> (its size is the class size).</summary>
    internal (nint Address, long Size) Allocate(long bytes)
    {
        long size = SizeClass(bytes);
        lock (gate)
        {
            DrainDeferred();
            if (TryTakeCached(size, out var hit)) return hit;
            if (TryRaw(size, out var fresh)) return fresh;
        }
        // Out of memory. Forgotten tensors may still hold blocks: let the GC find them. The lock is not held while
        // finalizers run (they only enqueue, but user finalizers could dispose tensors, which takes the lock).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        lock (gate)
        {
            oomRetries++;
            DrainDeferred();
            if (TryTakeCached(size, out var hit)) return hit;
            ReleaseCache();
            space.Synchronize();
            if (TryRaw(size, out var fresh)) return fresh;
            throw new CudaOutOfMemoryException(deviceName, bytes, size, StatsLocked());
        }
    }

    bool TryTakeCached(long size, out (nint, long) block)
    {
        if (free.TryGetValue(size, out var stack) && stack.Count > 0)
        {
            var address = stack.Pop();
            cached -= size;
            cacheHits++;
            Track(size);
            block = (address, size);
            return true;
        }
        block = default;
        return false;
    }

    bool TryRaw(long size, out (nint, long) block)
    {
        if (!space.TryAllocate(size, out var address))
        {
            block = default;
            return false;
        }
        rawAllocations++;
        reserved += size;
        if (reserved > peakReserved) peakReserved = reserved;
        Track(size);
        block = (address, size);
        return true;
    }

    void Track(long size)
    {
        allocations++;
        activeBlocks++;
        allocated += size;
        if (allocated > peakAllocated) peakAllocated = allocated;
    }

    /// <summary>Returns a block to the cache (from <c>Dispose</c>, on any thread; never from a finalizer).</summary>
    internal void Free(nint address, long size)
    {
        lock (gate) ReturnLocked(address, size);
    }

    /// <summary>Queues a block freed by a finalizer: no lock, no CUDA call; the next allocator call recycles it.</summary>
    internal void DeferFree(nint address, long size) => deferred.Enqueue((address, size));

    void ReturnLocked(nint address, long size)
    {
        if (!free.TryGetValue(size, out var stack)) free[size] = stack = new Stack<nint>();
        stack.Push(address);
        cached += size;
        allocated -= size;
        activeBlocks--;
    }

    void DrainDeferred()
    {
        while (deferred.TryDequeue(out var b))
        {
            deferredFrees++;
            ReturnLocked(b.Address, b.Size);
        }
    }

    void ReleaseCache()
    {
        foreach (var (size, stack) in free)
        {
            while (stack.Count > 0)
            {
                space.Free(stack.Pop());
                rawFrees++;
                reserved -= size;
                cached -= size;
            }
        }
        free.Clear();
    }

    /// <summary>Frees every cached block back to the device (<c>torch.cuda.empty_cache</c>); blocks in use stay.</summary>
    internal void EmptyCache()
    {
        lock (gate)
        {
            DrainDeferred();
            ReleaseCache();
            space.Synchronize();
        }
    }

    /// <summary>A snapshot of the counters (deferred frees are drained first, so forgotten tensors count as freed).</summary>
    internal CudaMemoryStats Stats()
    {
        lock (gate)
        {
            DrainDeferred();
            return StatsLocked();
        }
    }

    CudaMemoryStats StatsLocked() => new(allocated, reserved, cached, peakAllocated, peakReserved, activeBlocks, allocations,
        cacheHits, rawAllocations, rawFrees, oomRetries, deferredFrees);

    /// <summary>Resets the peaks to the current values (<c>torch.cuda.reset_peak_memory_stats</c>).</summary>
    internal void ResetPeaks()
    {
        lock (gate)
        {
            peakAllocated = allocated;
            peakReserved = reserved;
        }
    }
}
