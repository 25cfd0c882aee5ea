using NativeNet.NN;

namespace NativeNet.Tests.GraphTests;

/// <summary>Elementwise fusion: one pass for a chain, every broadcast pattern, in place only when safe, gradients via the unfused steps.</summary>
public class FusionTests
{
    static CompiledGraph Plan(Graph g, bool fusion = true) => g.Compile(new CompileOptions(Fusion: fusion));

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AChainWithEveryBroadcastPatternIsOneStepAndMatchesEager(DType dt)
    {
        Tensor.ManualSeed(5);
        var bias = Tensor.Randn([4], dtype: dt);            // trailing: over [N, C, H, W] it varies along W
        var channel = Tensor.Randn([3, 1, 1], dtype: dt);   // channel: constant over H·W runs
        var odd = Tensor.Randn([1, 3, 1, 4], dtype: dt);    // C and W vary, H does not: materialized
        Tensor F(Tensor x) => ((((x * 2 + bias).Relu() - channel).Sigmoid() / odd).Tanh().Abs().Sqrt().Neg().Exp().Clamp(0.1, 0.9) + x).LeakyRelu(0.2);
        var g = Graph.Trace(F, Tensor.Randn([2, 3, 5, 4], dtype: dt));
        var plan = Plan(g);
        Assert.Equal(1, plan.StepCount);
        Assert.Equal(g.Nodes.Count, plan.FusionCount.Nodes);
        foreach (int n in new[] { 1, 3 })
        {
            var x = Tensor.Randn([n, 3, 5, 4], dtype: dt);
            TracingTests.AssertClose(F(x), plan.Call(x), dt == DType.Float32 ? 1e-6 : 1e-14, 1e-7);
        }
    }

    [Fact]
    public void LargeInputsRunInParallelBlocksWithTheSameResult()
    {
        var g = Graph.Trace((Tensor x) => (x * 3 - 1).Relu().Sigmoid(), Tensor.Randn(3, 100_003));
        var x = Tensor.Randn(3, 100_003);
        var fused = Plan(g).Call(x).ToArray<float>();
        var plain = Plan(g, fusion: false).Call(x).ToArray<float>();
        Assert.Equal(plain, fused);
    }

    [Fact]
    public void AChainOverAGraphInputNeverWritesIntoTheInput()
    {
        var g = Graph.Trace((Tensor x) => x.Relu().Neg(), Tensor.Randn(2, 8));
        var x = Tensor.Randn(2, 8);
        var before = x.ToArray<float>();
        var y = g.Compile().Call(x);
        Assert.Equal(before, x.ToArray<float>());
        Assert.Equal(x.Relu().Neg().ToArray<float>(), y.ToArray<float>());
    }

    [Fact]
    public void ConvReluBatchNormReluAndGemmReluFuseAndRunInPlace()
    {
        Tensor.ManualSeed(6);
        var model = new Sequential(new Conv2d(2, 4, 3, padding: 1), new BatchNorm2d(4), new Relu(), new Conv2d(4, 2, 1), new Relu(),
            new Flatten(), new Linear(72, 5), new Relu());
        using (Autograd.NoGrad())
        {
            var bn = (BatchNorm2d)model.Children().ElementAt(1);
            bn.RunningMean!.CopyFrom(Tensor.Randn(4));
            bn.RunningVar!.CopyFrom(Tensor.Rand(4) + 0.5);
        }
        model.Eval();
        var plan = Graph.Trace(model, Tensor.Randn(1, 2, 6, 6)).Compile();
        Assert.Equal((3, 5), plan.FusionCount); // BatchNormalization+Relu, Conv+Relu, Relu after Gemm
        var x = Tensor.Randn(3, 2, 6, 6);
        using (Autograd.NoGrad())
        {
            TracingTests.AssertClose(model.Call(x), plan.Call(x), 1e-5, 1e-6);
            Assert.Equal(2, plan.InPlaceSteps); // the two elementwise steps wrote into their dying inputs
        }
        // With gradients the same plan runs the original steps.
        var xg = x.Detach().RequiresGrad_();
        plan.Call(xg).Sum().Backward();
        var xe = x.Detach().RequiresGrad_();
        model.Call(xe).Sum().Backward();
        TracingTests.AssertClose(xe.Grad!, xg.Grad!, 1e-4, 1e-5);
    }

