namespace NativeNet.Tests.Ops;

/// <summary>
/// Sizes above the CPU backend's parallel threshold (64K elements) and its conv batch chunking, checked against plain
/// C# loops or against the same op run piecewise: the split points must not change results.
/// </summary>
public class LargeKernelTests
{
    static double[] Seq(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
    }

    [Fact]
    public void BroadcastBinaryOverManyRows()
    {
        const int r = 400, c = 300;
        var a = Seq(r * c, 1);
        var b = Seq(c, 2);
        using var ta = Tensor.FromArray(a, [r, c]);
        using var tb = Tensor.FromArray(b, [c]);
        using var sum = ta + tb;
        using var prod = tb * ta;
        var s = sum.ToArray<double>();
        var p = prod.ToArray<double>();
        for (int i = 0; i < r * c; i++)
        {
            Assert.Equal(a[i] + b[i % c], s[i]);
            Assert.Equal(a[i] * b[i % c], p[i]);
        }
        // Both operands strided (transposed views) and a column broadcast.
        using var at = ta.T;
        using var col = Tensor.FromArray(Seq(c, 3), [c, 1]);
        using var d = at.Sub(col);
        var dv = d.ToArray<double>();
        var cv = col.ToArray<double>();
        for (int i = 0; i < c; i++)
            for (int j = 0; j < r; j += 37)
                Assert.Equal(a[j * c + i] - cv[i], dv[i * r + j]);
        using var cmp = at.Gt(col);
        var cb = cmp.ToArray<bool>();
        for (int i = 0; i < c; i += 11)
            for (int j = 0; j < r; j++)
                Assert.Equal(a[j * c + i] > cv[i], cb[i * r + j]);
    }

