using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Tests.KerasApi;

/// <summary>Dense/Linear, the functional API, Summary, checkpoints and the training-curve plot.</summary>
public class KerasModelTests
{
    [Fact]
    public void Dense_IsLinear_WithKerasArguments()
    {
        Tensor.ManualSeed(1);
        var d = new Dense(units: 4, activation: "relu", useBias: false, inputDim: 3);
        Assert.IsAssignableFrom<Linear>(d);
        Assert.Equal(["weight"], d.StateDict().Keys);
        Assert.Equal(new[] { 4, 3 }, d.Weight.Shape.ToArray());
        var x = Tensor.Randn(5, 3);
        Assert.Equal(F.Linear(x, d.Weight).Relu().ToArray<float>(), d.Call(x).ToArray<float>());

        var lazy = new Dense(6);
        Assert.False(lazy.IsBuilt);
        lazy.Call(Tensor.Randn(2, 9));
        Assert.Equal(9, lazy.InFeatures);
        Assert.Equal(["weight", "bias"], lazy.StateDict().Keys);
        Assert.Contains("unknown activation 'relux'", Assert.Throws<ArgumentException>(() => new Dense(3, activation: "relux")).Message);
    }

    [Fact]
    public void Sequential_IsAModelAndAPlainModule()
    {
        var s = new Sequential(new Linear(3, 2));
        Assert.IsAssignableFrom<Model>(s);
        Assert.IsAssignableFrom<Module>(s);
        var opt = new Sgd(s.Parameters(), lr: 0.1);
        var loss = new MseLoss().Call(s.Call(Tensor.Ones(4, 3)), Tensor.Zeros(4, 2));
        loss.Backward();
        opt.Step();
    }

    [Fact]
    public void Functional_MultiInputOutput_WithSharedLayer()
    {
        Tensor.ManualSeed(2);
        var a = Keras.Input(shape: [4], name: "a");
        var b = Keras.Input(shape: [4], name: "b");
        var shared = new Dense(3, activation: "tanh");
        var ha = shared.Call(a);
        var hb = shared.Call(b);                                       // same weights on both inputs
        var joined = new Lambda(t => t).Call(ha);
        var outSum = new Dense(1).Call(joined);
        var outB = new Dense(2).Call(hb);
        var model = new Model([a, b], [outSum, outB], name: "two_heads");
        Assert.Equal(4, model.Children().Count());                     // the shared layer is registered once
        Assert.Equal(4 * 3 + 3 + 3 + 1 + 3 * 2 + 2, model.ParameterCount);
        Assert.Equal(new[] { -1, 3 }, ((KerasTensor)ha).SymbolicShape);

        var xa = Tensor.Randn(5, 4);
        var xb = Tensor.Randn(5, 4);
        var outs = model.CallAll(xa, xb);
        var w = (Dense)model.Children().First();
        using (Autograd.NoGrad())
        {
            var expectB = F.Linear(w.Call(xb), ((Dense)model.Children().ElementAt(3)).Weight, ((Dense)model.Children().ElementAt(3)).Bias);
            Assert.Equal(expectB.ToArray<float>(), outs[1].ToArray<float>());
        }
        Assert.Throws<InvalidOperationException>(() => model.Call(xa, xb));   // two outputs: CallAll

        model.Compile(new Adam(lr: 0.01), "mse", ["mae"]);
        var ya = xa.Sum(1, keepDim: true);
        var yb = Tensor.Randn(5, 2);
        var h = model.Fit([xa, xb], [ya, yb], epochs: 3, batchSize: 2, verbose: 0);
        Assert.Equal(["loss", "dense_1_loss", "dense_2_loss", "dense_1_mae", "dense_2_mae"], h.Keys);
        Assert.Equal(h["loss"][2], h["dense_1_loss"][2] + h["dense_2_loss"][2], 5);
        var preds = model.Predict([xa, xb]);
        Assert.Equal(new[] { 5, 1 }, preds[0].Shape.ToArray());

        Assert.Throws<ShapeMismatchException>(() => model.CallAll(Tensor.Randn(5, 3), xb));
        var other = Keras.Input(shape: [4]);
        Assert.Contains("not among the model's inputs", Assert.Throws<ArgumentException>(() => new Model(a, new Dense(1).Call(other))).Message);
        Assert.Contains("Lambda", Assert.Throws<ArgumentException>(() => new Model(a, Tensor.Zeros(1, 1))).Message);
    }

