using NativeNet.NN;
using Xunit.Abstractions;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>ONNX export: model fields, traced models re-imported with identical outputs, imported models round-tripped, the onnx checker.</summary>
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("nativenet-export");

    public void Dispose() => dir.Delete(recursive: true);

    string PathOf(string name) => Path.Combine(dir.FullName, name);

    /// <summary>The issue-2 CNN.</summary>
    internal static Sequential Cnn() => new(
        new Conv2d(1, 32, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
        new Conv2d(32, 64, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 7 * 7, 128), new Relu(), new Linear(128, 10));

    /// <summary>Max |a-b| / max(|a|, tiny) over elements.</summary>
    internal static double MaxRelative(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        double worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - a[i]) / Math.Max(Math.Abs(e[i]), 1e-30));
        return worst;
    }

    void Check(params string[] paths)
    {
        Skip.If(OnnxChecker.Unavailable != null, OnnxChecker.Unavailable);
        Assert.Empty(OnnxChecker.Check(paths));
    }

    [SkippableFact]
    public void TracedCnnExportsAndReimportsWithIdenticalOutputsAtBatch1And7()
    {
        Tensor.ManualSeed(7);
        var model = Cnn();
        model.Eval();
        string path = PathOf("cnn.onnx");
        Onnx.Save(model, Tensor.Randn(1, 1, 28, 28), path);
        Module imported = Onnx.Load(path);
        using (Autograd.NoGrad())
            foreach (int n in new[] { 1, 7 })
            {
                var x = Tensor.Randn(n, 1, 28, 28);
                double rel = MaxRelative(model.Call(x), imported.Call(x));
                output.WriteLine($"batch {n}: max relative difference {rel:E2}");
                Assert.True(rel <= 1e-6, $"batch {n}: relative difference {rel}");
            }
        Check(path);
    }

    [Fact]
    public void TheIssueProgramRunsAsWritten()
    {
        var model = Cnn();
        model.Eval();
        string cnnPath = PathOf("cnn.onnx"), modelPath = PathOf("model.onnx");
        var graph = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28));   // a static graph of an eager model (dynamic batch kept symbolic)
        var plan = graph.Compile();                                     // optimized executable; plan.Call(x) runs it
        Onnx.Save(graph, cnnPath);                                      // export (also Onnx.Save(model, exampleInput, path))
        Onnx.Save(model, Tensor.Randn(1, 1, 28, 28), modelPath);
        Module imported = Onnx.Load(cnnPath);                           // a Module: Call, Parameters(), Train()/Eval(), gradients flow through it
        var f = Graph.Function((Tensor x) => (x * 2).Relu().Sum());     // tf.function-style
        var x = Tensor.Randn(5, 1, 28, 28);
        using (Autograd.NoGrad())
        {
            var eager = model.Call(x);
            Assert.True(MaxRelative(eager, plan.Call(x)) <= 1e-6);
            Assert.True(MaxRelative(eager, imported.Call(x)) <= 1e-6);
            Assert.True(MaxRelative(eager, Onnx.Load(modelPath).Call(x)) <= 1e-6);
        }
        Assert.Equal(((x * 2).Relu().Sum()).Item(), f.Call(x).Item(), 3);
        Assert.Equal(8, imported.Parameters().Count());
    }

    [Fact]
    public void ModelProtoFieldsFollowTheSpec()
    {
        var model = Cnn();
        model.Eval();
        var graph = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28));
        string path = PathOf("fields.onnx");
        Onnx.Save(graph, path);
        var m = P.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(8, m.IrVersion);
        Assert.Equal("NativeNet", m.ProducerName);
        Assert.Equal(17, m.OpsetImport.Single(o => o.Domain == "").Version);
        var input = m.Graph.Input.Single();
        Assert.Equal("input", input.Name);
        Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(28, input.Type.TensorType.Shape.Dim[2].DimValue);
        Assert.Equal("batch", m.Graph.Output.Single().Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(9, m.Graph.ValueInfo.Count); // every intermediate value of the 10 nodes
        Assert.All(m.Graph.Initializer, t => Assert.True(t.HasRawData && t.FloatData.Count == 0, t.Name));
        Assert.Contains(m.Graph.Initializer, t => t.Name == "7.weight" && t.Dims.SequenceEqual([128L, 3136L]));
        Assert.Empty(dir.GetFiles("*.tmp", SearchOption.AllDirectories).Concat(dir.GetFiles(".*")));
    }

    [SkippableFact]
    public void AnImportedModelRoundTripsAndKeepsItsFineTunedWeights()
    {
        string src = PathOf("mlp.onnx");
        File.WriteAllBytes(src, Google.Protobuf.MessageExtensions.ToByteArray(OnnxModels.Mlp()));
        var imported = Onnx.Load(src);
        var x = Tensor.Randn(2, 4);
        var before = imported.Call(x);
        // One SGD step on the imported model, then export: the file carries the new weights.
        var opt = new NativeNet.Optim.Sgd(imported.Parameters(), lr: 0.5);
        imported.Call(x).Square().Sum().Backward();
        opt.Step();
        Tensor after;
        using (Autograd.NoGrad()) after = imported.Call(x);
        Assert.True(MaxRelative(before, after) > 1e-4);
        string round = PathOf("mlp_round.onnx");
        Onnx.Save(imported, round);
        using (Autograd.NoGrad()) Assert.True(MaxRelative(after, Onnx.Load(round).Call(x)) <= 1e-7);
        Check(src, round);
    }

    [Fact]
    public void SavingOverwritesAtomicallyAndRejectsWhatOnnxCannotHold()
    {
        string path = PathOf("f.onnx");
        var g1 = Graph.Trace((Tensor x) => x.Exp(), Tensor.Randn(2, 3));
        var g2 = Graph.Trace((Tensor x) => x.Neg(), Tensor.Randn(2, 3));
        Onnx.Save(g1, path);
        Onnx.Save(g2, path);
        Assert.Equal("Neg", Onnx.LoadGraph(path).Nodes.Single().OpType);
        Assert.Single(dir.GetFiles());
        var bad = new Graph("bad");
        bad.Inputs.Add(new GraphValue("x", DType.Float32, [GraphDim.Of(1)]));
        bad.Outputs.Add(new GraphValue("y", DType.Float32));
        bad.AddNode("Identity", ["x"], ["y"], new AttributeBag().Set("weird", new Graph[] { }));
        bad.Nodes[0].Attributes.Set("odd", (string[])["a"]);
        Onnx.Save(bad, PathOf("ok.onnx")); // lists of graphs and strings are valid attribute types
    }

    [SkippableTheory]
    [InlineData("simple")]
    [InlineData("pytorch-converted")]
    [InlineData("pytorch-operator")]
    [InlineData("node")]
    public void ConformanceSuitesPassAfterAnExportRoundTripAndTheCheckerAcceptsTheExports(string suite)
    {
        string root = Path.Combine(OnnxConformanceTests.Root, suite);
        Skip.IfNot(Directory.Exists(root), $"{root} not found: libonnx-testdata is not installed");
        var cases = OnnxConformance.FindCases([root]);
        var baseline = OnnxConformance.RunCases(cases);
        var exported = new Dictionary<string, string>();
        var round = OnnxConformance.RunCases(cases, 0, OnnxConformance.DefaultRtol, OnnxConformance.DefaultAtol, (g, file) =>
        {
            var bytes = Onnx.ToBytes(g);
            string name = Path.GetFileName(Path.GetDirectoryName(file)!);
            string copy = PathOf(suite + "_" + name + ".onnx");
            File.WriteAllBytes(copy, bytes);
            lock (exported) exported[file] = copy;
            return Onnx.LoadGraph(bytes, file);
        });
        var lost = baseline.Zip(round).Where(p => p.First.Status == OnnxCaseStatus.Pass && p.Second.Status != OnnxCaseStatus.Pass)
            .Select(p => p.Second.ToString()).ToList();
        Assert.Empty(lost);
        output.WriteLine($"{suite}: {baseline.Count(r => r.Status == OnnxCaseStatus.Pass)} cases pass before and after the round trip");
        Skip.If(OnnxChecker.Unavailable != null, OnnxChecker.Unavailable);
        // The checker must accept every export whose original it accepts.
        var originalsBad = OnnxChecker.Check(exported.Keys).Select(l => l.Split(": ")[0]).ToHashSet();
        var copiesBad = OnnxChecker.Check(exported.Where(kv => !originalsBad.Contains(kv.Key)).Select(kv => kv.Value));
        output.WriteLine($"{exported.Count} exported, {originalsBad.Count} originals rejected by the checker");
        foreach (var line in copiesBad) output.WriteLine(line);
        Assert.Empty(copiesBad);
    }
}
