namespace NativeNet.Tests.AutogradTests;

/// <summary>PyTorch autograd semantics: accumulation, retain_graph, explicit gradients, grad modes, detach, saved tensors.</summary>
public class AutogradSemanticsTests
{
    static Tensor Leaf(params double[] v) => Tensor.FromArray(v, requiresGrad: true);

    [Fact]
    public void GradientsAccumulateUntilReset()
    {
        using var x = Leaf(1, 2, 3);
        using (var y = x.Mul(x).Sum()) y.Backward();
        Assert.Equal(new[] { 2.0, 4, 6 }, x.Grad!.ToArray<double>());
        using (var y = x.Mul(3.0).Sum()) y.Backward();
        Assert.Equal(new[] { 5.0, 7, 9 }, x.Grad!.ToArray<double>());
        x.Grad = null;
        using (var y = x.Sum()) y.Backward();
        Assert.Equal(new[] { 1.0, 1, 1 }, x.Grad!.ToArray<double>());
        x.Grad.ZeroInPlace();
        using (var y = x.Sum()) y.Backward();
        Assert.Equal(new[] { 1.0, 1, 1 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        using var x = Leaf(1, 2);
        using var y = x.Mul(x).Exp().Sum();
        y.Backward(retainGraph: true);
        var first = x.Grad!.ToArray<double>();
        y.Backward();
        Assert.Equal(first.Select(v => 2 * v), x.Grad!.ToArray<double>());
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", ex.Message);
        Assert.Contains("retainGraph", ex.Message);
    }

    [Fact]
    public void SecondBackwardWithoutRetainGraphThrows()
    {
        using var x = Leaf(1, 2);
        using var y = x.Mul(x).Sum();
        y.Backward();
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact]
    public void NonScalarBackwardNeedsAGradient()
    {
        using var x = Leaf(1, 2, 3);
        using var y = x.Mul(2.0);
        var ex = Assert.Throws<ShapeMismatchException>(() => y.Backward());
        Assert.Equal("Backward", ex.Op);
        Assert.Contains("[3]", ex.Message);
        using var g = Tensor.FromArray(new[] { 1.0, -1, 0.5 });
        y.Backward(g);
        Assert.Equal(new[] { 2.0, -2, 1 }, x.Grad!.ToArray<double>());
        using var y2 = x.Mul(2.0);
        using var bad = Tensor.Ones([2], DType.Float64);
        var ex2 = Assert.Throws<ShapeMismatchException>(() => y2.Backward(bad));
        Assert.Contains("[2]", ex2.Message);
        Assert.Contains("[3]", ex2.Message);
    }

    [Fact]
    public void ExplicitGradientOnScalarAndOnLeaf()
    {
        using var x = Leaf(2);
        using var y = x.Mul(x).Sum();
        y.Backward(Tensor.Scalar(3.0, DType.Float64));
        Assert.Equal(new[] { 12.0 }, x.Grad!.ToArray<double>());
        using var leaf = Leaf(1, 1);
        leaf.Backward(Tensor.FromArray(new[] { 4.0, 5.0 }));
        Assert.Equal(new[] { 4.0, 5 }, leaf.Grad!.ToArray<double>());
    }

    [Fact]
    public void BackwardOnTensorWithoutGradThrows()
    {
        using var x = Tensor.FromArray(new[] { 1.0 });
        using var y = x.Mul(2.0);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact]
    public void NoGradDisablesRecordingAndNestsWithEnableGrad()
    {
        using var x = Leaf(1, 2);
        Assert.True(NativeNet.Autograd.IsGradEnabled);
        using (NativeNet.Autograd.NoGrad())
        {
            Assert.False(NativeNet.Autograd.IsGradEnabled);
            using var a = x.Mul(2.0);
            Assert.False(a.RequiresGrad);
            Assert.Null(a.GradFn);
            using (NativeNet.Autograd.EnableGrad())
            {
                Assert.True(NativeNet.Autograd.IsGradEnabled);
                using var b = x.Mul(2.0);
                Assert.True(b.RequiresGrad);
                Assert.NotNull(b.GradFn);
                using (NativeNet.Autograd.NoGrad())
                {
                    Assert.False(NativeNet.Autograd.IsGradEnabled);
                    using var c = x.Exp();
                    Assert.False(c.RequiresGrad);
                }
                Assert.True(NativeNet.Autograd.IsGradEnabled);
            }
            Assert.False(NativeNet.Autograd.IsGradEnabled);
            // In-place updates of leaves are allowed under NoGrad (optimizer steps).
            x.AddInPlace(Tensor.FromArray(new[] { 1.0, 1.0 }));
        }
        Assert.True(NativeNet.Autograd.IsGradEnabled);
        Assert.Equal(new[] { 2.0, 3 }, x.ToArray<double>());
        // Grad mode is per thread.
        using (NativeNet.Autograd.NoGrad())
        {
            bool other = false;
            var thread = new Thread(() => other = NativeNet.Autograd.IsGradEnabled);
            thread.Start();
            thread.Join();
            Assert.True(other);
        }
    }

    [Fact]
    public void DetachCutsTheGraphButSharesData()
    {
        using var x = Leaf(1, 2);
        using var d = x.Mul(3.0).Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        using var y = x.Mul(d).Sum();
        y.Backward();
        Assert.Equal(new[] { 3.0, 6 }, x.Grad!.ToArray<double>());
        using var xd = x.Detach();
        Assert.Same(x.storage, xd.storage);
        using (NativeNet.Autograd.NoGrad()) xd.FillInPlace(5);
        Assert.Equal(new[] { 5.0, 5 }, x.ToArray<double>());
    }

    [Fact]
    public void TensorUsedTwiceGetsSummedGradients()
    {
        using var x = Leaf(1, 2);
        using var y = x.Mul(2.0).Add(x.Exp()).Add(x).Sum();
        y.Backward();
        var g = x.Grad!.ToArray<double>();
        Assert.Equal(3 + Math.Exp(1), g[0], 12);
        Assert.Equal(3 + Math.Exp(2), g[1], 12);
        // A diamond: both branches feed one node.
        using var z = Leaf(3);
        using var a = z.Mul(2.0);
        using var b = a.Mul(a).Add(a).Sum();
        b.Backward();
        Assert.Equal(new[] { 2 * (2 * 6.0 + 1) }, z.Grad!.ToArray<double>());
    }

    [Fact]
    public void DisposingIntermediatesBeforeBackwardStillWorks()
    {
        using var x = Leaf(0.5, -1, 2);
        using var w = Leaf(1.5, 2, -0.5);
        var h = x.Exp();
        var r = h.Mul(w);
        var s = r.Relu();
        var m = s.Reshape(1, 3).MatMul(w.Reshape(3, 1));
        var sm = x.Softmax(0);
        var idx = Tensor.FromArray(new[] { 2, 0 });
        var sel = x.IndexSelect(0, idx);
        var gi = Tensor.FromArray(new long[] { 1, 1 });
        var ga = x.Gather(0, gi);
        var total = m.Sum().Add(sm.Mul(w).Sum()).Add(sel.Sum()).Add(ga.Sum());
        foreach (var t in new[] { h, r, s, m, sm, idx, sel, gi, ga }) t.Dispose();
        total.Backward();
        double[] xv = [0.5, -1, 2], wv = [1.5, 2, -0.5];
        var e = xv.Select(Math.Exp).ToArray();
        double zsum = e.Sum();
        var p = e.Select(v => v / zsum).ToArray();
        double pw = p.Zip(wv, (a, b) => a * b).Sum();
        var expected = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double rv = e[i] * wv[i];
            expected[i] += rv > 0 ? e[i] * wv[i] * wv[i] : 0; // d relu(e^x w) w / dx
            expected[i] += p[i] * (wv[i] - pw);               // softmax · w
        }
        expected[2] += 1; expected[0] += 1;                    // IndexSelect [2, 0]
        expected[1] += 2;                                      // Gather [1, 1]
        var got = x.Grad!.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 12);
        total.Dispose();
    }

