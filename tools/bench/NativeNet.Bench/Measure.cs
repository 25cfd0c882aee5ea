using System.Diagnostics;

namespace NativeNet.Bench;

/// <summary>Timing discipline from shared/bench: warm-up excluded, repeats of ~0.25 s each, median reported.</summary>
internal static class Measure
{
    /// <summary>
    /// BENCH_CPU=1 times process CPU time instead of wall time: with --threads 1 that is a usable A/B figure on a machine
    /// other jobs are loading (not a figure to report against PyTorch's wall times).
    /// </summary>
    static readonly bool CpuTime = Environment.GetEnvironmentVariable("BENCH_CPU") == "1";

    static double Now() => CpuTime ? System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    internal static double MedianSecondsPerCall(Action call, int repeats = 7, double repeatSeconds = 0.25, int warmup = 3)
    {
        for (int i = 0; i < warmup; i++) call();
        // Calibrate how many calls fill one repeat.
        var sw = Stopwatch.StartNew();
        int calls = 0;
        while (sw.Elapsed.TotalSeconds < repeatSeconds / 4) { call(); calls++; }
        int perRepeat = Math.Max(1, (int)(calls * repeatSeconds / Math.Max(sw.Elapsed.TotalSeconds, 1e-9)));
        var samples = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            double t0 = Now();
            for (int i = 0; i < perRepeat; i++) call();
            samples[r] = (Now() - t0) / perRepeat;
        }
        Array.Sort(samples);
        return samples[repeats / 2];
    }
}
