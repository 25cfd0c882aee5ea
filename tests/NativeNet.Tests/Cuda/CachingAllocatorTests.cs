using NativeNet.Backends.Cuda;

namespace NativeNet.Tests.Cuda;

/// <summary>
/// The caching allocator's own policy (size classes, reuse, the deferred-free queue fed by finalizers, the out-of-memory
/// drain/collect/release/retry sequence, statistics), exercised against <see cref="FakeAddressSpace"/>: a bounded fake
/// address space standing in for device memory. This tests the allocator's bookkeeping, not CUDA.
/// </summary>
[Collection("Serial")]  // the out-of-memory path runs the GC and waits for finalizers
public class CachingAllocatorTests
{
    /// <summary>Hands out fake addresses from a fixed capacity; records every call so the policy can be checked.</summary>
    sealed class FakeAddressSpace(long capacity) : IDeviceAddressSpace
    {
        readonly Dictionary<nint, long> live = new();
        nint next = 0x1000;
        public long Used;
        public int Allocations, Frees, Syncs, Refusals;

        public bool TryAllocate(long bytes, out nint address)
        {
            if (Used + bytes > capacity)
            {
                Refusals++;
                address = 0;
                return false;
            }
            address = next;
            next += (nint)bytes;
            live[address] = bytes;
            Used += bytes;
            Allocations++;
            return true;
        }

        public void Free(nint address)
        {
            Assert.True(live.Remove(address, out var bytes), $"double or foreign free of {address:x}");
            Used -= bytes;
            Frees++;
        }

