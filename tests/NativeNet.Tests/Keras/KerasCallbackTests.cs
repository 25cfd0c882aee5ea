using System.Globalization;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Tests.KerasApi;

/// <summary>Each callback's behaviour: scripted epoch logs for the decision rules, real Fit runs for the files.</summary>
public class KerasCallbackTests
{
    static T Attach<T>(T cb, Model model, params string[] keys) where T : Callback
    {
        cb.Model = model;
        cb.Params = new TrainingParams(10, 1, 0, keys);
        cb.OnTrainBegin(new Dictionary<string, double>());
        return cb;
    }

    static Sequential Tiny()
    {
        var m = new Sequential(new Dense(2, inputDim: 3));
        m.Compile(new Sgd(lr: 0.1), "mse");
        return m;
    }

    static void SetWeights(Module m, float v)
    {
        using (Autograd.NoGrad())
            foreach (var p in m.Parameters()) p.FillInPlace(v);
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatience_AndRestoresTheBestWeights()
    {
        var model = Tiny();
        var es = Attach(new EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true), model, "loss", "val_loss");
        double[] valLoss = [1.0, 0.8, 0.85, 0.9, 0.7];
        int epoch = 0;
        for (; epoch < valLoss.Length && !model.StopTraining; epoch++)
        {
            SetWeights(model, epoch + 1);                            // weights "after" this epoch
            es.OnEpochEnd(epoch, new Dictionary<string, double> { ["val_loss"] = valLoss[epoch] });
        }
        Assert.Equal(4, epoch);                                      // stopped at the end of epoch 3 (0-based)
        Assert.Equal(3, es.StoppedEpoch);
        Assert.Equal(1, es.BestEpoch);
        Assert.Equal(0.8, es.Best);
        Assert.All(model.Parameters(), p => Assert.All(p.ToArray<float>(), v => Assert.Equal(2f, v)));   // epoch 1's weights
    }

    [Fact]
    public void EarlyStopping_MinDeltaAndMaxMode()
    {
        var model = Tiny();
        var es = Attach(new EarlyStopping(monitor: "val_accuracy", minDelta: 0.01, patience: 1), model, "val_accuracy");
        es.OnEpochEnd(0, new Dictionary<string, double> { ["val_accuracy"] = 0.80 });
        es.OnEpochEnd(1, new Dictionary<string, double> { ["val_accuracy"] = 0.805 });   // +0.005 < minDelta: no improvement
        Assert.True(model.StopTraining);
        Assert.Equal(0.80, es.Best);
    }

    [Fact]
    public void EarlyStopping_InFit_StopsAConstantModel()
    {
        Tensor.ManualSeed(2);
        var x = Tensor.Randn(32, 3);
        var y = Tensor.Randn(32, 2);
        var model = new Sequential(new Dense(2, inputDim: 3));
        model.Compile(new Sgd(lr: 0), "mse");
        var h = model.Fit(x, y, epochs: 10, batchSize: 8, validationData: (x, y), callbacks: [new EarlyStopping(patience: 1)], verbose: 0);
        Assert.Equal(2, h.Epoch.Count);
    }

    [Fact]
    public void ReduceLROnPlateau_FollowsKerasSchedule()
    {
        var model = Tiny();
        model.Optimizer!.Lr = 0.1;
        var cb = Attach(new ReduceLROnPlateau(monitor: "val_loss", factor: 0.5, patience: 1, minLr: 0.02), model, "val_loss");
        var seen = new List<double>();
        for (int e = 0; e < 5; e++)
        {
            var logs = new Dictionary<string, double> { ["val_loss"] = 1.0 };
            cb.OnEpochEnd(e, logs);
            seen.Add(logs["learning_rate"]);
        }
        Assert.Equal([0.1, 0.1, 0.05, 0.025, 0.02], seen.Select(v => Math.Round(v, 10)));
        Assert.Equal(0.02, model.Optimizer.Lr, 12);

        var cool = Attach(new ReduceLROnPlateau(factor: 0.5, patience: 1, cooldown: 2), Tiny(), "val_loss");
        var lrs = new List<double>();
        cool.Model.Optimizer!.Lr = 1;
        for (int e = 0; e < 6; e++)
        {
            cool.OnEpochEnd(e, new Dictionary<string, double> { ["val_loss"] = 1.0 });
            lrs.Add(cool.Model.Optimizer.Lr);
        }
        // Keras decrements the cooldown counter before checking it, so cooldown 2 pauses one epoch after a reduction.
        Assert.Equal([1, 0.5, 0.5, 0.25, 0.25, 0.125], lrs);
    }

