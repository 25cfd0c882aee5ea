using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeNet;

/// <summary>
/// One reference-counted buffer on one device. Views share a storage; the buffer goes back to its
/// device's pool when the last tensor referencing it is disposed (or the GC collects it, on the CPU).
/// </summary>
public abstract class Storage
{
    int refCount = 1;

    /// <summary>Creates a storage of <paramref name="byteLength"/> bytes on <paramref name="device"/>.</summary>
    protected Storage(Device device, long byteLength)
    {
        Device = device;
        ByteLength = byteLength;
    }

    /// <summary>The device holding the bytes.</summary>
    public Device Device { get; }

    /// <summary>Size of the buffer in bytes.</summary>
    public long ByteLength { get; }

    /// <summary>True once the last reference was released.</summary>
    public bool IsReleased => Volatile.Read(ref refCount) <= 0;

    internal int RefCount => Volatile.Read(ref refCount);

    internal void AddRef()
    {
        if (Interlocked.Increment(ref refCount) <= 1)
            throw new ObjectDisposedException(nameof(Storage), "storage was already released");
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref refCount) == 0) Free();
    }

    /// <summary>Returns the buffer to its allocator.</summary>
    protected abstract void Free();
}

/// <summary>Host storage: a pinned, uninitialized array on the pinned object heap, so the GC sees the bytes.</summary>
internal sealed unsafe class CpuStorage : Storage
{
    internal readonly byte[] Array;
    internal readonly byte* Pointer;
    /// <summary>The compiled plan's arena the buffer came from (and goes back to), or null for the process-wide pool.</summary>
    readonly PlanArena? arena;

    internal CpuStorage(int byteLength) : base(Device.Cpu, byteLength)
    {
        arena = PlanArena.Current;
        Array = arena != null ? arena.Rent(byteLength) : CpuBufferPool.Rent(byteLength);
        Pointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));
    }

    internal Span<T> Span<T>(int elementOffset, int count) where T : unmanaged
        => new((T*)Pointer + elementOffset, count);

    internal T* Ptr<T>(int elementOffset) where T : unmanaged => (T*)Pointer + elementOffset;

    protected override void Free()
    {
        if (arena != null) arena.Return(Array);
        else CpuBufferPool.Return(Array);
    }
}

/// <summary>
/// Size-classed pool of pinned host arrays. Disposing a tensor returns its buffer here early; forgotten
/// tensors are simply collected by the GC. Bounded so an idle process does not hold memory forever.
/// </summary>
internal static class CpuBufferPool
{
    const int MinSize = 64;
    const long MaxPooledBytes = 1L << 30;
    const int MaxPerClass = 64;
    static readonly Stack<byte[]>?[] Free = new Stack<byte[]>?[128];
    static readonly object Gate = new();
    static long pooledBytes;
    static long inUseBytes, peakBytes;

    /// <summary>Rounds up to 2^k, 1.25·2^k, 1.5·2^k or 1.75·2^k so reuse is likely and waste is below 25%.</summary>
    internal static int SizeClass(int bytes)
    {
        if (bytes <= MinSize) return MinSize;
        long p = 1L << (31 - System.Numerics.BitOperations.LeadingZeroCount((uint)bytes));
        if (p == bytes) return bytes;
        for (int q = 5; q <= 8; q++)
        {
            long c = p * q / 4;
            if (c >= bytes) return (int)Math.Min(c, Array.MaxLength);
        }
        return Array.MaxLength;
    }

    /// <summary>Slot of a size class in <see cref="Free"/>: four classes per power of two from 64 bytes.</summary>
    static int SlotOf(int size)
    {
        int k = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)size);
        int frac = k >= 2 ? (int)((size - (1L << k)) >> (k - 2)) : 0;
        return Math.Min((k - 6) * 4 + frac, 127);
    }

    internal static byte[] Rent(int bytes)
    {
        int size = SizeClass(bytes);
        int slot = SlotOf(size);
        lock (Gate)
        {
            var stack = Free[slot];
            if (stack != null && stack.Count > 0 && stack.Peek().Length == size)
            {
                pooledBytes -= size;
                inUseBytes += size;
                if (inUseBytes > peakBytes) peakBytes = inUseBytes;
                return stack.Pop();
            }
            inUseBytes += size;
            if (inUseBytes > peakBytes) peakBytes = inUseBytes;
        }
        return GC.AllocateUninitializedArray<byte>(size, pinned: true);
    }

    internal static void Return(byte[] array)
    {
        lock (Gate)
        {
            inUseBytes -= array.Length;
            if (pooledBytes + array.Length > MaxPooledBytes) return;
            int slot = SlotOf(array.Length);
            var stack = Free[slot] ??= new Stack<byte[]>();
            if (stack.Count >= MaxPerClass || (stack.Count > 0 && stack.Peek().Length != array.Length)) return;
            stack.Push(array);
            pooledBytes += array.Length;
        }
    }

    /// <summary>Drops every pooled buffer (<c>torch.cuda.empty_cache</c> for the host pool).</summary>
    internal static void Clear()
    {
        lock (Gate)
        {
            Array.Clear(Free);
            pooledBytes = 0;
        }
    }

    internal static (long InUse, long Peak, long Cached) Stats()
    {
        lock (Gate) return (inUseBytes, peakBytes, pooledBytes);
    }
}

/// <summary>Memory statistics of the host pool (like <c>torch.cuda.memory_stats</c>).</summary>
public static class MemoryStats
{
    /// <summary>Bytes handed out by the CPU pool and not yet returned by Dispose (forgotten tensors count until their Dispose).</summary>
    public static long CpuBytesInUse => CpuBufferPool.Stats().InUse;

    /// <summary>Peak of <see cref="CpuBytesInUse"/>.</summary>
    public static long CpuPeakBytes => CpuBufferPool.Stats().Peak;

    /// <summary>Bytes held in the pool for reuse.</summary>
    public static long CpuCachedBytes => CpuBufferPool.Stats().Cached;

    /// <summary>Releases cached host buffers to the GC (<c>torch.cuda.empty_cache</c> analogue).</summary>
    public static void EmptyCache() => CpuBufferPool.Clear();
}
