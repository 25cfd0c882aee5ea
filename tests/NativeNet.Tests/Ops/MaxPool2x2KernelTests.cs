using NativeNet.Backends.Cpu;
using static NativeNet.Tests.AutogradTests.GradCheck;

namespace NativeNet.Tests.Ops;

/// <summary>
/// The vectorized 2×2/2 max-pool kernel (one-byte window codes) against the general window loop (Int64 flat
/// indices) on the same data: values, argmax positions and the backward's scatter, with ties, NaNs and widths that
/// leave partial vectors and uncovered rows/columns, in float32 and float64.
/// </summary>
public class MaxPool2x2KernelTests
{
    /// <summary>Integer values in [-3, 3] (many ties) with some NaNs; in float32 or float64.</summary>
    static Tensor TiedWithNaNs(int seed, DType dtype, int[] shape, double nanFraction)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.NextDouble() < nanFraction ? double.NaN : rng.Next(-3, 4);
        var t = Tensor.FromArray(v, shape);
        if (dtype == DType.Float64) return t;
        using (t) return t.To(dtype);
    }

    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 2, 3, 4, 4 },    // one short vector per row
        { 1, 2, 28, 28 },  // OW 14: a full float vector plus a tail
        { 2, 2, 14, 14 },  // OW 7: only tails
        { 1, 3, 9, 35 },   // odd height and width: last row and column uncovered; OW 17
        { 1, 1, 5, 33 },   // OW 16: two full float vectors, four full double vectors
        { 3, 1, 2, 2 },    // a single window per plane
    };

    [Theory, MemberData(nameof(Shapes))]
    public void ForwardAndBackward_MatchTheGeneralLoop(int n, int c, int h, int w)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (double nanFraction in new[] { 0.0, 0.1 })
                Compare(dtype, [n, c, h, w], nanFraction, seed: h * 100 + w);
    }

    [Fact]
    public void ScalarLoops_MatchTheGeneralLoop()
    {
        // The loops machines without AVX2 run, on the same checks.
        CpuBackend.ScalarPool2x2ForTests = true;
        try
        {
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                Compare(dtype, [2, 2, 14, 14], 0.1, seed: 5);
                Compare(dtype, [1, 3, 9, 35], 0.0, seed: 6);
            }
        }
        finally { CpuBackend.ScalarPool2x2ForTests = false; }
    }

    static void Compare(DType dtype, int[] shape, double nanFraction, int seed)
    {
        using var scope = Tensor.Scope();
        var x = TiedWithNaNs(seed, dtype, shape, nanFraction);
        int oh = shape[2] / 2, ow = shape[3] / 2;
        int[] outShape = [shape[0], shape[1], oh, ow];
        var g = new Pool2dGeometry(shape[0], shape[1], shape[2], shape[3], 2, 2, oh, ow, 2, 2, 0, 0, 1, 1, false);
        Assert.True(CpuBackend.IsMaxPool2x2(g));
        var cpu = CpuBackend.Instance;

        var yRef = Tensor.Zeros(outShape).To(dtype);
        var idx = Tensor.Zeros(outShape).To(DType.Int64);
        cpu.MaxPool2d(x.View, yRef.View, idx.View, g);
        var yFast = Tensor.Full(outShape, 7, dtype);
        var codes = Tensor.Full(outShape, 9, DType.UInt8);
        cpu.MaxPool2x2(x.View, yFast.View, codes.View, g);
        var yNoCodes = Tensor.Full(outShape, 7, dtype);
        cpu.MaxPool2x2(x.View, yNoCodes.View, null, g);

        string what = $"{dtype} {string.Join("x", shape)} nan {nanFraction}";
        var expected = ToDoubles(yRef);
        AssertSameValues(expected, ToDoubles(yFast), what);
        AssertSameValues(expected, ToDoubles(yNoCodes), what + " (no codes)");
        // The code names the same element as the general loop's flat index.
        var flat = idx.ToArray<long>();
        var code = codes.ToArray<byte>();
        int W = shape[3];
        for (int i = 0; i < flat.Length; i++)
        {
            int o = i % (oh * ow), r = o / ow, col = o % ow;
            long fromCode = (2L * r + code[i] / 2) * W + 2 * col + code[i] % 2;
            Assert.True(code[i] <= 3 && fromCode == flat[i], $"{what}: output {i} code {code[i]} → {fromCode}, general loop {flat[i]}");
        }

        // Backward: the general scatter onto a cleared gradient versus the code-driven write of every element.
        var gy = TiedWithNaNs(seed + 1, dtype, outShape, nanFraction / 2);
        var gxRef = Tensor.Zeros(shape).To(dtype);
        cpu.MaxPool2dBackward(gy.View, idx.View, gxRef.View, g);
        var gxFast = Tensor.Full(shape, 5, dtype); // stale values must all be overwritten
        cpu.MaxPool2x2Backward(gy.View, codes.View, gxFast.View, g);
        AssertSameValues(ToDoubles(gxRef), ToDoubles(gxFast), what + " backward");

        // Dead codes (pooling a ReLU's output): bit 2 set exactly where the maximum is not positive, the argmax bits
        // unchanged, and the backward equals ReLU's rule applied to the plain one: x > 0 ? gx : 0.
        var deadCodes = Tensor.Full(outShape, 9, DType.UInt8);
        cpu.MaxPool2x2(x.View, yFast.View, deadCodes.View, g, markDead: true);
        var dead = deadCodes.ToArray<byte>();
        for (int i = 0; i < dead.Length; i++)
            Assert.True(dead[i] == (code[i] | (expected[i] > 0 ? 0 : 4)), $"{what}: output {i} (max {expected[i]}) dead code {dead[i]}, argmax code {code[i]}");
        var gxDead = Tensor.Full(shape, 5, dtype);
        cpu.MaxPool2x2Backward(gy.View, deadCodes.View, gxDead.View, g);
        var xs = ToDoubles(x);
        var masked = ToDoubles(gxRef).Select((v, i) => xs[i] > 0 ? v : 0).ToArray();
        AssertSameValues(masked, ToDoubles(gxDead), what + " backward with dead codes");
    }

    static double[] ToDoubles(Tensor t) => TorchReferenceTests.ToDoubles(t);

    static void AssertSameValues(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].Equals(actual[i]), $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
    }

    [Fact]
    public void NaNWins_AndTheLastNaNIsKept()
    {
        // PyTorch's scan takes a later element if greater or NaN: [1, NaN; NaN, 0] → NaN at position 2 (row 1, col 0).
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            using var x = Tensor.FromArray(new[] { 1.0, double.NaN, double.NaN, 0.0, 4, 4, 4, 4 }, [1, 2, 2, 2]).To(dtype);
            x.RequiresGrad = true;
            using var y = Tensor.MaxPool2d(x, [2]);
            Assert.True(double.IsNaN(ToDoubles(y)[0]));
            y.Backward(Tensor.FromArray(new[] { 10.0, 20.0 }, [1, 2, 1, 1]).To(dtype));
            Assert.Equal(new[] { 0.0, 0, 10, 0, 20, 0, 0, 0 }, ToDoubles(x.Grad!));
        }
    }

    [Fact]
    public void GradCheck_Float64_FullVectorsTailsAndUncoveredEdges()
    {
        Check("MaxPool2d 2x2 wide", x => Tensor.MaxPool2d(x[0], [2]), [Distinct(71, 1, 2, 4, 19)]);
        Check("MaxPool2d 2x2 odd", x => Tensor.MaxPool2d(x[0], [2], stride: [2]), [Distinct(72, 2, 1, 5, 7)]);
        // A permuted (non-contiguous) input goes through Contiguous first.
        Check("MaxPool2d 2x2 permuted", x => Tensor.MaxPool2d(x[0].Permute(0, 3, 1, 2), [2]), [Distinct(73, 1, 6, 10, 2)]);
    }

    [Fact]
    public void AfterRelu_GradCheck_AloneSharedAndFused()
    {
        // Values on both sides of zero: whole windows die, others keep one positive maximum.
        Check("Relu-MaxPool", x => Tensor.MaxPool2d(x[0].Relu(), [2]), [Distinct(74, 2, 3, 6, 18)]);
        // The ReLU output also feeds a second consumer: the summed gradient needs ReLU's full backward.
        Check("Relu-MaxPool shared", x =>
        {
            var r = x[0].Relu();
            return Tensor.MaxPool2d(r, [2]).Sum().Add(r.Mul(r).Sum());
        }, [Distinct(75, 1, 2, 6, 10)]);
        // The fused Conv+ReLU kernel's output (a compiled graph's fusion) takes the same path.
        Check("ConvRelu-MaxPool", x => Tensor.MaxPool2d(Tensor.Conv2dCore(x[0], x[1], x[2], null, [1], null, 1, relu: true), [2]),
            [Distinct(76, 1, 2, 6, 8), Distinct(77, 3, 2, 3, 3), Distinct(78, 3)]);
    }

    [Fact]
    public void AfterRelu_MatchesUnfusedGradient_Float32()
    {
        Tensor.ManualSeed(12);
        using var scope = Tensor.Scope();
        var z = Tensor.Randn(4, 8, 14, 30);
        z.RequiresGrad = true;
        var gy = Tensor.Randn(4, 8, 7, 15);
        Tensor.MaxPool2d(z.Relu(), [2]).Backward(gy);
        var fused = z.Grad!.ToArray<float>();
        z.Grad = null;
        // The same function with the pool reading a copy of the ReLU output: no fusion (its GradFn is the copy's).
        Tensor.MaxPool2d(z.Relu().Mul(1.0), [2]).Backward(gy);
        Assert.Equal(z.Grad!.ToArray<float>(), fused);
    }

    [Fact]
    public void Float32_MatchesAReductionWrittenReference_UnderGrad()
    {
        Tensor.ManualSeed(11);
        using var scope = Tensor.Scope();
        var x = Tensor.Randn(2, 3, 12, 22);
        x.RequiresGrad = true;
        var y = Tensor.MaxPool2d(x, [2]);
        var windows = x.Detach().Reshape(2, 3, 6, 2, 11, 2).Amax([3, 5]);
        Assert.Equal(windows.ToArray<float>(), y.ToArray<float>());
        y.Sum().Backward();
        // Random normal values have no ties: each window's maximum gets gradient 1, everything else 0.
        var mask = x.Detach().Eq(windows.Reshape(2, 3, 6, 1, 11, 1).Expand(2, 3, 6, 2, 11, 2).Reshape(2, 3, 12, 22)).To(DType.Float32);
        Assert.Equal(mask.ToArray<float>(), x.Grad!.ToArray<float>());
    }
}