    [Fact]
    public void Summary_ShowsShapesParamsAndTotals()
    {
        var input = Keras.Input(shape: [1, 28, 28], name: "pixels");
        var h = new Dense(64, activation: "relu").Call(new Flatten().Call(input));
        var model = new Model(input, new Dense(10).Call(h));
        var text = model.SummaryText();
        Assert.Contains("Model: \"model\"", text);
        Assert.Matches(@"pixels \(InputLayer\)\s+\(None, 1, 28, 28\)\s+0", text);
        Assert.Matches(@"flatten \(Flatten\)\s+\(None, 784\)\s+0", text);
        Assert.Matches(@"dense \(Dense\)\s+\(None, 64\)\s+50,240", text);
        Assert.Matches(@"dense_1 \(Dense\)\s+\(None, 10\)\s+650", text);
        Assert.Contains("Total params: 50,890 (198.79 KB)", text);
        Assert.Contains("Non-trainable params: 0 (0.00 B)", text);

        var seq = new Sequential(new InputLayer([1, 28, 28]), new Flatten(), new Dense(32), new BatchNorm1d(32), new Dense(10));
        var st = seq.SummaryText();
        Assert.Matches(@"batch_norm1d \(BatchNorm1d\)\s+\(None, 32\)\s+128", st);   // 64 trainable + 64 running stats
        Assert.Contains("Trainable params: 25,514", st);
        Assert.Contains("Non-trainable params: 64", st);

        var lazy = new Sequential(new Flatten(), new Dense(8));
        var lt = lazy.SummaryText();
        Assert.Matches(@"dense \(Dense\)\s+\?\s+0 \(unbuilt\)", lt);
        lazy.Build(2, 3);
        Assert.Matches(@"dense \(Dense\)\s+\(None, 8\)\s+56", lazy.SummaryText());
    }