    [Fact]
    public void UnaryCastAndCopyOfLargeViews()
    {
        const int r = 300, c = 400;
        var a = Seq(r * c, 4);
        using var t = Tensor.FromArray(a, [r, c]);
        using var tt = t.T;
        using var f = tt.To(DType.Float32);
        var fv = f.ToArray<float>();
        using var e = t.Exp();
        var ev = e.ToArray<double>();
        for (int i = 0; i < c; i += 3)
            for (int j = 0; j < r; j++)
            {
                Assert.Equal((float)a[j * c + i], fv[i * r + j]);
                Assert.True(Math.Abs(Math.Exp(a[j * c + i]) - ev[j * c + i]) <= 1e-14 * Math.Exp(a[j * c + i]));
            }
        using var z = Tensor.Zeros(r, c);
        using (var slice = z.Slice(1, 1, c, 2)) slice.FillInPlace(3);
        var zv = z.ToArray<float>();
        for (int i = 0; i < r * c; i++) Assert.Equal(i % c % 2 == 1 ? 3f : 0f, zv[i]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ReductionsAlongEachAxisOfALargeTensor(int dim)
    {
        int[] shape = [40, 50, 60];
        var a = Seq(40 * 50 * 60, 5);
        using var t = Tensor.FromArray(a, shape);
        using var s = t.Sum(dim);
        using var m = t.Amax([dim]);
        using var am = t.ArgMin(dim);
        var sv = s.ToArray<double>();
        var mv = m.ToArray<double>();
        var av = am.ToArray<long>();
        int[] st = [50 * 60, 60, 1];
        int[] rest = Enumerable.Range(0, 3).Where(d => d != dim).ToArray();
        int k = 0;
        for (int i = 0; i < shape[rest[0]]; i++)
            for (int j = 0; j < shape[rest[1]]; j++, k++)
            {
                double sum = 0, max = double.NegativeInfinity, min = double.PositiveInfinity;
                long arg = 0;
                for (int r = 0; r < shape[dim]; r++)
                {
                    double v = a[i * st[rest[0]] + j * st[rest[1]] + r * st[dim]];
                    sum += v;
                    max = Math.Max(max, v);
                    if (v < min) { min = v; arg = r; }
                }
                Assert.Equal(sum, sv[k], 10);
                Assert.Equal(max, mv[k]);
                Assert.Equal(arg, av[k]);
            }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void SoftmaxOfALargeTensor(int dim)
    {
        const int r = 500, c = 200;
        var a = Seq(r * c, 6).Select(v => v * 10).ToArray();
        using var t = Tensor.FromArray(a, [r, c]);
        using var sm = t.Softmax(dim);
        using var lsm = t.LogSoftmax(dim);
        var sv = sm.ToArray<double>();
        var lv = lsm.ToArray<double>();
        int outer = dim == 0 ? c : r, len = dim == 0 ? r : c;
        for (int o = 0; o < outer; o += 7)
        {
            int Idx(int q) => dim == 0 ? q * c + o : o * c + q;
            double max = Enumerable.Range(0, len).Max(q => a[Idx(q)]);
            double z = Enumerable.Range(0, len).Sum(q => Math.Exp(a[Idx(q)] - max));
            for (int q = 0; q < len; q++)
            {
                Assert.Equal(Math.Exp(a[Idx(q)] - max) / z, sv[Idx(q)], 12);
                Assert.Equal(a[Idx(q)] - max - Math.Log(z), lv[Idx(q)], 10);
            }
        }
    }

    [Fact]
    public void IndexSelectAndGatherOfLargeTensors()
    {
        const int r = 1000, c = 100;
        var a = Seq(r * c, 7);
        using var t = Tensor.FromArray(a, [r, c]);
        var idx = Enumerable.Range(0, 900).Select(i => (long)(i * 7919 % r)).ToArray();
        using var it = Tensor.FromArray(idx);
        using var sel = t.IndexSelect(0, it);
        var sv = sel.ToArray<double>();
        for (int i = 0; i < idx.Length; i++)
            for (int j = 0; j < c; j += 9)
                Assert.Equal(a[idx[i] * c + j], sv[i * c + j]);
        var gi = Enumerable.Range(0, r * 3).Select(i => (long)(i * 31 % c)).ToArray();
        using var g = t.Gather(1, Tensor.FromArray(gi, [r, 3]));
        var gv = g.ToArray<double>();
        for (int i = 0; i < r; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(a[i * c + gi[i * 3 + j]], gv[i * 3 + j]);
    }

    [Fact]
    public void BatchedMatMulMatchesNaiveLoop()
    {
        const int b = 6, m = 33, k = 47, n = 29;
        var a = Seq(b * m * k, 8);
        var w = Seq(k * n * 2, 9);
        using var ta = Tensor.FromArray(a, [b, 1, m, k]);
        using var tw = Tensor.FromArray(w, [2, k, n]);
        using var y = ta.MatMul(tw);
        Assert.Equal(new[] { b, 2, m, n }, y.Shape.ToArray());
        var yv = y.ToArray<double>();
        for (int i = 0; i < b; i++)
            for (int q = 0; q < 2; q++)
                for (int r = 0; r < m; r += 4)
                    for (int s = 0; s < n; s += 3)
                    {
                        double acc = 0;
                        for (int p = 0; p < k; p++) acc += a[(i * m + r) * k + p] * w[(q * k + p) * n + s];
                        Assert.Equal(acc, yv[((i * 2 + q) * m + r) * n + s], 11);
                    }
        using var i32 = Tensor.FromArray(Enumerable.Range(0, 12).ToArray(), [3, 4]);
        using var i32b = Tensor.FromArray(Enumerable.Range(0, 8).ToArray(), [4, 2]);
        using var iy = i32.MatMul(i32b);
        Assert.Equal(DType.Int32, iy.DType);
        Assert.Equal(new[] { 28, 34, 76, 98, 124, 162 }, iy.ToArray<int>());
    }

    [Fact]
    public void ConvolutionSplitIntoBatchChunksMatchesPerSampleResults()
    {
        // Float64 with 32 channels at 48x48 needs ~5.3 MB of im2col per sample: 13 samples exceed the 64 MB budget,
        // so forward, data-gradient and filter-gradient (accumulated with beta = 1 across chunks) run in two chunks.
        const int n = 13;
        using var x = Tensor.FromArray(Seq(n * 32 * 48 * 48, 10), [n, 32, 48, 48]).RequiresGrad_();
        using var w = Tensor.FromArray(Seq(4 * 32 * 9, 11), [4, 32, 3, 3]).RequiresGrad_();
        using var y = Tensor.Conv2d(x, w, padding: [1]);
        using var g = Tensor.FromArray(Seq(n * 4 * 48 * 48, 12), [n, 4, 48, 48]);
        y.Backward(g);
        var yAll = y.ToArray<double>();
        var gxAll = x.Grad!.ToArray<double>();
        var gw = new double[4 * 32 * 9];
        int per = 4 * 48 * 48, perX = 32 * 48 * 48;
        for (int i = 0; i < n; i++)
        {
            using var scope = Tensor.Scope();
            var xi = x.Detach()[i..(i + 1)].Contiguous().RequiresGrad_();
            var wi = w.Detach().Clone().RequiresGrad_();
            var yi = Tensor.Conv2d(xi, wi, padding: [1]);
            yi.Backward(g[i..(i + 1)].Contiguous());
            var yv = yi.ToArray<double>();
            for (int j = 0; j < per; j += 13) Assert.Equal(yv[j], yAll[i * per + j], 12);
            var gx = xi.Grad!.ToArray<double>();
            for (int j = 0; j < perX; j += 17) Assert.Equal(gx[j], gxAll[i * perX + j], 12);
            var gwi = wi.Grad!.ToArray<double>();
            for (int j = 0; j < gw.Length; j++) gw[j] += gwi[j];
            xi.Grad.Dispose();
            wi.Grad.Dispose();
        }
        var gwAll = w.Grad!.ToArray<double>();
        for (int j = 0; j < gw.Length; j++) Assert.Equal(gw[j], gwAll[j], 9);
    }
}
