namespace NativeNet.Tests.Core;

/// <summary>The seeded counter-based generator: reproducibility and distribution checks.</summary>
[Collection("Serial")]
public class RandomTests
{
    [Fact]
    public void ManualSeedReproducesStreams()
    {
        Tensor.ManualSeed(42);
        using var a1 = Tensor.Rand(3, 4);
        using var b1 = Tensor.Randn(5);
        Tensor.ManualSeed(42);
        using var a2 = Tensor.Rand(3, 4);
        using var b2 = Tensor.Randn(5);
        Assert.Equal(a1.ToArray<float>(), a2.ToArray<float>());
        Assert.Equal(b1.ToArray<float>(), b2.ToArray<float>());
        using var a3 = Tensor.Rand(3, 4);
        Assert.NotEqual(a1.ToArray<float>(), a3.ToArray<float>());
        Tensor.ManualSeed(43);
        using var a4 = Tensor.Rand(3, 4);
        Assert.NotEqual(a1.ToArray<float>(), a4.ToArray<float>());
        // Counter-based: one draw of 12 equals the concatenation of draws of 5 and 7.
        Tensor.ManualSeed(42);
        using var p1 = Tensor.Rand(5);
        using var p2 = Tensor.Rand(7);
        Assert.Equal(a1.ToArray<float>(), p1.ToArray<float>().Concat(p2.ToArray<float>()).ToArray());
    }

    [Fact]
    public void RandIsUniformInHalfOpenUnitInterval()
    {
        Tensor.ManualSeed(1);
        using var u = Tensor.Rand(100_000);
        var v = u.ToArray<float>();
        Assert.All(v, x => Assert.InRange(x, 0f, 0.99999994f));
        Assert.InRange(v.Average(x => (double)x), 0.5 - 0.005, 0.5 + 0.005);
        Assert.InRange(v.Select(x => (x - 0.5) * (x - 0.5)).Average(), 1 / 12.0 - 0.002, 1 / 12.0 + 0.002);
        // Every tenth of the interval gets about a tenth of the draws.
        var counts = v.GroupBy(x => (int)(x * 10)).ToDictionary(g => g.Key, g => g.Count());
        for (int b = 0; b < 10; b++) Assert.InRange(counts[b], 9_500, 10_500);
        using var r = Tensor.Rand([1000], low: -2, high: 3, dtype: DType.Float64);
        Assert.All(r.ToArray<double>(), x => Assert.InRange(x, -2.0, 2.9999999999));
    }

    [Fact]
    public void Float32UniformNeverRoundsUpToTheBound()
    {
        // Regression: (seed 7, counter 39464926) draws 0.99999997418, which rounds to 1.0f.
        using var t = Tensor.Empty([1]);
        Backends.Cpu.CpuBackend.Instance.Random(t.View, false, 0, 1, 7, 39464926);
        Assert.True(t.Item<float>() < 1f, $"drew {t.Item<float>():R}");
    }

    [Fact]
    public void RandnHasStandardMoments()
    {
        Tensor.ManualSeed(2);
        using var n = Tensor.Randn(100_000);
        var v = n.ToArray<float>().Select(x => (double)x).ToArray();
        double mean = v.Average(), std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.99, 1.01);
        Assert.InRange(v.Count(x => Math.Abs(x) < 1) / 1e5, 0.6827 - 0.005, 0.6827 + 0.005);
        Assert.All(v, x => Assert.True(double.IsFinite(x)));
        using var m = Tensor.Randn([50_000], mean: 3, std: 0.5, dtype: DType.Float64);
        var w = m.ToArray<double>();
        Assert.InRange(w.Average(), 2.99, 3.01);
        Assert.InRange(Math.Sqrt(w.Select(x => (x - 3) * (x - 3)).Average()), 0.49, 0.51);
    }

    [Fact]
    public void RandIntStaysInBoundsAndCoversTheRange()
    {
        Tensor.ManualSeed(3);
        using var r = Tensor.RandInt(-3, 4, [20_000]);
        Assert.Equal(DType.Int64, r.DType);
        var v = r.ToArray<long>();
        Assert.All(v, x => Assert.InRange(x, -3L, 3L));
        Assert.Equal(7, v.Distinct().Count());
        foreach (var g in v.GroupBy(x => x)) Assert.InRange(g.Count(), 2_500, 3_200);
        Assert.Throws<ArgumentException>(() => Tensor.RandInt(5, 5, [2]));
    }

    [Fact]
    public void RandPermIsAPermutation()
    {
        Tensor.ManualSeed(4);
        using var p = Tensor.RandPerm(1000);
        Assert.Equal(DType.Int64, p.DType);
        var v = p.ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), v.OrderBy(x => x));
        Assert.NotEqual(Enumerable.Range(0, 1000).Select(i => (long)i), v);
        Tensor.ManualSeed(4);
        using var q = Tensor.RandPerm(1000);
        Assert.Equal(v, q.ToArray<long>());
        using var empty = Tensor.RandPerm(0);
        Assert.Equal(0, empty.NumEl);
    }

    [Fact]
    public void InPlaceInitializers()
    {
        Tensor.ManualSeed(5);
        using var w = Tensor.Zeros(1000);
        w.UniformInPlace(-0.1, 0.1);
        Assert.All(w.ToArray<float>(), x => Assert.InRange(x, -0.1f, 0.1f));
        w.NormalInPlace(0, 2);
        var v = w.ToArray<float>();
        Assert.InRange(Math.Sqrt(v.Select(x => (double)x * x).Average()), 1.8, 2.2);
    }
}
