using NativeNet.NN;

namespace NativeNet.Tests.GraphTests;

/// <summary>Graph.Trace: what is recorded (ONNX ops, attributes, initializers, symbolic batch) and that replaying it reproduces eager results.</summary>
public class TracingTests
{
    /// <summary>The issue-2 CNN.</summary>
    internal static Sequential Cnn() => new(
        new Conv2d(1, 32, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
        new Conv2d(32, 64, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 7 * 7, 128), new Relu(), new Linear(128, 10));

    internal static void AssertClose(Tensor expected, Tensor actual, double rtol = 1e-6, double atol = 1e-6)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void CnnTracesToOnnxOpsWithModuleParameterNamesAndSymbolicBatch()
    {
        Tensor.ManualSeed(1);
        var model = Cnn();
        model.Eval();
        var g = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28));
        Assert.Equal(["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"], g.Nodes.Select(n => n.OpType).ToArray());
        Assert.Equal(["0.bias", "0.weight", "3.bias", "3.weight", "7.bias", "7.weight", "9.bias", "9.weight"], g.Initializers.Keys.OrderBy(k => k).ToArray());
        Assert.Same(model.Parameters().First(), g.Initializers["0.weight"]);
        Assert.Equal("input: float32[batch, 1, 28, 28]", g.Inputs.Single().ToString());
        Assert.Equal("output: float32[batch, 10]", g.Outputs.Single().ToString());
        Assert.Equal("[batch, 64, 7, 7]", "[" + string.Join(", ", g.ValueInfo[g.Nodes[5].Outputs[0]].Shape!.Select(d => d.ToString())) + "]");
        var conv = g.Nodes[0].Attributes;
        Assert.Equal([3L, 3L], conv.GetInts("kernel_shape")!);
        Assert.Equal([1L, 1L, 1L, 1L], conv.GetInts("pads")!);
        Assert.Equal(1L, g.Nodes[6].Attributes.GetInt("axis"));
        Assert.Equal(1L, g.Nodes[7].Attributes.GetInt("transB"));
    }

    [Fact]
    public void TracedCnnRunsAtOtherBatchSizesLikeEager()
    {
        Tensor.ManualSeed(2);
        var model = Cnn();
        model.Eval();
        var plan = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28)).Compile();
        using var _ = Autograd.NoGrad();
        foreach (int n in new[] { 1, 7 })
        {
            var x = Tensor.Randn(n, 1, 28, 28);
            AssertClose(model.Call(x), plan.Call(x));
        }
    }

    [Fact]
    public void ReshapeKeepsMinusOneAndCopiesTheBatch()
    {
        var g = Graph.Trace((Tensor x) => x.Reshape(-1, 2).Relu().Reshape(-1, 4) + x.Reshape(x.Size(0), 2, 2).Reshape(x.Size(0), -1), Tensor.Randn(3, 4));
        var shapes = g.Nodes.Where(n => n.OpType == "Reshape").Select(n => g.Initializers[n.Inputs[1]].ToArray<long>()).ToList();
        Assert.Contains(shapes, s => s.SequenceEqual([-1L, 2L]));
        Assert.Contains(shapes, s => s.SequenceEqual([-1L, 4L]));
        Assert.Contains(shapes, s => s.SequenceEqual([0L, -1L]));
        var plan = g.Compile();
        var x5 = Tensor.Randn(5, 4);
        AssertClose(x5.Relu() + x5, plan.Call(x5));
    }

    [Fact]
    public void ScalarsBecomeConstantsOfTheOperandDtype()
    {
        var g = Graph.Trace((Tensor x) => (x * 2 + 1).Clamp(0, 5) / 3, Tensor.Randn([2, 3], dtype: DType.Float64));
        Assert.Equal(["Mul", "Add", "Clip", "Div"], g.Nodes.Select(n => n.OpType).ToArray());
        Assert.All(g.Initializers.Values, t => Assert.Equal(DType.Float64, t.DType));
        var x = Tensor.Randn([4, 3], dtype: DType.Float64);
        AssertClose(((x * 2 + 1).Clamp(0, 5) / 3), g.Compile().Call(x), 1e-12, 1e-12);
    }

    [Fact]
    public void CapturedTensorsAreConstantsAndParametersStayLive()
    {
        var shift = Tensor.FromArray(new[] { 1f, 2f, 3f });
        var lin = new Linear(3, 2);
        var g = Graph.Trace((Tensor x) => lin.Call(x + shift), Tensor.Randn(4, 3));
        var plan = g.Compile();
        var x = Tensor.Randn(2, 3);
        shift.MulInPlace(0); // the trace copied it
        using (Autograd.NoGrad()) lin.Weight.MulInPlace(2); // parameters are read live
        var expected = lin.Call(x + Tensor.FromArray(new[] { 1f, 2f, 3f }));
        AssertClose(expected, plan.Call(x), 1e-5, 1e-6);
    }

    [Fact]
    public void BatchNormInEvalIsOneNodeAndDropoutInTrainingIsOnnxDropout()
    {
        var bn = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3));
        bn.Eval();
        var g = Graph.Trace(bn, Tensor.Randn(2, 2, 4, 4));
        Assert.Equal(["Conv", "BatchNormalization"], g.Nodes.Select(n => n.OpType).ToArray());
        Assert.Contains("1.running_mean", g.Initializers.Keys);
        var drop = new Dropout(0.5);
        var gd = Graph.Trace(drop, Tensor.Randn(3, 4));
        Assert.Equal("Dropout", gd.Nodes.Single().OpType);
    }

    [Fact]
    public void UntraceableOpsAndInPlaceChangesAreReported()
    {
        Assert.Throws<GraphTraceException>(() => Graph.Trace((Tensor x) => { var y = x.Relu(); y.MulInPlace(2); return y; }, Tensor.Randn(2, 2)));
        var e = Assert.Throws<GraphTraceException>(() => Graph.Trace((Tensor x) => Tensor.AdaptiveAvgPool2d(x, [3, 3]), Tensor.Randn(1, 1, 5, 5)));
        Assert.Contains("AdaptiveAvgPool2d", e.Message);
    }

    [Fact]
    public void AGraphFixedToTheExampleBatchIsReportedAtTraceTime()
    {
        // Expanding to the example's batch size bakes it in; the probe at another batch size catches it.
        var e = Assert.Throws<GraphTraceException>(() => Graph.Trace((Tensor x) => x + Tensor.Ones(3, 4) * x.Sum(), Tensor.Randn(3, 4)));
        Assert.Contains("dynamicBatch: false", e.Message);
        var g = Graph.Trace((Tensor x) => x + Tensor.Ones(3, 4) * x.Sum(), Tensor.Randn(3, 4), dynamicBatch: false);
        Assert.Equal("x: float32[3, 4]", g.Inputs.Single().ToString()); // inputs are named after the lambda's parameters
    }

    [Fact]
    public void CompositesAndLossesTraceIntoPrimitivesThatReplayAtAnotherBatch()
    {
        Tensor.ManualSeed(10);
        var ln = new LayerNorm(6);
        var lin = new Linear(6, 4);
        Tensor[] F(Tensor[] io)
        {
            var h = ln.Call(io[0]).Gelu().Silu() + io[0].Gelu("tanh").Softplus();
            var logits = lin.Call(h);
            return [NativeNet.NN.F.CrossEntropy(logits, io[1]), NativeNet.NN.F.MseLoss(logits.Sigmoid(), logits.Tanh()), logits.LogSumExp(1)];
        }
        var g = Graph.Trace(F, [Tensor.Randn(3, 6), Tensor.FromArray(new long[] { 0, 3, 1 })]);
        Assert.Equal(3, g.Outputs.Count);
        var plan = g.Compile();
        var x = Tensor.Randn(5, 6);
        var y = Tensor.FromArray(new long[] { 2, 2, 0, 1, 3 });
        var expected = F([x, y]);
        var actual = plan.Run(x, y);
        for (int i = 0; i < 3; i++) AssertClose(expected[i], actual[i], 1e-5, 1e-6);
    }

    [Fact]
    public void ControlFlowIsRecordedAsTheBranchTaken()
    {
        Tensor F(Tensor x) => x.Sum().Item() > 0 ? x.Exp() : x.Neg();
        var g = Graph.Trace(F, Tensor.Ones(2, 2));
        Assert.Equal("Exp", g.Nodes.Single().OpType);
        var neg = Tensor.Full([2, 2], -1.0);
        AssertClose(neg.Exp(), g.Compile().Call(neg)); // the graph keeps the branch taken while tracing
    }
}
