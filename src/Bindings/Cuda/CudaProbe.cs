using System.Runtime.InteropServices;
using System.Text;

namespace NativeNet.Bindings.Cuda;

/// <summary>What was found for one CUDA library: where it loaded from (or what was tried) and its version.</summary>
internal sealed record CudaLibraryReport(string Role, string? LoadedFrom, string Tried, string? Version)
{
    internal bool Loaded => LoadedFrom != null;
}

/// <summary>
/// The result of probing this machine for CUDA. GPU available ⇔ libcudart loads AND cudaGetDeviceCount returns
/// cudaSuccess AND the count is positive (the count is initialised to 0 here: the runtime leaves it untouched on error).
/// The CUDA backend additionally needs cuBLAS and libnativenet_cuda (with the ABI these bindings expect); cuDNN is optional.
/// </summary>
internal sealed class CudaProbeResult
{
    internal required IReadOnlyList<CudaLibraryReport> Libraries { get; init; }
    internal required int DeviceCountStatus { get; init; }
    internal required string DeviceCountStatusName { get; init; }
    internal required string? DeviceCountMessage { get; init; }
    internal required int DeviceCount { get; init; }
    internal required int DriverVersion { get; init; }
    internal required int RuntimeVersion { get; init; }
    internal required string? RuntimeVersionError { get; init; }
    internal required int? KernelsAbi { get; init; }

    CudaLibraryReport Lib(string role) => Libraries.First(l => l.Role == role);

    /// <summary>The GPU-available rule (what CUDA tests skip on).</summary>
    internal bool GpuAvailable => Lib("cudart").Loaded && DeviceCountStatus == 0 && DeviceCount > 0;

    internal bool CublasLoaded => Lib("cublas").Loaded;
    internal bool CudnnLoaded => Lib("cudnn").Loaded;
    internal bool KernelsUsable => Lib("kernels").Loaded && KernelsAbi == NativeKernels.AbiVersion;

    /// <summary>True when the CUDA backend can run: a GPU, cuBLAS and NativeNet's kernels.</summary>
    internal bool BackendUsable => GpuAvailable && CublasLoaded && KernelsUsable;

    /// <summary>One line saying why the backend is not usable (or "available").</summary>
    internal string Reason
    {
        get
        {
            if (!Lib("cudart").Loaded) return "the CUDA runtime (libcudart) was not found";
            if (DeviceCountStatus != 0)
                return $"cudaGetDeviceCount returned {DeviceCountStatusName} ({DeviceCountStatus}){(DeviceCountMessage is null ? "" : ": " + DeviceCountMessage)}";
            if (DeviceCount <= 0) return "cudaGetDeviceCount found no CUDA device";
            if (!CublasLoaded) return "cuBLAS (libcublas) was not found";
            if (!Lib("kernels").Loaded) return "NativeNet's CUDA kernels (libnativenet_cuda) were not found: build native/ with CMake and set NATIVENET_NATIVE_DIR";
            if (KernelsAbi != NativeKernels.AbiVersion)
                return $"libnativenet_cuda has ABI version {KernelsAbi}, these bindings need {NativeKernels.AbiVersion}: rebuild native/";
            return "available";
        }
    }

    /// <summary>A multi-line report: the verdict, then one line per library (loaded file and version, or every name tried).</summary>
    internal string Report()
    {
        var sb = new StringBuilder();
        sb.Append(BackendUsable ? $"CUDA available: {DeviceCount} device(s)" : $"CUDA unavailable: {Reason}");
        sb.Append($"; driver {Cudart.FormatVersion(DriverVersion)}, runtime ");
        sb.Append(RuntimeVersion > 0 ? Cudart.FormatVersion(RuntimeVersion) : $"unknown ({RuntimeVersionError ?? "no runtime"})");
        foreach (var l in Libraries)
        {
            sb.Append('\n').Append("  ").Append(l.Role.PadRight(8));
            if (l.Loaded) sb.Append($"loaded {l.LoadedFrom}{(l.Version is null ? "" : $" (version {l.Version})")}");
            else sb.Append($"not found ({l.Tried})");
        }
        return sb.ToString();
    }
}

/// <summary>Probes the machine for CUDA once per process (cheap; never throws).</summary>
internal static unsafe class CudaProbe
{
    static readonly Lazy<CudaProbeResult> Cached = new(Run);

    internal static CudaProbeResult Result => Cached.Value;

    static CudaLibraryReport Library(string role, string logical, Func<string?> version)
    {
        var (h, path, report) = CudaLibraries.Load(logical);
        string? v = null;
        if (h != 0)
        {
            try { v = version(); }
            catch (Exception e) when (e is EntryPointNotFoundException or CudaException or DllNotFoundException) { v = null; }
        }
        return new CudaLibraryReport(role, h != 0 ? path : null, h != 0 ? "" : report, v);
    }

    static CudaProbeResult Run()
    {
        int count = 0, rc = -1, driver = 0, runtime = 0;
        string rcName = "not called", message = "";
        string? runtimeError = null;
        var cudart = CudaLibraries.Load(CudaLibraries.Cudart);
        if (cudart.Handle != 0)
        {
            try
            {
                int c = 0;
                var status = Cudart.cudaGetDeviceCount(&c);
                rc = (int)status;
                count = status == cudaError_t.cudaSuccess ? c : 0;
                rcName = Cudart.StatusName(status);
                message = status == cudaError_t.cudaSuccess ? "" : Marshal.PtrToStringUTF8((nint)Cudart.cudaGetErrorString(status)) ?? "";
                int d = 0, r = 0;
                if (Cudart.cudaDriverGetVersion(&d) == cudaError_t.cudaSuccess) driver = d;
                var rrc = Cudart.cudaRuntimeGetVersion(&r);
                if (rrc == cudaError_t.cudaSuccess) runtime = r;
                else runtimeError = $"cudaRuntimeGetVersion returned {Cudart.StatusName(rrc)}";
                Cudart.cudaGetLastError();  // clear the error the failed query recorded
            }
            catch (EntryPointNotFoundException e)
            {
                rc = -1;
                rcName = "missing export";
                message = e.Message;
            }
        }
        int? abi = null;
        var libs = new List<CudaLibraryReport>
        {
            Library("cudart", CudaLibraries.Cudart, () => runtime > 0 ? Cudart.FormatVersion(runtime) : null),
            Library("cublas", CudaLibraries.Cublas, Cublas.VersionText),
            Library("cudnn", CudaLibraries.Cudnn, () => CudnnStatus.Format(Cudnn.Version)),
            Library("nvrtc", CudaLibraries.Nvrtc, Nvrtc.Version),
            Library("kernels", CudaLibraries.Kernels, () =>
            {
                abi = NativeKernels.nn_abi_version();
                return $"ABI {abi}";
            }),
        };
        return new CudaProbeResult
        {
            Libraries = libs,
            DeviceCountStatus = rc,
            DeviceCountStatusName = rcName,
            DeviceCountMessage = string.IsNullOrEmpty(message) ? null : message,
            DeviceCount = count,
            DriverVersion = driver,
            RuntimeVersion = runtime,
            RuntimeVersionError = runtimeError,
            KernelsAbi = abi,
        };

    }
}
