using NativeNet.NN;

namespace NativeNet.Tests.GraphTests;

/// <summary>
/// Conv(+Relu)+MaxPool fused in a plan that records gradients: values, gradients, NaN propagation and tie-breaking
/// identical to the eager Conv, Relu, MaxPool (which the op and gradient-check tests cover against PyTorch).
/// </summary>
public class ConvPoolTrainingTests
{
    static double[] D(Tensor t) => t.To(DType.Float64).ToArray<double>();

    /// <summary>Runs the plan and the model on the same input and upstream gradient; asserts bit-identical results.</summary>
    static void AssertSameAsEager(Sequential model, CompiledGraph plan, Tensor x, string? gradFn, bool twice = false)
    {
        var dt = x.DType;
        var xg = x.Detach().RequiresGrad_();
        var y = plan.Call(xg);
        if (gradFn != null) Assert.Equal(gradFn, y.GradFn!.ToString());
        var upstream = Tensor.Randn(y.Shape.ToArray(), dtype: dt);
        (y * upstream).Sum().Backward(retainGraph: twice);
        if (twice) (y * upstream).Sum().Backward(); // the saved window codes survive a retained graph
        var grads = model.Parameters().Select(p => p.Grad!.Clone()).ToList();
        model.ZeroGrad();
        var xe = x.Detach().RequiresGrad_();
        var ye = model.Call(xe);
        (ye * upstream).Sum().Backward(retainGraph: twice);
        if (twice) (ye * upstream).Sum().Backward();
        Assert.Equal(D(ye), D(y));
        Assert.Equal(D(xe.Grad!), D(xg.Grad!));
        foreach (var (p, g) in model.Parameters().Zip(grads)) Assert.Equal(D(p.Grad!), D(g));
        model.ZeroGrad();
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TrainingStepsMatchEagerBitForBitWithNaNs(DType dt)
    {
        Tensor.ManualSeed(21);
        // Conv+Relu+MaxPool on a 10x37 map, Conv+MaxPool (no ReLU) on an 8x21 map: floor pooling drops a column (and rows
        // of odd maps), float32 rows run eight windows at a time plus a scalar tail.
        var model = new Sequential(new Conv2d(2, 4, 3, padding: 1, dtype: dt), new Relu(), new MaxPool2d(2),
            new Conv2d(4, 3, 2, padding: 2, dtype: dt), new MaxPool2d(2));
        var plan = Graph.Trace(model, Tensor.Randn([1, 2, 10, 37], dtype: dt)).Compile();
        Assert.Equal(2, plan.StepCount);
        AssertSameAsEager(model, plan, Tensor.Randn([3, 2, 10, 37], dtype: dt), "ConvMaxPoolBackward");
        var x = Tensor.Randn([2, 2, 10, 37], dtype: dt);
        using (Autograd.NoGrad())
        {
            x[1, 0, 4, 4] = Tensor.Full([], double.NaN, dt);
            x[0, 1, 2, 7] = Tensor.Full([], double.NaN, dt);
            x[0, 0, 8, 35] = Tensor.Full([], double.NaN, dt);
        }
        AssertSameAsEager(model, plan, x, "ConvMaxPoolBackward");
        Assert.Contains(D(plan.Call(x)), double.IsNaN);
    }

    [Fact]
    public void TiesGoToTheFirstMaximumAndReluBlocksNonPositiveMaxima()
    {
        // Zero weights: every window holds four equal values (the bias), positive in some channels, negative or zero in others.
        var model = new Sequential(new Conv2d(1, 3, 3, padding: 1, dtype: DType.Float64), new Relu(), new MaxPool2d(2));
        var conv = (Conv2d)model.Children().First();
        using (Autograd.NoGrad())
        {
            conv.Weight.ZeroInPlace();
            conv.Bias!.CopyFrom(Tensor.FromArray([0.5, -0.25, 0.0]));
        }
        var plan = Graph.Trace(model, Tensor.Randn([1, 1, 6, 6], dtype: DType.Float64)).Compile();
        Assert.Equal(1, plan.StepCount);
        AssertSameAsEager(model, plan, Tensor.Randn([2, 1, 6, 6], dtype: DType.Float64), "ConvReluMaxPoolBackward");
        var model32 = new Sequential(new Conv2d(1, 3, 3, padding: 1), new Relu(), new MaxPool2d(2));
        using (Autograd.NoGrad())
        {
            ((Conv2d)model32.Children().First()).Weight.ZeroInPlace();
            ((Conv2d)model32.Children().First()).Bias!.CopyFrom(Tensor.FromArray([0.5f, -0.25f, 0f]));
        }
        var plan32 = Graph.Trace(model32, Tensor.Randn(1, 1, 6, 20)).Compile();
        AssertSameAsEager(model32, plan32, Tensor.Randn(2, 1, 6, 20), "ConvReluMaxPoolBackward");
        // Without the ReLU, ties of any sign still take the first element of the window.
        var noRelu = new Sequential(new Conv2d(1, 2, 3, padding: 1, dtype: DType.Float64), new MaxPool2d(2));
        using (Autograd.NoGrad())
        {
            ((Conv2d)noRelu.Children().First()).Weight.ZeroInPlace();
            ((Conv2d)noRelu.Children().First()).Bias!.CopyFrom(Tensor.FromArray([-1.5, 2.0]));
        }
        var plan2 = Graph.Trace(noRelu, Tensor.Randn([1, 1, 5, 5], dtype: DType.Float64)).Compile();
        AssertSameAsEager(noRelu, plan2, Tensor.Randn([3, 1, 5, 5], dtype: DType.Float64), "ConvMaxPoolBackward");
    }

    [Fact]
    public void TheIssueCnnTrainsThroughThePlanExactlyAsEager()
    {
        Tensor.ManualSeed(22);
        var model = new Sequential(new Conv2d(1, 8, 3, padding: 1), new Relu(), new MaxPool2d(2), new Conv2d(8, 16, 3, padding: 1),
            new Relu(), new MaxPool2d(2), new Flatten(), new Linear(16 * 7 * 7, 32), new Relu(), new Linear(32, 10));
        var plan = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28)).Compile();
        Assert.Equal(6, plan.StepCount); // Conv+Relu+MaxPool twice, Flatten, Gemm, Relu, Gemm
        AssertSameAsEager(model, plan, Tensor.Randn(4, 1, 28, 28), null, twice: true);
    }

    [Theory]
    [InlineData(20, 2)]
    [InlineData(21, 2)]
    [InlineData(21, 1)]
    public void BatchesBigEnoughForWorkersAndChunksMatchEagerBitForBit(int size, int threads)
    {
        // Several samples per worker and several per filter-gradient chunk: the fused backward unpools chunk by chunk.
        int before = Runtime.NumThreads;
        Runtime.SetThreads(threads);
        try
        {
            Tensor.ManualSeed(size);
            var model = new Sequential(new Conv2d(4, 16, 3, padding: 1), new Relu(), new MaxPool2d(2));
            var plan = Graph.Trace(model, Tensor.Randn(1, 4, size, size)).Compile();
            AssertSameAsEager(model, plan, Tensor.Randn(24, 4, size, size), "ConvReluMaxPoolBackward");
        }
        finally { Runtime.SetThreads(before); }
    }

    [Fact]
    public void AnInputThatNeedsGradGetsItThroughTheFusedStep()
    {
        // Parameters frozen: only the input requires grad (the node still records the convolution's backward).
        var model = new Sequential(new Conv2d(2, 3, 3, padding: 1, dtype: DType.Float64), new Relu(), new MaxPool2d(2));
        foreach (var p in model.Parameters()) p.RequiresGrad = false;
        var plan = Graph.Trace(model, Tensor.Randn([1, 2, 8, 8], dtype: DType.Float64)).Compile();
        var x = Tensor.Randn([2, 2, 8, 8], dtype: DType.Float64).RequiresGrad_();
        var y = plan.Call(x);
        Assert.Equal("ConvReluMaxPoolBackward", y.GradFn!.ToString());
        y.Sum().Backward();
        var xe = x.Detach().RequiresGrad_();
        model.Call(xe).Sum().Backward();
        Assert.Equal(D(xe.Grad!), D(x.Grad!));
    }
}
