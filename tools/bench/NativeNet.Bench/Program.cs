using System.Text.Json;
using NativeNet;
using NativeNet.Bench;

// Usage: NativeNet.Bench [gemm|overhead|conv|mlp|cnn|memory|keras|graph|graphprof|cnnprof|stepprof|all] [--threads N]
var which = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "all";
int threads = 2;
for (int i = 0; i < args.Length - 1; i++) if (args[i] == "--threads") threads = int.Parse(args[i + 1]);
Runtime.SetThreads(threads);
var results = new List<object>();
void Report(string name, double value, string unit, string note = "")
{
    Console.WriteLine($"{name,-58} {value,12:F3} {unit} {note}");
    results.Add(new { name, value, unit, threads, note });
}

if (which is "gemm" or "all") Benchmarks.Gemm(Report);
if (which is "overhead" or "all") Benchmarks.Overhead(Report);
if (which is "conv" or "all") Benchmarks.Conv(Report);
if (which is "mlp" or "all") TrainingBenchmarks.Mlp(Report);
if (which is "cnn" or "all") TrainingBenchmarks.Cnn(Report);
if (which is "memory") TrainingBenchmarks.Memory(Report);
if (which is "keras" or "keras-step") KerasBenchmarks.BookkeepingCost(Report);
if (which is "keras") KerasBenchmarks.FitVsLoop(Report);
if (which is "graph") GraphBenchmarks.Cnn(Report);
if (which is "graphprof") GraphProf.Run();
if (which is "cnnprof") CnnProfile.Run(Report);
if (which is "stepprof") StepProfile.Run(Report);
Console.WriteLine(JsonSerializer.Serialize(results));
