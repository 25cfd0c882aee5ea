using NativeNet.Bindings;
using NativeNet.Bindings.Blas;

namespace NativeNet.Bindings.Tests;

/// <summary>CBLAS resolution and GEMM against a naive triple loop, with transposes, leading dimensions and both orders.</summary>
public unsafe class CblasTests
{
    [Fact]
    public void ResolvesOpenBlas()
    {
        Assert.True(Cblas.IsAvailable, "no CBLAS library was found; run tools/setup.sh (apt-get install libopenblas0-pthread)");
        Assert.NotNull(Cblas.LibraryName);
        Assert.Contains("libopenblas", Cblas.LibraryName);
        Cblas.EnsureAvailable();
        Assert.True(Cblas.TrySetThreads(1));
        Assert.True(Cblas.TrySetThreads(Environment.ProcessorCount));
    }

    /// <summary>Element (r, c) of op(X) where X is stored with leading dimension ld in the given order.</summary>
    static double At(double[] x, bool rowMajor, bool trans, int ld, int r, int c)
    {
        if (trans) (r, c) = (c, r);
        return rowMajor ? x[r * ld + c] : x[c * ld + r];
    }

    public static TheoryData<bool, bool, bool, int> Layouts()
    {
        var d = new TheoryData<bool, bool, bool, int>();
        foreach (var rowMajor in new[] { true, false })
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    foreach (var pad in new[] { 0, 3 })
                        d.Add(rowMajor, ta, tb, pad);
        return d;
    }

    [Theory, MemberData(nameof(Layouts))]
    public void DgemmMatchesNaiveLoop(bool rowMajor, bool ta, bool tb, int pad)
    {
        const int m = 5, n = 4, k = 3;
        var rng = new Random(17);
        // Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k when transposed); pad adds unused columns.
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = (rowMajor ? aCols : aRows) + pad, ldb = (rowMajor ? bCols : bRows) + pad, ldc = (rowMajor ? n : m) + pad;
        var a = Enumerable.Range(0, (rowMajor ? aRows : aCols) * lda).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var b = Enumerable.Range(0, (rowMajor ? bRows : bCols) * ldb).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var c = Enumerable.Range(0, (rowMajor ? m : n) * ldc).Select(_ => rng.NextDouble()).ToArray();
        var c0 = (double[])c.Clone();
        const double alpha = 1.5, beta = -0.5;
        fixed (double* pa = a, pb = b, pc = c)
            Cblas.Dgemm(rowMajor ? CblasOrder.RowMajor : CblasOrder.ColMajor, ta ? CblasTranspose.Trans : CblasTranspose.NoTrans,
                tb ? CblasTranspose.Trans : CblasTranspose.NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += At(a, rowMajor, ta, lda, i, p) * At(b, rowMajor, tb, ldb, p, j);
                int ci = rowMajor ? i * ldc + j : j * ldc + i;
                Close(alpha * s + beta * c0[ci], c[ci], 1e-12);
            }
        // Padding between rows (columns) of C is left untouched.
        for (int idx = 0; idx < c.Length; idx++)
            if (idx % ldc >= (rowMajor ? n : m)) Assert.Equal(c0[idx], c[idx]);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void SgemmMatchesNaiveLoop(bool rowMajor, bool ta, bool tb, int pad)
    {
        const int m = 7, n = 3, k = 6;
        var rng = new Random(23);
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = (rowMajor ? aCols : aRows) + pad, ldb = (rowMajor ? bCols : bRows) + pad, ldc = (rowMajor ? n : m) + pad;
        var a = Enumerable.Range(0, (rowMajor ? aRows : aCols) * lda).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, (rowMajor ? bRows : bCols) * ldb).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var c = new float[(rowMajor ? m : n) * ldc];
        fixed (float* pa = a, pb = b, pc = c)
            Cblas.Sgemm(rowMajor ? CblasOrder.RowMajor : CblasOrder.ColMajor, ta ? CblasTranspose.Trans : CblasTranspose.NoTrans,
                tb ? CblasTranspose.Trans : CblasTranspose.NoTrans, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, ldc);
        var ad = a.Select(x => (double)x).ToArray();
        var bd = b.Select(x => (double)x).ToArray();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += At(ad, rowMajor, ta, lda, i, p) * At(bd, rowMajor, tb, ldb, p, j);
                Close(s, c[rowMajor ? i * ldc + j : j * ldc + i], 1e-5);
            }
    }

    [Fact]
    public void LargerSgemmMatchesNaiveLoop()
    {
        // Big enough for OpenBLAS's blocked, multi-threaded kernels.
        const int m = 67, n = 129, k = 95;
        var rng = new Random(5);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var c = new float[m * n];
        fixed (float* pa = a, pb = b, pc = c)
            Cblas.Sgemm(CblasOrder.RowMajor, CblasTranspose.NoTrans, CblasTranspose.NoTrans, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
        for (int i = 0; i < m; i += 7)
            for (int j = 0; j < n; j += 5)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                Close(s, c[i * n + j], 1e-5);
            }
    }

    static void Close(double expected, double actual, double tol)
        => Assert.True(Math.Abs(expected - actual) <= tol * (1 + Math.Abs(expected)), $"got {actual:R}, expected {expected:R}");

    [Fact]
    public void BlasNotFoundExceptionSaysWhatWasTriedAndHowToInstall()
    {
        var ex = new BlasNotFoundException("tried libopenblas.so.0, libblas.so.3");
        Assert.IsAssignableFrom<DllNotFoundException>(ex);
        Assert.Contains("No BLAS library found", ex.Message);
        Assert.Contains("tried libopenblas.so.0, libblas.so.3", ex.Message);
        Assert.Contains("apt-get install libopenblas0-pthread", ex.Message);
        Assert.Contains("brew install openblas", ex.Message);
        Assert.Contains("dnf install openblas", ex.Message);
        Assert.Contains("tools/setup.sh", ex.Message);
    }

    [Fact]
    public void ProbeReportsEveryNameItTried()
    {
        NativeLibraryProbe.Register("nativenet_tests_missing", "libdoes-not-exist-1.so", "libdoes-not-exist-2.so");
        var (handle, path, report) = NativeLibraryProbe.TryLoad("nativenet_tests_missing");
        Assert.Equal(0, handle);
        Assert.Null(path);
        Assert.Contains("libdoes-not-exist-1.so", report);
        Assert.Contains("libdoes-not-exist-2.so", report);
        var (h2, _, r2) = NativeLibraryProbe.TryLoad("nativenet_tests_never_registered");
        Assert.Equal(0, h2);
        Assert.Contains("no candidates registered", r2);
        NativeLibraryProbe.Register("nativenet_tests_blas", "libdoes-not-exist.so", "libopenblas.so.0", "libblas.so.3");
        var (h3, p3, r3) = NativeLibraryProbe.TryLoad("nativenet_tests_blas");
        Assert.NotEqual(0, h3);
        Assert.Equal("libopenblas.so.0", p3);
        Assert.Contains("loaded libopenblas.so.0", r3);
    }
}
