namespace NativeNet;

/// <summary>Elementwise math, logic, comparisons and activations.</summary>
internal static partial class OpRegistry
{
    static void RegisterElementwise()
    {
        Binary("Add", (a, b) => a.Add(b));
        Binary("Sub", (a, b) => a.Sub(b));
        Binary("Mul", (a, b) => a.Mul(b));
        Binary("Div", (a, b) => !a.DType.IsFloatingPoint() && !b.DType.IsFloatingPoint()
            ? Tensor.BinaryForward(BinaryOp.Div, a, b, "Div") : a.Div(b));
        Binary("Pow", Pow);
        Add("Mod", ctx => Mod(ctx.In(0), ctx.In(1), ctx.A.GetInt("fmod", 0) != 0));
        Add("BitShift", ctx => BitShift(ctx.In(0), ctx.In(1), ctx.A.GetString("direction")));
        Binary("And", (a, b) => a.LogicalAnd(b));
        Binary("Or", (a, b) => a.LogicalOr(b));
        Binary("Xor", (a, b) => a.LogicalXor(b));
        Unary("Not", x => x.LogicalNot());
        Binary("Equal", (a, b) => a.Eq(b));
        Binary("Less", (a, b) => a.Lt(b));
        Binary("Greater", (a, b) => a.Gt(b));
        Binary("LessOrEqual", (a, b) => a.Le(b));
        Binary("GreaterOrEqual", (a, b) => a.Ge(b));
        Add("Where", ctx => Tensor.Where(ctx.In(0), ctx.In(1), ctx.In(2)));
        Add("Max", ctx => Variadic(ctx, (a, b) => a.Maximum(b)));
        Add("Min", ctx => Variadic(ctx, (a, b) => a.Minimum(b)));
        Add("Sum", ctx => Variadic(ctx, (a, b) => a.Add(b)));
        Add("Mean", ctx => Variadic(ctx, (a, b) => a.Add(b)).Div((double)ctx.InputCount));
        Unary("Abs", x => x.DType == DType.UInt8 ? x : x.Abs());
        Unary("Neg", x => x.Neg());
        Unary("Exp", x => x.Exp());
        Unary("Log", x => x.Log());
        Unary("Sqrt", x => x.Sqrt());
        Unary("Reciprocal", x => x.Reciprocal());
        Unary("Floor", x => x.Floor());
        Unary("Ceil", x => x.Ceil());
        Unary("Round", x => x.Round());
        Unary("Sign", x => x.Sign());
        Unary("Erf", x => x.Erf());
        Unary("Sin", x => x.Sin());
        Unary("Cos", x => x.Cos());
        Unary("Tan", x => x.Tan());
        Unary("Asin", x => x.Asin());
        Unary("Acos", x => x.Acos());
        Unary("Atan", x => x.Atan());
        Unary("Sinh", x => x.Sinh());
        Unary("Cosh", x => x.Cosh());
        Unary("Asinh", x => x.Asinh());
        Unary("Acosh", x => x.Acosh());
        Unary("Atanh", x => x.Atanh());
        Unary("IsNaN", x => x.IsNan());
        Add("IsInf", ctx => ctx.In(0).IsInf(ctx.A.GetInt("detect_positive", 1) != 0, ctx.A.GetInt("detect_negative", 1) != 0), traits: OpTraits.SameShape);
        AddMulti("Identity", ctx => [ctx.Inputs.Length > 0 ? ctx.Inputs[0] : throw ctx.Fail("needs an input")], traits: OpTraits.SameShape);
        Add("Cast", ctx => ctx.In(0).To(DTypeAttr(ctx, "to", ctx.In(0).DType)), DTypeAttrCheck("to"), OpTraits.SameShape);
        Add("CastLike", ctx => ctx.In(0).To(ctx.In(1).DType), traits: OpTraits.SameShape);
        Add("Clip", Clip, traits: OpTraits.SameShape);
    }

