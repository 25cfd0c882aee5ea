using NativeNet.Bindings.Cuda;
using Xunit.Abstractions;

namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>
/// Library resolution across versions, the probe (the GPU-available rule and its report) and status → exception mapping.
/// These run on any machine: without CUDA libraries the probe must say what it tried; with the runtime but no GPU it must
/// report the runtime's status code (cudaErrorNoDevice 100, or cudaErrorInsufficientDriver 35 without libcuda).
/// </summary>
public class ResolutionAndErrorTests(ITestOutputHelper output)
{
    [Fact]
    public void CandidatesTryNewestMajorVersionsFirst()
    {
        var cudart = CudaLibraries.FileNames[CudaLibraries.Cudart];
        Assert.True(Array.IndexOf(cudart, "libcudart.so.13") < Array.IndexOf(cudart, "libcudart.so.12"));
        Assert.True(Array.IndexOf(cudart, "libcudart.so.12") < Array.IndexOf(cudart, "libcudart.so.11.0"));
        Assert.True(Array.IndexOf(cudart, "libcudart.so.11.0") < Array.IndexOf(cudart, "libcudart.so"));
        var cublas = CudaLibraries.FileNames[CudaLibraries.Cublas];
        Assert.True(Array.IndexOf(cublas, "libcublas.so.13") < Array.IndexOf(cublas, "libcublas.so.12") &&
                    Array.IndexOf(cublas, "libcublas.so.12") < Array.IndexOf(cublas, "libcublas.so.11"));
        var cudnn = CudaLibraries.FileNames[CudaLibraries.Cudnn];
        Assert.True(Array.IndexOf(cudnn, "libcudnn.so.9") < Array.IndexOf(cudnn, "libcudnn.so.8"));
        var nvrtc = CudaLibraries.FileNames[CudaLibraries.Nvrtc];
        Assert.True(Array.IndexOf(nvrtc, "libnvrtc.so.13") < Array.IndexOf(nvrtc, "libnvrtc.so.12") &&
                    Array.IndexOf(nvrtc, "libnvrtc.so.12") < Array.IndexOf(nvrtc, "libnvrtc.so.11.2"));
    }

