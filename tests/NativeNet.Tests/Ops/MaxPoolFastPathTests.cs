namespace NativeNet.Tests.Ops;

/// <summary>The branch-free 2x2/2 max-pool path must keep PyTorch's semantics: first maximum wins ties, NaN propagates.</summary>
public class MaxPoolFastPathTests
{
    [Fact]
    public void TiesPickTheFirstElement_AndNaNPropagates()
    {
        var x = Tensor.FromArray(new[]
        {
            1f, 1f, 0f, 0f,
            1f, 1f, 0f, 0f,
            2f, 3f, float.NaN, 1f,
            3f, 2f, 1f, 5f,
        }, [1, 1, 4, 4], requiresGrad: true);
        var y = Tensor.MaxPool2d(x, [2]);
        var v = y.ToArray<float>();
        Assert.Equal(new[] { 1f, 0f, 3f }, v[..3]);
        Assert.True(float.IsNaN(v[3]));
        y.Backward(Tensor.OnesLike(y));
        // torch.nn.functional.max_pool2d on the same input routes the gradient to these positions.
        Assert.Equal(new[]
        {
            1f, 0f, 1f, 0f,
            0f, 0f, 0f, 0f,
            0f, 1f, 1f, 0f,
            0f, 0f, 0f, 0f,
        }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void FastPath_MatchesGeneralPath_OnRandomData()
    {
        Tensor.ManualSeed(3);
        var x = Tensor.Randn(3, 5, 12, 10);
        using var fast = Tensor.MaxPool2d(x, [2]);                       // 2x2 stride 2: fast path
        using var general = Tensor.MaxPool2d(x, [2], dilation: [1, 1], padding: [0]); // same geometry
        using var viaPad = Tensor.MaxPool2d(x.Contiguous(), [2, 2], stride: [2, 2]);
        Assert.Equal(general.ToArray<float>(), fast.ToArray<float>());
        // Cross-check with a window max written with reductions: reshape to [.., 6, 2, 5, 2] and take amax.
        using var windows = x.Reshape(3, 5, 6, 2, 5, 2).Amax([3, 5]);
        Assert.Equal(windows.ToArray<float>(), fast.ToArray<float>());
        Assert.Equal(windows.ToArray<float>(), viaPad.ToArray<float>());
    }
}
