using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NativeNet.Data;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Cli;

/// <summary><c>nativenet train</c>: trains the reference MLP or CNN on Fashion-MNIST (or MNIST) and reports train/test accuracy.</summary>
internal static class TrainCommand
{
    internal sealed record Options(string Data, string? DataDir, string Model, int Epochs, int? BatchSize, double Lr, string Optimizer,
        long Seed, string Device, bool Json, int? Threads, string Api = "keras", string? LogDir = null, string? Save = null, string? Plot = null);

    internal static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data set: fashion-mnist or mnist", DefaultValueFactory = _ => "fashion-mnist" };
        data.AcceptOnlyFromAmong("fashion-mnist", "mnist");
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory with the IDX files (default: NATIVENET_DATA or the Debian package's)" };
        var model = new Option<string>("--model") { Description = "Model: mlp (784-256-128-10) or cnn (2 conv + 2 dense)", DefaultValueFactory = _ => "mlp" };
        model.AcceptOnlyFromAmong("mlp", "cnn");
        var epochs = new Option<int>("--epochs") { Description = "Number of epochs", DefaultValueFactory = _ => 5 };
        var batch = new Option<int?>("--batch-size") { Description = "Batch size (default 128 for mlp, 64 for cnn)" };
        var lr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1e-3 };
        var opt = new Option<string>("--optimizer") { Description = "adam or sgd", DefaultValueFactory = _ => "adam" };
        opt.AcceptOnlyFromAmong("adam", "sgd");
        var seed = new Option<long>("--seed") { Description = "Random seed (weights, shuffling, dropout)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu (default) or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary as the last line of stdout" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for kernels and BLAS (default: all cores)" };
        var api = new Option<string>("--api") { Description = "keras (Compile/Fit, default) or loop (hand-written PyTorch-style loop)", DefaultValueFactory = _ => "keras" };
        api.AcceptOnlyFromAmong("keras", "loop");
        var logDir = new Option<string?>("--log-dir") { Description = "Write TensorBoard event files to DIR/train and DIR/validation (keras api)" };
        var save = new Option<string?>("--save") { Description = "Save the trained model (weights + architecture, safetensors) to PATH (keras api)" };
        var plot = new Option<string?>("--plot") { Description = "Write the training curves to PATH (.png or .svg; keras api)" };
        var cmd = new Command("train", "Train a model on Fashion-MNIST/MNIST and report train and test accuracy")
        {
            data, dataDir, model, epochs, batch, lr, opt, seed, device, json, threads, api, logDir, save, plot,
        };
        cmd.SetAction(r => Run(new Options(r.GetValue(data)!, r.GetValue(dataDir), r.GetValue(model)!, r.GetValue(epochs), r.GetValue(batch),
            r.GetValue(lr), r.GetValue(opt)!, r.GetValue(seed), r.GetValue(device)!, r.GetValue(json), r.GetValue(threads),
            r.GetValue(api)!, r.GetValue(logDir), r.GetValue(save), r.GetValue(plot))));
        return cmd;
    }

