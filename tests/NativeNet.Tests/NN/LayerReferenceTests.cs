using NativeNet.NN;
using static NativeNet.Tests.NN.NnFixtures;

namespace NativeNet.Tests.NN;

/// <summary>Layers against PyTorch 1.13 (tests/fixtures/nn, from tools/reference/nn_fixtures.py).</summary>
public class LayerReferenceTests
{
    static Sequential IssueNet() => new(new Conv2d(1, 4, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 3));

    static StateDict LoadPrefixed(string @case, string prefix, IEnumerable<string> keys)
    {
        var sd = new StateDict();
        foreach (var k in keys) sd[k] = Load(@case, prefix + k);
        return sd;
    }

    [Fact]
    public void IssueModelMatchesPyTorchLogitsLossAndGrads()
    {
        var net = IssueNet();
        var keys = net.StateDict().Keys.ToArray();
        net.LoadStateDict(LoadPrefixed("model", "param.", keys));
        var x = Load("model", "x");
        var target = Load("model", "target");
        var logits = net.Call(x);
        AssertClose(Load("model", "logits"), logits, 1e-5, 1e-6, "logits");
        var loss = new CrossEntropyLoss().Call(logits, target);
        AssertClose(Load("model", "loss"), loss, 1e-5, 1e-6, "loss");
        loss.Backward();
        foreach (var (name, p) in net.NamedParameters())
            AssertClose(Load("model", "grad." + name), p.Grad!, 1e-4, 1e-6, "grad " + name);
    }

    [Fact]
    public void IssueModelThreeAdamStepsMatchPyTorch()
    {
        var net = IssueNet();
        var keys = net.StateDict().Keys.ToArray();
        net.LoadStateDict(LoadPrefixed("model", "param.", keys));
        var x = Load("model", "x");
        var target = Load("model", "target");
        var adam = new NativeNet.Optim.Adam(net.Parameters(), lr: 1e-2);
        var ce = new CrossEntropyLoss();
        for (int i = 0; i < 3; i++)
        {
            adam.ZeroGrad();
            using var loss = ce.Call(net.Call(x), target);
            loss.Backward();
            adam.Step();
        }
        foreach (var (name, t) in net.StateDict())
            AssertClose(Load("model", "adam3." + name), t, 1e-4, 1e-5, name);
    }