        public void Synchronize() => Syncs++;
    }

    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(1000, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 1310720)]        // 1.25 MiB
    [InlineData(1310721, 1572864)]              // 1.5 MiB
    [InlineData(1835009, 2097152)]              // above 1.75 MiB: 2 MiB
    [InlineData(3L << 30, 3L << 30)]            // 1.5 · 2 GiB exactly
    public void SizeClassesRoundUpWithBoundedWaste(long request, long expected)
    {
        Assert.Equal(expected, CachingAllocator.SizeClass(request));
    }

    [Fact]
    public void SizeClassWasteStaysBelowAQuarter()
    {
        var rng = new Random(5);
        for (int i = 0; i < 10000; i++)
        {
            long r = (long)(Math.Pow(2, rng.NextDouble() * 36)) + 1;
            long c = CachingAllocator.SizeClass(r);
            Assert.True(c >= r);
            Assert.True(c - r < Math.Max(CachingAllocator.MinBlock, r / 4 + 1), $"{r} -> {c}");
            Assert.Equal(c, CachingAllocator.SizeClass(c));  // classes are fixed points
        }
    }

    [Fact]
    public void FreedBlocksAreReusedWithoutTouchingTheDevice()
    {
        var space = new FakeAddressSpace(1 << 30);
        var a = new CachingAllocator(space, "fake:0");
        var b1 = a.Allocate(1000);
        var b2 = a.Allocate(900);  // same class (1024)
        Assert.Equal(1024, b1.Size);
        Assert.NotEqual(b1.Address, b2.Address);
        a.Free(b1.Address, b1.Size);
        var b3 = a.Allocate(1024);
        Assert.Equal(b1.Address, b3.Address);  // from the cache
        Assert.Equal(2, space.Allocations);
        var s = a.Stats();
        Assert.Equal(2048, s.AllocatedBytes);
        Assert.Equal(2048, s.ReservedBytes);
        Assert.Equal(0, s.CachedBytes);
        Assert.Equal(1, s.CacheHits);
        Assert.Equal(3, s.Allocations);
        Assert.Equal(2, s.DeviceMallocs);
        Assert.Equal(2, s.ActiveBlocks);
        // Another size class does not take the cached 1024-byte block.
        a.Free(b3.Address, b3.Size);
        var big = a.Allocate(4096);
        Assert.Equal(3, space.Allocations);
        Assert.Equal(1024, a.Stats().CachedBytes);
        a.Free(big.Address, big.Size);
        a.Free(b2.Address, b2.Size);
        s = a.Stats();
        Assert.Equal(0, s.AllocatedBytes);
        Assert.Equal(6144, s.ReservedBytes);
        Assert.Equal(6144, s.CachedBytes);
        Assert.Equal(6144, s.PeakReservedBytes);
        a.EmptyCache();
        Assert.Equal(0, space.Used);
        Assert.Equal(3, space.Frees);
        s = a.Stats();
        Assert.Equal(0, s.ReservedBytes);
        Assert.Equal(0, s.CachedBytes);
        Assert.Equal(3, s.DeviceFrees);
        Assert.Equal(6144, s.PeakReservedBytes);
        a.ResetPeaks();
        Assert.Equal(0, a.Stats().PeakReservedBytes);
    }

    [Fact]
    public void DeferredFreesWaitInTheQueueUntilTheNextAllocatorCall()
    {
        var space = new FakeAddressSpace(1 << 30);
        var a = new CachingAllocator(space, "fake:0");
        var b = a.Allocate(2048);
        a.DeferFree(b.Address, b.Size);  // what a finalizer does: no lock, no device call
        Assert.Equal(0, space.Frees);
        var again = a.Allocate(2048);
        Assert.Equal(b.Address, again.Address);  // drained, then reused
        Assert.Equal(1, a.Stats().DeferredFrees);
        Assert.Equal(1, space.Allocations);
    }

    /// <summary>A forgotten owner of a block: like a CUDA storage never disposed, its finalizer only queues the block.</summary>
    sealed class ForgottenBuffer((nint Address, long Size) block, CachingAllocator allocator)
    {
        ~ForgottenBuffer() => allocator.DeferFree(block.Address, block.Size);
    }

    static void Forget(CachingAllocator a, int count, long bytes)
    {
        for (int i = 0; i < count; i++) _ = new ForgottenBuffer(a.Allocate(bytes), a);
    }

    [Fact]
    public void OutOfMemoryCollectsForgottenBlocksAndRetries()
    {
        var space = new FakeAddressSpace(8 * 4096);
        var a = new CachingAllocator(space, "fake:0");
        Forget(a, 8, 4096);  // the whole device is held by unreachable owners
        Assert.Equal(8 * 4096, space.Used);
        var b = a.Allocate(4096);  // fails first; the GC runs their finalizers; the queue is drained; a cached block is reused
        Assert.NotEqual(0, b.Address);
        var s = a.Stats();
        Assert.Equal(1, s.OutOfMemoryRetries);
        Assert.True(s.DeferredFrees >= 1);
        Assert.Equal(4096, s.AllocatedBytes);
        Assert.Equal(8, space.Allocations);  // no new device memory was needed
    }

    [Fact]
    public void OutOfMemoryReleasesTheCacheBeforeRetrying()
    {
        var space = new FakeAddressSpace(64 * 1024);
        var a = new CachingAllocator(space, "fake:0");
        var blocks = Enumerable.Range(0, 16).Select(_ => a.Allocate(4096)).ToList();
        foreach (var bl in blocks) a.Free(bl.Address, bl.Size);  // 64 KiB cached in the 4 KiB class
        var big = a.Allocate(32 * 1024);  // another class: needs the cache given back to the device
        Assert.Equal(32 * 1024, big.Size);
        var s = a.Stats();
        Assert.Equal(1, s.OutOfMemoryRetries);
        Assert.Equal(16, s.DeviceFrees);
        Assert.Equal(0, s.CachedBytes);
        Assert.Equal(32 * 1024, s.ReservedBytes);
        Assert.True(space.Syncs >= 1);  // stream-ordered frees are waited for before the retry
    }

    [Fact]
    public void OutOfMemoryAfterTheRetryThrowsWithStatistics()
    {
        var space = new FakeAddressSpace(16 * 1024);
        var a = new CachingAllocator(space, "fake:0");
        var held = a.Allocate(12 * 1024);
        var e = Assert.Throws<CudaOutOfMemoryException>(() => a.Allocate(8 * 1024));
        Assert.IsAssignableFrom<OutOfMemoryException>(e);
        Assert.Equal("fake:0", e.Device);
        Assert.Equal(8 * 1024, e.RequestedBytes);
        Assert.Equal(12 * 1024, e.Stats.AllocatedBytes);
        Assert.Equal(12 * 1024, e.Stats.PeakAllocatedBytes);
        Assert.Equal(1, e.Stats.OutOfMemoryRetries);
        Assert.Contains("CUDA out of memory on fake:0", e.Message);
        Assert.Contains("allocated 0.0 MiB", e.Message);
        Assert.Equal(2, space.Refusals);  // first try and the retry
        a.Free(held.Address, held.Size);
        Assert.NotEqual(0, a.Allocate(8 * 1024).Address);  // usable afterwards
    }

    [Fact]
    public void ConcurrentAllocateAndFreeKeepTheBooksBalanced()
    {
        var space = new FakeAddressSpace(1L << 40);
        var a = new CachingAllocator(space, "fake:0");
        Parallel.For(0, 8, t =>
        {
            var rng = new Random(t);
            var mine = new List<(nint, long)>();
            for (int i = 0; i < 2000; i++)
            {
                if (mine.Count > 0 && rng.Next(2) == 0)
                {
                    var (addr, size) = mine[^1];
                    mine.RemoveAt(mine.Count - 1);
                    if (rng.Next(4) == 0) a.DeferFree(addr, size); else a.Free(addr, size);
                }
                else mine.Add(a.Allocate(rng.Next(1, 100_000)));
            }
            foreach (var (addr, size) in mine) a.Free(addr, size);
        });
        var s = a.Stats();
        Assert.Equal(0, s.AllocatedBytes);
        Assert.Equal(0, s.ActiveBlocks);
        Assert.Equal(s.ReservedBytes, s.CachedBytes);
        Assert.Equal(space.Used, s.ReservedBytes);
    }
}
