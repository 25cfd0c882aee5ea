namespace NativeNet;

/// <summary>How each op family describes itself to the tracer (called from the op definitions in Ops/ and NN/).</summary>
internal sealed partial class GraphTracer
{
    /// <summary>Example batch size when dim 0 of the inputs is symbolic (null: static shapes).</summary>
    internal int? Batch { get; set; }

    static AttributeBag Attrs() => new();

    /// <summary>A broadcasting binary op after dtype promotion to <paramref name="dt"/> (BinaryForward).</summary>
    internal void Binary(string name, Tensor a, Tensor b, Tensor y, DType dt)
    {
        string sa = As(a, dt), sb = As(b, dt);
        switch (name)
        {
            case "NotEqual":
                Node("Not", [Intermediate("Equal", [sa, sb])], y);
                return;
            case "Mod" when dt.IsFloatingPoint():
                // Python remainder: a - floor(a / b) * b (ONNX Mod of floats is C fmod).
                string q = Intermediate("Floor", [Intermediate("Div", [sa, sb])]);
                Node("Sub", [sa, Intermediate("Mul", [q, sb])], y);
                return;
            case "ReluGrad":
                throw new GraphTraceException("ReluGrad is a backward-only op and cannot be traced");
            default:
                Node(name, [sa, sb], y);
                return;
        }
    }

    /// <summary>A tensor-scalar op (ScalarForward): the scalar becomes a 0-D constant of the computation dtype.</summary>
    internal void ScalarOp(string name, Tensor x, double s, bool scalarFirst, Tensor y, DType dt)
    {
        string sx = As(x, dt), c = Scalar(s, dt);
        string[] ins = scalarFirst ? [c, sx] : [sx, c];
        if (name == "Mod" && dt.IsFloatingPoint())
        {
            string q = Intermediate("Floor", [Intermediate("Div", ins)]);
            Node("Sub", [ins[0], Intermediate("Mul", [q, ins[1]])], y);
        }
        else Node(name, ins, y);
    }

