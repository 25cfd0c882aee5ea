using NativeNet.Backends.Cpu;

namespace NativeNet;

/// <summary>Conv(+Relu)+MaxPool 2×2/2 as one step, for compiled graphs (the executor's fused step), with or without gradients.</summary>
public unsafe partial class Tensor
{
    /// <summary>
    /// Conv2d (+ ReLU) + 2×2/2 max pooling in one pass (CPU): each sample's convolution planes are pooled while they are
    /// in the worker's cache, so the full-size convolution output is never written. When gradients are recorded the
    /// pool also keeps one byte per window (which element is the maximum, and whether ReLU lets its gradient through);
    /// backward unpools the gradient (MaxPool's scatter and ReLU's mask together) one cache-sized chunk of samples at a
    /// time inside the convolution's backward, so the full-size output gradient is not written either. Values, NaN propagation, tie-breaking and gradients
    /// are those of Conv, Relu and MaxPool run one by one. Null when it does not apply (another device, a traced call,
    /// or a map smaller than 2×2).
    /// </summary>
    internal static Tensor? Conv2dMaxPool2x2(Tensor input, Tensor weight, Tensor? bias, int[]? stride, int[]? padding, int[]? dilation, int groups, bool relu)
    {
        if (input.Backend is not CpuBackend cpu || GraphTracer.Current != null) return null;
        var g = ConvGeometry(input, weight, bias, stride, padding, dilation, groups);
        if (g.OH < 2 || g.OW < 2) return null;
        bool needX = Autograd.Needs(input), needW = Autograd.Needs(weight), needB = bias != null && Autograd.Needs(bias);
        int ph = g.OH / 2, pw = g.OW / 2;
        var x = input.Contiguous();
        var wt = weight.Contiguous();
        var bc = bias?.Contiguous();
        var y = Empty([g.N, g.O, ph, pw], input.DType, input.Device);
        var codes = needX || needW || needB ? Empty([g.N, g.O, ph, pw], DType.UInt8, input.Device).Unown() : null;
        cpu.Conv2dMaxPool2x2(x.View, wt.View, bc?.View, y.View, codes?.View, g, relu);
        if (bc != null) DisposeIfTemp(bc, bias!);
        DisposeIfTemp(x, input);
        DisposeIfTemp(wt, weight);
        if (codes == null) return y;
        var pg = new Pool2dGeometry(g.N, g.O, g.OH, g.OW, 2, 2, ph, pw, 2, 2, 0, 0, 1, 1, false);
        var xs = input.Alias();
        var ws = weight.Alias();
        Tensor[] inputs = bias == null ? [input, weight] : [input, weight, bias];
        Autograd.Record(y, relu ? "ConvReluMaxPool" : "ConvMaxPool", inputs, gout =>
        {
            var gc = gout.Contiguous();
            if (needW && gout.Backend is CpuBackend)
            {
                // Unpooled sample by sample inside the convolution's backward: the full-size gradient is never written.
                var gx = needX ? Empty(xs.shape, gout.DType, gout.Device) : null;
                var gw = Empty(ws.shape, gout.DType, gout.Device);
                using var sums = needB ? Empty([g.N, g.O], gout.DType, gout.Device) : null;
                using (var wc = ws.Contiguous().Alias())
                using (var xc = xs.Contiguous().Alias())
                    cpu.Conv2dBackwardPooled(gc.View, codes.View, wc.View, xc.View, gx?.View, gw.View, sums?.View, g);
                DisposeIfTemp(gc, gout);
                // Σ over N of the plane sums: the second half of Sum over (0, 2, 3), so the bias gradient equals eager's.
                Tensor?[] grads = inputs.Length == 2 ? [gx, gw] : [gx, gw, sums?.Sum(0)];
                return grads;
            }
            using var gconv = Empty([g.N, g.O, g.OH, g.OW], gout.DType, gout.Device);
            // Dead codes (maximum not positive after ReLU) write zeros: ReLU's gradient rule in the same pass.
            cpu.MaxPool2x2Backward(gc.View, codes.View, gconv.View, pg);
            DisposeIfTemp(gc, gout);
            return ConvGradients(gconv, xs, ws, g, needX, needW, needB, inputs.Length);
        }, [xs, ws, codes]);
        return y;
    }
}
