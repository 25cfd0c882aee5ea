using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace NativeNet.Bindings.Blas;

/// <summary>
/// OpenBLAS picks its kernels from the CPU model at load time, and releases older than the CPU fall back to generic
/// SSE3 kernels ("Prescott"): OpenBLAS 0.3.21 (Debian 12) on a recent Xeon runs SGEMM 4-6x below what its AVX-512
/// kernels reach on the same machine. Before OpenBLAS is loaded, if the user has not set <c>OPENBLAS_CORETYPE</c>,
/// this chooses by CPU features instead of model: Intel with AVX-512 (F/BW/DQ/VL) → SkylakeX, Intel with AVX2+FMA →
/// Haswell. AMD is left to OpenBLAS's own detection. <c>NATIVENET_OPENBLAS_CORETYPE=auto</c> turns this off;
/// any other value is passed through as the core type.
/// </summary>
internal static partial class OpenBlasCoreType
{
    /// <summary>The core type NativeNet set, or null when OpenBLAS detects on its own.</summary>
    internal static string? Chosen { get; private set; }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    internal static void Apply()
    {
        try
        {
            if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is not null) return;
            var mode = Environment.GetEnvironmentVariable("NATIVENET_OPENBLAS_CORETYPE");
            if (string.Equals(mode, "auto", StringComparison.OrdinalIgnoreCase)) return;
            var core = string.IsNullOrEmpty(mode) ? PickByFeatures() : mode;
            // .NET's Environment.SetEnvironmentVariable does not reach the native environment OpenBLAS reads: call libc.
            if (core != null && SetEnv("OPENBLAS_CORETYPE", core, 0) == 0) Chosen = core;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc setenv (unusual platform): OpenBLAS keeps its own detection.
        }
    }

    internal static string? PickByFeatures()
    {
        if (!X86Base.IsSupported) return null;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        bool intel = ebx == 0x756E6547 && edx == 0x49656E69 && ecx == 0x6C65746E; // "GenuineIntel"
        if (!intel) return null;
        if (Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported) return "SkylakeX";
        if (Avx2.IsSupported && Fma.IsSupported) return "Haswell";
        return null;
    }
}
