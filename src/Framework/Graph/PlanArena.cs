namespace NativeNet;

/// <summary>
/// A compiled plan's own pool of pinned host buffers (ONNX Runtime's per-session arena, in small). While a plan runs it
/// is the current arena of the thread, so every host allocation of the ops (results, scratch space) takes a buffer from
/// here: the smallest free one that is large enough and at most eight times the request ("same or smaller" values reuse a
/// buffer). The executor disposes each intermediate right after its last reader (liveness), which returns the buffer
/// here for the next step or the next run; after the first run a plan allocates nothing. Buffers the caller keeps (the
/// outputs) come back when the caller disposes them. Arena memory is the plan's own: it is not counted by
/// <see cref="MemoryStats"/> (see <c>CompiledGraph.ArenaBytes</c>) and goes to the GC with the plan.
/// </summary>
internal sealed class PlanArena
{
    [ThreadStatic] static PlanArena? current;
    /// <summary>Threads running a plan; while 0 the allocation path's check is one plain static read.</summary>
    static int runningThreads;

    /// <summary>The arena of the plan running on this thread, or null.</summary>
    internal static PlanArena? Current => runningThreads == 0 ? null : current;

    static void Set(PlanArena? a)
    {
        var old = current;
        if (old == null && a != null) Interlocked.Increment(ref runningThreads);
        else if (old != null && a == null) Interlocked.Decrement(ref runningThreads);
        current = a;
    }

    readonly List<byte[]> free = new(); // sorted by length
    readonly object gate = new();
    long held;

    /// <summary>Buffers taken from the process-wide pool (misses).</summary>
    internal long Allocations { get; private set; }

    /// <summary>Requests served from the arena's free buffers (hits).</summary>
    internal long Reuses { get; private set; }

    /// <summary>Bytes of all buffers the arena handed out or holds.</summary>
    internal long Bytes
    {
        get { lock (gate) return held; }
    }

    internal static PlanArena? Enter(PlanArena arena)
    {
        var prev = current;
        Set(arena);
        return prev;
    }

    internal static void Exit(PlanArena? previous) => Set(previous);

    /// <summary>Bytes requested over all runs (what the plan would allocate without reuse).</summary>
    internal long RequestedBytes { get; private set; }

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes.</summary>
    internal byte[] Rent(int bytes)
    {
        lock (gate)
        {
            RequestedBytes += bytes;
            int lo = 0, hi = free.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (free[mid].Length < bytes) lo = mid + 1; else hi = mid;
            }
            if (lo < free.Count && free[lo].Length <= Math.Max(8L * bytes, 4096))
            {
                var b = free[lo];
                free.RemoveAt(lo);
                Reuses++;
                return b;
            }
            Allocations++;
        }
        var a = GC.AllocateUninitializedArray<byte>(CpuBufferPool.SizeClass(bytes), pinned: true);
        lock (gate) held += a.Length;
        return a;
    }

    /// <summary>Takes a buffer back (from any thread: outputs are disposed by their users).</summary>
    internal void Return(byte[] buffer)
    {
        lock (gate)
        {
            int lo = 0, hi = free.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (free[mid].Length < buffer.Length) lo = mid + 1; else hi = mid;
            }
            free.Insert(lo, buffer);
        }
    }

    /// <summary>Drops every free buffer (the GC reclaims them).</summary>
    internal void Release()
    {
        lock (gate)
        {
            foreach (var b in free) held -= b.Length;
            free.Clear();
        }
    }
}
