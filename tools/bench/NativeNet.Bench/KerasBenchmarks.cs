using System.Diagnostics;
using System.Runtime.InteropServices;
using NativeNet.Cli;
using NativeNet.Data;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Bench;

/// <summary>
/// Keras Fit against the hand-written loop on the CLI's MLP (784-256-128-10, Adam 1e-3, batch 128): three models from
/// the same seed, each fed by its own <c>DataLoader(train, 128, shuffle, seed: 0)</c> so all see the same batches in the
/// same order (step cost depends on the training state: with different orders Adam's step alone differed by 2x). After
/// every Fit step a callback runs one step of each hand-written loop ("tracking" reads the loss and accuracy per step
/// as the CLI's loop does, "bare" only trains), so machine load hits all alike; medians of per-step wall and
/// main-thread CPU times are compared. <c>Fit(x, y)</c> builds this same loader (unseeded: its order comes from the
/// global generator). Fit's per-epoch cost outside its steps is one read of the device-side sums.
/// </summary>
internal static class KerasBenchmarks
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Sec, Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec ts);

    /// <summary>CPU seconds used by the calling thread (CLOCK_THREAD_CPUTIME_ID): immune to other processes' load.</summary>
    internal static double ThreadCpuSeconds() => ClockGetTime(3, out var t) == 0 ? t.Sec + t.Nsec * 1e-9 : double.NaN;

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
        var h = fitModel.Fit(new DataLoader(train, batchSize: 128, shuffle: true, seed: 0), epochs: epochs, callbacks: [interleave], verbose: 0);

        static double Median(List<double> v) { var s = v.Order().ToArray(); return s[s.Length / 2]; }
        // Step times after the first epoch (warm-up), in milliseconds.
        int skip = 469;
        double fit = Median(interleave.FitSteps.Skip(skip).ToList()) * 1e3;
        double loopT = Median(interleave.TrackedSteps.Skip(skip).ToList()) * 1e3;
        double loopB = Median(interleave.BareSteps.Skip(skip).ToList()) * 1e3;
        int n = interleave.FitSteps.Count - skip;
        report("Keras Fit step (MLP, batch 128, Adam, accuracy metric)", fit, "ms", $"median of {n} steps interleaved with loop steps");
        report("hand-written loop step, tracking loss+accuracy", loopT, "ms", $"Fit {(fit / loopT - 1) * 100:+0.0;-0.0}%");
        report("hand-written loop step, bare", loopB, "ms", $"Fit {(fit / loopB - 1) * 100:+0.0;-0.0}%");
        double fitC = Median(interleave.FitCpu.Skip(skip).ToList()) * 1e3;
        double loopTC = Median(interleave.TrackedCpu.Skip(skip).ToList()) * 1e3;
        double loopBC = Median(interleave.BareCpu.Skip(skip).ToList()) * 1e3;
        report("Keras Fit step, main-thread CPU time", fitC, "ms", "with --threads 1 all kernel work runs on this thread");
        report("hand-written loop step (tracking), main-thread CPU time", loopTC, "ms", $"Fit {(fitC / loopTC - 1) * 100:+0.0;-0.0}%");
        report("hand-written loop step (bare), main-thread CPU time", loopBC, "ms", $"Fit {(fitC / loopBC - 1) * 100:+0.0;-0.0}%");
    }

    /// <summary>Cost of the per-step bookkeeping alone on a [128, 10] batch: Fit's device-side sums vs the loop's reads.</summary>
    internal static void BookkeepingCost(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var w = Tensor.Randn(10, 784).RequiresGrad_();
        var x = Tensor.Randn(128, 784);
        var y = Tensor.RandInt(0, 10, [128]);
        var logits = x.MatMul(w.T);
        var loss = F.CrossEntropy(logits, y);
        var tracker = new MeanTracker();
        var metric = new SparseCategoricalAccuracy("accuracy");
        double fit = Measure.MedianSecondsPerCall(() =>
        {
            using var scope = Tensor.Scope();
            using (Autograd.NoGrad())
            {
                tracker.Add(loss, 128);
                metric.Update(y, logits);
            }
        });
        double loop = Measure.MedianSecondsPerCall(() =>
        {
            using var scope = Tensor.Scope();
            GC.KeepAlive(loss.Item<float>() * 128);
            GC.KeepAlive(logits.ArgMax(1).Eq(y).Sum().Item<long>());
        });
        report("Fit bookkeeping per step (loss sum + accuracy on device)", fit * 1e6, "us", "");
        report("loop bookkeeping per step (loss.Item + argmax/eq/sum/Item)", loop * 1e6, "us", "");
    }

    /// <summary>
    /// After each Fit step, runs one hand-written loop step (alternately the tracking and the bare loop) on the next
    /// batch of its own shuffled loader. Times exclude fetching batches on both sides.
    /// </summary>
    sealed class Interleaver : Callback
    {
        readonly Sequential tracked, bare;
        readonly Optimizer trackedOpt, bareOpt;
        readonly DataLoader trackedLoader, bareLoader;
        readonly CrossEntropyLoss ce = new();
        readonly Stopwatch sw = new();
        IEnumerator<(Tensor X, Tensor Y)>? trackedBatches, bareBatches;
        int calls;

        internal Interleaver(TensorDataset train, Sequential tracked, Sequential bare)
        {
            this.tracked = tracked;
            this.bare = bare;
            trackedOpt = new Adam(tracked.Parameters(), lr: 1e-3);
            bareOpt = new Adam(bare.Parameters(), lr: 1e-3);
            trackedLoader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0);
            bareLoader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0);
        }

        internal List<double> FitSteps { get; } = new();
        internal List<double> TrackedSteps { get; } = new();
        internal List<double> BareSteps { get; } = new();
        internal List<double> FitCpu { get; } = new();
        internal List<double> TrackedCpu { get; } = new();
        internal List<double> BareCpu { get; } = new();
        double cpu0;

        public override void OnTrainBatchBegin(int batch)
        {
            cpu0 = ThreadCpuSeconds();
            sw.Restart();
        }

        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            FitSteps.Add(sw.Elapsed.TotalSeconds);
            FitCpu.Add(ThreadCpuSeconds() - cpu0);
            // Both loops step after every Fit step (alternating which goes first), so all three models see the same
            // number of updates and the same data order.
            bool trackedFirst = calls++ % 2 == 0;
            LoopStep(trackedFirst);
            LoopStep(!trackedFirst);
        }

        void LoopStep(bool track)
        {
            var e = track ? trackedBatches : bareBatches;
            if (e == null || !e.MoveNext())
            {
                e?.Dispose();
                e = (track ? trackedLoader : bareLoader).GetEnumerator();
                e.MoveNext();
                if (track) trackedBatches = e; else bareBatches = e;
            }
            var (x, y) = e.Current;
            var model = track ? tracked : bare;
            var opt = track ? trackedOpt : bareOpt;
            cpu0 = ThreadCpuSeconds();
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
            (track ? TrackedCpu : BareCpu).Add(ThreadCpuSeconds() - cpu0);
        }

        public override void OnTrainEnd(IDictionary<string, double> logs)
        {
            trackedBatches?.Dispose();
            bareBatches?.Dispose();
        }
    }
}
