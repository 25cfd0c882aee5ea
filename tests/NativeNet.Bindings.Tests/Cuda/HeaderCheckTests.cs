using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using NativeNet.Bindings.Cuda;
using Xunit.Abstractions;

namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>
/// The bindings' hard-coded enum values, flags, struct sizes and field offsets against the real headers: tools/check_cuda_headers
/// compiles a C program against native/include/nativenet.h and the installed CUDA headers (cuda_runtime_api.h,
/// library_types.h, cublas_v2.h, nvrtc.h) and prints each value; every member of every bound enum must appear there with
/// the same value. The nativenet.h part needs only a C compiler; the CUDA parts skip when the toolkit headers are absent.
/// </summary>
public class HeaderCheckTests(ITestOutputHelper output)
{
    sealed record Report(Dictionary<string, long> Values, HashSet<string> Headers, Dictionary<string, long> Versions);

    static readonly Lazy<(Report? Report, string Why)> Cached = new(Run);

    static (Report?, string) Run()
    {
        if (RepoPaths.Which("cc", "gcc", "clang") == null) return (null, "no C compiler on PATH");
        var outFile = Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "tools", "check_cuda_headers.sh"), outFile])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"tools/check_cuda_headers.sh failed ({p.ExitCode}): {err}");
            var values = new Dictionary<string, long>();
            var headers = new HashSet<string>();
            var versions = new Dictionary<string, long>();
            foreach (var line in File.ReadAllLines(outFile))
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "have" when parts[2] == "1": headers.Add(parts[1]); break;
                    case "version": versions[parts[1]] = long.Parse(parts[2]); break;
                    case "enum": values[parts[1]] = long.Parse(parts[2]); break;
                    case "sizeof": values["sizeof " + string.Join(' ', parts[1..^1])] = long.Parse(parts[^1]); break;
                    case "offsetof": values["offsetof " + string.Join(' ', parts[1..^1])] = long.Parse(parts[^1]); break;
                }
            }
            return (new Report(values, headers, versions), "");
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    static Report Get(string? header = null)
    {
        var (r, why) = Cached.Value;
        Skip.If(r == null, why);
        Skip.If(header != null && !r!.Headers.Contains(header),
            $"{header} is not installed (Debian: bash tools/setup.sh --cuda installs nvidia-cuda-dev); the bindings are checked where the headers exist");
        return r!;
    }

    /// <summary>Every member of <paramref name="enumType"/> (named like its C enumerator) must have the header's value.</summary>
    static void CheckEnum(Report r, Type enumType)
    {
        foreach (var name in Enum.GetNames(enumType))
        {
            Assert.True(r.Values.TryGetValue(name, out var expected), $"{enumType.Name}.{name} is not printed by tools/check_cuda_headers.c: add it there");
            long actual = Convert.ToInt64(Enum.Parse(enumType, name));
            Assert.True(expected == actual, $"{enumType.Name}.{name} = {actual} in C#, {expected} in the header");
        }
    }

    static void CheckStruct(Report r, Type t, string cName)
    {
        Assert.Equal(r.Values[$"sizeof {cName}"], Marshal.SizeOf(t));
        foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.True(r.Values.TryGetValue($"offsetof {cName}.{f.Name}", out var off), $"{cName}.{f.Name} is not printed by tools/check_cuda_headers.c");
            Assert.True(off == (long)Marshal.OffsetOf(t, f.Name), $"{cName}.{f.Name} at {Marshal.OffsetOf(t, f.Name)} in C#, {off} in the header");
        }
    }

    [SkippableFact]
    public void NativeKernelAbiMatchesNativenetH()
    {
        var r = Get();
        Assert.Equal(NativeKernels.AbiVersion, r.Versions["NN_ABI_VERSION"]);
        foreach (var t in new[] { typeof(nn_status), typeof(nn_dtype), typeof(nn_unary_op), typeof(nn_binary_op), typeof(nn_reduce_op) })
            CheckEnum(r, t);
        CheckStruct(r, typeof(nn_tensor_desc), "nn_tensor_desc");
        CheckStruct(r, typeof(nn_conv2d_params), "nn_conv2d_params");
        CheckStruct(r, typeof(nn_sgd_params), "nn_sgd_params");
        CheckStruct(r, typeof(nn_adam_params), "nn_adam_params");
        CheckStruct(r, typeof(nn_rmsprop_params), "nn_rmsprop_params");
    }

    [SkippableFact]
    public void CudaRuntimeBindingsMatchHeaders()
    {
        var r = Get("cuda_runtime_api.h");
        long v = r.Versions["CUDART_VERSION"];
        output.WriteLine($"checked against CUDA runtime headers version {v / 1000}.{v % 1000 / 10} (CUDART_VERSION {v})");
        Assert.True(v >= 11000, $"CUDART_VERSION {v}");
        foreach (var t in new[] { typeof(cudaError_t), typeof(cudaMemcpyKind), typeof(cudaDeviceAttr), typeof(cudaMemPoolAttr), typeof(cudaDataType_t), typeof(Cublas.libraryPropertyType) })
            CheckEnum(r, t);
        foreach (var f in typeof(CudaFlags).GetFields(BindingFlags.NonPublic | BindingFlags.Static))
            Assert.True(r.Values[f.Name] == Convert.ToInt64(f.GetValue(null)), $"CudaFlags.{f.Name}");
        // cudaDeviceProp is read from a raw buffer: the offsets we read must match and the buffer must hold the whole struct.
        Assert.True(r.Values["offsetof struct cudaDeviceProp.name"] == CudaDeviceProp.NameOffset, "cudaDeviceProp.name offset");
        Assert.True(r.Values["offsetof struct cudaDeviceProp.totalGlobalMem"] == CudaDeviceProp.TotalGlobalMemOffset, "cudaDeviceProp.totalGlobalMem offset");
        Assert.True(r.Values["sizeof struct cudaDeviceProp"] <= CudaDeviceProp.BufferSize, "cudaDeviceProp outgrew the 4 KiB read buffer");
    }

    [SkippableFact]
    public void CublasBindingsMatchHeaders()
    {
        var r = Get("cublas_v2.h");
        long v = r.Versions["CUBLAS_VERSION"];
        output.WriteLine($"checked against cuBLAS headers version {v / 10000}.{v % 10000 / 100}.{v % 100} (CUBLAS_VERSION {v})");
        foreach (var t in new[] { typeof(cublasStatus_t), typeof(cublasOperation_t), typeof(cublasPointerMode_t), typeof(cublasMath_t), typeof(cublasComputeType_t), typeof(cublasGemmAlgo_t) })
            CheckEnum(r, t);
    }

    [SkippableFact]
    public void NvrtcBindingsMatchHeaders()
    {
        var r = Get("nvrtc.h");
        CheckEnum(r, typeof(nvrtcResult));
    }
}
