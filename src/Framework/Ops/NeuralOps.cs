namespace NativeNet;

/// <summary>Convolution, pooling and softmax primitives (NCHW). Each has a backend kernel for forward and backward.</summary>
public partial class Tensor
{
    static int FloorDiv(int a, int b) => (int)Math.Floor((double)a / b);

    static (int, int) Pair(int[] v, string name, string op)
    {
        if (v.Length == 1) return (v[0], v[0]);
        if (v.Length == 2) return (v[0], v[1]);
        throw new ArgumentException($"{op}: {name} must have 1 or 2 values, got {v.Length}");
    }

    /// <summary>
    /// 2-D convolution of an NCHW input with an OIHW weight (<c>torch.nn.functional.conv2d</c>).
    /// <paramref name="stride"/>, <paramref name="padding"/> and <paramref name="dilation"/> take one value or (h, w).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null,
        int[]? dilation = null, int groups = 1) => Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu: false);

    /// <summary>
    /// Conv2d, optionally followed by ReLU in the kernel's output pass (a compiled graph's Conv+Relu fusion). The fused
    /// node's backward is built from its parts: ReLU's (a mask from the saved output), then the convolution's. While
    /// tracing it runs as two ops so the graph records Conv and Relu.
    /// </summary>
    internal static Tensor Conv2dCore(Tensor input, Tensor weight, Tensor? bias, int[]? stride, int[]? padding, int[]? dilation, int groups, bool relu)
    {
        if (relu && GraphTracer.Current != null)
        {
            using var conv = Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu: false);
            return conv.Relu();
        }
        var g = ConvGeometry(input, weight, bias, stride, padding, dilation, groups);
        const string op = "Conv";
        var x = input.Contiguous();
        var wt = weight.Contiguous();
        var y = Empty([g.N, g.O, g.OH, g.OW], input.DType, input.Device);
        var bc = bias?.Contiguous();
        input.Backend.Conv2d(x.View, wt.View, bc?.View, y.View, g, relu);
        GraphTracer.Current?.Conv(input, weight, bias, g, y);
        if (bc != null) DisposeIfTemp(bc, bias!);
        DisposeIfTemp(x, input);
        DisposeIfTemp(wt, weight);
        if (Autograd.Needs(input, weight) || (bias != null && Autograd.Needs(bias))) RecordConv(y, input, weight, bias, g, relu, op);
        return y;
    }

    /// <summary>Checks a convolution's arguments and computes its geometry (the one place that does, for every Conv2d form).</summary>
    static Conv2dGeometry ConvGeometry(Tensor input, Tensor weight, Tensor? bias, int[]? stride, int[]? padding, int[]? dilation, int groups)
    {
        const string op = "Conv";
        input.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        CheckSameDevice(op, input, weight);
        if (input.Dim != 4) throw new ShapeMismatchException(op, $"expected a 4-D NCHW input, got {ShapeUtil.Format(input.shape)}");
        if (weight.Dim != 4) throw new ShapeMismatchException(op, $"expected a 4-D OIHW weight, got {ShapeUtil.Format(weight.shape)}");
        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType)
            throw new DTypeMismatchException(op, $"input and weight must share a floating-point dtype, got {input.DType.Name()} and {weight.DType.Name()}");
        var (sh, sw) = Pair(stride ?? [1], "stride", op);
        var (ph, pw) = Pair(padding ?? [0], "padding", op);
        var (dh, dw) = Pair(dilation ?? [1], "dilation", op);
        if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || ph < 0 || pw < 0 || groups <= 0)
            throw new ArgumentException($"{op}: stride and dilation must be positive, padding non-negative, groups positive");
        int n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        int o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        if (c % groups != 0 || o % groups != 0 || weight.shape[1] != c / groups)
            throw new ShapeMismatchException(op, $"input {ShapeUtil.Format(input.shape)} with groups={groups} expects weight [O, {c / Math.Max(groups, 1)}, kH, kW] with O divisible by groups, got {ShapeUtil.Format(weight.shape)}");
        // Floor division: C#'s '/' truncates toward zero, which made a kernel larger than the input give one output.
        int oh = FloorDiv(h + 2 * ph - dh * (kh - 1) - 1, sh) + 1, ow = FloorDiv(w + 2 * pw - dw * (kw - 1) - 1, sw) + 1;
        if (oh <= 0 || ow <= 0)
            throw new ShapeMismatchException(op, $"kernel {kh}x{kw} (dilation {dh}x{dw}) is larger than the padded input {h + 2 * ph}x{w + 2 * pw}");
        if (bias != null)
        {
            bias.ThrowIfDisposed();
            CheckSameDevice(op, input, bias);
            if (bias.Dim != 1 || bias.shape[0] != o)
                throw new ShapeMismatchException(op, $"bias must be [{o}] for weight {ShapeUtil.Format(weight.shape)}, got {ShapeUtil.Format(bias.shape)}");
            // Without this a float64 bias silently promoted a float32 convolution to float64.
            if (bias.DType != input.DType)
                throw new DTypeMismatchException(op, $"bias must have the input's dtype {input.DType.Name()}, got {bias.DType.Name()}");
        }
        return new Conv2dGeometry(n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups);
    }

    /// <summary>The convolution's backward (with ReLU's mask first for the fused Conv+Relu).</summary>
    static void RecordConv(Tensor y, Tensor input, Tensor weight, Tensor? bias, Conv2dGeometry g, bool relu, string op)
    {
        var xs = input.Alias();
        var ws = weight.Alias();
        var ys = relu ? y.Alias() : null;
        bool needX = input.RequiresGrad, needW = weight.RequiresGrad;
        bool needB = bias != null && bias.RequiresGrad;
        Tensor[] inputs = bias == null ? [input, weight] : [input, weight, bias];
        Autograd.Record(y, relu ? "ConvRelu" : op, inputs, gout =>
        {
            // Conv+Relu: ReLU's backward first (the gradient passes where the output is positive).
            var gy = ys != null ? ReluBackward(gout, ys) : gout;
            var grads = ConvGradients(gy, xs, ws, g, needX, needW, needB, inputs.Length);
            DisposeIfTemp(gy, gout);
            return grads;
        }, ys == null ? [xs, ws] : [xs, ws, ys]);
    }

    /// <summary>A convolution's input, weight and bias gradients (those needed) from its output gradient <paramref name="gy"/>.</summary>
    internal static Tensor?[] ConvGradients(Tensor gy, Tensor xs, Tensor ws, Conv2dGeometry g, bool needX, bool needW, bool needB, int inputCount)
    {
        var gc = gy.Contiguous();
        Tensor? gx = null, gw = null, gb = null;
        if (needX)
        {
            gx = Empty(xs.shape, gy.DType, gy.Device);
            using var wc = ws.Contiguous().Alias();
            gy.Backend.Conv2dBackwardData(gc.View, wc.View, gx.View, g);
        }
        if (needW)
        {
            gw = Empty(ws.shape, gy.DType, gy.Device);
            using var xc = xs.Contiguous().Alias();
            gy.Backend.Conv2dBackwardFilter(gc.View, xc.View, gw.View, g);
        }
        if (needB) gb = gc.Sum([0, 2, 3]);
        DisposeIfTemp(gc, gy);
        return inputCount == 2 ? [gx, gw] : [gx, gw, gb];
    }

    static Pool2dGeometry PoolGeometry(Tensor x, int[] kernelSize, int[]? stride, int[]? padding, int[]? dilation, bool ceilMode, bool countIncludePad, string op)
    {
        if (x.Dim != 4) throw new ShapeMismatchException(op, $"expected a 4-D NCHW input, got {ShapeUtil.Format(x.shape)}");
        if (!x.DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"needs a floating-point input, got {x.DType.Name()}");
        var (kh, kw) = Pair(kernelSize, "kernelSize", op);
        var (sh, sw) = stride is null || stride.Length == 0 ? (kh, kw) : Pair(stride, "stride", op);
        var (ph, pw) = Pair(padding ?? [0], "padding", op);
        var (dh, dw) = Pair(dilation ?? [1], "dilation", op);
        if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0) throw new ArgumentException($"{op}: kernel size and stride must be positive");
        if (ph > kh / 2 || pw > kw / 2) throw new ArgumentException($"{op}: padding ({ph}, {pw}) must be at most half the kernel size ({kh}, {kw})");
        int h = x.shape[2], w = x.shape[3];
        int OutSize(int len, int k, int s, int p, int d)
        {
            int eff = d * (k - 1) + 1;
            int num = len + 2 * p - eff;
            int o = FloorDiv(ceilMode ? num + s - 1 : num, s) + 1;
            if (ceilMode && (o - 1) * s >= len + p) o--; // the last window must start inside the input or left padding
            return o;
        }
        int oh = OutSize(h, kh, sh, ph, dh), ow = OutSize(w, kw, sw, pw, dw);
        if (oh <= 0 || ow <= 0) throw new ShapeMismatchException(op, $"kernel {kh}x{kw} is larger than the padded input {h + 2 * ph}x{w + 2 * pw}");
        return new Pool2dGeometry(x.shape[0], x.shape[1], h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, countIncludePad);
    }

    /// <summary>2-D max pooling (<c>torch.nn.functional.max_pool2d</c>); stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false)
    {
        input.ThrowIfDisposed();
        var g = PoolGeometry(input, kernelSize, stride, padding, dilation, ceilMode, false, "MaxPool");
        if (input.Backend is Backends.Cpu.CpuBackend cpu && Backends.Cpu.CpuBackend.IsMaxPool2x2(g)) return MaxPool2x2(cpu, input, g, ceilMode);
        var x = input.Contiguous();
        var y = Empty([g.N, g.C, g.OH, g.OW], input.DType, input.Device);
        var idx = Empty([g.N, g.C, g.OH, g.OW], DType.Int64, input.Device).Unown();
        input.Backend.MaxPool2d(x.View, y.View, idx.View, g);
        DisposeIfTemp(x, input);
        GraphTracer.Current?.Pool(true, input, g, ceilMode, y);
        if (Autograd.Needs(input))
        {
            int[] from = input.shape;
            Autograd.Record(y, "MaxPool", [input], gy =>
            {
                var gx = Empty(from, gy.DType, gy.Device);
                var gc = gy.Contiguous();
                gy.Backend.MaxPool2dBackward(gc.View, idx.View, gx.View, g);
                DisposeIfTemp(gc, gy);
                return [gx];
            }, idx);
        }
        else idx.Dispose();
        return y;
    }

    /// <summary>
    /// The CPU 2×2/2 case: a vectorized kernel that saves a one-byte window code per output for the backward (none
    /// without grad), whose gradient writes every input element once instead of clearing and scattering.
    /// </summary>
    static Tensor MaxPool2x2(Backends.Cpu.CpuBackend cpu, Tensor input, Pool2dGeometry g, bool ceilMode)
    {
        var x = input.Contiguous();
        var y = Empty([g.N, g.C, g.OH, g.OW], input.DType, input.Device);
        bool needs = Autograd.Needs(input);
        var codes = needs ? Empty([g.N, g.C, g.OH, g.OW], DType.UInt8, input.Device).Unown() : null;
        // Pooling a ReLU's output (the usual Conv-ReLU-MaxPool): windows whose maximum is not positive get a dead code,
        // so the gradient comes out already obeying ReLU's rule and the ReLU node passes it on without its own pass.
        var relu = needs && input.GradFn is FunctionNode { Name: "Relu" or "ConvRelu" } ? new ReluOutput(input.storage, input.offset) : null;
        cpu.MaxPool2x2(x.View, y.View, codes?.View, g, markDead: relu != null);
        DisposeIfTemp(x, input);
        GraphTracer.Current?.Pool(true, input, g, ceilMode, y);
        if (codes != null)
        {
            int[] from = input.shape;
            Autograd.Record(y, "MaxPool", [input], gy =>
            {
                var gx = Empty(from, gy.DType, gy.Device);
                var gc = gy.Contiguous();
                cpu.MaxPool2x2Backward(gc.View, codes.View, gx.View, g);
                DisposeIfTemp(gc, gy);
                if (relu != null) ReluMaskedGradients.AddOrUpdate(gx, relu);
                return [gx];
            }, codes);
        }
        return y;
    }

    /// <summary>Identifies a ReLU output tensor by its buffer and offset (what the ReLU node saved an alias of).</summary>
    sealed record ReluOutput(Storage Storage, int Offset);

    /// <summary>
    /// Gradients that are already zero wherever the named ReLU output is not positive (from a 2×2 max pool with dead
    /// codes). A gradient summed with others is a new tensor, not in the table, so it gets the full ReLU backward.
    /// </summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, ReluOutput> ReluMaskedGradients = new();

    /// <summary>ReLU's backward, <c>g · (y &gt; 0)</c>, given its saved output <paramref name="ys"/>; returns g itself when it already obeys the rule.</summary>
    internal static Tensor ReluBackward(Tensor g, Tensor ys)
    {
        if (ReluMaskedGradients.TryGetValue(g, out var r) && ReferenceEquals(r.Storage, ys.storage) && r.Offset == ys.offset
            && ys.IsContiguous && g.DType == ys.DType && g.shape.AsSpan().SequenceEqual(ys.shape))
            return g;
        return BinaryForward(BinaryOp.ReluGrad, g, ys, "ReluGrad");
    }

    /// <summary>2-D average pooling (<c>torch.nn.functional.avg_pool2d</c>).</summary>
    public static Tensor AvgPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        input.ThrowIfDisposed();
        var g = PoolGeometry(input, kernelSize, stride, padding, null, ceilMode, countIncludePad, "AveragePool");
        var x = input.Contiguous();
        var y = Empty([g.N, g.C, g.OH, g.OW], input.DType, input.Device);
        input.Backend.AvgPool2d(x.View, y.View, g);
        DisposeIfTemp(x, input);
        GraphTracer.Current?.Pool(false, input, g, ceilMode, y);
        if (Autograd.Needs(input))
        {
            int[] from = input.shape;
            Autograd.Record(y, "AveragePool", [input], gy =>
            {
                var gx = Empty(from, gy.DType, gy.Device);
                var gc = gy.Contiguous();
                gy.Backend.AvgPool2dBackward(gc.View, gx.View, g);
                DisposeIfTemp(gc, gy);
                return [gx];
            });
        }
        return y;
    }

    /// <summary>Adaptive average pooling to an output size (<c>torch.nn.functional.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int[] outputSize)
    {
        input.ThrowIfDisposed();
        if (input.Dim is not (3 or 4)) throw new ShapeMismatchException("AdaptiveAvgPool", $"expected a 3-D or 4-D input, got {ShapeUtil.Format(input.shape)}");
        if (!input.DType.IsFloatingPoint()) throw new DTypeMismatchException("AdaptiveAvgPool", $"needs a floating-point input, got {input.DType.Name()}");
        var (oh, ow) = Pair(outputSize, "outputSize", "AdaptiveAvgPool");
        if (oh <= 0 || ow <= 0) throw new ArgumentException("AdaptiveAvgPool: output size must be positive");
        var ns = (int[])input.shape.Clone();
        ns[^2] = oh;
        ns[^1] = ow;
        var x = input.Contiguous();
        var y = Empty(ns, input.DType, input.Device);
        input.Backend.AdaptiveAvgPool2d(x.View, y.View);
        DisposeIfTemp(x, input);
        GraphTracer.Current?.AdaptiveAvgPool(input, oh, ow, y);
        if (Autograd.Needs(input))
        {
            int[] from = input.shape;
            Autograd.Record(y, oh == 1 && ow == 1 ? "GlobalAveragePool" : "AdaptiveAvgPool", [input], gy =>
            {
                var gx = Empty(from, gy.DType, gy.Device);
                var gc = gy.Contiguous();
                gy.Backend.AdaptiveAvgPool2dBackward(gc.View, gx.View);
                DisposeIfTemp(gc, gy);
                return [gx];
            });
        }
        return y;
    }

    /// <summary>Softmax along <paramref name="dim"/> (<c>torch.softmax</c>).</summary>
    public Tensor Softmax(int dim) => SoftmaxImpl(dim, false);

    /// <summary>Log-softmax along <paramref name="dim"/>, computed stably (<c>torch.log_softmax</c>).</summary>
    public Tensor LogSoftmax(int dim) => SoftmaxImpl(dim, true);

    Tensor SoftmaxImpl(int dim, bool log)
    {
        ThrowIfDisposed();
        string op = log ? "LogSoftmax" : "Softmax";
        if (!DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"needs a floating-point tensor, got {DType.Name()}");
        int d = ShapeUtil.NormalizeDim(dim, shape.Length, op);
        int outer = 1, inner = 1, n = shape.Length == 0 ? 1 : shape[d];
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        var x = Contiguous();
        var y = Empty(shape, DType, Device);
        if (numel > 0) Backend.Softmax(x.View, outer, n, inner, log, y.View);
        DisposeIfTemp(x, this);
        if (GraphTracer.Current is { } tr) tr.Node(op, [tr.Name(this)], y, new AttributeBag().Set("axis", (long)d));
        if (Autograd.Needs(this))
        {
            var ys = y.Alias();
            Autograd.Record(y, op, [this], g => log
                ? [g.Sub(ys.Exp().Mul(g.Sum(d, keepDim: true)))]
                : [ys.Mul(g.Sub(g.Mul(ys).Sum(d, keepDim: true)))], ys);
        }
        return y;
    }
}
