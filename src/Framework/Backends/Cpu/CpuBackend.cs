using System.Numerics.Tensors;

namespace NativeNet.Backends.Cpu;

/// <summary>
/// The CPU backend: vectorized C# kernels (System.Numerics.Tensors, Vector256) parallel over large work,
/// GEMM through CBLAS. It is the reference every other backend is tested against.
/// </summary>
internal sealed unsafe partial class CpuBackend : IBackend
{
    internal static readonly CpuBackend Instance = new();

    // Runtime's constructor makes OpenBLAS single-threaded before the first GEMM.
    static CpuBackend() => _ = Runtime.NumThreads;

    /// <summary>Work below this many elements runs on the calling thread (a Parallel.For costs a few µs).</summary>
    internal const int ParallelThreshold = 1 << 16;

    public Device Device => Device.Cpu;

    public Storage Allocate(long bytes)
    {
        if (bytes > Array.MaxLength)
            throw new OutOfMemoryException($"a CPU tensor of {bytes} bytes exceeds the {Array.MaxLength}-byte limit of one host buffer");
        return new CpuStorage((int)bytes);
    }

    static CpuStorage S(TensorView v) => (CpuStorage)v.Storage;

    internal static T* P<T>(TensorView v) where T : unmanaged => S(v).Ptr<T>(v.Offset);

    internal static Span<T> Span<T>(TensorView v) where T : unmanaged => S(v).Span<T>(v.Offset, v.NumEl);

    /// <summary>
    /// True on a thread that is running one slice of a parallel kernel: kernels it calls (GEMM, im2col, ...) then run
    /// serially, so parallelism is never nested and the cores are never oversubscribed.
    /// </summary>
    [ThreadStatic] internal static bool InWorker;

    /// <summary>How many workers a kernel over n items of the given cost should use (1 inside a worker).</summary>
    internal static int WorkerCount(int n, long workPerItem)
    {
        int workers = InWorker ? 1 : Runtime.NumThreads;
        long work = n * Math.Max(workPerItem, 1);
        return work < ParallelThreshold || n < 2 || workers < 2 ? 1 : Math.Min(workers, n);
    }

