namespace NativeNet;

/// <summary>uint8 quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, integer and QLinear matmul/conv.</summary>
internal static partial class OpRegistry
{
    static void RegisterQuantization()
    {
        Add("QuantizeLinear", ctx =>
        {
            var x = ctx.In(0);
            var zp = ctx.Opt(2);
            if (zp != null && zp.DType != DType.UInt8) throw ctx.Fail($"zero point of {zp.DType.Name()}: only uint8 quantization is supported");
            long axis = ctx.A.GetInt("axis", 1);
            // x / scale in x's precision, as the reference divides float32 by float32.
            var scale = PerAxis(ctx.In(1), x, axis).To(x.DType.IsFloatingPoint() ? x.DType : DType.Float64);
            var q = x.To(scale.DType).Div(scale).Round().To(DType.Float64);
            if (zp != null) q = q.Add(PerAxis(zp, x, axis).To(DType.Float64));
            return q.Clamp(0, 255).To(DType.UInt8);
        });
        Add("DequantizeLinear", ctx =>
        {
            var x = ctx.In(0);
            long axis = ctx.A.GetInt("axis", 1);
            var scale = ctx.In(1);
            var v = x.To(DType.Float64);
            if (ctx.Opt(2) is { } zp) v = v.Sub(PerAxis(zp, x, axis).To(DType.Float64));
            return v.Mul(PerAxis(scale, x, axis).To(DType.Float64)).To(scale.DType);
        });
        AddMulti("DynamicQuantizeLinear", ctx =>
        {
            // Float32 arithmetic throughout, as the reference computes it.
            var x = ctx.In(0).To(DType.Float32).ToArray<float>();
            float min = Math.Min(0f, x.Length > 0 ? x.Min() : 0f), max = Math.Max(0f, x.Length > 0 ? x.Max() : 0f);
            float scale = (max - min) / 255f;
            float zpf = scale == 0 ? 0 : Math.Clamp(MathF.Round((0 - min) / scale, MidpointRounding.ToEven), 0, 255);
            var y = x.Select(v => (byte)Math.Clamp(scale == 0 ? zpf : MathF.Round(v / scale, MidpointRounding.ToEven) + zpf, 0, 255)).ToArray();
            return [Tensor.FromArray(y, ctx.In(0).Shape.ToArray()), Tensor.Scalar(scale, DType.Float32), Tensor.Scalar((byte)zpf, DType.UInt8)];
        });
        Add("MatMulInteger", ctx =>
        {
            var a = Centered(ctx.In(0), ctx.Opt(2), 1, true);
            var b = Centered(ctx.In(1), ctx.Opt(3), 0, false);
            return a.MatMul(b).To(DType.Int32);
        });
        Add("ConvInteger", ctx =>
        {
            var x = Centered(ctx.In(0), ctx.Opt(2), 1, true).To(DType.Float64);
            var w = Centered(ctx.In(1), ctx.Opt(3), 0, false, channelAxis: 0).To(DType.Float64);
            return ConvCore(ctx, x, w, null).Round().To(DType.Int32);
        });
        Add("QLinearMatMul", ctx =>
        {
            var a = Centered(ctx.In(0), ctx.In(2), 1, true);
            var b = Centered(ctx.In(3), ctx.In(5), 0, false);
            var acc = a.MatMul(b).To(DType.Float64);
            var scale = ctx.In(1).To(DType.Float64).Mul(ctx.In(4).To(DType.Float64)).Div(ctx.In(6).To(DType.Float64));
            return Requantize(acc.Mul(scale), ctx.In(7));
        });
        Add("QLinearConv", ctx =>
        {
            var x = Centered(ctx.In(0), ctx.In(2), 1, true).To(DType.Float64);
            var w = Centered(ctx.In(3), ctx.In(5), 0, false, channelAxis: 0).To(DType.Float64);
            var acc = ConvCore(ctx, x, w, ctx.Opt(8)?.To(DType.Float64));
            var ws = ctx.In(4).To(DType.Float64);
            if (ws.NumEl > 1) ws = ws.Reshape([ws.NumEl, .. Enumerable.Repeat(1, acc.Dim - 2)]);
            var real = acc.Mul(ctx.In(1).To(DType.Float64)).Mul(ws);
            return Requantize(real.Div(ctx.In(6).To(DType.Float64)), ctx.In(7));
        });
    }

    /// <summary>A per-axis (1-D) quantization parameter reshaped to broadcast along <paramref name="axis"/>; scalars stay.</summary>
    static Tensor PerAxis(Tensor p, Tensor x, long axis)
    {
        if (p.Dim == 0 || p.NumEl == 1) return p.Reshape();
        if (axis < -x.Dim || axis >= x.Dim) throw new ShapeMismatchException("QuantizeLinear", $"axis {axis} is out of range for rank {x.Dim}");
        var shape = Enumerable.Repeat(1, x.Dim).ToArray();
        shape[axis < 0 ? axis + x.Dim : axis] = p.NumEl;
        return p.Reshape(shape);
    }

    /// <summary>uint8 values minus their zero point as Int32 (per-row for A, per-column/per-channel for B).</summary>
    static Tensor Centered(Tensor q, Tensor? zp, int _, bool isA, int channelAxis = -1)
    {
        if (q.DType != DType.UInt8) throw new DTypeMismatchException("QLinear", $"only uint8 operands are supported, got {q.DType.Name()}");
        var v = q.To(DType.Int32);
        if (zp == null || zp.NumEl == 0) return v;
        var z = zp.To(DType.Int32);
        if (z.NumEl > 1)
        {
            if (channelAxis == 0) z = z.Reshape([z.NumEl, .. Enumerable.Repeat(1, q.Dim - 1)]);
            else if (isA) z = z.Reshape(z.NumEl, 1);
        }
        else z = z.Reshape();
        return v.Sub(z);
    }

    static Tensor Requantize(Tensor real, Tensor zp)
    {
        var q = real.Round().Add(zp.To(DType.Float64).Reshape(zp.NumEl == 1 ? [] : [zp.NumEl]));
        return q.Clamp(0, 255).To(DType.UInt8);
    }

    /// <summary>Conv with ONNX attributes on already-prepared float tensors (shared by ConvInteger and QLinearConv).</summary>
    static Tensor ConvCore(OpContext ctx, Tensor x, Tensor w, Tensor? bias)
    {
        var shim = new OpContext(ctx.Node, ctx.Opset, [x, w, bias], ctx.Frame);
        return Conv(shim);
    }
}
