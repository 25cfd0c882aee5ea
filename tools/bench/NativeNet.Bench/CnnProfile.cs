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
        void Time(string name, Action f) => report(name, Measure.MedianSecondsPerCall(() => { using var s = Tensor.Scope(); f(); }, 5, 0.3) * 1e3, "ms", "");
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
        Time("conv2 forward", () => F.Conv2d(x2, w2, b2, padding: 1));
        Time("conv2 forward+backward", () => F.Conv2d(x2, w2, b2, padding: 1).Sum().Backward());
        Time("sum+backward of [64,64,14,14]", () => (x2 * 1.0f).Sum().Backward());
        Time("relu fwd+bwd [64,32,28,28]", () => F.Relu(a).Sum().Backward());
        Time("relu fwd no-grad [64,32,28,28]", () => F.Relu(an));
        Time("maxpool fwd no-grad [64,32,28,28]", () => F.MaxPool2d(an, 2));
        Time("add no-grad [64,32,28,28]", () => { var _ = an + an; });
        Time("maxpool fwd [64,32,28,28]", () => F.MaxPool2d(a, 2));
        Time("maxpool fwd+bwd [64,32,28,28]", () => F.MaxPool2d(a, 2).Sum().Backward());
    }
}
