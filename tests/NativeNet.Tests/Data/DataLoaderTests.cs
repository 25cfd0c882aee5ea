using System.Diagnostics;
using NativeNet.Data;

namespace NativeNet.Tests.Data;

/// <summary>DataLoader: batch counts, shuffling, prefetch equivalence, early exit and memory. Serial: memory checks read global stats.</summary>
[Collection(DataSerialCollection.Name)]
public sealed class DataLoaderTests
{
    /// <summary>n samples: X[i] = [i, -i] (Float32), Y[i] = i (Int64), so rows can be checked to stay paired.</summary>
    static TensorDataset Numbered(int n)
    {
        var x = Tensor.FromArray(Enumerable.Range(0, n).SelectMany(i => new[] { (float)i, -i }).ToArray(), [n, 2]);
        var y = Tensor.Arange(n);
        return new TensorDataset(x, y);
    }

    static List<long[]> Epoch(DataLoader loader)
    {
        var batches = new List<long[]>();
        foreach (var (x, y) in loader)
        {
            var ys = y.ToArray<long>();
            var xs = x.ToArray<float>();
            Assert.Equal([ys.Length, 2], x.Shape.ToArray());
            for (int i = 0; i < ys.Length; i++) Assert.Equal((ys[i], -ys[i]), ((long)xs[2 * i], (long)xs[2 * i + 1]));
            batches.Add(ys);
        }
        return batches;
    }

    /// <summary>
    /// torch.randperm's definition in NativeNet (Tensor.RandPerm): indices sorted by uniform Float64 keys from the global
    /// generator. Spelled out because Tensor.RandPerm on the CPU returns a disposed tensor until the core fix lands.
    /// </summary>
    static long[] RandPerm(int n)
    {
        using var keys = Tensor.Rand([n], 0, 1, DType.Float64);
        var k = keys.ToArray<double>();
        var idx = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        Array.Sort(k, idx);
        return idx;
    }

    /// <summary>
    /// Host-pool bytes in use are back to <paramref name="baseline"/>, give or take a few 64-byte per-thread scalar caches that
    /// the CPU backend keeps on each thread pool thread it first runs on; one leaked batch would be far larger.
    /// </summary>
    static void AssertFlat(long baseline, string when)
    {
        long growth = MemoryStats.CpuBytesInUse - baseline;
        Assert.True(Math.Abs(growth) <= 1024, $"host memory in use changed by {growth} bytes {when}");
    }

    [Theory]
    [InlineData(10, 3, false, 4)]
    [InlineData(10, 3, true, 3)]
    [InlineData(9, 3, true, 3)]
    [InlineData(9, 3, false, 3)]
    [InlineData(2, 5, true, 0)]
    [InlineData(2, 5, false, 1)]
    public void BatchCountsAndSizes(int n, int batchSize, bool dropLast, int expected)
    {
        var loader = new DataLoader(Numbered(n), batchSize: batchSize, dropLast: dropLast);
        Assert.Equal(expected, loader.Count);
        var batches = Epoch(loader);
        Assert.Equal(expected, batches.Count);
        for (int b = 0; b < batches.Count; b++)
            Assert.Equal(Math.Min(batchSize, n - b * batchSize), batches[b].Length);
        // Without shuffling the order is 0..n-1.
        Assert.Equal(Enumerable.Range(0, batches.Sum(b => b.Length)).Select(i => (long)i), batches.SelectMany(b => b));
    }