    /// <summary>Runs body(start, end) over [0, n), split across cores when n·cost is large.</summary>
    internal static void For(int n, long workPerItem, Action<int, int> body)
    {
        int workers = WorkerCount(n, workPerItem);
        if (workers < 2)
        {
            body(0, n);
            return;
        }
        long work = n * Math.Max(workPerItem, 1);
        int chunks = (int)Math.Min(Math.Min(n, workers * 4L), Math.Max(2, work / ParallelThreshold));
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, c =>
        {
            int s = (int)((long)n * c / chunks), e = (int)((long)n * (c + 1) / chunks);
            if (e > s) RunAsWorker(body, s, e);
        });
    }

    /// <summary>
    /// Runs body(worker, start, end) once per worker over a static split of [0, n): for kernels that give each worker
    /// its own scratch (im2col buffers, partial sums). Returns the number of workers used.
    /// </summary>
    internal static int ForEachWorker(int n, long workPerItem, Action<int, int, int> body)
    {
        int workers = WorkerCount(n, workPerItem);
        if (workers < 2)
        {
            body(0, 0, n);
            return 1;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            RunAsWorker(body, w, (int)((long)n * w / workers), (int)((long)n * (w + 1) / workers)));
        return workers;
    }

    // Arguments passed through rather than captured: no closure allocated per slice on this hot path.
    static void RunAsWorker(Action<int, int> body, int s, int e)
    {
        bool was = InWorker;
        InWorker = true;
        try { body(s, e); }
        finally { InWorker = was; }
    }

    static void RunAsWorker(Action<int, int, int> body, int worker, int s, int e)
    {
        bool was = InWorker;
        InWorker = true;
        try { body(worker, s, e); }
        finally { InWorker = was; }
    }

    public void Fill(TensorView dst, double value)
    {
        switch (dst.DType)
        {
            case DType.Float32: Span<float>(dst).Fill((float)value); break;
            case DType.Float64: Span<double>(dst).Fill(value); break;
            case DType.Int64: Span<long>(dst).Fill((long)value); break;
            case DType.Int32: Span<int>(dst).Fill((int)value); break;
            case DType.Bool: Span<byte>(dst).Fill(value != 0 ? (byte)1 : (byte)0); break;
            case DType.UInt8: Span<byte>(dst).Fill((byte)value); break;
        }
    }

    public void Copy(TensorView src, TensorView dst)
    {
        if (src.DType == dst.DType && src.IsContiguous && dst.IsContiguous)
        {
            int bytes = src.NumEl * src.DType.ElementSize();
            Buffer.MemoryCopy(S(src).Pointer + (long)src.Offset * src.DType.ElementSize(),
                S(dst).Pointer + (long)dst.Offset * dst.DType.ElementSize(), bytes, bytes);
            return;
        }
        if (src.DType == dst.DType)
        {
            switch (src.DType.ElementSize())
            {
                case 1: StridedCopy<byte>(src, dst); break;
                case 4: StridedCopy<int>(src, dst); break;
                case 8: StridedCopy<long>(src, dst); break;
            }
            return;
        }
        // Cast: read as double is exact for every supported dtype except int64 beyond 2^53, so cast via long for integers.
        var lay = new StridedLayout(dst.Shape, src.Strides, dst.Strides);
        for (int r = 0; r < lay.Rows; r++)
        {
            int os = src.Offset + lay.RowOffset(0, r), od = dst.Offset + lay.RowOffset(1, r);
            for (int i = 0; i < lay.Inner; i++)
            {
                int si = os + i * lay.InnerStride[0], di = od + i * lay.InnerStride[1];
                if (dst.DType.IsFloatingPoint() || src.DType.IsFloatingPoint()) WriteDouble(dst, di, ReadDouble(src, si));
                else WriteLong(dst, di, ReadLong(src, si));
            }
        }
    }

    public void CopyFromHost(ReadOnlySpan<byte> src, TensorView dst)
        => src.CopyTo(new Span<byte>(S(dst).Pointer + (long)dst.Offset * dst.DType.ElementSize(), dst.NumEl * dst.DType.ElementSize()));

    public void CopyToHost(TensorView src, Span<byte> dst)
        => new ReadOnlySpan<byte>(S(src).Pointer + (long)src.Offset * src.DType.ElementSize(), src.NumEl * src.DType.ElementSize()).CopyTo(dst);

    static void StridedCopy<T>(TensorView src, TensorView dst) where T : unmanaged
    {
        var lay = new StridedLayout(dst.Shape, src.Strides, dst.Strides);
        T* ps = (T*)S(src).Pointer + src.Offset, pd = (T*)S(dst).Pointer + dst.Offset;
        int ss = lay.InnerStride[0], sd = lay.InnerStride[1], n = lay.Inner;
        For(lay.Rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                T* a = ps + lay.RowOffset(0, r), b = pd + lay.RowOffset(1, r);
                if (ss == 1 && sd == 1) new ReadOnlySpan<T>(a, n).CopyTo(new Span<T>(b, n));
                else if (ss == 0) new Span<T>(b, n).Fill(*a);
                else for (int i = 0; i < n; i++) b[i * sd] = a[i * ss];
            }
        });
    }

    internal static double ReadDouble(TensorView v, int i) => v.DType switch
    {
        DType.Float32 => ((float*)S(v).Pointer)[i],
        DType.Float64 => ((double*)S(v).Pointer)[i],
        DType.Int64 => ((long*)S(v).Pointer)[i],
        DType.Int32 => ((int*)S(v).Pointer)[i],
        DType.Bool => S(v).Pointer[i] != 0 ? 1 : 0,
        _ => S(v).Pointer[i],
    };

    internal static long ReadLong(TensorView v, int i) => v.DType switch
    {
        DType.Float32 => (long)((float*)S(v).Pointer)[i],
        DType.Float64 => (long)((double*)S(v).Pointer)[i],
        DType.Int64 => ((long*)S(v).Pointer)[i],
        DType.Int32 => ((int*)S(v).Pointer)[i],
        DType.Bool => S(v).Pointer[i] != 0 ? 1 : 0,
        _ => S(v).Pointer[i],
    };

    static void WriteDouble(TensorView v, int i, double x)
    {
        switch (v.DType)
        {
            case DType.Float32: ((float*)S(v).Pointer)[i] = (float)x; break;
            case DType.Float64: ((double*)S(v).Pointer)[i] = x; break;
            case DType.Int64: ((long*)S(v).Pointer)[i] = (long)x; break;
            case DType.Int32: ((int*)S(v).Pointer)[i] = (int)x; break;
            case DType.Bool: S(v).Pointer[i] = x != 0 ? (byte)1 : (byte)0; break;
            default: S(v).Pointer[i] = (byte)x; break;
        }
    }

    static void WriteLong(TensorView v, int i, long x)
    {
        switch (v.DType)
        {
            case DType.Int64: ((long*)S(v).Pointer)[i] = x; break;
            case DType.Int32: ((int*)S(v).Pointer)[i] = (int)x; break;
            case DType.Bool: S(v).Pointer[i] = x != 0 ? (byte)1 : (byte)0; break;
            default: S(v).Pointer[i] = (byte)x; break;
        }
    }
}
