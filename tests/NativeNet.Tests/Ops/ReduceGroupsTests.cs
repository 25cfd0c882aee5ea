namespace NativeNet.Tests.Ops;

/// <summary>Reductions over non-adjacent dims (done one adjacent run at a time) against a direct loop.</summary>
public class ReduceGroupsTests
{
    [Theory]
    [InlineData(new[] { 0, 2 }, false)]
    [InlineData(new[] { 0, 2, 3 }, true)]
    [InlineData(new[] { 0, 2, 3 }, false)]
    [InlineData(new[] { 1, 3 }, true)]
    [InlineData(new[] { 0, 1, 3 }, false)]
    public void SumProdMaxMinMatchADirectLoop(int[] dims, bool keepDim)
    {
        Tensor.ManualSeed(3);
        int[] shape = [3, 4, 5, 6];
        var x = Tensor.Rand([.. shape], 0.5, 1.5, DType.Float64);
        var data = x.ToArray<double>();
        foreach (var (name, op, seed, f) in new (string, Func<Tensor, Tensor>, double, Func<double, double, double>)[]
        {
            ("sum", t => t.Sum(dims, keepDim), 0, (a, b) => a + b),
            ("prod", t => t.Prod(dims, keepDim), 1, (a, b) => a * b),
            ("amax", t => t.Amax(dims, keepDim), double.NegativeInfinity, Math.Max),
            ("amin", t => t.Amin(dims, keepDim), double.PositiveInfinity, Math.Min),
        })
        {
            var expected = new Dictionary<int, double>();
            var idx = new int[4];
            for (int i = 0; i < data.Length; i++)
            {
                int r = i;
                for (int d = 3; d >= 0; d--) { idx[d] = r % shape[d]; r /= shape[d]; }
                int key = 0;
                for (int d = 0; d < 4; d++) if (Array.IndexOf(dims, d) < 0) key = key * shape[d] + idx[d];
                expected[key] = f(expected.GetValueOrDefault(key, seed), data[i]);
            }
            var y = op(x);
            int[] outShape = keepDim ? shape.Select((s, d) => Array.IndexOf(dims, d) < 0 ? s : 1).ToArray()
                                     : shape.Where((_, d) => Array.IndexOf(dims, d) < 0).ToArray();
            Assert.Equal(outShape, y.Shape.ToArray());
            var got = y.ToArray<double>();
            for (int k = 0; k < got.Length; k++) Assert.True(Math.Abs(expected[k] - got[k]) <= 1e-12 * Math.Abs(expected[k]), $"{name}[{k}]");
        }
    }
}
