using NativeNet.NN;

namespace NativeNet.Bench;

/// <summary>Per-layer times of the CNN training step (eager, batch 64): where the milliseconds go.</summary>
internal static class CnnProfile
{
    internal static void Run(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var x1 = Tensor.Randn(64, 1, 28, 28);
        var w1 = (Tensor.Randn(32, 1, 3, 3) * 0.3).Detach(); w1.RequiresGrad = true;
        var b1 = Tensor.Zeros(32); b1.RequiresGrad = true;
        var x2 = Tensor.Randn(64, 32, 14, 14); x2.RequiresGrad = true;
        var w2 = (Tensor.Randn(64, 32, 3, 3) * 0.06).Detach(); w2.RequiresGrad = true;
        var b2 = Tensor.Zeros(64); b2.RequiresGrad = true;
        var a = Tensor.Randn(64, 32, 28, 28);
        var an = Tensor.Randn(64, 32, 28, 28); a.RequiresGrad = true;
        string? only = Environment.GetEnvironmentVariable("CNNPROF_ONLY");
        void Time(string name, Action f)
        {
            if (only == null || name.Contains(only, StringComparison.OrdinalIgnoreCase)) TimeIt(name, f);
        }
        void TimeIt(string name, Action f) => report(name, Measure.MedianSecondsPerCall(() => { using var s = Tensor.Scope(); f(); }, 5, 0.3) * 1e3, "ms", "");
        var wA = Tensor.Randn(64, 288); var cB = Tensor.Randn(288, 12544); var gC = Tensor.Randn(64, 12544);
        Time("gemm fwd 64x288 * 288x12544", () => wA.MatMul(cB));
        Time("gemm bwd-data 288x64 * 64x12544", () => wA.T.MatMul(gC));
        Time("gemm bwd-filter 64x12544 * 12544x288", () => gC.MatMul(cB.T));
        var wS = Tensor.Randn(64, 288); var cS = Tensor.Randn(288, 196);
        Time("64 x gemm fwd 64x288 * 288x196", () => { for (int i = 0; i < 64; i++) wS.MatMul(cS).Dispose(); });
        var g1 = Tensor.Randn(32, 50176); var c1 = Tensor.Randn(9, 50176);
        Time("gemm conv1 bwd-filter 32x50176 * 50176x9", () => g1.MatMul(c1.T));
        var cpu = NativeNet.Backends.Cpu.CpuBackend.Instance;
        var g1geo = new NativeNet.Conv2dGeometry(64, 1, 28, 28, 32, 3, 3, 28, 28, 1, 1, 1, 1, 1, 1, 1);
        var g2geo = new NativeNet.Conv2dGeometry(64, 32, 14, 14, 64, 3, 3, 14, 14, 1, 1, 1, 1, 1, 1, 1);
        var gy1 = Tensor.Randn(64, 32, 28, 28); var gw1 = Tensor.Zeros(32, 1, 3, 3);
        var gy2 = Tensor.Randn(64, 64, 14, 14); var gw2 = Tensor.Zeros(64, 32, 3, 3); var gx2 = Tensor.Zeros(64, 32, 14, 14);
        var y2 = Tensor.Zeros(64, 64, 14, 14);
        Time("kernel conv1 bwd-filter", () => cpu.Conv2dBackwardFilter(gy1.View, x1.View, gw1.View, g1geo));
        Time("kernel conv2 forward", () => cpu.Conv2d(x2.View, w2.View, b2.View, y2.View, g2geo));
        Time("kernel conv2 bwd-filter", () => cpu.Conv2dBackwardFilter(gy2.View, x2.View, gw2.View, g2geo));
        Time("kernel conv2 bwd-data", () => cpu.Conv2dBackwardData(gy2.View, w2.View, gx2.View, g2geo));
        Time("sum [0,2,3] of [64,32,28,28]", () => gy1.Sum([0, 2, 3]));
        Time("contiguous of expanded [64,32,28,28]", () => Tensor.Ones(1).Expand(64, 32, 28, 28).Contiguous());
        Time("conv1 forward", () => F.Conv2d(x1, w1, b1, padding: 1));
        Time("conv1 forward+backward", () => F.Conv2d(x1, w1, b1, padding: 1).Sum().Backward());
        Time("conv1 relu fwd", () => F.Relu(F.Conv2d(x1, w1, b1, padding: 1)));
        Time("conv1 fused relu fwd (Sequential's Conv2d+Relu)", () => Tensor.Conv2dCore(x1, w1, b1, null, [1], null, 1, relu: true));
        Time("conv2 forward", () => F.Conv2d(x2, w2, b2, padding: 1));
        Time("conv2 forward+backward", () => F.Conv2d(x2, w2, b2, padding: 1).Sum().Backward());
        Time("sum+backward of [64,64,14,14]", () => (x2 * 1.0f).Sum().Backward());
        Time("relu fwd+bwd [64,32,28,28]", () => F.Relu(a).Sum().Backward());
        Time("relu fwd no-grad [64,32,28,28]", () => F.Relu(an));
        Time("maxpool fwd no-grad [64,32,28,28]", () => F.MaxPool2d(an, 2));
        Time("add no-grad [64,32,28,28]", () => { var _ = an + an; });
        Time("maxpool fwd [64,32,28,28]", () => F.MaxPool2d(a, 2));
        Time("maxpool fwd+bwd [64,32,28,28]", () => F.MaxPool2d(a, 2).Sum().Backward());
        // The 2x2/2 max-pool kernels alone on the first pool's shape (6.4 MB in, 1.6 MB out, 0.4 MB codes).
        var pg = new Pool2dGeometry(64, 32, 28, 28, 2, 2, 14, 14, 2, 2, 0, 0, 1, 1, false);
        var py = Tensor.Empty([64, 32, 14, 14], DType.Float32, Device.Cpu);
        var pc = Tensor.Empty([64, 32, 14, 14], DType.UInt8, Device.Cpu);
        var pgx = Tensor.Empty([64, 32, 28, 28], DType.Float32, Device.Cpu);
        Time("maxpool2x2 kernel, values only", () => Backends.Cpu.CpuBackend.Instance.MaxPool2x2(an.View, py.View, null, pg));
        Time("maxpool2x2 kernel, values and codes", () => Backends.Cpu.CpuBackend.Instance.MaxPool2x2(an.View, py.View, pc.View, pg));
        Time("maxpool2x2 backward kernel", () => Backends.Cpu.CpuBackend.Instance.MaxPool2x2Backward(py.View, pc.View, pgx.View, pg));
        Time("copy [64,32,28,28] (bandwidth reference)", () => pgx.CopyFrom(an));
        var rg = Tensor.Randn(64, 32, 28, 28);
        Time("relu grad op [64,32,28,28] (backward's kernel)", () => Tensor.BinaryForward(BinaryOp.ReluGrad, rg, an, "ReluGrad"));
        Time("relu op no-grad [64,32,28,28]", () => an.Relu());
        var g2 = Tensor.Randn(64, 64, 14, 14);
        Time("conv bias grad: sum [64,32,28,28] over (0,2,3)", () => rg.Sum([0, 2, 3]));
        Time("conv bias grad: sum [64,64,14,14] over (0,2,3)", () => g2.Sum([0, 2, 3]));
        Time("sum all [64,32,28,28] (reference)", () => rg.Sum());
        Time("sum [64,32,28,28] over (2,3)", () => rg.Sum([2, 3]));
        Time("sum [64,32,784] over 2, keepDim", () => rg.Reshape(64, 32, 784).Sum([2], true));
        // Adam's fused update over the CNN's 421,642 parameters, with normal and with denormal (decayed) moments.
        var ap = Tensor.Randn(421642); var ag = Tensor.Randn(421642) * 1e-3;
        var am = Tensor.Randn(421642) * 1e-4; var av = Tensor.Rand(421642) * 1e-7;
        var dm = Tensor.Full([421642], 1e-39); var dv = Tensor.Full([421642], 1e-40); var zg = Tensor.Zeros(421642);
        Time("adam kernel 421k, normal state", () => cpu.AdamStep(ap.View, ag.View, am.View, av.View, null, new AdamParams(1e-3, 0.9, 0.999, 1e-8, 0, false, false, false, 100)));
        Time("adam kernel 421k, subnormal state at entry, zero grad", () =>
        {
            dm.FillInPlace(1e-39); dv.FillInPlace(1e-40);
            cpu.AdamStep(ap.View, zg.View, dm.View, dv.View, null, new AdamParams(1e-3, 0.9, 0.999, 1e-8, 0, false, false, false, 100));
        });
        Time("fill x2 421k (the line above's setup)", () => { dm.FillInPlace(1e-39); dv.FillInPlace(1e-40); });
    }
}
