using NativeNet.NN;
using static NativeNet.Tests.AutogradTests.GradCheck;

namespace NativeNet.Tests.NN;

/// <summary>
/// F.Linear as one autograd node (x·Wᵀ + b): finite-difference checks over the input layouts it folds (2-D, N-D,
/// non-contiguous input, a transposed-view weight, no bias), the forward against MatMul + Add, and the weight
/// and input gradients against their closed form.
/// </summary>
public class LinearPrimitiveTests
{
    [Fact]
    public void GradCheck_LayoutsAndBias()
    {
        Check("Linear 2-D", x => F.Linear(x[0], x[1], x[2]), [Rand(81, 5, 4), Rand(82, 3, 4), Rand(83, 3)]);
        Check("Linear 3-D no bias", x => F.Linear(x[0], x[1]), [Rand(84, 2, 3, 4), Rand(85, 6, 4)]);
        Check("Linear transposed input", x => F.Linear(x[0].T, x[1], x[2]), [Rand(86, 4, 5), Rand(87, 3, 4), Rand(88, 3)]);
        Check("Linear weight view", x => F.Linear(x[0], x[1].T, x[2]), [Rand(89, 2, 2, 4), Rand(90, 4, 3), Rand(91, 3)]);
    }

    [Fact]
    public void Forward_MatchesMatMulPlusBias()
    {
        Tensor.ManualSeed(5);
        using var scope = Tensor.Scope();
        var x = Tensor.Randn(3, 7, 5);
        var w = Tensor.Randn(4, 5);
        var b = Tensor.Randn(4);
        var expected = x.MatMul(w.T).Add(b).ToArray<float>();
        var actual = F.Linear(x, w, b).ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
    }

    [Fact]
    public void Gradients_MatchTheClosedForm()
    {
        Tensor.ManualSeed(6);
        var lin = new Linear(6, 4);
        using var x = Tensor.Randn(3, 6);
        x.RequiresGrad = true;
        lin.Call(x).Sum().Backward();
        Assert.True(lin.Weight.Grad!.IsContiguous);
        Assert.True(x.Grad!.IsContiguous);
        // d(sum(x·Wᵀ + b))/dW[o, i] = Σ_rows x[r, i]; /db = rows; /dx[r, i] = Σ_o W[o, i].
        var colSums = x.Detach().Sum(0).ToArray<float>();
        var gw = lin.Weight.Grad!.ToArray<float>();
        for (int o = 0; o < 4; o++)
            for (int i = 0; i < 6; i++) Assert.Equal(colSums[i], gw[o * 6 + i], 1e-5f);
        Assert.All(lin.Bias!.Grad!.ToArray<float>(), v => Assert.Equal(3f, v));
        var wSums = lin.Weight.Detach().Sum(0).ToArray<float>();
        var gx = x.Grad!.ToArray<float>();
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 6; i++) Assert.Equal(wSums[i], gx[r * 6 + i], 1e-5f);
    }
}
