namespace NativeNet;

/// <summary>A pre-bound kernel for one node: attributes parsed once at compile time. Returns null when the inputs need the general kernel.</summary>
internal delegate Tensor? FastKernel(Tensor?[] ins);

/// <summary>
/// Pre-bound kernels for the hot ops of inference graphs (Conv, pooling, Gemm, MatMul, Flatten, Reshape with a constant
/// shape, Softmax). They call the same Tensor ops as the general kernels in OpTable.*.cs, without per-call attribute
/// parsing; anything unusual (auto_pad, asymmetric pads, other ranks or dtypes) returns null and takes the general path.
/// </summary>
internal static class FastKernels
{
    internal static FastKernel? Bind(GraphNode n, int opset, Func<int, Tensor?> constantInput)
    {
        if (n.Domain.Length != 0 || n.Outputs.Skip(1).Any(o => o.Length > 0)) return null;
        var a = n.Attributes;
        try
        {
            switch (n.OpType)
            {
                case "Conv":
                    return ConvParams.Parse(n) is { } conv ? ins => conv.Run(ins, relu: false) : null;
                case "MaxPool" or "AveragePool":
                    return PoolParams.Parse(n, opset) is { } pool ? pool.Run : null;
                case "GlobalAveragePool":
                    return ins => ins[0] is { Dim: 4 } x && x.DType.IsFloatingPoint() ? Tensor.AdaptiveAvgPool2d(x, [1, 1]) : null;
                case "Gemm":
                    {
                        if (a.GetInt("transA", 0) != 0 || a.GetFloat("alpha", 1f) != 1f || a.GetFloat("beta", 1f) != 1f) return null;
                        bool transB = a.GetInt("transB", 0) != 0;
                        return ins =>
                        {
                            if (ins[0] is not { Dim: 2 } x || ins[1] is not { Dim: 2 } w) return null;
                            if (!transB) return ins.Length > 2 && ins[2] is { } c0 ? Add(x.MatMul(w), c0) : x.MatMul(w);
                            var c = ins.Length > 2 ? ins[2] : null;
                            // x·Wᵀ + b is nn.Linear: the one-node primitive (its weight gradient comes out in W's layout).
                            if (GraphTracer.Current == null && x.DType == w.DType && x.Device == w.Device && x.Shape[1] == w.Shape[1]
                                && (c == null || (c.Dim == 1 && c.Shape[0] == w.Shape[0] && c.DType == x.DType && c.Device == x.Device)))
                                return Tensor.LinearPrimitive(x, w, c);
                            using var wt = w.T;
                            var y = x.MatMul(wt);
                            return c != null ? Add(y, c) : y;
                        };
                    }
                case "MatMul":
                    return ins => ins[0]!.MatMul(ins[1]!);
                case "Flatten":
                    {
                        long axis = a.GetInt("axis", 1);
                        return ins =>
                        {
                            var x = ins[0]!;
                            if (axis < 0 || axis > x.Dim) return null;
                            int outer = 1;
                            for (int i = 0; i < axis; i++) outer *= x.Shape[i];
                            return x.Reshape(outer, outer == 0 ? 0 : x.NumEl / outer);
                        };
                    }
                case "Reshape" when opset >= 5 && a.GetInt("allowzero", 0) == 0:
                    {
                        if (constantInput(1) is not { DType: DType.Int64 } shapeT) return null;
                        var target = shapeT.ToArray<long>();
                        if (target.Any(v => v < -1 || v > int.MaxValue) || target.Count(v => v == -1) > 1) return null;
                        return ins =>
                        {
                            var x = ins[0]!;
                            var shape = new int[target.Length];
                            for (int i = 0; i < shape.Length; i++)
                            {
                                if (target[i] == 0) { if (i >= x.Dim) return null; shape[i] = x.Shape[i]; }
                                else shape[i] = (int)target[i];
                            }
                            return x.Reshape(shape);
                        };
                    }
                case "Softmax" or "LogSoftmax" when opset >= 13:
                    {
                        long axis = a.GetInt("axis", -1);
                        bool log = n.OpType == "LogSoftmax";
                        return ins =>
                        {
                            var x = ins[0]!;
                            if (axis < -x.Dim || axis >= x.Dim || !x.DType.IsFloatingPoint()) return null;
                            return log ? x.LogSoftmax((int)axis) : x.Softmax((int)axis);
                        };
                    }
                default:
                    return null;
            }
        }
        catch (GraphAttributeException)
        {
            return null; // malformed: the general kernel reports it at run time
        }
    }

    /// <summary>
    /// y + c for Gemm's bias, y being the fresh product. Without autograd or a tracer, and when c has y's dtype and
    /// broadcasts to y's shape, it is added in place (Gemm's C accumulation: no second buffer; same values as Add).
    /// </summary>
    static Tensor Add(Tensor y, Tensor c)
    {
        if (c.DType == y.DType && c.Device == y.Device && c.Dim <= y.Dim && GraphTracer.Current == null
            && !(Autograd.IsGradEnabled && (y.RequiresGrad || c.RequiresGrad)) && y.IsContiguous)
        {
            bool fits = true;
            for (int i = 1; i <= c.Dim; i++) fits &= c.Shape[^i] == 1 || c.Shape[^i] == y.Shape[^i];
            if (fits) return y.AddInPlace(c);
        }
        using (y) return y.Add(c);
    }
}

