namespace NativeNet.Tests.AutogradTests;

/// <summary>
/// Leaves may keep a gradient tensor without copying it; these cases make sure two leaves never end up sharing
/// one gradient buffer and that the caller's gradient is never taken over.
/// </summary>
public class GradAdoptionTests
{
    [Fact]
    public void SameGradientObjectForTwoLeaves_GivesIndependentGrads()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        var b = Tensor.FromArray(new[] { 3f, 4f }, requiresGrad: true);
        var z = (a + b) * 2;                        // Add's backward returns one tensor for both inputs
        z.Backward(Tensor.FromArray(new[] { 1f, 1f }));
        Assert.Equal(new[] { 2f, 2f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 2f, 2f }, b.Grad!.ToArray<float>());
        using (Autograd.NoGrad()) a.Grad!.AddInPlace(Tensor.FromArray(new[] { 10f, 10f }));
        Assert.Equal(new[] { 2f, 2f }, b.Grad!.ToArray<float>());
        Assert.NotSame(a.Grad, b.Grad);
    }

    [Fact]
    public void CallersGradient_IsNeverAdopted()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        var up = Tensor.FromArray(new[] { 5f, 6f });
        a.Backward(up);
        Assert.NotSame(up, a.Grad);
        using (Autograd.NoGrad()) a.Grad!.AddInPlace(up);
        Assert.Equal(new[] { 5f, 6f }, up.ToArray<float>());
    }

    [Fact]
    public void AdoptedGradient_SurvivesTheScope_AndAccumulates()
    {
        var w = Tensor.FromArray(new[] { 1f, 2f, 3f }, [3, 1], requiresGrad: true);
        var x = Tensor.FromArray(new[] { 1f, 1f, 2f, 2f, 3f, 3f }, [2, 3]);
        for (int i = 0; i < 2; i++)
        {
            using var scope = Tensor.Scope();
            x.MatMul(w).Sum().Backward();
        }
        // d/dw sum(x @ w) = column sums of x = [3, 4, 5] per step; two steps accumulate.
        Assert.Equal(new[] { 6f, 8f, 10f }, w.Grad!.ToArray<float>());
    }
}
