using System.Globalization;
using System.Text.Json;
using NativeNet.Data;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Cli;

/// <summary><c>nativenet train --api keras</c>: the same model and data as the loop, trained with Compile/Fit.</summary>
internal static class KerasTrain
{
    internal static int Run(TrainCommand.Options o, TensorDataset train, TensorDataset test, int batchSize)
    {
        var inv = CultureInfo.InvariantCulture;
        var model = TrainCommand.BuildModel(o.Model);
        model.ProgressWriter = Console.Error;                 // stdout stays machine-readable
        Optimizer optimizer = o.Optimizer == "sgd" ? new Sgd(lr: o.Lr, momentum: 0.9) : new Adam(lr: o.Lr);
        model.Compile(optimizer, "sparse_categorical_crossentropy", ["accuracy"]);
        var callbacks = new List<Callback>();
        if (o.LogDir != null) callbacks.Add(new TensorBoard(logDir: o.LogDir));
        if (o.Save != null && Path.GetDirectoryName(Path.GetFullPath(o.Save)) is { } dir) Directory.CreateDirectory(dir);
        var history = model.Fit(train.X, train.Y, epochs: o.Epochs, batchSize: batchSize, validationData: (test.X, test.Y),
            callbacks: callbacks, verbose: 1);
        for (int e = 0; e < history.Epoch.Count; e++)
            Console.WriteLine(string.Format(inv, "epoch {0}/{1}  loss {2:F4}  train_acc {3:F4}  test_acc {4:F4}  {5:F2}s",
                e + 1, o.Epochs, history["loss"][e], history["accuracy"][e], history["val_accuracy"][e], history.TrainSeconds[e]));
        if (o.Save != null)
        {
            model.Save(o.Save);
            Console.Error.WriteLine($"saved {o.Save}");
        }
        if (o.Plot != null)
        {
            history.Plot(o.Plot, title: $"{o.Model} on {o.Data}");
            Console.Error.WriteLine($"wrote {o.Plot}");
        }
        if (o.Json)
        {
            int steps = (train.Count + batchSize - 1) / batchSize * history.Epoch.Count;
            var summary = TrainCommand.Summary(o, history["val_accuracy"][^1], history["accuracy"][^1], history["loss"][^1],
                history.TrainSeconds, steps, o.Device, batchSize);
            summary["api"] = "keras";
            summary["log_dir"] = o.LogDir;
            summary["saved"] = o.Save;
            summary["plot"] = o.Plot;
            Console.WriteLine(JsonSerializer.Serialize(summary));
        }
        return 0;
    }
}