    /// <summary>The reference models, built from the public NN API.</summary>
    internal static Sequential BuildModel(string name) => name switch
    {
        "mlp" => new Sequential(new Flatten(), new Linear(784, 256), new Relu(), new Linear(256, 128), new Relu(), new Linear(128, 10)),
        "cnn" => new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128), new Relu(), new Linear(128, 10)),
        _ => throw new ArgumentException($"unknown model '{name}' (expected mlp or cnn)"),
    };

    static int Run(Options o)
    {
        try
        {
            return Train(o);
        }
        catch (Exception e) when (e is FileNotFoundException or DeviceUnavailableException or ArgumentException or InvalidDataException or IOException)
        {
            Console.Error.WriteLine($"nativenet train: {e.Message}");
            return 2;
        }
    }

    static int Train(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        if (o.Threads is int t) Runtime.SetThreads(t);
        var dev = NativeNet.Device.Parse(o.Device);  // cuda[:N] throws DeviceUnavailableException with the probe report when unusable
        if (o.Epochs <= 0) throw new ArgumentException("--epochs must be positive");
        int batchSize = o.BatchSize ?? (o.Model == "cnn" ? 64 : 128);
        if (batchSize <= 0) throw new ArgumentException("--batch-size must be positive");

        var sw = Stopwatch.StartNew();
        var (train, test) = o.Data == "mnist" ? Mnist.Load(o.DataDir) : FashionMnist.Load(o.DataDir);
        Console.Error.WriteLine($"loaded {o.Data}: {train.Count} train / {test.Count} test images in {sw.Elapsed.TotalSeconds:F2}s; " +
                                $"model {o.Model}, {o.Optimizer} lr {o.Lr.ToString(inv)}, batch {batchSize}, {Runtime.NumThreads} threads, BLAS {Runtime.BlasLibrary}");

        Tensor.ManualSeed(o.Seed);
        if (o.Api == "keras") return KerasTrain.Run(o, train, test, batchSize);
        if (o.LogDir != null || o.Save != null || o.Plot != null)
            throw new ArgumentException("--log-dir, --save and --plot need --api keras");
        var model = BuildModel(o.Model);
        model.To(dev);  // before the optimizer: moving replaces the parameters
        var criterion = new CrossEntropyLoss();
        Optimizer optimizer = o.Optimizer == "sgd" ? new Sgd(model.Parameters(), lr: o.Lr, momentum: 0.9) : new Adam(model.Parameters(), lr: o.Lr);
        var loader = new DataLoader(train, batchSize: batchSize, shuffle: true, seed: o.Seed);
        var progress = new ProgressLine(loader.Count);

        var epochSeconds = new List<double>();
        double trainAcc = 0, testAcc = 0, lastLoss = double.NaN;
        long steps = 0;
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            model.Train();
            var esw = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0, seen = 0;
            int step = 0;
            foreach (var (xHost, yHost) in loader)
            {
                using var scope = Tensor.Scope();
                var (x, y) = (xHost.To(dev), yHost.To(dev));
                var logits = model.Call(x);
                var loss = criterion.Call(logits, y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                lossSum += loss.Item<float>();
                correct += logits.ArgMax(1).Eq(y).Sum().Item<long>();
                seen += y.Size(0);
                step++;
                progress.Report(step, lossSum / step, (double)correct / seen);
            }
            double secs = esw.Elapsed.TotalSeconds;
            progress.Done();
            steps += step;
            epochSeconds.Add(secs);
            lastLoss = lossSum / Math.Max(step, 1);
            trainAcc = (double)correct / Math.Max(seen, 1);
            testAcc = Evaluate(model, test, dev);
            Console.WriteLine(string.Format(inv, "epoch {0}/{1}  loss {2:F4}  train_acc {3:F4}  test_acc {4:F4}  {5:F2}s",
                epoch, o.Epochs, lastLoss, trainAcc, testAcc, secs));
        }

        if (o.Json)
        {
            var summary = Summary(o, testAcc, trainAcc, lastLoss, epochSeconds, steps, dev.ToString(), batchSize);
            Console.WriteLine(JsonSerializer.Serialize(summary));
        }
        return 0;
    }

    /// <summary>The fields of the --json summary line that both training paths (loop and Keras Fit) report.</summary>
    internal static Dictionary<string, object?> Summary(Options o, double testAcc, double trainAcc, double loss,
        IReadOnlyList<double> epochSeconds, long steps, string device, int batchSize) => new()
    {
        ["test_accuracy"] = testAcc,
        ["train_accuracy"] = trainAcc,
        ["final_loss"] = loss,
        ["epochs"] = o.Epochs,
        ["epoch_seconds"] = epochSeconds,
        ["steps_per_second"] = steps / Math.Max(epochSeconds.Sum(), 1e-9),
        ["device"] = device,
        ["model"] = o.Model,
        ["data"] = o.Data,
        ["optimizer"] = o.Optimizer,
        ["lr"] = o.Lr,
        ["batch_size"] = batchSize,
        ["seed"] = o.Seed,
        ["threads"] = Runtime.NumThreads,
        ["blas"] = Runtime.BlasLibrary,
    };

    /// <summary>Test accuracy in eval mode without recording a graph.</summary>
    internal static double Evaluate(Module model, TensorDataset test, Device? device = null, int batchSize = 1000)
    {
        var dev = device ?? NativeNet.Device.Cpu;
        model.Eval();
        long correct = 0;
        using var _ = Autograd.NoGrad();
        foreach (var (x, y) in new DataLoader(test, batchSize: batchSize))
        {
            using var scope = Tensor.Scope();
            correct += model.Call(x.To(dev)).ArgMax(1).Eq(y.To(dev)).Sum().Item<long>();
        }
        return (double)correct / test.Count;
    }
}
