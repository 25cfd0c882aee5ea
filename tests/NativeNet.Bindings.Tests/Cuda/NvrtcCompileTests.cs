using NativeNet.Bindings.Cuda;
using Xunit.Abstractions;

namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>
/// Every kernel source in native/cuda compiles to PTX through NVRTC, which needs no GPU and no nvcc: kernel code cannot
/// rot on machines without the CUDA toolkit. NVRTC takes device code only; each .cu file leaves its host launchers out
/// under __CUDACC_RTC__ and instantiates its kernel bodies explicitly instead. libcu++ (cuda/std, shipped with the
/// toolkit headers) stands in for the C++ library. Skips with the reason when libnvrtc or those headers are missing.
/// </summary>
public class NvrtcCompileTests(ITestOutputHelper output)
{
    static string? LibcuxxIncludeDir()
    {
        foreach (var d in new[] { Environment.GetEnvironmentVariable("CUDA_HOME") is { } h ? Path.Combine(h, "include") : null, "/usr/local/cuda/include", "/usr/include" })
            if (d != null && File.Exists(Path.Combine(d, "cuda", "std", "cstdint"))) return d;
        return null;
    }

    static void RequireNvrtc()
    {
        Skip.If(Nvrtc.Load().Handle == 0, $"NVRTC is not installed ({Nvrtc.Load().Report}); Debian: apt-get install libnvrtc11.2");
    }

    public static TheoryData<string> KernelSources()
    {
        var d = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "native", "cuda"), "*.cu").OrderBy(f => f))
            d.Add(Path.GetFileName(f));
        return d;
    }

    [SkippableTheory, MemberData(nameof(KernelSources))]
    public void KernelSourceCompilesToPtx(string file)
    {
        RequireNvrtc();
        var cuxx = LibcuxxIncludeDir();
        Skip.If(cuxx == null, "libcu++ headers (cuda/std/cstdint) were not found in CUDA_HOME/include, /usr/local/cuda/include or /usr/include; Debian: bash tools/setup.sh --cuda");
        var root = RepoPaths.Root;
        var source = File.ReadAllText(Path.Combine(root, "native", "cuda", file));
        var options = new List<string>
        {
            "--gpu-architecture=compute_70", "-std=c++17",
            "-I" + Path.Combine(root, "native", "include"), "-I" + Path.Combine(root, "native", "src"), "-I" + Path.Combine(root, "native", "cuda"),
            "-I" + cuxx,
        };
        var r = Nvrtc.Compile(source, file, options);
        output.WriteLine($"NVRTC {Nvrtc.Version()}: {file} -> {r.Status}, {r.Ptx.Length} bytes of PTX");
        Assert.True(r.Success, $"{file} failed to compile with NVRTC:\n{r.Log}");
        Assert.Contains(".target sm_70", r.Ptx);
        Assert.Contains(".entry", r.Ptx);  // kernels were instantiated, not just parsed
    }

    [SkippableFact]
    public void CompileErrorsComeBackWithTheLog()
    {
        RequireNvrtc();
        var r = Nvrtc.Compile("__global__ void k(float* p) { p[0] = undefined_name; }", "broken.cu", ["--gpu-architecture=compute_70"]);
        Assert.False(r.Success);
        Assert.Equal(nvrtcResult.NVRTC_ERROR_COMPILATION, r.Status);
        Assert.Contains("undefined_name", r.Log);
        Assert.Contains("broken.cu", r.Log);
    }

    [SkippableFact]
    public void BadOptionIsATypedStatus()
    {
        RequireNvrtc();
        var r = Nvrtc.Compile("__global__ void k() {}", "k.cu", ["--no-such-option"]);
        Assert.False(r.Success);
        Assert.Equal(nvrtcResult.NVRTC_ERROR_INVALID_OPTION, r.Status);
        var e = Assert.Throws<NvrtcException>(() => Nvrtc.Check(r.Status, "nvrtcCompileProgram", r.Log));
        Assert.StartsWith("nvrtcCompileProgram failed: NVRTC_ERROR_INVALID_OPTION (5)", e.Message);
    }
}
