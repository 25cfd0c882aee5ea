using NativeNet.NN;

namespace NativeNet.Tests.NN;

/// <summary>Float64 finite-difference checks of every layer and loss (inputs and parameters).</summary>
public class GradCheckTests
{
    static Tensor R(params int[] shape) => Tensor.Randn(shape, dtype: DType.Float64).RequiresGrad_();

    /// <summary>Checks the module's output (projected on a fixed random direction) against its input and parameters.</summary>
    static void CheckModule(Module m, Tensor x, bool inputGrad = true)
    {
        m.To(DType.Float64);
        if (inputGrad) x.RequiresGrad = true;
        Tensor direction;
        using (Autograd.NoGrad()) direction = Tensor.Randn(m.Call(x).Shape.ToArray(), dtype: DType.Float64);
        var ps = m.Parameters().Cast<Tensor>().ToArray();
        GradCheckUtil.Check(xs => m.Call(xs[0]).Mul(direction).Sum(), [x, .. ps]);
    }

    [Fact]
    public void LinearAndLazyLinear()
    {
        Tensor.ManualSeed(1);
        CheckModule(new Linear(4, 3), Tensor.Randn([2, 5, 4], dtype: DType.Float64));
        var lazy = new Linear(2, bias: false);
        lazy.Call(Tensor.Zeros([1, 3], DType.Float64));
        CheckModule(lazy, Tensor.Randn([4, 3], dtype: DType.Float64));
    }

    [Fact]
    public void Conv2dWithStridePaddingGroups()
    {
        Tensor.ManualSeed(2);
        CheckModule(new Conv2d(4, 6, 3, stride: 2, padding: 1, groups: 2), Tensor.Randn([2, 4, 5, 5], dtype: DType.Float64));
    }

    [Fact]
    public void Pools()
    {
        Tensor.ManualSeed(3);
        CheckModule(new MaxPool2d(2, stride: 1), Tensor.Randn([1, 2, 4, 4], dtype: DType.Float64));
        CheckModule(new AvgPool2d(2, padding: 1, countIncludePad: false), Tensor.Randn([1, 2, 4, 4], dtype: DType.Float64));
        CheckModule(new AdaptiveAvgPool2d((2, 3)), Tensor.Randn([1, 2, 5, 7], dtype: DType.Float64));
    }

    [Fact]
    public void BatchNormTrainingAndEval()
    {
        Tensor.ManualSeed(4);
        var bn2 = new BatchNorm2d(3);
        using (Autograd.NoGrad()) { bn2.Weight!.UniformInPlace(0.5, 1.5); bn2.Bias!.NormalInPlace(); }
        CheckModule(bn2, Tensor.Randn([3, 3, 2, 2], dtype: DType.Float64));
        CheckModule(new BatchNorm1d(4), Tensor.Randn([5, 4], dtype: DType.Float64));
        CheckModule(new BatchNorm1d(2, affine: false), Tensor.Randn([3, 2, 4], dtype: DType.Float64));
        var eval = new BatchNorm2d(2);
        eval.Call(Tensor.Randn(4, 2, 3, 3));
        eval.Eval();
        CheckModule(eval, Tensor.Randn([2, 2, 2, 2], dtype: DType.Float64));
    }

    [Fact]
    public void LayerNormAndEmbedding()
    {
        Tensor.ManualSeed(5);
        var ln = new LayerNorm([2, 3]);
        using (Autograd.NoGrad()) { ln.Weight!.UniformInPlace(0.5, 1.5); ln.Bias!.NormalInPlace(); }
        CheckModule(ln, Tensor.Randn([4, 2, 3], dtype: DType.Float64));
        CheckModule(new Embedding(6, 3), Tensor.FromArray(new long[] { 0, 3, 3, 5, 1, 0 }, [2, 3]), inputGrad: false);
    }

    [Fact]
    public void DropoutWithFixedMask()
    {
        var x = R(50);
        GradCheckUtil.Check(xs => { Tensor.ManualSeed(9); return F.Dropout(xs[0], 0.3).Square().Sum(); }, [x]);
    }

    [Fact]
    public void ActivationModules()
    {
        Tensor.ManualSeed(6);
        foreach (var m in new Module[] { new Gelu(), new Gelu("tanh"), new Silu(), new Elu(0.7), new LeakyRelu(0.2), new Softplus(2, 5),
                     new Sigmoid(), new Tanh(), new Softmax(1), new LogSoftmax(1) })
            CheckModule(m, Tensor.Randn([3, 4], dtype: DType.Float64));
    }

    [Fact]
    public void ClassificationLosses()
    {
        Tensor.ManualSeed(7);
        var t = Tensor.FromArray(new long[] { 0, 2, -100, 1, 2 });
        var w = Tensor.FromArray(new[] { 0.3, 1.0, 2.0 });
        GradCheckUtil.Check(xs => F.CrossEntropy(xs[0], t, xs[1], labelSmoothing: 0.15), [R(5, 3), R(3)]);
        GradCheckUtil.Check(xs => F.CrossEntropy(xs[0], Tensor.FromArray(new long[] { 1, 0, 2, 2, 1, 0 }, [2, 3]), reduction: "sum"), [R(2, 3, 3)]);
        GradCheckUtil.Check(xs => F.CrossEntropy(xs[0], xs[1].Softmax(1), w, labelSmoothing: 0.1), [R(4, 3), R(4, 3)]);
        GradCheckUtil.Check(xs => F.NllLoss(xs[0].LogSoftmax(1), t, w), [R(5, 3)]);
        var y = Tensor.Rand([3, 4], dtype: DType.Float64).RequiresGrad_();
        var pw = Tensor.FromArray(new[] { 0.5, 1.0, 2.0, 3.0 });
        GradCheckUtil.Check(xs => F.BinaryCrossEntropyWithLogits(xs[0], xs[1], posWeight: pw), [R(3, 4), y]);
        GradCheckUtil.Check(xs => F.BinaryCrossEntropyWithLogits(xs[0], xs[1], weight: pw, reduction: "sum"), [R(3, 4), y]);
        GradCheckUtil.Check(xs => F.BinaryCrossEntropy(xs[0].Sigmoid(), xs[1]), [R(3, 4), y]);
    }

    [Fact]
    public void RegressionLosses()
    {
        Tensor.ManualSeed(8);
        var t = Tensor.Randn([4, 3], dtype: DType.Float64);
        GradCheckUtil.Check(xs => F.MseLoss(xs[0], xs[1]), [R(4, 3), R(4, 3)]);
        GradCheckUtil.Check(xs => F.L1Loss(xs[0], t, "sum"), [R(4, 3)]);
        GradCheckUtil.Check(xs => F.HuberLoss(xs[0], t, delta: 0.7), [R(4, 3)]);
        GradCheckUtil.Check(xs => F.SmoothL1Loss(xs[0], t, beta: 0.7), [R(4, 3)]);
    }
}
