using NativeNet.Bindings.Blas;

namespace NativeNet;

/// <summary>
/// One thread policy for the process (<c>torch.set_num_threads</c>): the same count drives our parallel CPU kernels
/// and OpenBLAS's GEMM pool, so the two never oversubscribe the cores (PyTorch's default split on a 2-core
/// machine doubles its GEMM time; see tools/bench/README.md).
/// </summary>
public static class Runtime
{
    static int numThreads = DefaultThreads();

    static int DefaultThreads()
    {
        var env = Environment.GetEnvironmentVariable("NATIVENET_NUM_THREADS");
        return int.TryParse(env, out int n) && n > 0 ? n : Environment.ProcessorCount;
    }

    static Runtime() => Cblas.TrySetThreads(numThreads);

    /// <summary>Threads used by CPU kernels and BLAS (<c>torch.get_num_threads()</c>). Default: NATIVENET_NUM_THREADS or the core count.</summary>
    public static int NumThreads => numThreads;

    /// <summary>Sets the thread count for CPU kernels and BLAS (<c>torch.set_num_threads</c>).</summary>
    public static void SetThreads(int threads)
    {
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be positive");
        numThreads = threads;
        Cblas.TrySetThreads(threads);
    }

    /// <summary>The BLAS library in use (file name), or null when none was found.</summary>
    public static string? BlasLibrary => Cblas.LibraryName;
}
