namespace NativeNet.Tests.Core;

/// <summary>TensorScope ownership rules and the "no memory growth" bar: pool bytes and GC heap stay flat over 2,000 steps.</summary>
[Collection("Serial")]
public class MemoryTests
{
    [Fact]
    public void ScopeDisposesWhatWasCreatedInside()
    {
        var before = Tensor.Ones(2);
        Tensor inside, view;
        using (var scope = Tensor.Scope())
        {
            inside = Tensor.Zeros(3);
            view = before.Reshape(1, 2);
            using var tmp = inside + 1.0;
            Assert.Equal(3, scope.Count);
            Assert.Same(scope, TensorScope.Current);
        }
        Assert.True(inside.IsDisposed);
        Assert.True(view.IsDisposed);
        Assert.False(before.IsDisposed);
        Assert.Null(TensorScope.Current);
        before.Dispose();
    }

    [Fact]
    public void KeepMovesToTheEnclosingScope()
    {
        Tensor kept, keptTwice, a, b;
        using (var outer = Tensor.Scope())
        {
            using (var inner = Tensor.Scope())
            {
                kept = inner.Keep(Tensor.Zeros(2));
                a = Tensor.Zeros(1);
                b = Tensor.Zeros(1);
                inner.Keep(a, b);
            }
            Assert.False(kept.IsDisposed);
            Assert.False(a.IsDisposed);
            Assert.Equal(3, outer.Count);
            keptTwice = outer.Keep(kept);
        }
        Assert.False(keptTwice.IsDisposed);
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        kept.Dispose();

        // Keep without an enclosing scope unowns the tensor; keeping a tensor the scope does not own is a no-op.
        using var outside = Tensor.Zeros(1);
        Tensor free;
        using (var s = Tensor.Scope())
        {
            free = s.Keep(Tensor.Zeros(1));
            Assert.Same(outside, s.Keep(outside));
            s.KeepAll([Tensor.Zeros(1)]);
        }
        Assert.False(free.IsDisposed);
        free.Dispose();
    }

    [Fact]
    public void NestedScopesDisposeInnermostFirst()
    {
        Tensor o, i;
        using (Tensor.Scope())
        {
            o = Tensor.Zeros(1);
            using (Tensor.Scope()) i = Tensor.Zeros(1);
            Assert.True(i.IsDisposed);
            Assert.False(o.IsDisposed);
        }
        Assert.True(o.IsDisposed);
    }

    [Fact]
    public void OutOfOrderAndRepeatedDisposeAreHarmless()
    {
        var outer = Tensor.Scope();
        var o = Tensor.Zeros(1);
        var inner = Tensor.Scope();
        var i = Tensor.Zeros(1);
        outer.Dispose();
        Assert.True(o.IsDisposed);
        Assert.False(i.IsDisposed);
        Assert.Same(inner, TensorScope.Current);
        outer.Dispose();
        var late = Tensor.Zeros(1);
        inner.Dispose();
        Assert.True(i.IsDisposed);
        Assert.True(late.IsDisposed);
        // Regression: the dead outer scope used to become current again and swallow every later tensor.
        Assert.Null(TensorScope.Current);
        var after = Tensor.Zeros(1);
        using (var s = Tensor.Scope()) { }
        Assert.False(after.IsDisposed);
        inner.Dispose();
        after.Dispose();
        after.Dispose();
    }

    [Fact]
    public void ViewsKeepStorageAliveAfterTheBaseIsDisposed()
    {
        var x = Tensor.Arange(0, 6, 1, DType.Float32);
        var v = x.Reshape(2, 3)[1];
        x.Dispose();
        Assert.Equal(new[] { 3f, 4f, 5f }, v.ToArray<float>());
        var ex = Assert.Throws<ObjectDisposedException>(() => x.ToArray<float>());
        Assert.Contains("[6]", ex.Message);
        v.Dispose();
    }

    [Fact]
    public void DisposeReturnsBytesToThePool()
    {
        long before = MemoryStats.CpuBytesInUse;
        var t = Tensor.Zeros(1000);
        Assert.True(MemoryStats.CpuBytesInUse >= before + 4000);
        var view = t.T;
        t.Dispose();
        Assert.True(MemoryStats.CpuBytesInUse >= before + 4000, "a view still references the storage");
        view.Dispose();
        Assert.Equal(before, MemoryStats.CpuBytesInUse);
        Assert.True(MemoryStats.CpuPeakBytes >= before + 4000);
        Assert.True(MemoryStats.CpuCachedBytes >= 4000);
    }

    [Fact]
    public void GradientsOutliveTheScopeOfTheirBackward()
    {
        using var w = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        using (Tensor.Scope()) w.Mul(w).Sum().Backward();
        Assert.False(w.Grad!.IsDisposed);
        Assert.Equal(new[] { 2f, 4f }, w.Grad.ToArray<float>());
        w.Grad.Dispose();
    }

    [Fact]
    public void TwoThousandScopedTrainingStepsHoldMemoryFlat()
    {
        Tensor.ManualSeed(11);
        using var x = Tensor.Randn(8, 16);
        using var labels = Tensor.FromArray(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 }, [8, 1]);
        using var w1 = Tensor.Randn(16, 32).Mul(0.25).RequiresGrad_();
        using var b1 = Tensor.Zeros([32], DType.Float32, requiresGrad: true);
        using var w2 = Tensor.Randn(32, 4).Mul(0.25).RequiresGrad_();
        Tensor[] parameters = [w1, b1, w2];

        float Step()
        {
            using var scope = Tensor.Scope();
            var h = x.MatMul(w1).Add(b1).Relu();
            var logp = h.MatMul(w2).LogSoftmax(1);
            var loss = logp.Gather(1, labels).Mean().Neg();
            loss.Backward();
            using (NativeNet.Autograd.NoGrad())
                foreach (var p in parameters)
                {
                    p.AddInPlace(p.Grad!, -0.1);
                    p.Grad!.ZeroInPlace();
                }
            return loss.Item<float>();
        }

        float first = Step();
        for (int i = 0; i < 10; i++) Step();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long poolBefore = MemoryStats.CpuBytesInUse, cachedBefore = MemoryStats.CpuCachedBytes, heapBefore = GC.GetTotalMemory(true);
        float last = 0;
        for (int i = 0; i < 2000; i++) last = Step();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long poolAfter = MemoryStats.CpuBytesInUse, cachedAfter = MemoryStats.CpuCachedBytes, heapAfter = GC.GetTotalMemory(true);

        Assert.True(last < first * 0.5, $"the model did not learn: loss {first} -> {last}");
        Assert.True(poolAfter - poolBefore <= 4096, $"pool bytes in use grew from {poolBefore} to {poolAfter}");
        Assert.True(cachedAfter - cachedBefore <= 64 * 1024, $"pool cache grew from {cachedBefore} to {cachedAfter}");
        Assert.True(heapAfter - heapBefore <= 2 << 20, $"GC heap grew from {heapBefore} to {heapAfter}");
        foreach (var p in parameters) p.Grad!.Dispose();
    }
}

/// <summary>Regression: <c>x.T</c> of a 1-D tensor returned <c>x</c> itself, so disposing the "view" disposed x.</summary>
public class TransposeOfVectorTests
{
    [Fact]
    public void TOfAVectorIsASeparateView()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2f });
        var t = x.T;
        Assert.NotSame(x, t);
        t.Dispose();
        Assert.False(x.IsDisposed);
        Assert.Equal(new[] { 1f, 2f }, x.ToArray<float>());
        using var s = Tensor.Scalar(1);
        using var st = s.T;
        Assert.NotSame(s, st);
    }
}