    [Fact]
    public void BackwardAfterTheForwardScopeEnded()
    {
        // Regression: an index tensor converted inside the forward's scope was disposed with it.
        using var x = Leaf(1, 2, 3);
        Tensor loss;
        using (var scope = Tensor.Scope())
        {
            var sel = x.IndexSelect(0, Tensor.FromArray(new[] { 2, 2 }));
            var g = x.Gather(0, Tensor.FromArray(new[] { 0 }));
            loss = scope.Keep(sel.Sum().Add(g.Sum()));
        }
        loss.Backward();
        Assert.Equal(new[] { 1.0, 0, 2 }, x.Grad!.ToArray<double>());
        loss.Dispose();
    }

    [Fact]
    public void InPlaceOnLeafRequiringGradThrows()
    {
        using var x = Leaf(1, 2);
        using var one = Tensor.FromArray(new[] { 1.0, 1.0 });
        Assert.Throws<InvalidOperationException>(() => x.AddInPlace(one));
        Assert.Throws<InvalidOperationException>(() => x.MulInPlace(2.0));
        Assert.Throws<InvalidOperationException>(() => x.FillInPlace(0));
        Assert.Throws<InvalidOperationException>(() => x.ZeroInPlace());
        Assert.Throws<InvalidOperationException>(() => x.CopyFrom(one));
        Assert.Throws<InvalidOperationException>(() => x[0] = Tensor.Scalar(3, DType.Float64));
        var ex = Assert.Throws<InvalidOperationException>(() => x.UniformInPlace(0, 1));
        Assert.Contains("NoGrad", ex.Message);
        Assert.Equal(new[] { 1.0, 2 }, x.ToArray<double>());
    }

    [Fact]
    public void OnlyFloatingPointTensorsCanRequireGrad()
    {
        using var i = Tensor.FromArray(new long[] { 1, 2 });
        var ex = Assert.Throws<DTypeMismatchException>(() => i.RequiresGrad = true);
        Assert.Contains("int64", ex.Message);
        using var b = Tensor.FromArray(new[] { true });
        Assert.Throws<DTypeMismatchException>(() => b.RequiresGrad_());
        Assert.Throws<DTypeMismatchException>(() => Tensor.Zeros([2], DType.Int32, requiresGrad: true));
        using var f = Tensor.Zeros([2], DType.Float32, requiresGrad: true);
        Assert.True(f.RequiresGrad);
        Assert.True(f.IsLeaf);
    }

    [Fact]
    public void NonLeafCannotStopRequiringGrad()
    {
        using var x = Leaf(1);
        using var y = x.Mul(2.0);
        Assert.False(y.IsLeaf);
        Assert.NotNull(y.GradFn);
        Assert.Equal("MulBackward", y.GradFn!.ToString());
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        using var l = Leaf(1);
        l.RequiresGrad = false;
        Assert.False(l.RequiresGrad);
    }

    [Fact]
    public void IntegerOutputsOfDifferentiableInputsDoNotRequireGrad()
    {
        using var x = Leaf(1, 3, 2);
        using var am = x.ArgMax();
        Assert.False(am.RequiresGrad);
        using var cmp = x.Gt(1.5);
        Assert.False(cmp.RequiresGrad);
        using var i = x.To(DType.Int64);
        Assert.False(i.RequiresGrad);
    }
}
