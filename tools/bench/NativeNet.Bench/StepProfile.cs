using System.Diagnostics;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Bench;

/// <summary>
/// Where the CNN training step's time goes, inside the real step (batch 64, Adam): the forward (each layer timed
/// around its own call with STEPPROF_LAYERS=1), each backward node through the autograd engine's node timer, then
/// ZeroGrad and Adam's Step. Medians
/// over many steps (the machine is shared, so single samples are noisy).
/// </summary>
internal static class StepProfile
{
    internal static void Run(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var model = new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128), new Relu(), new Linear(128, 10));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var ce = new CrossEntropyLoss();
        var x = Tensor.Rand(64, 1, 28, 28);
        var y = Tensor.RandInt(0, 10, [64]);
        var layers = model.Children().ToArray();
        var samples = new Dictionary<string, List<double>>();
        void Add(string key, double ms)
        {
            if (!samples.TryGetValue(key, out var l)) samples[key] = l = [];
            l.Add(ms);
        }
        var perStep = new Dictionary<string, double>();
        Autograd.NodeTimer = (name, ticks) =>
        {
            string key = "bwd " + name;
            int k = 1;
            while (perStep.ContainsKey(key)) key = $"bwd {name} #{++k}";
            perStep[key] = ticks * 1e3 / Stopwatch.Frequency;
        };
        // Layer by layer (STEPPROF_LAYERS=1) bypasses Sequential's Conv+ReLU fusion; by default the model runs whole.
        bool byLayer = Environment.GetEnvironmentVariable("STEPPROF_LAYERS") == "1";
        const int steps = 60, warmup = 10;
        for (int s = 0; s < steps + warmup; s++)
        {
            perStep.Clear();
            var total = Stopwatch.StartNew();
            using var scope = Tensor.Scope();
            var h = x;
            long tf = Stopwatch.GetTimestamp();
            if (byLayer)
                for (int i = 0; i < layers.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    h = layers[i].Call(h);
                    perStep[$"fwd {i} {layers[i].GetType().Name}"] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
            else h = model.Call(x);
            perStep["forward (all)"] = Stopwatch.GetElapsedTime(tf).TotalMilliseconds;
            long tl = Stopwatch.GetTimestamp();
            var loss = ce.Call(h, y);
            perStep["fwd loss"] = Stopwatch.GetElapsedTime(tl).TotalMilliseconds;
            tl = Stopwatch.GetTimestamp();
            opt.ZeroGrad();
            perStep["zero grad"] = Stopwatch.GetElapsedTime(tl).TotalMilliseconds;
            tl = Stopwatch.GetTimestamp();
            loss.Backward();
            perStep["backward (all)"] = Stopwatch.GetElapsedTime(tl).TotalMilliseconds;
            tl = Stopwatch.GetTimestamp();
            opt.Step();
            perStep["adam step"] = Stopwatch.GetElapsedTime(tl).TotalMilliseconds;
            scope.Dispose();
            perStep["step (all)"] = total.Elapsed.TotalMilliseconds;
            if (s >= warmup) foreach (var (k, v) in perStep) Add(k, v);
        }
        Autograd.NodeTimer = null;
        foreach (var (k, l) in samples)
        {
            l.Sort();
            report(k, l[l.Count / 2], "ms", $"p10 {l[l.Count / 10]:F3} p90 {l[l.Count * 9 / 10]:F3}");
        }
    }
}
