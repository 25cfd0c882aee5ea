using System.Runtime.InteropServices;
using System.Text;

namespace NativeNet.Bindings.Cuda;

#pragma warning disable IDE1006 // C names on purpose (checked against nvrtc.h by tools/check_cuda_headers)

/// <summary>nvrtcResult (nvrtc.h).</summary>
internal enum nvrtcResult
{
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
    NVRTC_ERROR_INTERNAL_ERROR = 11,
}

/// <summary>
/// NVRTC (libnvrtc): compiles CUDA C++ to PTX at run time, with no GPU. NativeNet uses it to compile-check its kernel
/// sources on machines without nvcc (and could JIT kernels on a GPU machine; loading PTX needs the driver API).
/// </summary>
internal static unsafe partial class Nvrtc
{
    const string Lib = CudaLibraries.Nvrtc;

    static Nvrtc() => CudaLibraries.EnsureRegistered();

    internal static (nint Handle, string? Path, string Report) Load() => CudaLibraries.Load(Lib);

    internal static void Check(nvrtcResult status, string call, string? log = null)
    {
        if (status == nvrtcResult.NVRTC_SUCCESS) return;
        var text = Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(status));
        if (!string.IsNullOrEmpty(log)) text = $"{text}\n{log}";
        throw new NvrtcException(call, (int)status, Enum.IsDefined(status) ? status.ToString() : $"nvrtcResult({(int)status})", text);
    }

    [LibraryImport(Lib)] internal static partial byte* nvrtcGetErrorString(nvrtcResult result);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcCreateProgram(nint* prog, byte* src, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcDestroyProgram(nint* prog);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcCompileProgram(nint prog, int numOptions, byte** options);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcGetPTXSize(nint prog, nuint* ptxSizeRet);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcGetPTX(nint prog, byte* ptx);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcGetProgramLogSize(nint prog, nuint* logSizeRet);
    [LibraryImport(Lib)] internal static partial nvrtcResult nvrtcGetProgramLog(nint prog, byte* log);

    /// <summary>"11.8" for the loaded library.</summary>
    internal static string Version()
    {
        int major = 0, minor = 0;
        Check(nvrtcVersion(&major, &minor), "nvrtcVersion");
        return $"{major}.{minor}";
    }

    /// <summary>The result of one compilation: success, the compiler log and the PTX text (empty on failure).</summary>
    internal readonly record struct CompileResult(bool Success, nvrtcResult Status, string Log, string Ptx);

    /// <summary>
    /// Compiles <paramref name="source"/> (named <paramref name="name"/> in messages) with <paramref name="options"/>
    /// (e.g. "--gpu-architecture=compute_70", "-I/usr/include"). Compilation errors are returned, not thrown, so callers
    /// can show the log; API misuse throws <see cref="NvrtcException"/>.
    /// </summary>
    internal static CompileResult Compile(string source, string name, IReadOnlyList<string> options)
    {
        var strings = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }
        nint prog = 0;
        try
        {
            Check(nvrtcCreateProgram(&prog, (byte*)Utf8(source), (byte*)Utf8(name), 0, null, null), "nvrtcCreateProgram");
            var opts = stackalloc byte*[Math.Max(options.Count, 1)];
            for (int i = 0; i < options.Count; i++) opts[i] = (byte*)Utf8(options[i]);
            var rc = nvrtcCompileProgram(prog, options.Count, opts);
            nuint logSize = 0;
            Check(nvrtcGetProgramLogSize(prog, &logSize), "nvrtcGetProgramLogSize");
            var log = new byte[(int)logSize + 1];
            fixed (byte* pl = log) Check(nvrtcGetProgramLog(prog, pl), "nvrtcGetProgramLog");
            string logText = Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
            if (rc != nvrtcResult.NVRTC_SUCCESS) return new CompileResult(false, rc, logText, "");
            nuint ptxSize = 0;
            Check(nvrtcGetPTXSize(prog, &ptxSize), "nvrtcGetPTXSize");
            var ptx = new byte[(int)ptxSize];
            fixed (byte* pp = ptx) Check(nvrtcGetPTX(prog, pp), "nvrtcGetPTX");
            return new CompileResult(true, rc, logText, Encoding.UTF8.GetString(ptx).TrimEnd('\0'));
        }
        finally
        {
            if (prog != 0) nvrtcDestroyProgram(&prog);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }
}
