using NativeNet.Backends.Cpu;

namespace NativeNet;

/// <summary>Conv(+Relu)+MaxPool 2×2/2 with gradients, for compiled graphs that train (the executor's fused step).</summary>
public unsafe partial class Tensor
{
    /// <summary>
    /// Conv2d (+ ReLU) + 2×2/2 max pooling with gradients (CPU). The convolution writes its full output with the ReLU in
    /// its output pass; one pass then pools it into the result and a one-byte code per window (which element is the
    /// maximum, and whether ReLU lets its gradient through), and the full output is freed at once: autograd keeps
    /// neither it nor 8-byte argmax indices. Backward writes the convolution's output gradient in one pass from the
    /// pooled gradient and the codes (MaxPool's scatter and ReLU's mask together, without zero-filling first), then runs
    /// the convolution's backward. Values, NaN propagation, tie-breaking and gradients are exactly those of Conv, Relu
    /// and MaxPool run one by one. Null when it does not apply (another device, or a map smaller than 2×2).
    /// </summary>
    internal static Tensor? Conv2dMaxPool2x2Trained(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups, bool relu)
    {
        if (input.Backend is not CpuBackend || GraphTracer.Current != null) return null;
        var g = ConvGeometry(input, weight, bias, stride, padding, dilation, groups);
        if (g.OH < 2 || g.OW < 2) return null;
        Tensor conv;
        using (Autograd.NoGrad()) conv = Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu);
        try
        {
            // The convolution's own backward (x and w saved, not its output); ReLU's part is in the pooling node.
            if (Autograd.Needs(input, weight) || (bias != null && Autograd.Needs(bias))) RecordConv(conv, input, weight, bias, g, relu: false, "Conv");
            return MaxPool2x2Trained(conv, relu);
        }
        finally
        {
            conv.Dispose(); // autograd keeps neither the full-size output nor argmax indices
        }
    }

    /// <summary>
    /// 2×2/2 max pooling of a contiguous 4-D CPU tensor (H, W ≥ 2) that records, when <paramref name="y"/> needs grad,
    /// one byte per window instead of 8-byte indices. With <paramref name="reluMask"/>, <paramref name="y"/> is a ReLU
    /// output and the backward also applies ReLU's mask (the gradient passes where the maximum is &gt; 0): the node is
    /// MaxPool's and ReLU's backward in one pass.
    /// </summary>
    internal static Tensor MaxPool2x2Trained(Tensor y, bool reluMask)
    {
        if (y.Dim != 4 || !y.IsContiguous || y.Backend is not CpuBackend cpu || !y.DType.IsFloatingPoint() || y.shape[2] < 2 || y.shape[3] < 2)
            throw new ArgumentException($"MaxPool2x2Trained: needs a contiguous 4-D floating-point CPU tensor with H, W >= 2, got {y.DType.Name()} {ShapeUtil.Format(y.shape)}");
        int n = y.shape[0], ch = y.shape[1], h = y.shape[2], w = y.shape[3], ph = h / 2, pw = w / 2;
        var g = new Pool2dGeometry(n, ch, h, w, 2, 2, ph, pw, 2, 2, 0, 0, 1, 1, false);
        var pooled = Empty([n, ch, ph, pw], y.DType, y.Device);
        bool needs = Autograd.Needs(y);
        var codes = needs ? Empty([n, ch, ph, pw], DType.UInt8, y.Device).Unown() : null;
        // The max-pooling kernel's dead codes (maximum not positive) are ReLU's gradient rule: one backward pass does both.
        cpu.MaxPool2x2(y.View, pooled.View, codes?.View, g, markDead: reluMask);
        if (codes == null) return pooled;
        int[] shape = y.shape;
        Autograd.Record(pooled, reluMask ? "ReluMaxPool" : "MaxPool", [y], gy =>
        {
            var gc = gy.Contiguous();
            var gx = Empty(shape, gy.DType, gy.Device);
            cpu.MaxPool2x2Backward(gc.View, codes.View, gx.View, g);
            DisposeIfTemp(gc, gy);
            return [gx];
        }, codes);
        return pooled;
    }
}