    [Fact]
    public void ShuffleVisitsEverySampleOncePerEpochInANewOrderEachEpoch()
    {
        var loader = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 3);
        var e0 = Epoch(loader).SelectMany(b => b).ToArray();
        var e1 = Epoch(loader).SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), e0.Order());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), e1.Order());
        Assert.NotEqual(e0, e1);
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i), e0);

        // Same seed: same sequence of epochs. Epoch k is the permutation ManualSeed(seed + k); RandPerm(n) gives.
        var again = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 3);
        Assert.Equal(e0, Epoch(again).SelectMany(b => b));
        Assert.Equal(e1, Epoch(again).SelectMany(b => b));
        Tensor.ManualSeed(4);
        Assert.Equal(RandPerm(50), e1);
        Assert.NotEqual(e0, Epoch(new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 4)).SelectMany(b => b));
    }

    [Fact]
    public void UnseededShuffleFollowsTheGlobalGenerator()
    {
        var loader = new DataLoader(Numbered(40), batchSize: 16, shuffle: true);
        Tensor.ManualSeed(11);
        var a = Epoch(loader).SelectMany(b => b).ToArray();
        Tensor.ManualSeed(11);
        var b = Epoch(loader).SelectMany(b => b).ToArray();
        Assert.Equal(a, b);
        Tensor.ManualSeed(11);
        Assert.Equal(RandPerm(40), a);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PrefetchOnAndOffGiveIdenticalBatches(bool dropLast)
    {
        var ds = Numbered(37);
        var on = new DataLoader(ds, batchSize: 5, shuffle: true, dropLast: dropLast, seed: 9, prefetch: true);
        var off = new DataLoader(ds, batchSize: 5, shuffle: true, dropLast: dropLast, seed: 9, prefetch: false);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var a = Epoch(on);
            var b = Epoch(off);
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BreakingOutEarlyStopsTheWorkerAndFreesQueuedBatches(bool prefetch)
    {
        using var x = Tensor.Zeros(4000, 64);
        using var y = Tensor.Zeros([4000], DType.Int64);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 10, prefetch: prefetch);
        long before = MemoryStats.CpuBytesInUse;
        var sw = Stopwatch.StartNew();
        for (int rep = 0; rep < 20; rep++)
        {
            int seen = 0;
            foreach (var (bx, _) in loader)
            {
                Assert.Equal(10, bx.Size(0));
                if (++seen == 2) break;
            }
            Thread.Sleep(rep == 0 ? 50 : 0); // give the worker time to fill its queue once
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"20 early exits took {sw.Elapsed}");
        Assert.Equal(0, DataLoader.ActiveWorkers);
        AssertFlat(before, "after 20 early exits");
    }

    [Fact]
    public void MemoryStaysFlatAcrossEpochsWithAScopePerStep()
    {
        using var x = Tensor.Randn(200, 1, 6, 6);
        using var y = Tensor.RandInt(0, 10, [200]);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 16, shuffle: true, seed: 1,
            transform: b => (b.X * 2 - 1, b.Y));
        long afterWarmup = 0;
        for (int epoch = 0; epoch < 40; epoch++)
        {
            foreach (var (bx, by) in loader)
            {
                using var scope = Tensor.Scope();
                using var flat = bx.Flatten(1);
                var loss = (flat * flat).Mean() + by.To(DType.Float32).Mean();
                Assert.True(float.IsFinite(loss.Item<float>()));
            }
            if (epoch == 1) afterWarmup = MemoryStats.CpuBytesInUse;
        }
        AssertFlat(afterWarmup, "over 38 epochs");
        Assert.Equal(0, DataLoader.ActiveWorkers);
    }

    [Fact]
    public void WithoutDisposeBatchesTheConsumersScopeOwnsEachBatch()
    {
        using var x = Tensor.Randn(64, 3);
        using var y = Tensor.Arange(64);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 8, disposeBatches: false);
        long before = MemoryStats.CpuBytesInUse;
        var kept = new List<Tensor>();
        for (int epoch = 0; epoch < 5; epoch++)
        {
            using var e = loader.GetEnumerator();
            while (true)
            {
                using var scope = Tensor.Scope();
                if (!e.MoveNext()) break;
                var (bx, _) = e.Current;
                Assert.Same(scope, bx.owner);
                if (epoch == 0 && kept.Count == 0) kept.Add(scope.Keep<Tensor>(bx));
            }
        }
        Assert.False(kept[0].IsDisposed); // kept past its scope, and not disposed by the loader
        Assert.Equal(x.Narrow(0, 0, 8).ToArray<float>(), kept[0].ToArray<float>());
        kept[0].Dispose();
        AssertFlat(before, "after 5 epochs");
    }

    [Fact]
    public void BatchesAreDisposedWhenTheLoopMovesOn()
    {
        var loader = new DataLoader(Numbered(6), batchSize: 2);
        Tensor? previous = null;
        foreach (var (bx, _) in loader)
        {
            Assert.True(previous is null || previous.IsDisposed);
            Assert.False(bx.IsDisposed);
            previous = bx;
        }
        Assert.True(previous!.IsDisposed);
    }

    [Fact]
    public void TransformMapsEachBatch()
    {
        var loader = new DataLoader(Numbered(7), batchSize: 3, transform: b => (b.X.Sum(1), b.Y * 10));
        var batches = loader.Select(b => (b.X.ToArray<float>(), b.Y.ToArray<long>())).ToList();
        Assert.Equal(new[] { 0f, 0f, 0f }, batches[0].Item1);
        Assert.Equal(new long[] { 60 }, batches[2].Item2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DatasetErrorsReachTheConsumer(bool prefetch)
    {
        var loader = new DataLoader(new Failing(), batchSize: 2, prefetch: prefetch);
        int seen = 0;
        var e = Assert.Throws<InvalidOperationException>(() => { foreach (var _ in loader) seen++; });
        Assert.Equal("sample 5 is broken", e.Message);
        Assert.Equal(2, seen);
        Assert.Equal(0, DataLoader.ActiveWorkers);
    }

    /// <summary>A sample-by-sample dataset (default GetBatch stacks samples); sample 5 throws.</summary>
    sealed class Failing : Dataset
    {
        public override int Count => 10;
        public override (Tensor X, Tensor Y) GetItem(int index)
            => index == 5 ? throw new InvalidOperationException("sample 5 is broken")
                : (Tensor.Full([2, 2], index), Tensor.Scalar(index, DType.Int64));
    }

    [Fact]
    public void CustomDatasetsAreCollatedByStacking()
    {
        var loader = new DataLoader(new Failing(), batchSize: 4, prefetch: false);
        using var e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        var (x, y) = e.Current;
        Assert.Equal([4, 2, 2], x.Shape.ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3 }, y.ToArray<long>());
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(i => Enumerable.Repeat((float)i, 4)), x.ToArray<float>());
    }

    [Fact]
    public void ThreeTensorDatasetsIterateAsArrays()
    {
        using var a = Tensor.Arange(6);
        using var b = Tensor.Arange(6) * 2;
        using var c = Tensor.Arange(12).Reshape(6, 2);
        var ds = new TensorDataset(a, b, c);
        Assert.Equal(3, ds.FieldCount);
        var loader = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 0);
        var seen = new List<long>();
        foreach (var batch in loader.Batches())
        {
            Assert.Equal(3, batch.Length);
            var ia = batch[0].ToArray<long>();
            Assert.Equal(ia.Select(v => 2 * v), batch[1].ToArray<long>());
            Assert.Equal(ia.SelectMany(v => new[] { 2 * v, 2 * v + 1 }), batch[2].ToArray<long>());
            seen.AddRange(ia);
        }
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, seen.Order());
        Assert.Throws<InvalidOperationException>(() => loader.GetEnumerator());
        Assert.Throws<InvalidOperationException>(() => ds.GetItem(0));
        Assert.Throws<ArgumentException>(() => new DataLoader(ds, transform: t => t));
    }

    [Fact]
    public void TensorDatasetChecksItsArguments()
    {
        using var a = Tensor.Zeros(3, 2);
        using var b = Tensor.Zeros(4);
        Assert.Throws<ShapeMismatchException>(() => new TensorDataset(a, b));
        Assert.Throws<ArgumentException>(() => new TensorDataset());
        var ds = new TensorDataset(a, a.Sum(1));
        Assert.Equal(3, ds.Count);
        Assert.Throws<IndexOutOfRangeException>(() => ds.GetItem(3));
        var (x, y) = ds.GetItem(-1);
        Assert.Equal([2], x.Shape.ToArray());
        Assert.Equal(0, y.Dim);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, batchSize: 0));
        ds.Dispose();
        Assert.False(a.IsDisposed); // user tensors stay the user's
    }
}