    [Fact]
    public void ModelCheckpoint_SavesOnlyImprovements_WithFormattedNames()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-ckpt-");
        try
        {
            var model = Tiny();
            var cb = Attach(new ModelCheckpoint(Path.Combine(dir.FullName, "ckpt-{epoch:02d}-{val_loss:.2f}.safetensors"), saveBestOnly: true), model, "val_loss");
            double[] vl = [0.5, 0.6, 0.4];
            for (int e = 0; e < 3; e++)
            {
                SetWeights(model, e);
                cb.OnEpochEnd(e, new Dictionary<string, double> { ["val_loss"] = vl[e] });
            }
            Assert.Equal(["ckpt-01-0.50.safetensors", "ckpt-03-0.40.safetensors"], cb.SavedPaths.Select(Path.GetFileName));
            Assert.Equal(2, Directory.GetFiles(dir.FullName).Length);   // no temporary files left behind
            var back = Model.Load(cb.SavedPaths[1]);
            Assert.All(back.Parameters(), p => Assert.All(p.ToArray<float>(), v => Assert.Equal(2f, v)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void CsvLogger_WritesSortedColumnsAndAppends()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nativenet-{Guid.NewGuid():N}.csv");
        try
        {
            Tensor.ManualSeed(4);
            var x = Tensor.Randn(40, 3);
            var y = Tensor.RandInt(0, 2, [40]);
            var model = new Sequential(new Dense(2, inputDim: 3));
            model.Compile(new Sgd(lr: 0.1), "sparse_categorical_crossentropy", ["accuracy"]);
            var h = model.Fit(x, y, epochs: 3, batchSize: 10, validationSplit: 0.25, callbacks: [new CsvLogger(path)], verbose: 0);
            var lines = File.ReadAllLines(path);
            Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", lines[0]);
            for (int e = 0; e < 3; e++)
            {
                var cells = lines[e + 1].Split(',').Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal([e, h["accuracy"][e], h["loss"][e], h["val_accuracy"][e], h["val_loss"][e]], cells);
            }
            model.Fit(x, y, epochs: 2, batchSize: 10, validationSplit: 0.25, callbacks: [new CsvLogger(path, append: true)], verbose: 0);
            lines = File.ReadAllLines(path);
            Assert.Equal(6, lines.Length);
            Assert.Single(lines, l => l.StartsWith("epoch"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LambdaCallback_SeesEveryEventInOrder()
    {
        Tensor.ManualSeed(5);
        var x = Tensor.Randn(20, 3);
        var y = Tensor.Randn(20, 2);
        var model = new Sequential(new Dense(2, inputDim: 3));
        model.Compile(new Sgd(lr: 0.1), "mse");
        var events = new List<string>();
        var cb = new LambdaCallback(
            onTrainBegin: _ => events.Add("train_begin"),
            onEpochBegin: (e, _) => events.Add($"epoch_begin {e}"),
            onBatchBegin: b => events.Add($"batch_begin {b}"),
            onBatchEnd: (b, logs) => events.Add($"batch_end {b} {string.Join(",", logs.Keys)}"),
            onEpochEnd: (e, logs) => events.Add($"epoch_end {e} {string.Join(",", logs.Keys)}"),
            onTrainEnd: _ => events.Add("train_end"));
        model.Fit(x, y, epochs: 2, batchSize: 10, callbacks: [cb], verbose: 0);
        Assert.Equal(
        [
            "train_begin",
            "epoch_begin 0", "batch_begin 0", "batch_end 0 loss", "batch_begin 1", "batch_end 1 loss", "epoch_end 0 loss",
            "epoch_begin 1", "batch_begin 0", "batch_end 0 loss", "batch_begin 1", "batch_end 1 loss", "epoch_end 1 loss",
            "train_end",
        ], events);
    }
}