    /// <summary>A unary kernel (UnaryForward); ops ONNX lacks are spelled with its primitives.</summary>
    internal void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        string sx = Name(x);
        switch (op)
        {
            case UnaryOp.Square: Node("Mul", [sx, sx], y); return;
            case UnaryOp.Rsqrt: Node("Reciprocal", [Intermediate("Sqrt", [sx])], y); return;
            case UnaryOp.Log1p: Node("Log", [Intermediate("Add", [sx, Scalar(1, x.DType)])], y); return;
            case UnaryOp.Expm1: Node("Sub", [Intermediate("Exp", [sx]), Scalar(1, x.DType)], y); return;
            case UnaryOp.Ceil: Node("Ceil", [sx], y); return;
            default: Node(op.ToString(), [sx], y); return;
        }
    }

    /// <summary>Clamp as ONNX Clip with constant bounds of the input's dtype ("" for an open side).</summary>
    internal void Clip(Tensor x, double lo, double hi, Tensor y)
    {
        string min = double.IsNegativeInfinity(lo) ? "" : Scalar(lo, x.DType);
        string max = double.IsPositiveInfinity(hi) ? "" : Scalar(hi, x.DType);
        var ins = max.Length == 0 ? (min.Length == 0 ? new[] { Name(x) } : [Name(x), min]) : [Name(x), min, max];
        Node("Clip", ins, y);
    }

    /// <summary>A reduction kernel over sorted <paramref name="dims"/>.</summary>
    internal void Reduce(ReduceOp op, Tensor x, int[] dims, bool keepDim, Tensor y)
    {
        string sx = Name(x);
        long keep = keepDim ? 1 : 0;
        var axes = dims.Select(d => (long)d).ToArray();
        switch (op)
        {
            case ReduceOp.Sum: Node("ReduceSum", [sx, Ints(axes)], y, Attrs().Set("keepdims", keep)); break;
            case ReduceOp.Max: Node("ReduceMax", [sx], y, Attrs().Set("axes", axes).Set("keepdims", keep)); break;
            case ReduceOp.Min: Node("ReduceMin", [sx], y, Attrs().Set("axes", axes).Set("keepdims", keep)); break;
            case ReduceOp.Prod: Node("ReduceProd", [sx], y, Attrs().Set("axes", axes).Set("keepdims", keep)); break;
            case ReduceOp.ArgMax: Node("ArgMax", [sx], y, Attrs().Set("axis", (long)dims[0]).Set("keepdims", keep)); break;
            case ReduceOp.ArgMin: Node("ArgMin", [sx], y, Attrs().Set("axis", (long)dims[0]).Set("keepdims", keep)); break;
        }
    }

    /// <summary>
    /// Reshape with the caller's sizes (a -1 stays -1). With a dynamic batch, a leading size equal to the example batch
    /// copies dim 0 (ONNX 0), so <c>x.Reshape(x.Size(0), -1)</c> keeps the batch symbolic.
    /// </summary>
    internal void Reshape(Tensor x, int[] requested, Tensor y)
    {
        var shape = requested.Select(v => (long)v).ToArray();
        if (Batch is int b && shape.Length > 0 && x.Dim > 0 && x.Shape[0] == b && shape[0] == b && IsTraced(x)) shape[0] = 0;
        Node("Reshape", [Name(x), Ints(shape)], y);
    }

    /// <summary>torch.flatten(start, end): ONNX Flatten when it means the same (start 1 to the end), else a Reshape.</summary>
    internal void Flatten(int mark, Tensor x, int start, int end, Tensor y)
    {
        Drop(mark);
        if (start == 1 && end == x.Dim - 1) { Node("Flatten", [Name(x)], y, Attrs().Set("axis", 1L)); return; }
        var shape = new List<long>();
        for (int i = 0; i < start; i++) shape.Add(0);
        shape.Add(-1);
        for (int i = end + 1; i < x.Dim; i++) shape.Add(x.Shape[i]);
        Node("Reshape", [Name(x), Ints(shape.ToArray())], y);
    }

    /// <summary>Expand: dims the input keeps are written as 1 so a dynamic batch broadcasts through.</summary>
    internal void Expand(Tensor x, int[] target, Tensor y)
    {
        int lead = target.Length - x.Dim;
        var shape = new long[target.Length];
        for (int i = 0; i < target.Length; i++) shape[i] = i >= lead && x.Shape[i - lead] == target[i] ? 1 : target[i];
        Node("Expand", [Name(x), Ints(shape)], y);
    }

    /// <summary>Slice with the caller's bounds (null start 0, null end to the end, negatives from the end).</summary>
    internal void Slice(Tensor x, int dim, int? start, int? end, int step, Tensor y)
    {
        long s = start ?? 0, e = end ?? long.MaxValue;
        Node("Slice", [Name(x), Ints(s), Ints(e), Ints(dim), Ints(step)], y);
    }

    /// <summary>Concat after promotion to <paramref name="dt"/>.</summary>
    internal void Concat(IReadOnlyList<Tensor> xs, int dim, DType dt, Tensor y) =>
        Node("Concat", xs.Select(t => As(t, dt)).ToArray(), y, Attrs().Set("axis", (long)dim));

    /// <summary>Where(condition, x, y) after promotion.</summary>
    internal void Where(Tensor c, Tensor x, Tensor y, DType dt, Tensor r) => Node("Where", [Name(c), As(x, dt), As(y, dt)], r);

    /// <summary>A class-index loss as its ONNX op (SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss).</summary>
    internal void Loss(int mark, string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex, string reduction, Tensor y)
    {
        Drop(mark);
        string[] ins = weight == null ? [Name(input), Name(target)] : [Name(input), Name(target), Name(weight)];
        Node(op, ins, y, Attrs().Set("reduction", reduction).Set("ignore_index", ignoreIndex));
    }

    /// <summary>ZerosLike/OnesLike/FullLike of a traced value: ConstantOfShape(Shape(t)).</summary>
    internal void FullLike(Tensor t, double value, Tensor y)
    {
        var fill = Untraced(() => Tensor.Full([1], value, y.DType).Unown());
        Node("ConstantOfShape", [Intermediate("Shape", [Name(t)])], y, Attrs().Set("value", fill));
    }

    /// <summary>A copy op (CopyAs): a cast is a Cast node, a same-dtype copy is the same value.</summary>
    internal void Copy(Tensor x, Tensor y)
    {
        if (x.DType == y.DType) Alias(x, y);
        else Node("Cast", [Name(x)], y, Attrs().Set("to", (long)OpRegistry.ToOnnxType(y.DType)));
    }

    static long[] Pads2(int ph, int pw) => [ph, pw, ph, pw];

    /// <summary>2-D convolution.</summary>
    internal void Conv(Tensor x, Tensor w, Tensor? b, in Conv2dGeometry g, Tensor y)
    {
        var a = Attrs().Set("kernel_shape", new long[] { g.KH, g.KW }).Set("strides", new long[] { g.StrideH, g.StrideW })
            .Set("pads", Pads2(g.PadH, g.PadW)).Set("dilations", new long[] { g.DilationH, g.DilationW }).Set("group", (long)g.Groups);
        Node("Conv", b == null ? [Name(x), Name(w)] : [Name(x), Name(w), Name(b)], y, a);
    }

    /// <summary>2-D max or average pooling.</summary>
    internal void Pool(bool max, Tensor x, in Pool2dGeometry g, bool ceilMode, Tensor y)
    {
        var a = Attrs().Set("kernel_shape", new long[] { g.KH, g.KW }).Set("strides", new long[] { g.StrideH, g.StrideW })
            .Set("pads", Pads2(g.PadH, g.PadW)).Set("ceil_mode", ceilMode ? 1L : 0L);
        if (max) a.Set("dilations", new long[] { g.DilationH, g.DilationW });
        else a.Set("count_include_pad", g.CountIncludePad ? 1L : 0L);
        Node(max ? "MaxPool" : "AveragePool", [Name(x)], y, a);
    }

    /// <summary>Adaptive average pooling: global pooling, or an exact AveragePool when the sizes divide; otherwise untraceable.</summary>
    internal void AdaptiveAvgPool(Tensor x, int oh, int ow, Tensor y)
    {
        if (oh == 1 && ow == 1 && x.Dim == 4) { Node("GlobalAveragePool", [Name(x)], y); return; }
        int h = x.Shape[^2], w = x.Shape[^1];
        if (x.Dim == 4 && h % oh == 0 && w % ow == 0)
        {
            long kh = h / oh, kw = w / ow;
            Node("AveragePool", [Name(x)], y, Attrs().Set("kernel_shape", new[] { kh, kw }).Set("strides", new[] { kh, kw }));
            return;
        }
        Unsupported("AdaptiveAvgPool2d", $"output size {oh}x{ow} does not divide the input {h}x{w} (ONNX has no adaptive pooling)", x);
    }

    /// <summary>Inference batch normalization as one ONNX BatchNormalization node (absent weight/bias become ones/zeros).</summary>
    internal void BatchNorm(int mark, Tensor x, Tensor mean, Tensor var, Tensor? weight, Tensor? bias, double eps, Tensor y)
    {
        Drop(mark);
        int c = x.Shape[1];
        string scale = weight != null ? Name(weight) : Name(Untraced(() => Tensor.Ones([c], x.DType)));
        string shift = bias != null ? Name(bias) : Name(Untraced(() => Tensor.Zeros([c], x.DType)));
        Node("BatchNormalization", [Name(x), scale, shift, Name(mean), Name(var)], y, Attrs().Set("epsilon", (float)eps));
    }
}
