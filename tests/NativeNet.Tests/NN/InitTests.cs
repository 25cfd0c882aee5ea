using NativeNet.NN;

namespace NativeNet.Tests.NN;

public class InitTests
{
    [Fact]
    public void GainsAndFansFollowPyTorch()
    {
        Assert.Equal(1.0, Init.CalculateGain("linear"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("relu"));
        Assert.Equal(Math.Sqrt(2.0 / (1 + 5)), Init.CalculateGain("leaky_relu", Math.Sqrt(5)), 15);
        Assert.Equal(0.75, Init.CalculateGain("selu"));
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
        Assert.Equal((27, 72), Init.CalculateFanInAndFanOut(Tensor.Zeros(8, 3, 3, 3)));
        Assert.Equal((5, 7), Init.CalculateFanInAndFanOut(Tensor.Zeros(7, 5)));
        Assert.Throws<ShapeMismatchException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(3)));
    }

    [Fact]
    public void UniformInitializersStayInsideTheirBoundsAndFillThem()
    {
        Tensor.ManualSeed(1);
        void CheckBound(Tensor t, double bound)
        {
            var v = t.ToArray<float>();
            Assert.All(v, x => Assert.InRange(x, -bound, bound));
            Assert.True(v.Max() > 0.95 * bound && v.Min() < -0.95 * bound);
        }
        var w = Tensor.Zeros(200, 300).RequiresGrad_();
        CheckBound(Init.KaimingUniform(w, nonlinearity: "relu"), Math.Sqrt(2) * Math.Sqrt(3.0 / 300));
        CheckBound(Init.KaimingUniform(w, mode: "fan_out", nonlinearity: "relu"), Math.Sqrt(2) * Math.Sqrt(3.0 / 200));
        CheckBound(Init.XavierUniform(w, gain: 2), 2 * Math.Sqrt(6.0 / 500));
        CheckBound(Init.Uniform(w, -0.3, 0.3), 0.3);
        Assert.True(w.RequiresGrad && w.IsLeaf);
    }

    [Fact]
    public void NormalInitializersHaveTheRightSpread()
    {
        Tensor.ManualSeed(2);
        var w = Tensor.Zeros(400, 250);
        double Std(Tensor t) { var v = t.ToArray<float>(); double m = v.Average(); return Math.Sqrt(v.Select(x => (x - m) * (x - m)).Average()); }
        Assert.Equal(Math.Sqrt(2.0 / 250), Std(Init.KaimingNormal(w, nonlinearity: "relu")), 3);
        Assert.Equal(Math.Sqrt(2.0 / 650), Std(Init.XavierNormal(w)), 3);
        Assert.Equal(0.5, Std(Init.Normal(w, 1, 0.5)), 2);
        Assert.Equal(1.0, w.Mean().Item(), 2);
        Assert.All(Init.Constant(w, 0.25).ToArray<float>(), x => Assert.Equal(0.25f, x));
        Assert.All(Init.Zeros(w).ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.All(Init.Ones(w).ToArray<float>(), x => Assert.Equal(1f, x));
    }
}
