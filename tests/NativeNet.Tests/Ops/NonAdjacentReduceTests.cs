namespace NativeNet.Tests.Ops;

/// <summary>
/// Reductions over non-adjacent dims run as one pass per run of adjacent dims: they must equal the reduction of the
/// permuted (reduced dims last) contiguous copy, for Sum/Prod/Max/Min, keepDim or not, with NaNs for Max/Min.
/// </summary>
public class NonAdjacentReduceTests
{
    public static TheoryData<int[]> DimSets() => new() { new[] { 0, 2, 3 }, new[] { 0, 2 }, new[] { 1, 3 }, new[] { 0, 1, 3 }, new[] { 0, 3 } };

    /// <summary>The reference: reduced dims moved last, flattened, reduced along the last axis (an adjacent reduction).</summary>
    static double[] Reference(Tensor x, int[] dims, Func<Tensor, Tensor> reduceLast)
    {
        var keep = Enumerable.Range(0, x.Dim).Where(i => !dims.Contains(i)).ToArray();
        int outer = keep.Aggregate(1, (a, i) => a * x.Size(i));
        using var moved = x.Permute([.. keep, .. dims]).Contiguous().Reshape(outer, -1);
        using var r = reduceLast(moved);
        return TorchReferenceTests.ToDoubles(r);
    }

    [Theory, MemberData(nameof(DimSets))]
    public void MatchesThePermutedReduction(int[] dims)
    {
        using var scope = Tensor.Scope();
        // Small integers in float64: sums and products are exact in any order.
        var rng = new Random(dims.Sum());
        int[] shape = [3, 4, 5, 6];
        var v = Enumerable.Range(0, 360).Select(_ => (double)rng.Next(-3, 4)).ToArray();
        var x = Tensor.FromArray(v, shape);
        var nanV = (double[])v.Clone();
        nanV[17] = double.NaN; nanV[200] = double.NaN;
        var xn = Tensor.FromArray(nanV, shape);
        var small = Tensor.FromArray(v.Select(a => a == 0 ? 1 : Math.Sign(a) * 1.0).ToArray(), shape); // ±1: exact products
        foreach (bool keepDim in new[] { false, true })
        {
            int[] outShape = Enumerable.Range(0, 4).Where(i => keepDim || !dims.Contains(i)).Select(i => dims.Contains(i) ? 1 : shape[i]).ToArray();
            void Same(string what, Tensor actual, double[] expected)
            {
                Assert.Equal(outShape, actual.Shape.ToArray());
                Assert.Equal(expected, TorchReferenceTests.ToDoubles(actual));
            }
            Same("sum", x.Sum(dims, keepDim), Reference(x, dims, t => t.Sum(1)));
            Same("max", x.Amax(dims, keepDim), Reference(x, dims, t => t.Amax([1])));
            Same("min", x.Amin(dims, keepDim), Reference(x, dims, t => t.Amin([1])));
            Same("max nan", xn.Amax(dims, keepDim), Reference(xn, dims, t => t.Amax([1])));
            Same("min nan", xn.Amin(dims, keepDim), Reference(xn, dims, t => t.Amin([1])));
            Same("mean", x.Mean(dims, keepDim), Reference(x, dims, t => t.Mean(1)));
            Same("prod", small.Prod(dims, keepDim), Reference(small, dims, t => t.Prod(1)));
        }
    }

    [Fact]
    public void SumOverBatchAndSpatialDims_GradientIsOnes()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn(2, 3, 4, 5);
        x.RequiresGrad = true;
        var y = x.Sum([0, 2, 3]);
        Assert.Equal(new[] { 3 }, y.Shape.ToArray());
        y.Backward(Tensor.FromArray(new[] { 1f, 2f, 3f }, [3]));
        var g = x.Grad!.ToArray<float>();
        for (int i = 0; i < g.Length; i++) Assert.Equal(i / 20 % 3 + 1, g[i]);
    }
}
