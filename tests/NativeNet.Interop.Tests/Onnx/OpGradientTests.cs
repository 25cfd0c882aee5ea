namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>
/// Float64 central-difference gradient checks of the ops added for ONNX (their forward values are checked by the ONNX
/// suites, whose references come from NumPy and PyTorch).
/// </summary>
public sealed class OpGradientTests
{
    /// <summary>Compares Backward of sum(f(x)·u) for a random u with central differences, element by element.</summary>
    static void Check(string op, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var shapes = inputs.Select(t => t.Shape.ToArray()).ToArray();
        var data = inputs.Select(t => t.To(DType.Float64).ToArray<double>()).ToArray();
        var leaves = data.Select((d, i) => Tensor.FromArray(d, shapes[i], requiresGrad: true)).ToArray();
        var y = f(leaves);
        Assert.Equal(DType.Float64, y.DType);
        var rng = new Random(7);
        var u = Enumerable.Range(0, y.NumEl).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var ut = Tensor.FromArray(u, y.Shape.ToArray());
        y.Backward(ut);
        double Loss()
        {
            using (Autograd.NoGrad())
            {
                var xs = data.Select((d, i) => Tensor.FromArray(d, shapes[i])).ToArray();
                return f(xs).Mul(ut).Sum().Item();
            }
        }
        const double eps = 1e-6;
        for (int i = 0; i < inputs.Length; i++)
        {
            var g = leaves[i].Grad?.ToArray<double>() ?? new double[data[i].Length];
            for (int j = 0; j < data[i].Length; j++)
            {
                double keep = data[i][j];
                data[i][j] = keep + eps;
                double hi = Loss();
                data[i][j] = keep - eps;
                double lo = Loss();
                data[i][j] = keep;
                double num = (hi - lo) / (2 * eps);
                Assert.True(Math.Abs(num - g[j]) <= 1e-5 + 1e-4 * Math.Abs(num), $"{op}: d/dinput{i}[{j}] analytic {g[j]:G8}, numeric {num:G8}");
            }
        }
    }

    static Tensor R(params int[] shape) => Tensor.Randn(shape).To(DType.Float64);

    static Tensor In(double lo, double hi, params int[] shape) => Tensor.Rand(shape, lo, hi, DType.Float64);

    public static TheoryData<string> Unaries() => ["Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh"];

    [Theory]
    [MemberData(nameof(Unaries))]
    public void TrigonometricOps(string op)
    {
        Tensor.ManualSeed(1);
        var x = op switch { "Acosh" => In(1.2, 3, 5), "Asin" or "Acos" or "Atanh" => In(-0.8, 0.8, 5), _ => In(-1, 1, 5) };
        var m = typeof(Tensor).GetMethod(op, Type.EmptyTypes)!;
        Check(op, t => (Tensor)m.Invoke(t[0], null)!, x);
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("replicate")]
    [InlineData("circular")]
    public void PadModes(string mode)
    {
        Tensor.ManualSeed(2);
        Check("Pad", t => t[0].Pad([2, 1, 1, 2], mode, 0.5), R(2, 3, 4));
        Check("Pad crop", t => t[0].Pad([-1, 2, 0, -1], mode == "reflect" ? "constant" : mode), R(2, 3, 4));
    }

    [Fact]
    public void FlipCumSumTriangles()
    {
        Tensor.ManualSeed(3);
        Check("Flip", t => t[0].Flip(0, 2), R(2, 3, 4));
        Check("CumSum", t => t[0].CumSum(1), R(2, 5));
        Check("CumSum exclusive reverse", t => t[0].CumSum(0, exclusive: true, reverse: true), R(7, 2));
        Check("Triu", t => t[0].Triu(1), R(2, 3, 4));
        Check("Tril", t => t[0].Tril(-1), R(3, 4));
        Check("Prod", t => t[0].Prod([1], keepDim: true), In(0.5, 2, 2, 3, 2));
    }

    [Fact]
    public void TopKValues()
    {
        Tensor.ManualSeed(4);
        Check("TopK", t => t[0].TopK(2, 1).Values, R(3, 5));
        Check("TopK smallest", t => t[0].TopK(3, 0, largest: false).Values, R(4, 2));
    }

