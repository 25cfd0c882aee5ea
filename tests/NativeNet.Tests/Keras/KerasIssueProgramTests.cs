using NativeNet; using NativeNet.NN; using NativeNet.Optim; using NativeNet.Data;
using Xunit.Abstractions;

namespace NativeNet.Tests.KerasApi;

/// <summary>Issue 4's programs, unchanged, on the full Fashion-MNIST: each reaches at least 86% test accuracy in 5 epochs.</summary>
[Collection("Console")]
public class KerasIssueProgramTests(ITestOutputHelper log)
{
    static string Capture(Action run)
    {
        var old = Console.Out;
        var w = new StringWriter();
        Console.SetOut(w);
        try { run(); }
        finally { Console.SetOut(old); }
        return w.ToString();
    }

    [Fact]
    public void SequentialProgram_ReachesAtLeast86Percent()
    {
        Tensor.ManualSeed(0);
        double acc = 0;
        History? hist = null;
        var text = Capture(() =>
        {
            // ---- the issue's program, verbatim ----
            var (train, test) = FashionMnist.Load();              // X: [N,1,28,28] float32 in [0,1], Y: [N] int64
            var model = new Sequential(
                new Flatten(),
                new Dense(128, activation: "relu"),
                new Dropout(0.2),
                new Dense(10));
            model.Compile(optimizer: new Adam(lr: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
            model.Summary();
            var history = model.Fit(train.X, train.Y, epochs: 5, batchSize: 128, validationData: (test.X, test.Y));
            var (testLoss, testAcc) = model.Evaluate(test.X, test.Y);
            Console.WriteLine($"Test accuracy: {testAcc * 100:F2}%");
            // ---- end ----
            acc = testAcc;
            hist = history;
        });
        log.WriteLine(text);
        Assert.True(acc >= 0.86, $"test accuracy {acc:F4} < 0.86\n{text}");
        Assert.Contains("Model: \"sequential\"", text);
        Assert.Contains("Epoch 5/5", text);
        Assert.Contains("Test accuracy: ", text);
        Assert.Equal(5, hist!["loss"].Count);
        Assert.Equal(5, hist["val_accuracy"].Count);
        Assert.True(hist["loss"][4] < hist["loss"][0]);
        // Evaluate on the validation data reproduces the last epoch's val_accuracy (same weights, eval mode).
        Assert.Equal(hist["val_accuracy"][4], acc, 6);
    }

    /// <summary>The bar: the program's model (Flatten, Dense(128, relu), Dropout(0.2), Dense(10)) in the functional API.</summary>
    [Fact]
    public void FunctionalModel_ReachesAtLeast86Percent()
    {
        Tensor.ManualSeed(0);
        var (train, test) = FashionMnist.Load();
        var input = Keras.Input(shape: [1, 28, 28]);
        var h = new Dense(128, activation: "relu").Call(new Flatten().Call(input));
        var output = new Dense(10).Call(new Dropout(0.2).Call(h));
        var model = new Model(input, output);
        model.Compile(optimizer: new Adam(lr: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var text = Capture(() => model.Fit(train.X, train.Y, epochs: 5, batchSize: 128, verbose: 2));
        var (_, acc) = model.Evaluate(test.X, test.Y, verbose: 0);
        log.WriteLine(text + $"functional test accuracy {acc:F4}");
        Assert.True(acc >= 0.86, $"functional test accuracy {acc:F4} < 0.86");
    }

    /// <summary>The bar: the same model subclassed (layers registered in the constructor, Forward overridden).</summary>
    [Fact]
    public void SubclassedModel_ReachesAtLeast86Percent()
    {
        Tensor.ManualSeed(0);
        var (train, test) = FashionMnist.Load();
        var model = new Mlp();
        model.Compile(optimizer: new Adam(lr: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(train.X, train.Y, epochs: 5, batchSize: 128, verbose: 0);
        var (_, acc) = model.Evaluate(test.X, test.Y, verbose: 0);
        log.WriteLine($"subclassed: loss {string.Join(", ", history["loss"].Select(v => v.ToString("F4")))}; test accuracy {acc:F4}");
        Assert.True(acc >= 0.86, $"subclassed test accuracy {acc:F4} < 0.86");
    }

    sealed class Mlp : Model
    {
        readonly Module fc1, drop, fc2;
        public Mlp()
        {
            fc1 = RegisterModule("fc1", new Dense(128, activation: "relu"));
            drop = RegisterModule("drop", new Dropout(0.2));
            fc2 = RegisterModule("fc2", new Dense(10));
        }
        public override Tensor Forward(Tensor x) => fc2.Call(drop.Call(fc1.Call(x.Flatten(1))));
    }

    /// <summary>The issue's functional and subclassing snippets (Dense(64)), verbatim, trained briefly through Fit.</summary>
    [Fact]
    public void FunctionalAndSubclassSnippets_TrainThroughFit()
    {
        Tensor.ManualSeed(0);
        var (full, test) = FashionMnist.Load();
        var train = new TensorDataset(full.X.Narrow(0, 0, 20000), full.Y.Narrow(0, 0, 20000));
        // ---- the issue's functional lines, verbatim ----
        var input = Keras.Input(shape: [1, 28, 28]);                       // functional
        var h = new Dense(64, activation: "relu").Call(new Flatten().Call(input));
        var functional = new Model(input, new Dense(10).Call(h));
        // ---- end ----
        Assert.Equal(784 * 64 + 64 + 64 * 10 + 10, functional.ParameterCount);
        foreach (var model in new Model[] { functional, new Classifier() })
        {
            model.Compile(optimizer: new Adam(lr: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
            model.Fit(train.X, train.Y, epochs: 2, batchSize: 128, verbose: 0);
            var (_, acc) = model.Evaluate(test.X, test.Y, verbose: 0);
            log.WriteLine($"{model.GetType().Name}: test accuracy {acc:F4} after 2 epochs on 20000 images");
            Assert.True(acc >= 0.80, $"{model.GetType().Name} test accuracy {acc:F4}");
        }
    }

    /// <summary>The issue's callback program (validationSplit, the four callbacks, history keys, Predict) on a subset.</summary>
    [Fact]
    public void CallbackProgram_RunsUnchanged()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-keras-");
        var oldDir = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = dir.FullName;
            Tensor.ManualSeed(1);
            var (full, fullTest) = FashionMnist.Load();
            var train = new TensorDataset(full.X.Narrow(0, 0, 6000), full.Y.Narrow(0, 0, 6000));
            var test = new TensorDataset(fullTest.X.Narrow(0, 0, 2000), fullTest.Y.Narrow(0, 0, 2000));
            var model = new Sequential(new Flatten(), new Dense(64, activation: "relu"), new Dense(10));
            model.Compile(optimizer: new Adam(lr: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
            var oldOut = Console.Out;
            Console.SetOut(new StringWriter());
            try
            {
            // ---- the issue's lines, verbatim ----
            var h2 = model.Fit(train.X, train.Y, epochs: 10, batchSize: 256, validationSplit: 0.1,
                               callbacks: [new EarlyStopping(monitor: "val_loss", patience: 2), new TensorBoard(logDir: "runs/a"),
                                           new ModelCheckpoint("best.ckpt", saveBestOnly: true), new CsvLogger("log.csv")]);
            IReadOnlyList<double> losses = h2["loss"], valAcc = h2["val_accuracy"];   // per epoch
            Tensor probs = model.Predict(test.X, batchSize: 512);
            // ---- end ----
            Assert.Equal(h2.Epoch.Count, losses.Count);
            Assert.Equal(h2.Epoch.Count, valAcc.Count);
            Assert.True(valAcc[^1] > 0.7, $"val accuracy {valAcc[^1]}");
            Assert.Equal(new[] { 2000, 10 }, probs.Shape.ToArray());
            Assert.True(File.Exists("best.ckpt"));
            Assert.True(Directory.GetFiles("runs/a/train", "events.out.tfevents.*").Length == 1);
            Assert.True(Directory.GetFiles("runs/a/validation", "events.out.tfevents.*").Length == 1);
            var csv = File.ReadAllLines("log.csv");
            Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", csv[0]);
            Assert.Equal(h2.Epoch.Count + 1, csv.Length);
            // The checkpoint holds the epoch with the lowest val_loss; reloading it reproduces that val_loss.
            var best = Model.Load("best.ckpt");
            best.Compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
            int split = (int)Math.Floor(6000 * 0.9);
            var (bestLoss, _) = best.Evaluate(train.X.Narrow(0, split, 6000 - split), train.Y.Narrow(0, split, 6000 - split), verbose: 0);
            Assert.Equal(h2["val_loss"].Min(), bestLoss, 4);
            }
            finally
            {
                Console.SetOut(oldOut);
            }
        }
        finally
        {
            Environment.CurrentDirectory = oldDir;
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>The issue's subclassed model, verbatim.</summary>
class Classifier : Model                                            // subclassing
{
    readonly Module fc1, fc2;
    public Classifier() { fc1 = RegisterModule("fc1", new Dense(64, activation: "relu")); fc2 = RegisterModule("fc2", new Dense(10)); }
    public override Tensor Forward(Tensor x) => fc2.Call(fc1.Call(x.Flatten(1)));
}
