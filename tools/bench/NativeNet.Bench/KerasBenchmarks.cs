using System.Diagnostics;
using NativeNet.Cli;
using NativeNet.Data;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Bench;

/// <summary>
/// Keras Fit against the hand-written loop on the CLI's MLP (784-256-128-10, Adam 1e-3, batch 128, shuffled): seconds
/// per training epoch. The loops run interleaved with Fit's epochs (from a callback, outside Fit's timed steps), so
/// machine load hits both alike. "tracking loop" computes the loss and accuracy per step as Fit does; "bare loop" only
/// trains.
/// </summary>
internal static class KerasBenchmarks
{
    internal static void FitVsLoop(Action<string, double, string, string> report, int epochs = 7)
    {
        var (train, _) = FashionMnist.Load();
        Tensor.ManualSeed(0);
        var fitModel = TrainCommand.BuildModel("mlp");
        Tensor.ManualSeed(0);
        var tracked = TrainCommand.BuildModel("mlp");
        Tensor.ManualSeed(0);
        var bare = TrainCommand.BuildModel("mlp");
        var trackedOpt = new Adam(tracked.Parameters(), lr: 1e-3);
        var bareOpt = new Adam(bare.Parameters(), lr: 1e-3);
        var ce = new CrossEntropyLoss();
        var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0);
        var trackedTimes = new List<double>();
        var bareTimes = new List<double>();

        double LoopEpoch(Sequential model, Optimizer opt, bool track)
        {
            model.Train();
            var sw = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0;
            foreach (var (x, y) in loader)
            {
                using var scope = Tensor.Scope();
                var logits = model.Call(x);
                var loss = ce.Call(logits, y);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
                if (!track) continue;
                lossSum += loss.Item<float>() * y.Size(0);
                correct += logits.ArgMax(1).Eq(y).Sum().Item<long>();
            }
            GC.KeepAlive(lossSum + correct);
            return sw.Elapsed.TotalSeconds;
        }

        fitModel.Compile(new Adam(lr: 1e-3), "sparse_categorical_crossentropy", ["accuracy"]);
        int round = 0;
        var interleave = new LambdaCallback(onEpochEnd: (_, _) =>
        {
            // Alternate which loop runs first so neither always follows Fit.
            if (round++ % 2 == 0) { trackedTimes.Add(LoopEpoch(tracked, trackedOpt, true)); bareTimes.Add(LoopEpoch(bare, bareOpt, false)); }
            else { bareTimes.Add(LoopEpoch(bare, bareOpt, false)); trackedTimes.Add(LoopEpoch(tracked, trackedOpt, true)); }
        });
        var h = fitModel.Fit(train.X, train.Y, epochs: epochs, batchSize: 128, callbacks: [interleave], verbose: 0);

        static double Median(IEnumerable<double> v) { var s = v.Skip(1).Order().ToArray(); return s[s.Length / 2]; }
        double fit = Median(h.TrainSeconds), loopT = Median(trackedTimes), loopB = Median(bareTimes);
        string Note(double loop) => $"Fit {fit:F3}s vs loop {loop:F3}s: {(fit / loop - 1) * 100:+0.0;-0.0}% (median of {epochs - 1} epochs after warm-up)";
        report("Keras Fit epoch (MLP, batch 128, Adam, accuracy metric)", fit, "s", $"min {h.TrainSeconds.Skip(1).Min():F3}");
        report("hand-written loop epoch, tracking loss+accuracy", loopT, "s", Note(loopT));
        report("hand-written loop epoch, bare", loopB, "s", Note(loopB));
        report("Fit overhead vs tracking loop", (fit / loopT - 1) * 100, "%", "");
        report("Fit overhead vs bare loop", (fit / loopB - 1) * 100, "%", "");
    }
}