    static Tensor Variadic(OpContext ctx, Func<Tensor, Tensor, Tensor> f)
    {
        if (ctx.InputCount == 0) throw ctx.Fail("needs at least one input");
        var acc = ctx.In(0);
        for (int i = 1; i < ctx.InputCount; i++) acc = f(acc, ctx.In(i));
        return acc;
    }

    /// <summary>ONNX Pow: the result has the base's dtype, whatever the exponent's.</summary>
    static Tensor Pow(Tensor a, Tensor b)
    {
        if (a.DType.IsFloatingPoint()) return a.Pow(b.To(a.DType));
        if (!b.DType.IsFloatingPoint()) return Tensor.BinaryForward(BinaryOp.Pow, a, b.To(a.DType), "Pow");
        var af = a.To(DType.Float64);
        var bf = b.To(DType.Float64);
        using var p = af.Pow(bf);
        return p.To(a.DType);
    }

    /// <summary>ONNX Mod: fmod=0 takes the divisor's sign (Python %), fmod=1 the dividend's (C fmod).</summary>
    static Tensor Mod(Tensor a, Tensor b, bool fmod)
    {
        if (!fmod) return Tensor.BinaryForward(BinaryOp.Remainder, a, b, "Mod");
        if (!a.DType.IsFloatingPoint())
        {
            using var q = Tensor.BinaryForward(BinaryOp.Div, a, b, "Mod");
            using var m = q.Mul(b);
            return a.Sub(m);
        }
        // a - trunc(a / b) * b in float64, then back.
        var ad = a.To(DType.Float64);
        var bd = b.To(DType.Float64);
        using var r = Tensor.BinaryForward(BinaryOp.Remainder, ad, bd, "Mod");
        using var wrong = r.Ne(0.0).LogicalAnd(r.Lt(0.0).LogicalXor(ad.Lt(0.0)));
        var fixedUp = Tensor.Where(wrong, r.Sub(bd), r);
        return fixedUp.To(DTypeInfo.Promote(a.DType, b.DType));
    }

    static Tensor BitShift(Tensor x, Tensor y, string direction)
    {
        if (x.DType != DType.UInt8 || y.DType != DType.UInt8)
            throw new DTypeMismatchException("BitShift", $"NativeNet's only unsigned dtype is uint8, got {x.DType.Name()} and {y.DType.Name()}");
        using var xl = x.To(DType.Int64);
        using var yl = y.To(DType.Int64);
        using var two = Tensor.Scalar(2, DType.Int64);
        using var factor = Tensor.BinaryForward(BinaryOp.Pow, two, yl, "BitShift");
        using var r = direction switch
        {
            "LEFT" => xl.Mul(factor),
            "RIGHT" => Tensor.BinaryForward(BinaryOp.Div, xl, factor, "BitShift"),
            _ => throw new GraphAttributeException($"BitShift: direction must be LEFT or RIGHT, got '{direction}'"),
        };
        using var wrapped = Tensor.BinaryForward(BinaryOp.Remainder, r, Tensor.Scalar(256, DType.Int64), "BitShift");
        return wrapped.To(DType.UInt8);
    }

    static Tensor Clip(OpContext ctx)
    {
        var x = ctx.In(0);
        double? lo, hi;
        if (ctx.Opset < 11)
        {
            lo = ctx.A.Has("min") ? ctx.A.GetFloat("min") : null;
            hi = ctx.A.Has("max") ? ctx.A.GetFloat("max") : null;
        }
        else
        {
            lo = ctx.Has(1) ? ctx.Scalar(1) : null;
            hi = ctx.Has(2) ? ctx.Scalar(2) : null;
        }
        if (lo is double l && hi is double h && l > h) return Tensor.FullLike(x, h);
        return x.Clamp(lo, hi);
    }