    [Theory]
    [InlineData("ij,jk->ik")]
    [InlineData("bij,bjk->bik")]
    [InlineData("ij->ji")]
    [InlineData("ii->i")]
    [InlineData("...ij,...jk")]
    [InlineData("i,i->")]
    public void Einsum(string eq)
    {
        Tensor.ManualSeed(5);
        Tensor[] xs = eq switch
        {
            "ij,jk->ik" => [R(2, 3), R(3, 4)],
            "bij,bjk->bik" => [R(2, 2, 3), R(2, 3, 2)],
            "ij->ji" => [R(2, 3)],
            "ii->i" => [R(3, 3)],
            "...ij,...jk" => [R(2, 2, 3), R(3, 2)],
            _ => [R(4), R(4)],
        };
        Check("Einsum " + eq, t => Tensor.Einsum(eq, t), xs);
    }

    [Fact]
    public void ConvolutionsInOneAndThreeDimensions()
    {
        Tensor.ManualSeed(6);
        Check("Conv1d", t => Tensor.Conv1d(t[0], t[1], t[2], stride: 2, padding: 1, dilation: 1, groups: 2), R(1, 4, 7), R(2, 2, 3), R(2));
        Check("Conv3d", t => Tensor.Conv3d(t[0], t[1], null, [2, 1, 1], [1, 0, 1]), R(1, 2, 4, 3, 3), R(2, 2, 2, 2, 2));
    }

    [Fact]
    public void TransposedConvolutions()
    {
        Tensor.ManualSeed(7);
        Check("ConvTranspose2d", t => Tensor.ConvTranspose2d(t[0], t[1], t[2], [2, 1], [1, 0], [1, 0], 2, [1, 2]), R(1, 4, 3, 3), R(4, 1, 3, 2), R(2));
        Check("ConvTranspose1d", t => Tensor.ConvTranspose1d(t[0], t[1], null, stride: 3, padding: 1), R(2, 2, 3), R(2, 3, 2));
        Check("ConvTranspose3d", t => Tensor.ConvTranspose3d(t[0], t[1], null, [2, 1, 1], [0, 1, 0]), R(1, 2, 2, 2, 2), R(2, 1, 2, 2, 2));
    }

    [Fact]
    public void PoolingWithAsymmetricPadsAndThreeDimensions()
    {
        Tensor.ManualSeed(8);
        Check("AvgPool asym", t => Tensor.PoolNd(t[0], Tensor.PoolKind.Average, [2, 3], [1, 2], [0, 1], [1, 0], [1, 1], true, false).Y, R(1, 2, 4, 5));
        Check("MaxPool3d", t => Tensor.MaxPool3d(t[0], [2, 2, 2], [1, 2, 2]), R(1, 1, 3, 4, 4));
        Check("AvgPool1d", t => Tensor.AvgPool1d(t[0], 3, 2, 1, countIncludePad: false), R(2, 2, 6));
        Check("LpPool", t => Tensor.PoolNd(t[0], Tensor.PoolKind.Lp, [2], [1], [0], [0], [1], false, false, p: 3).Y, In(0.5, 2, 1, 1, 5));
    }

    [Theory]
    [InlineData("linear", "align_corners")]
    [InlineData("cubic", "half_pixel")]
    [InlineData("nearest", "asymmetric")]
    public void ResizeModes(string mode, string ctm)
    {
        Tensor.ManualSeed(9);
        var o = new ResizeOptions(mode, ctm);
        Check("Resize " + mode, t => Tensor.Resize(t[0], [1, 2, 5, 3], [1, 1, 5.0 / 3, 0.75], o), R(1, 2, 3, 4));
    }

    [Fact]
    public void InterpolateMatchesPyTorchNearestAndBilinearShapes()
    {
        using var x = Tensor.Arange(0, 4, 1, DType.Float32).Reshape(1, 1, 2, 2);
        using var nearest = Tensor.Interpolate(x, scaleFactor: [2]);
        Assert.Equal([0f, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3], nearest.ToArray<float>());
        using var bilinear = Tensor.Interpolate(x, size: [3, 3], mode: "bilinear", alignCorners: true);
        Assert.Equal([0f, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3], bilinear.ToArray<float>());
    }
}
