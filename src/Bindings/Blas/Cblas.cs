using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Blas;

/// <summary>CBLAS storage order (cblas.h <c>CBLAS_ORDER</c>).</summary>
public enum CblasOrder
{
    /// <summary>Row-major (C order).</summary>
    RowMajor = 101,
    /// <summary>Column-major (Fortran order).</summary>
    ColMajor = 102,
}

/// <summary>CBLAS transpose flag (cblas.h <c>CBLAS_TRANSPOSE</c>).</summary>
public enum CblasTranspose
{
    /// <summary>Use the matrix as stored.</summary>
    NoTrans = 111,
    /// <summary>Use the transpose.</summary>
    Trans = 112,
}

/// <summary>Thrown when no CBLAS library can be loaded.</summary>
public sealed class BlasNotFoundException : DllNotFoundException
{
    /// <summary>Creates the exception with the list of libraries that were tried.</summary>
    public BlasNotFoundException(string report)
        : base($"No BLAS library found ({report}). Install OpenBLAS: 'apt-get install libopenblas0-pthread' " +
               "(Debian/Ubuntu), 'dnf install openblas' (Fedora), 'brew install openblas' (macOS), or run tools/setup.sh.")
    {
    }
}

/// <summary>
/// Thin source-generated P/Invoke to the CBLAS GEMM entry points: the CPU counterpart of cuBLAS.
/// Resolves libopenblas.so.0, then the reference libblas.so.3, then platform names.
/// </summary>
public static unsafe partial class Cblas
{
    const string Lib = "nativenet_cblas";

    static readonly string[] LibraryNames =
    [
        "libopenblas.so.0", "libopenblas.so", "libblas.so.3", "libblas.so", "libcblas.so.3",
        "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib",
        "libopenblas.dll", "openblas.dll", "libblas.dll",
    ];

    static readonly Lazy<(bool Ok, string? Library, string Report)> Loaded = new(Load);

    static Cblas()
    {
        OpenBlasCoreType.Apply();
        NativeLibraryProbe.Register(Lib, LibraryNames);
    }

    static (bool, string?, string) Load()
    {
        var (h, path, report) = NativeLibraryProbe.TryLoad(Lib);
        if (h == 0) return (false, null, report);
        if (!NativeLibrary.TryGetExport(h, "cblas_sgemm", out _))
            return (false, path, $"{path} has no cblas_sgemm export");
        return (true, path, report);
    }

    /// <summary>The file name of the BLAS library in use, or null when none was found.</summary>
    public static string? LibraryName => Loaded.Value.Ok ? Loaded.Value.Library : null;

    /// <summary>OpenBLAS's kernel family in use (<c>openblas_get_corename</c>), or null for other BLAS libraries.</summary>
    public static string? CoreName
    {
        get
        {
            var (h, _, _) = NativeLibraryProbe.TryLoad(Lib);
            if (h == 0 || !NativeLibrary.TryGetExport(h, "openblas_get_corename", out var fn)) return null;
            return Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)fn)());
        }
    }

    /// <summary>The OPENBLAS_CORETYPE NativeNet chose before loading OpenBLAS (see <c>OpenBlasCoreType</c>), or null.</summary>
    public static string? ChosenCoreType => OpenBlasCoreType.Chosen;

    /// <summary>True when a CBLAS library was found.</summary>
    public static bool IsAvailable => Loaded.Value.Ok;

    /// <summary>Throws <see cref="BlasNotFoundException"/> when no BLAS is available.</summary>
    public static void EnsureAvailable()
    {
        if (!Loaded.Value.Ok) throw new BlasNotFoundException(Loaded.Value.Report);
    }

    /// <summary>Sets OpenBLAS's thread count when the library is OpenBLAS; returns false otherwise.</summary>
    public static bool TrySetThreads(int threads)
    {
        var (h, _, _) = NativeLibraryProbe.TryLoad(Lib);
        if (h == 0 || !NativeLibrary.TryGetExport(h, "openblas_set_num_threads", out var fn)) return false;
        ((delegate* unmanaged<int, void>)fn)(threads);
        return true;
    }

    /// <summary>C = alpha * op(A) * op(B) + beta * C in float32 (cblas_sgemm).</summary>
    public static void Sgemm(CblasOrder order, CblasTranspose transA, CblasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        EnsureAvailable();
        cblas_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>C = alpha * op(A) * op(B) + beta * C in float64 (cblas_dgemm).</summary>
    public static void Dgemm(CblasOrder order, CblasTranspose transA, CblasTranspose transB, int m, int n, int k,
        double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
    {
        EnsureAvailable();
        cblas_dgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    [LibraryImport(Lib)]
    private static partial void cblas_sgemm(CblasOrder order, CblasTranspose transA, CblasTranspose transB,
        int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib)]
    private static partial void cblas_dgemm(CblasOrder order, CblasTranspose transA, CblasTranspose transB,
        int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);
}
