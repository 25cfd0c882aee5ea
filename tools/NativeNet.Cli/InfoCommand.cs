using System.CommandLine;

namespace NativeNet.Cli;

/// <summary><c>nativenet info</c>: devices, BLAS library and thread policy in use.</summary>
internal static class InfoCommand
{
    internal static Command Create()
    {
        var cmd = new Command("info", "Show the devices, the BLAS library and the thread count NativeNet uses");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"NativeNet {typeof(Tensor).Assembly.GetName().Version}");
            Console.WriteLine($"runtime   .NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            Console.WriteLine($"cpu       {Environment.ProcessorCount} logical cores, {Runtime.NumThreads} threads in use (NATIVENET_NUM_THREADS)");
            Console.WriteLine($"blas      {Runtime.BlasLibrary ?? "none found (install libopenblas0-pthread or run tools/setup.sh)"}");
            Console.WriteLine("devices   cpu (CUDA backend not built into this version)");
            return 0;
        });
        return cmd;
    }
}
