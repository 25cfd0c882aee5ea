using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Cuda;

/// <summary>
/// The CUDA libraries NativeNet loads and the file names tried for each, newest major version first (never one
/// hard-coded versioned name). Directories in NATIVENET_CUDA_PATH (':'-separated, ';' on Windows) are tried before the
/// loader's default search, for toolkits outside the loader path (e.g. pip's nvidia-*-cu12 wheels under
/// site-packages/nvidia/*/lib). NativeNet's own kernels (libnativenet_cuda) are looked for in NATIVENET_NATIVE_DIR,
/// then next to the application, then on the loader path.
/// </summary>
internal static class CudaLibraries
{
    internal const string Cudart = "nativenet_cudart";
    internal const string Cublas = "nativenet_cublas";
    internal const string Cudnn = "nativenet_cudnn";
    internal const string Nvrtc = "nativenet_nvrtc";
    internal const string Kernels = "nativenet_cuda_kernels";

    /// <summary>File names per library, in the order tried (Linux sonames, then Windows DLL names).</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> FileNames = new Dictionary<string, string[]>
    {
        [Cudart] = ["libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so", "cudart64_13.dll", "cudart64_12.dll", "cudart64_110.dll"],
        [Cublas] = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so", "cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"],
        [Cudnn] = ["libcudnn.so.9", "libcudnn.so.8", "libcudnn.so", "cudnn64_9.dll", "cudnn64_8.dll"],
        [Nvrtc] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so", "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
        [Kernels] = ["libnativenet_cuda.so.0", "libnativenet_cuda.so", "nativenet_cuda.dll", "libnativenet_cuda.dylib"],
    };

    static readonly object Gate = new();
    static bool registered;

    /// <summary>Registers every CUDA library with the probe (idempotent); called before the first P/Invoke.</summary>
    internal static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered) return;
            foreach (var (logical, names) in FileNames)
                NativeLibraryProbe.Register(logical, Candidates(logical, names));
            registered = true;
        }
    }

    static char PathSeparator => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? ';' : ':';

    /// <summary>Directories from an environment variable holding a path list.</summary>
    internal static IEnumerable<string> Directories(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value)) yield break;
        foreach (var d in value.Split(PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            yield return d;
    }

    /// <summary>Full candidate list: override directories × names, then the bare names (loader search).</summary>
    internal static string[] Candidates(string logical, string[] names)
    {
        var dirs = new List<string>(Directories("NATIVENET_CUDA_PATH"));
        if (logical == Kernels)
        {
            dirs.InsertRange(0, Directories("NATIVENET_NATIVE_DIR"));
            dirs.Add(AppContext.BaseDirectory);
        }
        var list = new List<string>();
        foreach (var d in dirs)
            foreach (var n in names)
                list.Add(Path.Combine(d, n));
        list.AddRange(names);
        return list.ToArray();
    }

    /// <summary>Loads (or returns the cached result for) one library: handle (0 if none), the name that loaded, and what was tried.</summary>
    internal static (nint Handle, string? Path, string Report) Load(string logical)
    {
        EnsureRegistered();
        return NativeLibraryProbe.TryLoad(logical);
    }

    /// <summary>True when the library loads and exports <paramref name="symbol"/>; the address is returned.</summary>
    internal static bool TryGetExport(string logical, string symbol, out nint address)
    {
        address = 0;
        var (h, _, _) = Load(logical);
        return h != 0 && NativeLibrary.TryGetExport(h, symbol, out address);
    }
}