    static void RegisterActivations()
    {
        Unary("Relu", x => x.Relu());
        Unary("Sigmoid", x => x.Sigmoid());
        Unary("Tanh", x => x.Tanh());
        Add("LeakyRelu", ctx => ctx.In(0).LeakyRelu(ctx.A.GetFloat("alpha", 0.01f)), traits: OpTraits.SameShape);
        Add("PRelu", ctx =>
        {
            var x = ctx.In(0);
            var slope = ctx.In(1);
            // Opset 6 and older: a [C] slope is per channel.
            if (ctx.Opset < 7 && slope.Dim == 1 && x.Dim > 2 && slope.NumEl == x.Shape[1] && slope.NumEl > 1)
                slope = slope.Reshape([slope.NumEl, .. Enumerable.Repeat(1, x.Dim - 2)]);
            using var neg = x.Lt(0.0);
            return Tensor.Where(neg, x.Mul(slope), x);
        });
        Add("Elu", ctx => ctx.In(0).Elu(ctx.A.GetFloat("alpha", 1f)), traits: OpTraits.SameShape);
        Add("Selu", ctx => ctx.In(0).Elu(ctx.A.GetFloat("alpha", 1.67326319217681884765625f)).Mul(ctx.A.GetFloat("gamma", 1.05070102214813232421875f)),
            traits: OpTraits.SameShape);
        Add("Celu", ctx =>
        {
            var x = ctx.In(0);
            double alpha = ctx.A.GetFloat("alpha", 1f);
            return x.Relu().Add(x.Div(alpha).Expm1().Mul(alpha).ClampMax(0));
        }, traits: OpTraits.SameShape);
        Add("ThresholdedRelu", ctx =>
        {
            var x = ctx.In(0);
            using var above = x.Gt(ctx.A.GetFloat("alpha", 1f));
            using var zero = Tensor.Scalar(0, x.DType);
            return Tensor.Where(above, x, zero);
        }, traits: OpTraits.SameShape);
        Add("HardSigmoid", ctx => ctx.In(0).Mul(ctx.A.GetFloat("alpha", 0.2f)).Add(ctx.A.GetFloat("beta", 0.5f)).Clamp(0, 1), traits: OpTraits.SameShape);
        Unary("HardSwish", x => x.Mul(x.Div(6.0).Add(0.5).Clamp(0, 1)));
        Unary("Softplus", x => x.Softplus());
        Unary("Softsign", x => x.Div(x.Abs().Add(1.0)));
        Unary("Mish", x => x.Mul(x.Softplus().Tanh()));
        Add("Gelu", ctx => ctx.In(0).Gelu(ctx.A.GetString("approximate", "none")), traits: OpTraits.SameShape);
        Add("Shrink", ctx =>
        {
            var x = ctx.In(0);
            double bias = ctx.A.GetFloat("bias", 0f), lambd = ctx.A.GetFloat("lambd", 0.5f);
            using var lo = x.Lt(-lambd);
            using var hi = x.Gt(lambd);
            using var zero = Tensor.Scalar(0, x.DType);
            return Tensor.Where(lo, x.Add(bias), Tensor.Where(hi, x.Sub(bias), zero)).To(x.DType);
        }, traits: OpTraits.SameShape);
        AddMulti("Dropout", ctx =>
        {
            var x = ctx.In(0);
            double ratio = ctx.Opset >= 12 ? (ctx.Has(1) ? ctx.Scalar(1) : 0.5) : ctx.A.GetFloat("ratio", 0.5f);
            bool training = ctx.Opset >= 12 && ctx.Has(2) && ctx.Scalar(2) != 0;
            if (!training || ratio == 0)
                return [x, ctx.OutputUsed(1) ? Tensor.Full(x.Shape.ToArray(), 1, DType.Bool) : null];
            if (ratio < 0 || ratio >= 1) throw ctx.Fail($"ratio {ratio} must be in [0, 1)");
            // Training mode draws from NativeNet's generator (Tensor.ManualSeed), not NumPy's: masks differ from other runtimes.
            using var u = Tensor.Rand(x.Shape.ToArray());
            var keep = u.Ge(ratio);
            return [x.Mul(keep.To(x.DType)).Div(1 - ratio), ctx.OutputUsed(1) ? keep : null];
        }, traits: OpTraits.NonDeterministic);
    }
}