    [Fact]
    public void ConvReluHasABackwardBuiltFromItsParts()
    {
        Tensor.ManualSeed(9);
        var model = new Sequential(new Conv2d(2, 3, 3, padding: 1, dtype: DType.Float64), new Relu());
        var plan = Graph.Trace(model, Tensor.Randn([1, 2, 5, 5], dtype: DType.Float64)).Compile();
        Assert.Equal((1, 2), plan.FusionCount);
        var x = Tensor.Randn([2, 2, 5, 5], dtype: DType.Float64).RequiresGrad_();
        var upstream = Tensor.Randn([2, 3, 5, 5], dtype: DType.Float64);
        var y = plan.Call(x);
        Assert.Equal("ConvReluBackward", y.GradFn!.ToString());
        (y * upstream).Sum().Backward();
        var grads = model.Parameters().Select(p => p.Grad!.Clone()).ToList();
        model.ZeroGrad();
        var xe = x.Detach().RequiresGrad_();
        (model.Call(xe) * upstream).Sum().Backward();
        TracingTests.AssertClose(xe.Grad!, x.Grad!, 1e-12, 1e-12);
        foreach (var (p, g) in model.Parameters().Zip(grads)) TracingTests.AssertClose(p.Grad!, g, 1e-12, 1e-12);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ConvReluMaxPoolIsOneStepWithEagerValuesNaNsAndGradients(DType dt)
    {
        Tensor.ManualSeed(11);
        // Conv+Relu+MaxPool on an even map, Conv+MaxPool (no ReLU) on an odd 7x7 map (floor pooling drops the last row).
        var model = new Sequential(new Conv2d(2, 4, 3, padding: 1, dtype: dt), new Relu(), new MaxPool2d(2),
            new Conv2d(4, 3, 2, padding: 2, dtype: dt), new MaxPool2d(2));
        model.Eval();
        var plan = Graph.Trace(model, Tensor.Randn([1, 2, 10, 10], dtype: dt)).Compile();
        Assert.Equal(2, plan.StepCount);
        Assert.Equal((2, 5), plan.FusionCount);
        foreach (int n in new[] { 1, 3 })
        {
            var x = Tensor.Randn([n, 2, 10, 10], dtype: dt);
            if (n == 3) using (Autograd.NoGrad()) x[1, 0, 4, 4] = Tensor.Full([], double.NaN, dt);
            using var _ = Autograd.NoGrad();
            var expected = model.Call(x);
            var actual = plan.Call(x);
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            Assert.Equal(expected.To(DType.Float64).ToArray<double>(), actual.To(DType.Float64).ToArray<double>());
            if (n == 3) Assert.Contains(actual.To(DType.Float64).ToArray<double>(), double.IsNaN);
        }
        // With gradients the step pools the convolution output at once and records one byte per window (ConvPoolTrainingTests).
        var xg = Tensor.Randn([2, 2, 10, 10], dtype: dt).RequiresGrad_();
        plan.Call(xg).Sum().Backward();
        var xe = xg.Detach().RequiresGrad_();
        model.Call(xe).Sum().Backward();
        Assert.Equal(xe.Grad!.ToArray<double>(dt), xg.Grad!.ToArray<double>(dt));
    }

    [Fact]
    public void GradientsThroughAFusedChainComeFromTheUnfusedSteps()
    {
        Tensor.ManualSeed(8);
        var w = Tensor.Randn([3], dtype: DType.Float64);
        var g = Graph.Trace((Tensor x) => ((x * w).Tanh() + 1).Square().Sum(), Tensor.Randn([2, 3], dtype: DType.Float64));
        var plan = g.Compile();
        Assert.True(plan.FusionCount.Steps >= 1);
        var x = Tensor.Randn([2, 3], dtype: DType.Float64).RequiresGrad_();
        plan.Call(x).Backward();
        var xe = x.Detach().RequiresGrad_();
        ((xe * w).Tanh() + 1).Square().Sum().Backward();
        TracingTests.AssertClose(xe.Grad!, x.Grad!, 1e-12, 1e-12);
    }
}

internal static class TensorDoubles
{
    internal static double[] ToArray<T>(this Tensor t, DType _) where T : unmanaged => t.To(DType.Float64).ToArray<double>();
}
