namespace NativeNet.Tests.Ops;

/// <summary>GEMMs large enough to be split over workers (by rows and by columns, with transposed operands) against a direct loop.</summary>
public class GemmSplitTests
{
    [Theory]
    [InlineData(300, 70, 90, false, false)]  // m > n: row blocks
    [InlineData(70, 90, 300, false, false)]  // n > m: column blocks
    [InlineData(300, 70, 90, true, false)]   // Aᵀ, row blocks
    [InlineData(70, 90, 300, false, true)]   // Bᵀ, column blocks
    [InlineData(257, 64, 259, true, true)]   // both transposed, ragged blocks
    public void SplitProductsMatchADirectLoop(int m, int k, int n, bool ta, bool tb)
    {
        int before = Runtime.NumThreads;
        try
        {
            foreach (int threads in new[] { 2, 3 })
            {
                Runtime.SetThreads(threads);
                Tensor.ManualSeed(m + n + k);
                var a = ta ? Tensor.Randn([k, m], dtype: DType.Float64).T : Tensor.Randn([m, k], dtype: DType.Float64);
                var b = tb ? Tensor.Randn([n, k], dtype: DType.Float64).T : Tensor.Randn([k, n], dtype: DType.Float64);
                var c = a.MatMul(b).ToArray<double>();
                var av = a.Contiguous().ToArray<double>();
                var bv = b.Contiguous().ToArray<double>();
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
                        Assert.True(Math.Abs(s - c[i * n + j]) <= 1e-10 * (1 + Math.Abs(s)), $"C[{i},{j}] with {threads} threads: {c[i * n + j]} vs {s}");
                    }
            }
        }
        finally { Runtime.SetThreads(before); }
    }
}
