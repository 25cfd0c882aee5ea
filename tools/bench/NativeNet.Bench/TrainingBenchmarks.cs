using System.Diagnostics;
using NativeNet.Cli;
using NativeNet.Data;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Bench;

/// <summary>Training benchmarks matching shared/bench/peers.py (mlp, cnn): same models, optimizer, batch and data.</summary>
internal static class TrainingBenchmarks
{
    static (TensorDataset Train, TensorDataset Test) data;

    static TensorDataset Train => (data.Train ?? (data = FashionMnist.Load()).Train)!;

    /// <summary>MLP 784-256-128-10, Adam 1e-3, batch 128: seconds per training epoch (469 steps), median of epochs after a warm-up epoch.</summary>
    internal static void Mlp(Action<string, double, string, string> report, int epochs = 3)
    {
        var times = TrainEpochs("mlp", 128, epochs + 1, out double acc);
        var steady = times.Skip(1).OrderBy(t => t).ToArray();
        report("MLP training epoch (469 steps, batch 128, Adam)", steady[steady.Length / 2], "s", $"min {steady[0]:F3}, test acc {acc:F4} after {epochs + 1} epochs");
    }

    /// <summary>CNN, Adam 1e-3, batch 64: milliseconds per training step, median over repeats after warm-up.</summary>
    internal static void Cnn(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var model = TrainCommand.BuildModel("cnn");
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var ce = new CrossEntropyLoss();
        var loader = new DataLoader(Train, batchSize: 64, shuffle: true, seed: 0);
        using var it = loader.GetEnumerator();
        var batches = new List<(Tensor, Tensor)>();
        for (int i = 0; i < 8 && it.MoveNext(); i++) batches.Add((it.Current.X.Clone(), it.Current.Y.Clone()));
        int k = 0;
        double step = Measure.MedianSecondsPerCall(() =>
        {
            var (x, y) = batches[k++ % batches.Count];
            using var scope = Tensor.Scope();
            var loss = ce.Call(model.Call(x), y);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }, repeats: 7, repeatSeconds: 1.0);
        report("CNN training step (batch 64, Adam)", step * 1e3, "ms", "");
        double inf = Measure.MedianSecondsPerCall(() =>
        {
            using var _ = Autograd.NoGrad();
            using var scope = Tensor.Scope();
            model.Eval();
            model.Call(batches[0].Item1);
        }, repeats: 7, repeatSeconds: 0.5);
        model.Train();
        report("CNN inference (batch 64)", inf * 1e3, "ms", "");
    }

    internal static List<double> TrainEpochs(string modelName, int batchSize, int epochs, out double testAcc)
    {
        Tensor.ManualSeed(0);
        var model = TrainCommand.BuildModel(modelName);
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var ce = new CrossEntropyLoss();
        var loader = new DataLoader(Train, batchSize: batchSize, shuffle: true, seed: 0);
        var times = new List<double>();
        for (int e = 0; e < epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var (x, y) in loader)
            {
                using var scope = Tensor.Scope();
                var loss = ce.Call(model.Call(x), y);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            times.Add(sw.Elapsed.TotalSeconds);
        }
        testAcc = TrainCommand.Evaluate(model, data.Test);
        return times;
    }

    /// <summary>2,000 scoped MLP training steps: process working set and pool bytes sampled every 250 steps.</summary>
    internal static void Memory(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var model = TrainCommand.BuildModel("mlp");
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var ce = new CrossEntropyLoss();
        var loader = new DataLoader(Train, batchSize: 128, shuffle: true, seed: 0);
        int steps = 0;
        var samples = new List<double>();
        var proc = Process.GetCurrentProcess();
        while (steps < 4000)
            foreach (var (x, y) in loader)
            {
                using (var scope = Tensor.Scope())
                {
                    var loss = ce.Call(model.Call(x), y);
                    opt.ZeroGrad();
                    loss.Backward();
                    opt.Step();
                }
                if (++steps % 250 == 0)
                {
                    proc.Refresh();
                    samples.Add(proc.WorkingSet64 / 1048576.0);
                }
                if (steps == 4000) break;
            }
        report("memory: working set after 250 steps", samples[0], "MiB", "");
        report("memory: working set after 4000 steps", samples[^1], "MiB",
            $"every 250 steps: {string.Join(" ", samples.Select(v => v.ToString("F0")))}; managed heap {GC.GetTotalMemory(false) / 1048576.0:F1} MiB");
    }
}
