using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NativeNet.Bindings.Cuda;

namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>Points the bindings at the repository's CMake build (build/lib) when NATIVENET_NATIVE_DIR is not set.</summary>
internal static class NativeDirInitializer
{
    [ModuleInitializer]
    internal static void Init()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NATIVENET_NATIVE_DIR"))) return;
        try
        {
            var dir = Path.Combine(RepoPaths.Root, "build", "lib");
            if (Directory.Exists(dir)) Environment.SetEnvironmentVariable("NATIVENET_NATIVE_DIR", dir);
        }
        catch (DirectoryNotFoundException)
        {
            // Not run from a checkout: the library is looked for next to the tests and on the loader path only.
        }
    }
}

/// <summary>
/// The real libnativenet_cuda through the real LibraryImport declarations, without a GPU: every bound launcher is
/// exported, the ABI version matches, and launchers given invalid arguments reject them on the host (before any CUDA
/// call) with messages that echo the by-value structs' fields, which proves the structs cross the boundary intact.
/// Skips when the library has not been built (cmake -S . -B build && cmake --build build, with a CUDA toolkit).
/// </summary>
public unsafe class NativeKernelAbiTests
{
    static void RequireLibrary()
    {
        var (h, _, report) = NativeKernels.Load();
        Skip.If(h == 0, $"libnativenet_cuda is not built ({report}); build native/ with CMake (a CUDA toolkit is needed) into build/ or set NATIVENET_NATIVE_DIR");
    }

    [SkippableFact]
    public void EveryBoundLauncherIsExportedAndTheAbiMatches()
    {
        RequireLibrary();
        var (h, _, _) = NativeKernels.Load();
        foreach (var m in typeof(NativeKernels).GetMethods(BindingFlags.NonPublic | BindingFlags.Static))
        {
            if (m.GetCustomAttribute<LibraryImportAttribute>() is not { } attr) continue;
            var name = attr.EntryPoint ?? m.Name;
            Assert.True(NativeLibrary.TryGetExport(h, name, out _), $"libnativenet_cuda does not export {name}");
        }
        Assert.Equal(NativeKernels.AbiVersion, NativeKernels.nn_abi_version());
        Assert.Equal("NN_ERROR_NOT_SUPPORTED", Marshal.PtrToStringUTF8((nint)NativeKernels.nn_status_string(nn_status.NN_ERROR_NOT_SUPPORTED)));
    }

    [SkippableFact]
    public void ReduceWorkspaceSizeFollowsThePlan()
    {
        RequireLibrary();
        // Enough outputs: one pass, no workspace. A long axis with few outputs: partial passes of 1024-element chunks.
        Assert.Equal(0u, (uint)NativeKernels.nn_reduce_workspace_size(nn_reduce_op.NN_REDUCE_SUM, (int)nn_dtype.NN_DTYPE_FLOAT32, 1000, 5000, 100));
        // 1 × 5000 floats → 5 partials (20 bytes, one 256-byte aligned slab).
        Assert.Equal(256u, (uint)NativeKernels.nn_reduce_workspace_size(nn_reduce_op.NN_REDUCE_SUM, (int)nn_dtype.NN_DTYPE_FLOAT32, 1, 5000, 1));
        // Arg reductions also keep the partial indices.
        Assert.Equal(512u, (uint)NativeKernels.nn_reduce_workspace_size(nn_reduce_op.NN_REDUCE_ARGMAX, (int)nn_dtype.NN_DTYPE_FLOAT32, 1, 5000, 1));
        Assert.Equal(0u, (uint)NativeKernels.nn_reduce_workspace_size(nn_reduce_op.NN_REDUCE_SUM, 99, 1, 5000, 1));
    }

    static string LastError => Marshal.PtrToStringUTF8((nint)NativeKernels.nn_last_error()) ?? "";

    [SkippableFact]
    public void DescriptorsCrossTheBoundaryIntact()
    {
        RequireLibrary();
        var a = new nn_tensor_desc { data = 0x1000, ndim = 2, dtype = (int)nn_dtype.NN_DTYPE_INT64 };
        a.shape[0] = 3; a.shape[1] = 4; a.strides[0] = 4; a.strides[1] = 1;
        var b = a;
        b.shape[0] = 5; b.shape[1] = 2; b.strides[0] = 2;
        var c = a;
        c.shape[0] = 3; c.shape[1] = 2; c.strides[0] = 2;
        Assert.Equal(nn_status.NN_ERROR_INVALID_VALUE, NativeKernels.nn_matmul_int(c, a, b, 0));
        Assert.Equal("nn_matmul_int: shapes [3, 4] x [5, 2] -> [3, 2] do not multiply", LastError);
        var bad = a;
        bad.ndim = 9;
        long v = 1;
        Assert.Equal(nn_status.NN_ERROR_INVALID_VALUE, NativeKernels.nn_fill(bad, &v, 0));
        Assert.Contains("ndim 9", LastError);
        var e = Assert.Throws<NativeKernelException>(() => NativeKernels.Check(nn_status.NN_ERROR_INVALID_VALUE, "nn_fill"));
        Assert.Contains("ndim 9", e.Message);  // the exception carries nn_last_error()
    }

    [SkippableFact]
    public void ParameterStructsCrossTheBoundaryIntact()
    {
        RequireLibrary();
        var p = new nn_conv2d_params
        {
            n = 1, c = 2, h = 3, w = 4, o = 2, kh = 5, kw = 6, oh = 7, ow = 8, stride_h = 0, stride_w = 9, pad_h = 10, pad_w = 11,
            dilation_h = 12, dilation_w = 13, groups = 1,
        };
        Assert.Equal(nn_status.NN_ERROR_INVALID_VALUE, NativeKernels.nn_max_pool2d(0x1000, 0x2000, 0x3000, (int)nn_dtype.NN_DTYPE_FLOAT32, p, 0));
        Assert.Equal("nn_max_pool2d: invalid geometry (input [1, 2, 3, 4], kernel 5x6, output 7x8, stride 0x9, padding 10x11, dilation 12x13)", LastError);
        var adam = new nn_adam_params { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, step = 0 };
        Assert.Equal(nn_status.NN_ERROR_INVALID_VALUE, NativeKernels.nn_adam_step(0x1000, 0x1000, 0x1000, 0x1000, 0, (int)nn_dtype.NN_DTYPE_FLOAT32, 10, adam, 0));
        Assert.Equal("nn_adam_step: step must be >= 1, got 0", LastError);
        var sgd = new nn_sgd_params { lr = 0.1 };
        Assert.Equal(nn_status.NN_ERROR_NOT_SUPPORTED, NativeKernels.nn_sgd_step(0x1000, 0x1000, 0, (int)nn_dtype.NN_DTYPE_INT32, 10, sgd, 0));
        Assert.Equal("nn_sgd_step: needs a Float32 or Float64 tensor, got Int32", LastError);
        Assert.Equal(nn_status.NN_ERROR_INVALID_VALUE, NativeKernels.nn_reduce(nn_reduce_op.NN_REDUCE_SUM, 0x1000, 0x1000, (int)nn_dtype.NN_DTYPE_FLOAT64, 1, 5000, 1, 0, 0, 0));
        Assert.Contains("workspace of 0 bytes is too small", LastError);
    }
}
