using NativeNet.Bindings.Blas;

namespace NativeNet.Bench;

internal static unsafe class Benchmarks
{
    internal static void Gemm(Action<string, double, string, string> report)
    {
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            Tensor.ManualSeed(0);
            var a = Tensor.Randn(n, n);
            var b = Tensor.Randn(n, n);
            double flop = 2.0 * n * n * n;
            double tOurs = Measure.MedianSecondsPerCall(() => { using var c = a.MatMul(b); }, repeats: 5);
            var ca = a.ToArray<float>();
            var cb = b.ToArray<float>();
            var cc = new float[n * n];
            double tBlas;
            // The direct call gets OpenBLAS's own threads (NativeNet keeps OpenBLAS single-threaded and splits itself).
            Cblas.TrySetThreads(Runtime.NumThreads);
            fixed (float* pa = ca, pb = cb, pc = cc)
            {
                float* xa = pa, xb = pb, xc = pc;
                tBlas = Measure.MedianSecondsPerCall(() => Cblas.Sgemm(CblasOrder.RowMajor, CblasTranspose.NoTrans, CblasTranspose.NoTrans,
                    n, n, n, 1f, xa, n, xb, n, 0f, xc, n), repeats: 5);
            }
            Cblas.TrySetThreads(1);
            report($"GEMM {n}x{n}x{n} fp32 NativeNet MatMul", flop / tOurs / 1e9, "GFLOP/s", $"({100 * tBlas / tOurs:F0}% of direct sgemm)");
            report($"GEMM {n}x{n}x{n} fp32 direct cblas_sgemm", flop / tBlas / 1e9, "GFLOP/s", "");
        }
    }

    internal static void Overhead(Action<string, double, string, string> report)
    {
        var x = Tensor.Randn(1, 16);
        var y = Tensor.Randn(1, 16);
        var w = Tensor.Randn(16, 16);
        report("overhead: x+y, 1x16 fp32, no grad", 1e6 * Measure.MedianSecondsPerCall(() => { using var z = x + y; }), "µs", "");
        report("overhead: x@w, 1x16 @ 16x16, no grad", 1e6 * Measure.MedianSecondsPerCall(() => { using var z = x.MatMul(w); }), "µs", "");
        var xg = x.Detach().RequiresGrad_();
        var yg = y.Detach().RequiresGrad_();
        var wg = (w * 0.25).Detach().RequiresGrad_();
        report("overhead: x+y, requires_grad (records graph)", 1e6 * Measure.MedianSecondsPerCall(() => { using var z = xg + yg; }), "µs", "");
        report("overhead: x@w, requires_grad (records graph)", 1e6 * Measure.MedianSecondsPerCall(() => { using var z = xg.MatMul(wg); }), "µs", "");
        // Same chain as shared/bench/peers.py: 5x (h = h@w; h = h+y) on 1x16, all inputs requiring grad.
        Tensor Chain()
        {
            var h = xg;
            for (int i = 0; i < 5; i++) h = h.MatMul(wg) + yg;
            return h;
        }
        report("overhead: 10-op chain forward, requires_grad (per chain)", 1e6 * Measure.MedianSecondsPerCall(() =>
        {
            using var scope = Tensor.Scope();
            Chain();
        }), "µs", "scoped");
        double chain = Measure.MedianSecondsPerCall(() =>
        {
            using var scope = Tensor.Scope();
            xg.Grad = null; yg.Grad = null; wg.Grad = null;
            Chain().Sum().Backward();
        });
        report("overhead: 10-op chain forward+sum+backward (per chain)", 1e6 * chain, "µs", "scoped");
        report("overhead:   same, per op (/10)", 1e6 * chain / 10, "µs", "scoped");
        double unscoped = Measure.MedianSecondsPerCall(() =>
        {
            xg.Grad = null; yg.Grad = null; wg.Grad = null;
            Chain().Sum().Backward();
        });
        report("overhead:   same without scope or Dispose, per op (/10)", 1e6 * unscoped / 10, "µs", "GC only");
    }

    internal static void Conv(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var x = Tensor.Randn(32, 64, 28, 28);
        var w = Tensor.Randn(64, 64, 3, 3).RequiresGrad_();
        double fwd = Measure.MedianSecondsPerCall(() =>
        {
            using var _ = Autograd.NoGrad();
            using var y = Tensor.Conv2d(x, w, padding: [1]);
        }, repeats: 5);
        report("Conv2d 64->64 3x3 pad1 on 32x64x28x28: forward", 1e3 * fwd, "ms", "");
        var xg = x.Detach().RequiresGrad_();
        double fb = Measure.MedianSecondsPerCall(() =>
        {
            using var scope = Tensor.Scope();
            var y = Tensor.Conv2d(xg, w, padding: [1]);
            y.Sum().Backward();
            xg.Grad = null;
            w.Grad = null;
        }, repeats: 5);
        report("Conv2d 64->64 3x3 pad1 on 32x64x28x28: forward+backward", 1e3 * fb, "ms", "");
    }
}