    static void AssertSameOutputs(Model a, Model b, Tensor x)
    {
        a.Eval();
        b.Eval();
        using var _ = Autograd.NoGrad();
        Assert.Equal(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
    }

    [Fact]
    public void SaveLoad_RoundTripsSequentialFunctionalAndSubclassed()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-save-");
        try
        {
            Tensor.ManualSeed(3);
            var x = Tensor.Rand(4, 1, 6, 6);
            var seq = new Sequential(new Conv2d(1, 2, kernelSize: 3, padding: 1), new BatchNorm2d(2), new Relu(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.3), new Dense(5, activation: "gelu"), new Dense(3, activation: "softmax"));
            seq.Train();
            seq.Call(x);                                                 // moves the running statistics
            var p1 = Path.Combine(dir.FullName, "seq.safetensors");
            seq.Save(p1);
            var seq2 = Model.Load(p1);
            Assert.IsType<Sequential>(seq2);
            AssertSameOutputs(seq, seq2, x);

            // The file is safetensors: u64 header length, JSON header with dtype/shape/offsets, raw little-endian data.
            var bytes = File.ReadAllBytes(p1);
            long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0, n % 8);
            var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n)).RootElement;
            var w = header.GetProperty("6.weight");
            Assert.Equal("F32", w.GetProperty("dtype").GetString());
            Assert.Equal([5, 18], w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            var offs = w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var raw = new float[(offs[1] - offs[0]) / 4];
            Buffer.BlockCopy(bytes, 8 + (int)n + (int)offs[0], raw, 0, raw.Length * 4);
            Assert.Equal(((Dense)seq[6]).Weight.ToArray<float>(), raw);
            Assert.Contains("Sequential", header.GetProperty("__metadata__").GetProperty("architecture").GetString());

            var input = Keras.Input(shape: [3]);
            var shared = new Dense(4, activation: "relu");
            var out1 = new Dense(2).Call(shared.Call(shared.Call(new Dense(4).Call(input))));
            var fn = new Model(input, out1, name: "fn");
            var p2 = Path.Combine(dir.FullName, "fn.safetensors");
            fn.Save(p2);
            var fn2 = Model.Load(p2);
            Assert.True(fn2.IsFunctional);
            Assert.Equal("fn", fn2.Name);
            AssertSameOutputs(fn, fn2, Tensor.Randn(5, 3));

            var sub = new Classifier();
            sub.Build(1, 28, 28);
            var p3 = Path.Combine(dir.FullName, "sub.safetensors");
            sub.Save(p3);
            Assert.Contains("LoadWeights", Assert.Throws<InvalidDataException>(() => Model.Load(p3)).Message);
            var sub2 = new Classifier();
            sub2.LoadWeights(p3);                                         // lazy Dense layers are created from the saved shapes
            AssertSameOutputs(sub, sub2, Tensor.Rand(2, 1, 28, 28));

            Assert.Throws<StateDictMismatchException>(() => new Sequential(new Dense(3, inputDim: 2)).LoadWeights(p1));
            Assert.Throws<FileNotFoundException>(() => Model.Load(Path.Combine(dir.FullName, "missing.safetensors")));
            File.WriteAllBytes(Path.Combine(dir.FullName, "bad.safetensors"), [1, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);
            Assert.Throws<InvalidDataException>(() => Model.Load(Path.Combine(dir.FullName, "bad.safetensors")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AtomicWrite_KeepsTheOldFileWhenWritingFails()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-atomic-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.safetensors");
            var model = new Sequential(new Dense(2, inputDim: 2));
            model.Save(path);
            var before = File.ReadAllBytes(path);
            Assert.Throws<IOException>(() => SafeTensors.AtomicWrite(path, s =>
            {
                s.Write(new byte[100]);
                throw new IOException("disk full (simulated)");
            }));
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir.FullName));             // the temporary file was removed
            using (Autograd.NoGrad()) model.Parameters().First().FillInPlace(7);
            model.Save(path);                                            // replaces the file
            Assert.NotEqual(before, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public void HistoryPlot_WritesSvgAndPng()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-plot-");
        try
        {
            Tensor.ManualSeed(6);
            var x = Tensor.Randn(60, 4);
            var y = x.Select(1, 0).Gt(0).To(DType.Int64);
            var model = new Sequential(new Dense(8, activation: "relu"), new Dense(2));
            model.Compile(new Adam(lr: 0.01), "sparse_categorical_crossentropy", ["accuracy"]);
            var h = model.Fit(x, y, epochs: 6, batchSize: 10, validationSplit: 0.2, verbose: 0);
            var svgPath = Path.Combine(dir.FullName, "h.svg");
            h.Plot(svgPath, title: "test run");
            var svg = File.ReadAllText(svgPath);
            foreach (var s in new[] { ">loss<", ">val_loss<", ">accuracy<", ">val_accuracy<", ">epoch<", ">Loss<", ">Accuracy<", ">test run<" })
                Assert.Contains(s, svg);
            Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(svg, "<path ").Count);
            System.Xml.Linq.XDocument.Parse(svg);                          // well-formed XML

            Skip.If(!File.Exists("/usr/bin/rsvg-convert"), "rsvg-convert (librsvg2-bin) is not installed");
            var pngPath = Path.Combine(dir.FullName, "h.png");
            h.Plot(pngPath);
            var png = File.ReadAllBytes(pngPath);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Equal(1080, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));   // IHDR width: two 540-px panels
            Assert.Throws<ArgumentException>(() => h.Plot(Path.Combine(dir.FullName, "h.jpg")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
