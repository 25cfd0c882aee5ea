using NativeNet.NN;
using static NativeNet.Tests.NN.NnFixtures;

namespace NativeNet.Tests.NN;

/// <summary>Losses against PyTorch 1.13: value and gradient of loss.sum() with respect to the input.</summary>
public class LossReferenceTests
{
    static void Check(string name, Func<Tensor, Tensor> loss)
    {
        string c = "loss/" + name;
        var x = Load(c, "input").RequiresGrad_();
        var l = loss(x);
        AssertClose(Load(c, "loss"), l, 1e-10, 1e-12, name + " loss");
        l.Sum().Backward();
        AssertClose(Load(c, "grad"), x.Grad!, 1e-9, 1e-12, name + " grad");
    }

    static Tensor CeTarget => Load("loss/ce_common", "target");
    static Tensor ClassWeight => Load("loss/ce_common", "weight");

    [Fact]
    public void CrossEntropyPlain() => Check("ce_plain", x => new CrossEntropyLoss().Call(x, CeTarget.ClampMin(0)));

    [Theory]
    [InlineData("mean")]
    [InlineData("sum")]
    [InlineData("none")]
    public void CrossEntropyWithWeightIgnoreAndLabelSmoothing(string reduction) =>
        Check("ce_full_" + reduction, x => new CrossEntropyLoss(ClassWeight, reduction: reduction, labelSmoothing: 0.1).Call(x, CeTarget));

    [Fact]
    public void CrossEntropyLabelSmoothingWithoutWeight() =>
        Check("ce_smooth_noweight", x => new CrossEntropyLoss(labelSmoothing: 0.25).Call(x, CeTarget));

    [Fact]
    public void CrossEntropySpatial() =>
        Check("ce_nd", x => new CrossEntropyLoss(ClassWeight, labelSmoothing: 0.2).Call(x, Load("loss/ce_nd_common", "target")));

    [Fact]
    public void CrossEntropyProbabilityTargets()
    {
        var probs = Load("loss/ce_prob_common", "target");
        Check("ce_prob", x => new CrossEntropyLoss(ClassWeight, labelSmoothing: 0.1).Call(x, probs));
        Check("ce_prob_none", x => F.CrossEntropy(x, probs, reduction: "none"));
    }

    [Theory]
    [InlineData("mean")]
    [InlineData("sum")]
    [InlineData("none")]
    public void NllWithWeightAndCustomIgnoreIndex(string reduction) =>
        Check("nll_" + reduction, x => new NllLoss(Load("loss/nll_common", "weight"), ignoreIndex: 2, reduction: reduction).Call(x, Load("loss/nll_common", "target")));

    [Fact]
    public void BceWithLogitsIncludingGradientAtZero()
    {
        var y = Load("loss/bce_common", "target");
        var pw = Load("loss/bce_common", "pos_weight");
        var w = Load("loss/bce_common", "weight");
        Check("bce_logits", x => new BceWithLogitsLoss().Call(x, y));
        Check("bce_logits_weighted", x => new BceWithLogitsLoss(w, "sum", pw).Call(x, y));
        Check("bce_logits_none", x => new BceWithLogitsLoss(reduction: "none", posWeight: pw).Call(x, y));
        Check("bce_probs", x => new BceLoss(w).Call(x, y));
    }

    [Fact]
    public void RegressionLosses()
    {
        var t = Load("loss/reg_common", "target");
        Check("mse", x => new MseLoss().Call(x, t));
        Check("l1_sum", x => new L1Loss("sum").Call(x, t));
        Check("huber", x => new HuberLoss(delta: 0.5).Call(x, t));
        Check("smooth_l1", x => new SmoothL1Loss("none", beta: 0.5).Call(x, t));
    }

    [Fact]
    public void BadTargetsThrowTypedErrorsNamingTheLossAndShapes()
    {
        var logits = Tensor.Randn(4, 3);
        var oob = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss().Call(logits, Tensor.FromArray(new long[] { 0, 1, 3, 0 })));
        Assert.Contains("CrossEntropyLoss", oob.Message);
        Assert.Contains("target class 3", oob.Message);
        var shape = Assert.Throws<ShapeMismatchException>(() => new CrossEntropyLoss().Call(logits, Tensor.FromArray(new long[] { 0, 1, 2 })));
        Assert.Contains("[3]", shape.Message);
        Assert.Contains("[4, 3]", shape.Message);
        Assert.Equal("CrossEntropyLoss", shape.Op);
        Assert.Throws<ShapeMismatchException>(() => new CrossEntropyLoss().Call(logits, Tensor.Rand(4, 2)));
        Assert.Throws<DTypeMismatchException>(() => new NllLoss().Call(logits, Tensor.Zeros(4)));
        var mse = Assert.Throws<ShapeMismatchException>(() => new MseLoss().Call(Tensor.Zeros(100, 1), Tensor.Zeros(100)));
        Assert.Contains("MseLoss", mse.Message);
        Assert.Contains("[100, 1]", mse.Message);
        Assert.Contains("[100]", mse.Message);
        Assert.Throws<DTypeMismatchException>(() => new MseLoss().Call(Tensor.Zeros(3), Tensor.Zeros([3], DType.Float64)));
        Assert.Throws<ShapeMismatchException>(() => new BceWithLogitsLoss().Call(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BceLoss().Call(Tensor.Full([2], 1.5), Tensor.Zeros(2)));
    }

    [Fact]
    public void UnbatchedCrossEntropyAndAllIgnoredIsNaN()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 0.5 });
        var l = F.CrossEntropy(x, Tensor.Scalar(1, DType.Int64));
        Assert.Equal(0, l.Dim);
        double expected = -(2.0 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(0.5)));
        Assert.Equal(expected, l.Item(), 12);
        var all = F.CrossEntropy(Tensor.Randn(2, 3), Tensor.FromArray(new long[] { -100, -100 }));
        Assert.True(double.IsNaN(all.Item()));
    }
}
