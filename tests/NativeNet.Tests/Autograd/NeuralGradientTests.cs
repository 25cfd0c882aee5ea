using static NativeNet.Tests.AutogradTests.GradCheck;

namespace NativeNet.Tests.AutogradTests;

/// <summary>Finite-difference gradient checks of convolution, pooling and softmax.</summary>
public class NeuralGradientTests
{
    public record ConvCase(int[] X, int[] W, bool Bias, int[] Stride, int[] Padding, int[] Dilation, int Groups);

    static readonly Dictionary<string, ConvCase> Convs = new()
    {
        ["Basic3x3Bias"] = new([2, 3, 5, 6], [4, 3, 3, 3], true, [1], [0], [1], 1),
        ["Stride2Pad1"] = new([1, 2, 6, 5], [3, 2, 3, 3], true, [2], [1], [1], 1),
        ["NonSquareKernelStridePad"] = new([2, 2, 5, 7], [3, 2, 2, 3], true, [2, 1], [1, 0], [1], 1),
        ["Dilation2"] = new([1, 2, 7, 6], [2, 2, 3, 2], false, [1], [1], [2], 1),
        ["DilationNonSquare"] = new([1, 1, 7, 8], [2, 1, 2, 3], true, [1, 2], [0, 2], [2, 1], 1),
        ["Groups2"] = new([1, 4, 5, 5], [6, 2, 3, 3], true, [1], [1], [1], 2),
        ["Depthwise"] = new([2, 3, 4, 5], [3, 1, 3, 3], true, [1], [1], [1], 3),
        ["DepthwiseMultiplier"] = new([1, 2, 4, 4], [4, 1, 2, 2], false, [2], [0], [1], 2),
        ["Pointwise1x1"] = new([2, 3, 3, 4], [5, 3, 1, 1], false, [1], [0], [1], 1),
        ["KernelCoversInput"] = new([1, 2, 3, 3], [2, 2, 3, 3], true, [1], [0], [1], 1),
        ["LargePaddingStride3"] = new([1, 1, 5, 5], [1, 1, 3, 3], true, [3], [2], [1], 1),
    };

    public static TheoryData<string> ConvCases() => new(Convs.Keys);

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2d(string name)
    {
        var c = Convs[name];
        var inputs = new List<Tensor> { Rand(50, c.X), Rand(51, c.W) };
        if (c.Bias) inputs.Add(Rand(52, c.W[0]));
        Check($"Conv2d {name}", x => Tensor.Conv2d(x[0], x[1], c.Bias ? x[2] : null, c.Stride, c.Padding, c.Dilation, c.Groups), inputs.ToArray());
    }

    [Fact]
    public void Conv2dNonContiguousInputAndWeight()
    {
        Check("Conv2d permuted", x => Tensor.Conv2d(x[0].Permute(0, 3, 1, 2), x[1].Transpose(2, 3), x[2], padding: [1]),
            [Rand(53, 2, 4, 5, 3), Rand(54, 2, 3, 2, 3), Rand(55, 2)]);
    }

    [Fact]
    public void Conv2dGradientOnlyForInput()
    {
        using var w = Rand(56, 3, 2, 3, 3);
        Check("Conv2d fixed weight", x => Tensor.Conv2d(x[0], w, padding: [1]), [Rand(57, 1, 2, 4, 4)]);
        using var xin = Rand(58, 1, 2, 4, 4);
        Check("Conv2d fixed input", x => Tensor.Conv2d(xin, x[0], stride: [2]), [Rand(59, 3, 2, 3, 3)]);
    }

    public record PoolCase(int[] X, int[] Kernel, int[]? Stride, int[]? Padding, int[]? Dilation, bool CeilMode, bool CountIncludePad);

    static readonly Dictionary<string, PoolCase> Pools = new()
    {
        ["K2"] = new([2, 2, 4, 6], [2], null, null, null, false, true),
        ["K3S2P1"] = new([1, 2, 7, 6], [3], [2], [1], null, false, true),
        ["K3S2P1NoPadCount"] = new([1, 2, 7, 6], [3], [2], [1], null, false, false),
        ["CeilMode"] = new([1, 2, 5, 7], [2], [2], null, null, true, true),
        ["CeilModePadded"] = new([1, 1, 6, 5], [3], [2], [1], null, true, true),
        ["CeilModePaddedNoPadCount"] = new([1, 1, 6, 5], [3], [2], [1], null, true, false),
        ["NonSquare"] = new([2, 1, 5, 7], [2, 3], [1, 2], [1, 1], null, false, true),
        ["Overlapping"] = new([1, 2, 5, 5], [3], [1], null, null, false, true),
        ["Dilation2"] = new([1, 1, 7, 7], [2], [1], null, [2], false, true),
    };

    public static TheoryData<string> MaxPoolCases() => new(Pools.Keys);
    public static TheoryData<string> AvgPoolCases() => new(Pools.Where(p => p.Value.Dilation == null).Select(p => p.Key));

    [Theory, MemberData(nameof(MaxPoolCases))]
    public void MaxPool2d(string name)
    {
        var p = Pools[name];
        Check($"MaxPool2d {name}", x => Tensor.MaxPool2d(x, p.Kernel, p.Stride, p.Padding, p.Dilation, p.CeilMode), Distinct(60, p.X));
    }

    [Theory, MemberData(nameof(AvgPoolCases))]
    public void AvgPool2d(string name)
    {
        var p = Pools[name];
        Check($"AvgPool2d {name}", x => Tensor.AvgPool2d(x, p.Kernel, p.Stride, p.Padding, p.CeilMode, p.CountIncludePad), Rand(61, p.X));
    }

    [Theory]
    [InlineData(new[] { 1, 2, 7, 5 }, new[] { 3, 2 })]
    [InlineData(new[] { 2, 1, 6, 6 }, new[] { 1, 1 })]
    [InlineData(new[] { 1, 1, 5, 7 }, new[] { 3 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 3 })]
    [InlineData(new[] { 1, 1, 2, 3 }, new[] { 4, 5 })]
    public void AdaptiveAvgPool2d(int[] shape, int[] output)
    {
        Check($"AdaptiveAvgPool2d {string.Join("x", shape)} -> {string.Join("x", output)}", x => Tensor.AdaptiveAvgPool2d(x, output), Rand(62, shape));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Softmax(int dim)
    {
        Check($"Softmax({dim})", x => x.Softmax(dim), Rand(63, 2, 3, 4).Mul(2.0));
        Check($"LogSoftmax({dim})", x => x.LogSoftmax(dim), Rand(63, 2, 3, 4).Mul(2.0));
    }

    [Fact]
    public void SoftmaxOfTransposedAndLargeLogits()
    {
        Check("Softmax transposed", x => x.T.Softmax(1), Rand(64, 4, 3));
        Check("LogSoftmax large", x => x.LogSoftmax(1), Rand(64, 3, 4).Mul(30.0).Add(1000.0), atol: 1e-5);
        Check("Softmax 1-D", x => x.Softmax(0), Rand(64, 5));
    }
}