/// <summary>A 2-D Conv's attributes, parsed once (symmetric explicit pads only).</summary>
internal sealed class ConvParams
{
    int[] strides = [1, 1], pads = [0, 0], dilations = [1, 1];
    int group = 1;

    internal static ConvParams? Parse(GraphNode n)
    {
        var a = n.Attributes;
        string auto = a.GetString("auto_pad", "NOTSET");
        if (auto is not ("NOTSET" or "VALID")) return null;
        var p = new ConvParams();
        var st = a.GetInts32("strides");
        var di = a.GetInts32("dilations");
        var pd = a.GetInts32("pads");
        var ks = a.GetInts32("kernel_shape");
        if ((st != null && st.Length != 2) || (di != null && di.Length != 2) || (ks != null && ks.Length != 2)) return null;
        if (pd != null && auto == "NOTSET")
        {
            if (pd.Length != 4 || pd[0] != pd[2] || pd[1] != pd[3]) return null;
            p.pads = [pd[0], pd[1]];
        }
        if (st != null) p.strides = st;
        if (di != null) p.dilations = di;
        p.group = a.GetInt32("group", 1);
        return p;
    }

    /// <summary>Conv2d (+ ReLU) + 2×2/2 max pooling in one pass, recording gradients when they are needed (CPU); null when it does not apply.</summary>
    internal Tensor? RunPooled(Tensor?[] ins, bool relu)
    {
        if (ins[0] is not { Dim: 4 } x || ins[1] is not { Dim: 4 } w || !x.DType.IsFloatingPoint() || w.DType != x.DType) return null;
        var b = ins.Length > 2 ? ins[2] : null;
        if (b != null && b.DType != x.DType) return null;
        return Tensor.Conv2dMaxPool2x2(x, w, b, strides, pads, dilations, group, relu);
    }

    /// <summary>Conv2d (optionally with the ReLU epilogue); null for other ranks or dtypes.</summary>
    internal Tensor? Run(Tensor?[] ins, bool relu)
    {
        if (ins[0] is not { Dim: 4 } x || ins[1] is not { Dim: 4 } w || !x.DType.IsFloatingPoint() || w.DType != x.DType) return null;
        var b = ins.Length > 2 ? ins[2] : null;
        if (b != null && b.DType != x.DType) return null;
        return Tensor.Conv2dCore(x, w, b, strides, pads, dilations, group, relu);
    }
}

/// <summary>A 2-D MaxPool/AveragePool's attributes (symmetric pads of at most half the kernel, as Tensor.MaxPool2d takes them).</summary>
internal sealed class PoolParams
{
    bool max, ceil, includePad;
    int[] kernel = [], strides = [1, 1], pads = [0, 0], dilations = [1, 1];

    internal static PoolParams? Parse(GraphNode n, int opset)
    {
        var a = n.Attributes;
        string auto = a.GetString("auto_pad", "NOTSET");
        if (auto is not ("NOTSET" or "VALID") || a.GetInt("storage_order", 0) != 0) return null;
        var p = new PoolParams { max = n.OpType == "MaxPool", ceil = a.GetInt("ceil_mode", 0) != 0, includePad = a.GetInt("count_include_pad", 0) != 0 };
        var ks = a.GetInts32("kernel_shape");
        if (ks is not { Length: 2 } || ks.Any(k => k <= 0)) return null;
        p.kernel = ks;
        var st = a.GetInts32("strides");
        var di = a.GetInts32("dilations");
        var pd = a.GetInts32("pads");
        if ((st != null && (st.Length != 2 || st.Any(s => s <= 0))) || (di != null && (di.Length != 2 || di.Any(d => d <= 0)))) return null;
        if (pd != null && auto == "NOTSET")
        {
            if (pd.Length != 4 || pd[0] != pd[2] || pd[1] != pd[3] || pd[0] > ks[0] / 2 || pd[1] > ks[1] / 2) return null;
            p.pads = [pd[0], pd[1]];
        }
        if (st != null) p.strides = st;
        if (di != null) p.dilations = di;
        if (!p.max && p.dilations.Any(d => d != 1)) return null;
        return p;
    }

    /// <summary>A max pooling with 2×2 windows, stride 2, no padding or dilation, floor mode (fusable into a convolution).</summary>
    internal bool IsMax2x2Stride2 => max && !ceil && kernel is [2, 2] && strides is [2, 2] && pads is [0, 0] && dilations is [1, 1];

    internal Tensor? Run(Tensor?[] ins)
    {
        if (ins[0] is not { Dim: 4 } x || !x.DType.IsFloatingPoint()) return null;
        return max ? Tensor.MaxPool2d(x, kernel, strides, pads, dilations, ceil) : Tensor.AvgPool2d(x, kernel, strides, pads, ceil, includePad);
    }
}
