namespace NativeNet.Tests.Ops;

/// <summary>
/// The CPU convolution's paths (shift im2col, general im2col, 1×1 pointwise, per-worker partial filter gradients,
/// chunked filter gradients) against a direct float64 loop written here, on problems big enough to run in parallel.
/// </summary>
public class ConvKernelTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Cases => new()
    {
        // n, c, h, w, o, k, stride, pad, dilation, groups
        { 9, 16, 14, 14, 24, 3, 1, 1, 1, 1 },   // "same" 3×3: shift path, parallel over samples
        { 5, 1, 28, 28, 32, 3, 1, 1, 1, 1 },    // one input channel (the CNN's first layer)
        { 6, 12, 11, 13, 8, 3, 1, 2, 2, 2 },    // dilated "same" with groups: shift path
        { 7, 16, 12, 12, 16, 1, 1, 0, 1, 1 },   // pointwise: no col matrix
        { 4, 8, 15, 15, 12, 1, 1, 0, 1, 4 },    // grouped pointwise
        { 8, 10, 13, 13, 14, 3, 2, 1, 1, 1 },   // stride 2: general path
        { 3, 6, 10, 9, 10, 3, 1, 0, 1, 2 },     // valid 3×3: general path, groups
        { 0, 4, 8, 8, 6, 3, 1, 1, 1, 1 },       // empty batch
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndGradientsMatchADirectLoop(int n, int c, int h, int w, int o, int k, int stride, int pad, int dil, int groups)
    {
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            Tensor.ManualSeed(n * 1000 + c * 10 + k);
            var x = Tensor.Randn([n, c, h, w], dtype: dt).RequiresGrad_();
            var wt = (Tensor.Randn([o, c / groups, k, k], dtype: dt) * 0.3).Detach().RequiresGrad_();
            var b = Tensor.Randn([o], dtype: dt).RequiresGrad_();
            var y = Tensor.Conv2d(x, wt, b, [stride], [pad], [dil], groups);
            var r = Tensor.Randn(y.Shape.ToArray(), dtype: dt);
            (y * r).Sum().Backward();

            var (ey, egx, egw) = Direct(x.To(DType.Float64).ToArray<double>(), wt.To(DType.Float64).ToArray<double>(), b.To(DType.Float64).ToArray<double>(), r.To(DType.Float64).ToArray<double>(),
                n, c, h, w, o, k, stride, pad, dil, groups, y.Size(2), y.Size(3));
            double tol = dt == DType.Float32 ? 2e-4 : 1e-10;
            AssertClose(ey, y.To(DType.Float64).ToArray<double>(), tol, "forward");
            AssertClose(egx, x.Grad!.To(DType.Float64).ToArray<double>(), tol, "input gradient");
            AssertClose(egw, wt.Grad!.To(DType.Float64).ToArray<double>(), tol * Math.Max(1, n), "weight gradient");
        }
    }

    [Fact]
    public void ParallelAndSerialRunsAgree()
    {
        Tensor.ManualSeed(5);
        var x = Tensor.Randn([16, 8, 14, 14], dtype: DType.Float64).RequiresGrad_();
        var wt = Tensor.Randn([12, 8, 3, 3], dtype: DType.Float64).RequiresGrad_();
        int before = Runtime.NumThreads;
        var results = new List<double[]>();
        foreach (int threads in new[] { 1, 2, 3 })
        {
            Runtime.SetThreads(threads);
            try
            {
                x.Grad = null;
                wt.Grad = null;
                var y = Tensor.Conv2d(x, wt, null, [1], [1]);
                y.Square().Sum().Backward();
                results.Add([.. y.ToArray<double>(), .. x.Grad!.ToArray<double>(), .. wt.Grad!.ToArray<double>()]);
            }
            finally { Runtime.SetThreads(before); }
        }
        AssertClose(results[0], results[1], 1e-12, "2 threads vs 1");
        AssertClose(results[0], results[2], 1e-12, "3 threads vs 1");
    }

    static (double[] Y, double[] Gx, double[] Gw) Direct(double[] x, double[] wt, double[] b, double[] r,
        int n, int c, int h, int w, int o, int k, int s, int p, int d, int groups, int oh, int ow)
    {
        int cg = c / groups, og = o / groups;
        var y = new double[n * o * oh * ow];
        var gx = new double[x.Length];
        var gw = new double[wt.Length];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int yi = 0; yi < oh; yi++)
                    for (int xi = 0; xi < ow; xi++)
                    {
                        int yIdx = ((ni * o + oi) * oh + yi) * ow + xi;
                        double acc = b[oi];
                        for (int ci = 0; ci < cg; ci++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++)
                                {
                                    int ih = yi * s - p + ki * d, iw = xi * s - p + kj * d;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    int cin = oi / og * cg + ci;
                                    int xIdx = ((ni * c + cin) * h + ih) * w + iw, wIdx = ((oi * cg + ci) * k + ki) * k + kj;
                                    acc += x[xIdx] * wt[wIdx];
                                    gx[xIdx] += r[yIdx] * wt[wIdx];
                                    gw[wIdx] += r[yIdx] * x[xIdx];
                                }
                        y[yIdx] = acc;
                    }
        return (y, gx, gw);
    }

    static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
