using NativeNet.NN;
using NativeNet.Optim;
using static NativeNet.Tests.NN.NnFixtures;

namespace NativeNet.Tests.Optim;

public class SchedulerAndClipTests
{
    static void CheckSchedule(string name, Func<Optimizer, LRScheduler> make, params double[] lrs)
    {
        var ps = lrs.Select(_ => new Parameter(Tensor.Zeros(1))).ToArray();
        var opt = new Sgd([ps[0]], lr: lrs[0]);
        for (int i = 1; i < lrs.Length; i++) opt.AddParamGroup([ps[i]], lr: lrs[i]);
        var sched = make(opt);
        var expected = Load("sched/" + name, "lr").ToArray<double>();
        int groups = lrs.Length;
        for (int step = 0; step * groups < expected.Length; step++)
        {
            if (step > 0)
            {
                opt.Step();
                sched.Step();
            }
            var got = sched.GetLastLr();
            for (int g = 0; g < groups; g++)
            {
                Assert.Equal(expected[step * groups + g], got[g], 14);
                Assert.Equal(got[g], opt.ParamGroups[g].Lr);
            }
        }
    }

    [Fact] public void StepLRMatchesPyTorch() => CheckSchedule("steplr", o => new StepLR(o, stepSize: 4, gamma: 0.5), 0.1);
    [Fact] public void MultiStepLRMatchesPyTorch() => CheckSchedule("multisteplr", o => new MultiStepLR(o, [3, 7, 7, 12], gamma: 0.3), 0.1);
    [Fact] public void ExponentialLRMatchesPyTorch() => CheckSchedule("exponentiallr", o => new ExponentialLR(o, gamma: 0.9), 0.1);
    [Fact] public void CosineAnnealingLRMatchesPyTorchPastTMax() => CheckSchedule("cosine", o => new CosineAnnealingLR(o, tMax: 10, etaMin: 0.001), 0.1, 0.02);

    [Fact]
    public void SchedulerRecordsInitialLr()
    {
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: 0.3);
        var s = new StepLR(opt, 1, 0.5);
        s.Step();
        Assert.Equal(0.3, opt.ParamGroups[0].InitialLr);
        Assert.Equal(0.15, opt.Lr, 15);
        Assert.Equal(1, s.LastEpoch);
        Assert.Throws<InvalidOperationException>(() => new StepLR(new Adam(), 1));
    }

    [Theory]
    [InlineData("l2", 2.0, 1.0)]
    [InlineData("l1", 1.0, 2.0)]
    [InlineData("inf", double.PositiveInfinity, 0.5)]
    [InlineData("noop", 2.0, 100.0)]
    public void ClipGradNormMatchesPyTorch(string name, double normType, double maxNorm)
    {
        var a = new Parameter(Tensor.Zeros(3, 4)) { Grad = Load("clip", "g1").Clone() };
        var b = new Parameter(Tensor.Zeros(5)) { Grad = Load("clip", "g2").Clone() };
        var c = new Parameter(Tensor.Zeros(2));
        double total = ClipGrad.ClipGradNorm([a, b, c], maxNorm, normType);
        Assert.Equal(Load("clip", name + "_total").Item(), total, 5);
        AssertClose(Load("clip", name + "_g1"), a.Grad!, 1e-6, 1e-7, "g1");
        AssertClose(Load("clip", name + "_g2"), b.Grad!, 1e-6, 1e-7, "g2");
        Assert.Null(c.Grad);
    }

    [Fact]
    public void ClipGradValueClamps()
    {
        var a = new Parameter(Tensor.Zeros(4)) { Grad = Tensor.FromArray(new[] { -3f, -0.5f, 0.2f, 9f }) };
        ClipGrad.ClipGradValue([a], 1.0);
        Assert.Equal([-1f, -0.5f, 0.2f, 1f], a.Grad!.ToArray<float>());
        var n = new Parameter(Tensor.Zeros(1)) { Grad = Tensor.FromArray(new[] { float.NaN }) };
        Assert.Throws<ArithmeticException>(() => ClipGrad.ClipGradNorm([n], 1, errorIfNonfinite: true));
    }
}
