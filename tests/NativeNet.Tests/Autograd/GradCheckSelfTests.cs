using Xunit.Sdk;

namespace NativeNet.Tests.AutogradTests;

/// <summary>The gradient checker itself must catch a wrong gradient and say where.</summary>
public class GradCheckSelfTests
{
    [Fact]
    public void DetectsWrongGradientAndNamesOpInputAndElement()
    {
        // x * detach(x): Backward sees d/dx = x, the true derivative is 2x.
        var ex = Assert.Throws<FailException>(() =>
            GradCheck.Check("HalfSquare", xs => xs[1].Add(xs[0].Mul(xs[0].Detach())), [GradCheck.Rand(1, 2, 2), GradCheck.Rand(2, 2, 2)]));
        Assert.Contains("HalfSquare", ex.Message);
        Assert.Contains("input 0 element 0 [0, 0]", ex.Message);
        Assert.Contains("analytic", ex.Message);
        Assert.Contains("numeric", ex.Message);
        Assert.DoesNotContain("input 1", ex.Message);
    }

    [Fact]
    public void AcceptsCorrectGradient() => GradCheck.Check("Square", x => x.Mul(x), GradCheck.Rand(3, 3));
}
