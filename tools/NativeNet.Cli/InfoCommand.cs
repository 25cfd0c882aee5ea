using System.CommandLine;
using NativeNet.Backends.Cuda;

namespace NativeNet.Cli;

/// <summary><c>nativenet info</c>: devices, CUDA libraries and versions (or why CUDA is unavailable), BLAS library and thread policy in use.</summary>
internal static class InfoCommand
{
    internal static Command Create()
    {
        var cmd = new Command("info", "Show the devices, the CUDA and BLAS libraries and the thread count NativeNet uses");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"NativeNet {typeof(Tensor).Assembly.GetName().Version}");
            Console.WriteLine($"runtime   .NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            Console.WriteLine($"cpu       {Environment.ProcessorCount} logical cores, {Runtime.NumThreads} threads in use (NATIVENET_NUM_THREADS)");
            Console.WriteLine($"blas      {Runtime.BlasLibrary ?? "none found (install libopenblas0-pthread or run tools/setup.sh)"}");
            if (Runtime.BlasLibrary != null && NativeNet.Bindings.Blas.Cblas.CoreName is { } core)
                Console.WriteLine($"          OpenBLAS kernels: {core}" + (NativeNet.Bindings.Blas.Cblas.ChosenCoreType is { } chosen
                    ? $" (OPENBLAS_CORETYPE={chosen} chosen by CPU features; NATIVENET_OPENBLAS_CORETYPE=auto to let OpenBLAS detect)" : ""));
            WriteCuda();
            return 0;
        });
        return cmd;
    }

    static void WriteCuda()
    {
        var probe = CudaRuntime.Probe;
        var lines = probe.Report().Split('\n');
        Console.WriteLine($"cuda      {lines[0]}");
        foreach (var line in lines.Skip(1)) Console.WriteLine($"        {line}");
        var devices = new List<string> { "cpu" };
        if (Cuda.IsAvailable)
        {
            for (int i = 0; i < Cuda.DeviceCount; i++)
            {
                try { devices.Add(Cuda.GetDeviceProperties(i).ToString()); }
                catch (Exception e) when (e is DeviceUnavailableException or Bindings.Cuda.CudaException) { devices.Add($"cuda:{i} (error: {e.Message})"); }
            }
        }
        Console.WriteLine($"devices   {string.Join("\n          ", devices)}");
    }
}