    [Theory]
    [InlineData("bn2d")]
    [InlineData("bn2d_cma")]
    [InlineData("bn1d_2d")]
    [InlineData("bn1d_3d")]
    public void BatchNormTrainEvalAndRunningStatsMatchPyTorch(string name)
    {
        string c = "norm/" + name;
        var x1 = Load(c, "x1").RequiresGrad_();
        int ch = x1.Shape[1];
        double? momentum = name switch { "bn2d_cma" => null, "bn1d_2d" => 0.3, _ => 0.1 };
        BatchNormBase bn = x1.Dim == 4
            ? new BatchNorm2d(ch, momentum: momentum, dtype: DType.Float64)
            : new BatchNorm1d(ch, momentum: momentum, dtype: DType.Float64);
        using (Autograd.NoGrad())
        {
            bn.Weight!.CopyFrom(Load(c, "weight"));
            bn.Bias!.CopyFrom(Load(c, "bias"));
        }
        var y1 = bn.Call(x1);
        AssertClose(Load(c, "y1"), y1, 1e-9, 1e-10, "train output");
        y1.Mul(Load(c, "up")).Sum().Backward();
        AssertClose(Load(c, "gx1"), x1.Grad!, 1e-7, 1e-9, "input grad");
        AssertClose(Load(c, "gweight"), bn.Weight!.Grad!, 1e-8, 1e-9, "weight grad");
        AssertClose(Load(c, "gbias"), bn.Bias!.Grad!, 1e-8, 1e-9, "bias grad");
        bn.Call(Load(c, "x2"));
        AssertClose(Load(c, "running_mean"), bn.RunningMean!, 1e-10, 1e-12, "running_mean");
        AssertClose(Load(c, "running_var"), bn.RunningVar!, 1e-10, 1e-12, "running_var");
        Assert.Equal(Load(c, "num_batches_tracked").Item<long>(), bn.NumBatchesTracked!.Item<long>());
        bn.Eval();
        var before = bn.RunningMean!.ToArray<double>();
        AssertClose(Load(c, "y3"), bn.Call(Load(c, "x3")), 1e-9, 1e-10, "eval output");
        Assert.Equal(before, bn.RunningMean!.ToArray<double>());
        Assert.Equal(2, bn.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void LayerNormMatchesPyTorch()
    {
        const string c = "norm/layernorm";
        var ln = new LayerNorm([3, 4], dtype: DType.Float64);
        using (Autograd.NoGrad())
        {
            ln.Weight!.CopyFrom(Load(c, "weight"));
            ln.Bias!.CopyFrom(Load(c, "bias"));
        }
        var x = Load(c, "x").RequiresGrad_();
        var y = ln.Call(x);
        AssertClose(Load(c, "y"), y, 1e-9, 1e-10, "output");
        y.Mul(Load(c, "up")).Sum().Backward();
        AssertClose(Load(c, "gx"), x.Grad!, 1e-7, 1e-9, "input grad");
        AssertClose(Load(c, "gweight"), ln.Weight!.Grad!, 1e-8, 1e-9, "weight grad");
        AssertClose(Load(c, "gbias"), ln.Bias!.Grad!, 1e-8, 1e-9, "bias grad");
    }

    [Fact]
    public void EmbeddingWithPaddingMatchesPyTorch()
    {
        var emb = new Embedding(10, 3, paddingIdx: 1, dtype: DType.Float64);
        Assert.All(emb.Weight.Select(0, 1).ToArray<double>(), v => Assert.Equal(0.0, v));
        using (Autograd.NoGrad()) emb.Weight.CopyFrom(Load("embedding", "weight"));
        var y = emb.Call(Load("embedding", "idx"));
        AssertClose(Load("embedding", "y"), y, 0, 0, "output");
        y.Mul(Load("embedding", "up")).Sum().Backward();
        AssertClose(Load("embedding", "gweight"), emb.Weight.Grad!, 1e-12, 1e-12, "weight grad");
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Call(Tensor.FromArray(new long[] { 10 })));
        Assert.Throws<DTypeMismatchException>(() => emb.Call(Tensor.Ones(2)));
    }

    [Fact]
    public void DropoutIsInvertedSeededAndIdentityInEval()
    {
        var drop = new Dropout(0.25);
        var x = Tensor.Ones(1000);
        Tensor.ManualSeed(11);
        var a = drop.Call(x).ToArray<float>();
        Tensor.ManualSeed(11);
        var b = drop.Call(x).ToArray<float>();
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.True(v == 0f || Math.Abs(v - 1 / 0.75f) < 1e-6));
        double kept = a.Count(v => v != 0) / 1000.0;
        Assert.InRange(kept, 0.70, 0.80);
        drop.Eval();
        Assert.Same(x, drop.Call(x));
        Assert.All(new Dropout(1.0).Call(x).ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void PoolingAndFlattenModulesMatchTheirFunctions()
    {
        Tensor.ManualSeed(2);
        var x = Tensor.Randn(2, 3, 7, 7);
        Assert.Equal([2, 3, 3, 3], new MaxPool2d(2).Call(x).Shape.ToArray());
        Assert.Equal([2, 3, 4, 4], new MaxPool2d(2, ceilMode: true).Call(x).Shape.ToArray());
        Assert.Equal([2, 3, 3, 3], new AvgPool2d(3, stride: 2).Call(x).Shape.ToArray());
        var gap = new AdaptiveAvgPool2d(1).Call(x);
        AssertClose(x.Mean([2, 3], keepDim: true), gap, 1e-6, 1e-6, "global average");
        Assert.Equal([2, 147], new Flatten().Call(x).Shape.ToArray());
        Assert.Equal([2, 3, 49], new Flatten(2).Call(x).Shape.ToArray());
        var conv = new Conv2d(3, 6, (3, 1), stride: (2, 1), padding: (1, 0), groups: 3);
        Assert.Equal([6, 1, 3, 1], conv.Weight.Shape.ToArray());
        Assert.Equal([2, 6, 4, 7], conv.Call(x).Shape.ToArray());
        var ex = Assert.Throws<ShapeMismatchException>(() => new Conv2d(4, 2, 3).Call(x));
        Assert.Contains("[2, 3, 7, 7]", ex.Message);
    }

    [Fact]
    public void OneHotAndActivationsModules()
    {
        var oh = F.OneHot(Tensor.FromArray(new long[] { 0, 2, 1 }), 4);
        Assert.Equal(DType.Int64, oh.DType);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0 }, oh.ToArray<long>());
        Assert.Equal([2, 3], F.OneHot(Tensor.FromArray(new long[] { 0, 2 })).Shape.ToArray());
        var x = Tensor.FromArray(new[] { -2.0, -0.5, 0.0, 0.5, 3.0 });
        var softmax = new Softmax(0).Call(x).ToArray<double>();
        Assert.Equal(1.0, softmax.Sum(), 12);
        AssertClose(new LogSoftmax(0).Call(x), new Softmax(0).Call(x).Log(), 1e-12, 1e-12);
        AssertClose(Tensor.FromArray(new[] { -0.02, -0.005, 0, 0.5, 3.0 }), new LeakyRelu().Call(x), 1e-12, 1e-15);
        AssertClose(x.Relu(), new Relu().Call(x), 0, 0);
        AssertClose(x.Gelu("tanh"), new Gelu("tanh").Call(x), 0, 0);
        Assert.Same(x, new Identity().Call(x));
    }
}
