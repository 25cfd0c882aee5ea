using NativeNet.NN;
using Xunit.Abstractions;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>
/// PyTorch-exported models (tests/fixtures/onnx, made by tools/reference/onnx_models.py): imported outputs match
/// PyTorch's at batch 1 and 3, the models export again with the same outputs and pass the onnx checker, and an
/// imported model can be fine-tuned.
/// </summary>
public sealed class OnnxInteropFixtureTests(ITestOutputHelper output) : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("nativenet-interop");

    public void Dispose() => dir.Delete(recursive: true);

    static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "fixtures", "onnx");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/onnx not found above {AppContext.BaseDirectory}");
    });

    static string Case(string name, string file) => Path.Combine(Root.Value, name, file);

    /// <summary>|a - e| ≤ atol + rtol·|e| everywhere (numpy.allclose).</summary>
    static void AssertAllClose(Tensor expected, Tensor actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]), $"{what}, element {i}: expected {e[i]}, got {a[i]}");
    }

    [SkippableTheory]
    [InlineData("mlp")]
    [InlineData("cnn_bn")]
    [InlineData("residual")]
    public void ImportedModelsMatchPyTorchAndSurviveAnExportRoundTrip(string name)
    {
        Module imported = Onnx.Load(Case(name, "model.onnx"));
        string again = Path.Combine(dir.FullName, name + ".onnx");
        Onnx.Save((GraphModule)imported, again);
        Module reimported = Onnx.Load(again);
        using (Autograd.NoGrad())
            foreach (int n in new[] { 1, 3 })
            {
                var x = Npy.Load(Case(name, $"input_b{n}.npy"));
                var expected = Npy.Load(Case(name, $"output_b{n}.npy"));
                var y = imported.Call(x);
                AssertAllClose(expected, y, 1e-4, 1e-5, $"{name} batch {n}");
                AssertAllClose(y, reimported.Call(x), 1e-6, 0, $"{name} batch {n} after export");
            }
        Skip.If(OnnxChecker.Unavailable != null, OnnxChecker.Unavailable);
        Assert.Empty(OnnxChecker.Check([again]));
    }

    [Fact]
    public void BatchNormalizationIsImportedAsOneFusedStepWithItsRelu()
    {
        var graph = Onnx.LoadGraph(Case("cnn_bn", "model.onnx"));
        Assert.Contains(graph.Nodes, n => n.OpType == "BatchNormalization");
        var plan = graph.Compile();
        Assert.True(plan.FusionCount.Steps >= 2, $"fusion: {plan.FusionCount}");
        var x = Npy.Load(Case("cnn_bn", "input_b3.npy"));
        using (Autograd.NoGrad())
            AssertAllClose(Npy.Load(Case("cnn_bn", "output_b3.npy")), plan.Call(x), 1e-4, 1e-5, "fused plan");
    }

    [Fact]
    public void AnImportedModelCanBeFineTuned()
    {
        Tensor.ManualSeed(21);
        var model = Onnx.Load(Case("cnn_bn", "model.onnx"));
        Assert.NotEmpty(model.Parameters());
        var opt = new NativeNet.Optim.Adam(model.Parameters(), lr: 1e-2);
        var x = Tensor.Randn(8, 1, 8, 8);
        var target = Tensor.Randn(8, 3);
        var losses = new List<double>();
        for (int step = 0; step < 25; step++)
        {
            using var scope = Tensor.Scope();
            var loss = (model.Call(x) - target).Square().Mean();
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            losses.Add(loss.Item());
        }
        output.WriteLine(string.Join(", ", losses.Select(l => l.ToString("F4"))));
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss went from {losses[0]} to {losses[^1]}");
        // Adam at lr 1e-2 may tick up briefly (rounding-dependent); the loss must fall over most steps.
        Assert.True(losses.Zip(losses.Skip(1)).Count(p => p.Second < p.First) >= 20, "the loss decreases over most steps");
    }

    [Fact]
    public void GradientsOfAnImportedModelMatchFiniteDifferences()
    {
        // The same graph in float64 (initializers and declared types), so finite differences are accurate.
        var graph = Onnx.LoadGraph(Case("residual", "model.onnx"));
        foreach (var k in graph.Initializers.Keys.ToList()) graph.Initializers[k] = graph.Initializers[k].To(DType.Float64);
        foreach (var v in graph.Inputs.Concat(graph.Outputs).Concat(graph.ValueInfo.Values)) v.DType = DType.Float64;
        var model = new GraphModule(graph);
        var x = Npy.Load(Case("residual", "input_b1.npy")).To(DType.Float64).RequiresGrad_();
        model.Call(x).Square().Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        var data = x.Detach().ToArray<double>();
        double Loss(double[] v)
        {
            using var _ = Autograd.NoGrad();
            return model.Call(Tensor.FromArray(v, x.Shape.ToArray())).Square().Sum().Item();
        }
        foreach (int i in new[] { 0, 17, 40, 101, 143 })
        {
            var plus = (double[])data.Clone();
            var minus = (double[])data.Clone();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            double fd = (Loss(plus) - Loss(minus)) / 2e-6;
            Assert.True(Math.Abs(fd - g[i]) <= 1e-5 + 1e-5 * Math.Abs(fd), $"element {i}: finite difference {fd}, backward {g[i]}");
        }
    }
}
