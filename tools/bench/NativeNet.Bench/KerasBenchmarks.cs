using System.Diagnostics;
using NativeNet.Cli;
using NativeNet.Data;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Bench;

/// <summary>
/// Keras Fit against the hand-written loop on the CLI's MLP (784-256-128-10, Adam 1e-3, batch 128, shuffled). The loop
/// steps run interleaved with Fit's steps (one after each Fit step, from a callback), so machine load hits both alike;
/// medians of per-step times are compared. "tracking" loop steps read the loss and accuracy as the CLI's loop does;
/// "bare" ones only train. Fit's per-epoch cost beyond its steps is the epoch-end read of the sums.
/// </summary>
internal static class KerasBenchmarks
{
    internal static void FitVsLoop(Action<string, double, string, string> report, int epochs = 3)
    {
        var (train, _) = FashionMnist.Load();
        Tensor.ManualSeed(0);
        var fitModel = TrainCommand.BuildModel("mlp");
        Tensor.ManualSeed(0);
        var tracked = TrainCommand.BuildModel("mlp");
        Tensor.ManualSeed(0);
        var bare = TrainCommand.BuildModel("mlp");
        var interleave = new Interleaver(train, tracked, bare);
        fitModel.Compile(new Adam(lr: 1e-3), "sparse_categorical_crossentropy", ["accuracy"]);
        var h = fitModel.Fit(train.X, train.Y, epochs: epochs, batchSize: 128, callbacks: [interleave], verbose: 0);

        static double Median(List<double> v) { var s = v.Order().ToArray(); return s[s.Length / 2]; }
        // Step times after the first epoch (warm-up), in milliseconds.
        int skip = 469;
        double fit = Median(interleave.FitSteps.Skip(skip).ToList()) * 1e3;
        double loopT = Median(interleave.TrackedSteps.Skip(skip / 2).ToList()) * 1e3;
        double loopB = Median(interleave.BareSteps.Skip(skip / 2).ToList()) * 1e3;
        int n = interleave.FitSteps.Count - skip;
        report("Keras Fit step (MLP, batch 128, Adam, accuracy metric)", fit, "ms", $"median of {n} steps interleaved with loop steps");
        report("hand-written loop step, tracking loss+accuracy", loopT, "ms", $"Fit {(fit / loopT - 1) * 100:+0.0;-0.0}%");
        report("hand-written loop step, bare", loopB, "ms", $"Fit {(fit / loopB - 1) * 100:+0.0;-0.0}%");
        report("Fit epoch, training steps only (wall)", h.TrainSeconds.Skip(1).Order().ElementAt((epochs - 1) / 2), "s",
            $"includes the interleaved loop steps; epochs: {string.Join(", ", h.TrainSeconds.Select(t => t.ToString("F2")))}");
    }

    /// <summary>
    /// After each Fit step, runs one hand-written loop step (alternately the tracking and the bare loop) on the next
    /// batch of its own shuffled loader. Times exclude fetching batches on both sides.
    /// </summary>
    sealed class Interleaver : Callback
    {
        readonly Sequential tracked, bare;
        readonly Optimizer trackedOpt, bareOpt;
        readonly DataLoader loader;
        readonly CrossEntropyLoss ce = new();
        readonly Stopwatch sw = new();
        IEnumerator<(Tensor X, Tensor Y)>? batches;
        int calls;

        internal Interleaver(TensorDataset train, Sequential tracked, Sequential bare)
        {
            this.tracked = tracked;
            this.bare = bare;
            trackedOpt = new Adam(tracked.Parameters(), lr: 1e-3);
            bareOpt = new Adam(bare.Parameters(), lr: 1e-3);
            loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0);
        }

        internal List<double> FitSteps { get; } = new();
        internal List<double> TrackedSteps { get; } = new();
        internal List<double> BareSteps { get; } = new();

        public override void OnTrainBatchBegin(int batch) => sw.Restart();

        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            FitSteps.Add(sw.Elapsed.TotalSeconds);
            if (batches == null || !batches.MoveNext())
            {
                batches?.Dispose();
                batches = loader.GetEnumerator();
                batches.MoveNext();
            }
            var (x, y) = batches.Current;
            bool track = calls++ % 2 == 0;
            var model = track ? tracked : bare;
            var opt = track ? trackedOpt : bareOpt;
            sw.Restart();
            using (Tensor.Scope())
            {
                var logits = model.Call(x);
                var loss = ce.Call(logits, y);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
                if (track)
                {
                    GC.KeepAlive(loss.Item<float>() * y.Size(0));
                    GC.KeepAlive(logits.ArgMax(1).Eq(y).Sum().Item<long>());
                }
            }
            (track ? TrackedSteps : BareSteps).Add(sw.Elapsed.TotalSeconds);
        }

        public override void OnTrainEnd(IDictionary<string, double> logs) => batches?.Dispose();
    }
}
