using NativeNet.Bindings.Blas;

namespace NativeNet;

/// <summary>
/// One thread policy for the process (<c>torch.set_num_threads</c>): one pool of workers (.NET's) runs every parallel
/// CPU kernel, GEMMs included. OpenBLAS is kept single-threaded and large GEMMs are split into per-worker blocks by
/// NativeNet: two pools on the same cores oversubscribe them (PyTorch's default split on a 2-core machine doubles its
/// GEMM time), and OpenBLAS's idle workers spin for a while after each call, stealing the core the next kernel needs.
/// It also lets a kernel such as convolution run one single-threaded GEMM per sample on each worker.
/// </summary>
public static class Runtime
{
    static int numThreads = DefaultThreads();

    static int DefaultThreads()
    {
        var env = Environment.GetEnvironmentVariable("NATIVENET_NUM_THREADS");
        return int.TryParse(env, out int n) && n > 0 ? n : Environment.ProcessorCount;
    }

    static Runtime() => Cblas.TrySetThreads(1);

    /// <summary>Threads used by CPU kernels and GEMMs (<c>torch.get_num_threads()</c>). Default: NATIVENET_NUM_THREADS or the core count.</summary>
    public static int NumThreads => numThreads;

    /// <summary>Sets the thread count for CPU kernels and GEMMs (<c>torch.set_num_threads</c>); OpenBLAS itself stays single-threaded.</summary>
    public static void SetThreads(int threads)
    {
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be positive");
        numThreads = threads;
    }

    /// <summary>The BLAS library in use (file name), or null when none was found.</summary>
    public static string? BlasLibrary => Cblas.LibraryName;
}