    [Fact]
    public void OverrideDirectoriesComeBeforeTheLoaderSearch()
    {
        var old = Environment.GetEnvironmentVariable("NATIVENET_CUDA_PATH");
        try
        {
            Environment.SetEnvironmentVariable("NATIVENET_CUDA_PATH", "/opt/a:/opt/b");
            var c = CudaLibraries.Candidates(CudaLibraries.Cublas, ["libcublas.so.12", "libcublas.so.11"]);
            Assert.Equal(["/opt/a/libcublas.so.12", "/opt/a/libcublas.so.11", "/opt/b/libcublas.so.12", "/opt/b/libcublas.so.11",
                "libcublas.so.12", "libcublas.so.11"], c);
            var k = CudaLibraries.Candidates(CudaLibraries.Kernels, ["libnativenet_cuda.so"]);
            Assert.Contains(Path.Combine(AppContext.BaseDirectory, "libnativenet_cuda.so"), k);
            Assert.Equal("libnativenet_cuda.so", k[^1]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NATIVENET_CUDA_PATH", old);
        }
    }

    [Fact]
    public void ProbeNeverThrowsAndExplainsItsVerdict()
    {
        var p = CudaProbe.Result;
        string report = p.Report();
        output.WriteLine(report);
        foreach (var role in new[] { "cudart", "cublas", "cudnn", "nvrtc", "kernels" }) Assert.Contains(role, report);
        var cudart = CudaLibraries.Load(CudaLibraries.Cudart);
        if (cudart.Handle == 0)
        {
            Assert.False(p.GpuAvailable);
            Assert.Contains("libcudart.so.12", report);  // names what was tried
            Assert.Equal("the CUDA runtime (libcudart) was not found", p.Reason);
        }
        else if (!p.GpuAvailable)
        {
            // The runtime loaded but found no device: the status must be the runtime's, with its name, and count 0.
            Assert.NotEqual(0, p.DeviceCountStatus);
            Assert.Equal(0, p.DeviceCount);
            Assert.Contains($"({p.DeviceCountStatus})", p.Reason);
            Assert.Contains("cudaError", p.DeviceCountStatusName);
            Assert.StartsWith("CUDA unavailable: cudaGetDeviceCount returned", report);
        }
        else
        {
            Assert.True(p.DeviceCount > 0);
        }
    }

    [Fact]
    public void GpuAvailableRuleNeedsALoadedRuntimeASuccessStatusAndDevices()
    {
        static CudaProbeResult Make(bool loaded, int status, int count) => new()
        {
            Libraries =
            [
                new("cudart", loaded ? "libcudart.so.12" : null, loaded ? "" : "tried libcudart.so.12", null),
                new("cublas", "libcublas.so.12", "", null), new("cudnn", null, "tried libcudnn.so.9", null),
                new("nvrtc", null, "tried", null), new("kernels", "libnativenet_cuda.so", "", "ABI 2"),
            ],
            DeviceCountStatus = status, DeviceCountStatusName = status == 0 ? "cudaSuccess" : "cudaErrorNoDevice",
            DeviceCountMessage = null, DeviceCount = count, DriverVersion = 12020, RuntimeVersion = 12020, RuntimeVersionError = null,
            KernelsAbi = NativeKernels.AbiVersion,
        };
        Assert.True(Make(true, 0, 1).GpuAvailable);
        Assert.True(Make(true, 0, 1).BackendUsable);
        Assert.False(Make(false, 0, 1).GpuAvailable);
        Assert.False(Make(true, 100, 0).GpuAvailable);
        Assert.False(Make(true, 0, 0).GpuAvailable);
        Assert.Contains("cudaErrorNoDevice (100)", Make(true, 100, 0).Reason);
        Assert.Contains("driver 12.2, runtime 12.2", Make(true, 0, 1).Report());
        Assert.Contains("cudnn   not found (tried libcudnn.so.9)", Make(true, 0, 1).Report());
    }

    [Fact]
    public void RuntimeStatusBecomesATypedExceptionNamingTheCall()
    {
        var e = Assert.Throws<CudaRuntimeException>(() => Cudart.Check(cudaError_t.cudaErrorMemoryAllocation, "cudaMalloc"));
        Assert.Equal("cudaMalloc", e.Call);
        Assert.Equal(2, e.Status);
        Assert.Equal("cudaErrorMemoryAllocation", e.StatusName);
        Assert.True(e.IsOutOfMemory);
        Assert.StartsWith("cudaMalloc failed: cudaErrorMemoryAllocation (2)", e.Message);
        if (Cudart.Load().Handle != 0) Assert.Contains("out of memory", e.Message);  // cudaGetErrorString from the library
        Cudart.Check(cudaError_t.cudaSuccess, "cudaFree");
        // A code the enum does not know still gets a name (the library's when loaded, else a numbered fallback).
        Assert.False(string.IsNullOrEmpty(Cudart.StatusName((cudaError_t)12345)));
    }

    [Fact]
    public void CublasNvrtcAndKernelStatusesBecomeTypedExceptions()
    {
        var b = Assert.Throws<CublasException>(() => Cublas.Check(cublasStatus_t.CUBLAS_STATUS_NOT_INITIALIZED, "cublasCreate"));
        Assert.StartsWith("cublasCreate failed: CUBLAS_STATUS_NOT_INITIALIZED (1)", b.Message);
        Assert.Equal("cublas", b.Library);
        Assert.Equal("cublasStatus(99)", Cublas.StatusName((cublasStatus_t)99));
        var k = new NativeKernelException("nn_reduce", 1, "NN_ERROR_INVALID_VALUE", "nn_reduce: negative size");
        Assert.Equal("nn_reduce failed: NN_ERROR_INVALID_VALUE (1): nn_reduce: negative size", k.Message);
        Assert.IsAssignableFrom<CudaException>(k);
    }

    [SkippableFact]
    public void NoDeviceCallsFailWithTheRuntimesStatusInsteadOfCrashing()
    {
        Skip.If(Cudart.Load().Handle == 0, "the CUDA runtime (libcudart) is not installed here");
        Skip.If(CudaProbe.Result.GpuAvailable, "a GPU is present: the no-device behaviour cannot be observed");
        unsafe
        {
            nint p = 0;
            var rc = Cudart.cudaMalloc(&p, 1024);
            Assert.NotEqual(cudaError_t.cudaSuccess, rc);
            Assert.Equal((nint)0, p);
            var e = Assert.Throws<CudaRuntimeException>(() => Cudart.Check(rc, "cudaMalloc"));
            output.WriteLine(e.Message);
            Assert.Equal((int)rc, e.Status);
            int count = 0;
            var first = Cudart.cudaGetDeviceCount(&count);
            Assert.NotEqual(cudaError_t.cudaSuccess, first);
            Assert.Equal(first, Cudart.cudaGetDeviceCount(&count));  // errors repeat on every call
            Assert.Equal(0, count);  // left as we initialised it
        }
    }
}
