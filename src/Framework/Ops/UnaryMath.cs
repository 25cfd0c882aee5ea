namespace NativeNet;

/// <summary>Unary math and activations. Primitives have a kernel and a backward; composites (GELU, SiLU, …) get gradients for free.</summary>
public partial class Tensor
{
    Tensor Unary(UnaryOp op, string name, Func<Tensor, Tensor, Tensor, Tensor>? backward, bool saveInput = false, bool saveOutput = false)
    {
        if (!DType.IsFloatingPoint() && op is not (UnaryOp.Neg or UnaryOp.Abs or UnaryOp.Sign or UnaryOp.Square or UnaryOp.Relu or UnaryOp.Floor or UnaryOp.Ceil or UnaryOp.Round))
        {
            using var f = To(DType.Float32);
            return f.Unary(op, name, backward, saveInput, saveOutput);
        }
        var y = UnaryForward(op);
        if (backward != null && Autograd.Needs(this))
        {
            var x = saveInput ? Alias() : null;
            var ys = saveOutput ? y.Alias() : null;
            Tensor[] saved = x is null ? (ys is null ? [] : [ys]) : (ys is null ? [x] : [x, ys]);
            Autograd.Record(y, name, [this], g => [backward(g, x!, ys!)], saved);
        }
        return y;
    }

    /// <summary>Negation (<c>torch.neg</c>).</summary>
    public Tensor Neg() => Unary(UnaryOp.Neg, "Neg", (g, _, _) => g.Neg());
    /// <summary>Absolute value (<c>torch.abs</c>).</summary>
    public Tensor Abs() => Unary(UnaryOp.Abs, "Abs", (g, x, _) => g.Mul(x.Sign()), saveInput: true);
    /// <summary>Exponential (<c>torch.exp</c>).</summary>
    public Tensor Exp() => Unary(UnaryOp.Exp, "Exp", (g, _, y) => g.Mul(y), saveOutput: true);
    /// <summary>Natural logarithm (<c>torch.log</c>).</summary>
    public Tensor Log() => Unary(UnaryOp.Log, "Log", (g, x, _) => g.Div(x), saveInput: true);
    /// <summary>Square root (<c>torch.sqrt</c>).</summary>
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt, "Sqrt", (g, _, y) => g.Div(y.Mul(2.0)), saveOutput: true);
    /// <summary>Reciprocal square root (<c>torch.rsqrt</c>).</summary>
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt, "Rsqrt", (g, _, y) => g.Mul(y.Pow(3)).Mul(-0.5), saveOutput: true);
    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public Tensor Tanh() => Unary(UnaryOp.Tanh, "Tanh", (g, _, y) => g.Mul(y.Square().RSub(1)), saveOutput: true);
    /// <summary>Logistic sigmoid (<c>torch.sigmoid</c>).</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid, "Sigmoid", (g, _, y) => g.Mul(y).Mul(y.RSub(1)), saveOutput: true);
    /// <summary>Rectified linear unit (<c>torch.relu</c>).</summary>
    public Tensor Relu() => Unary(UnaryOp.Relu, "Relu", (g, _, y) => ReluBackward(g, y), saveOutput: true);
    /// <summary>Sine (<c>torch.sin</c>).</summary>
    public Tensor Sin() => Unary(UnaryOp.Sin, "Sin", (g, x, _) => g.Mul(x.Cos()), saveInput: true);
    /// <summary>Cosine (<c>torch.cos</c>).</summary>
    public Tensor Cos() => Unary(UnaryOp.Cos, "Cos", (g, x, _) => g.Mul(x.Sin()).Neg(), saveInput: true);
    /// <summary>Reciprocal 1/x (<c>torch.reciprocal</c>).</summary>
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal, "Reciprocal", (g, _, y) => g.Mul(y.Square()).Neg(), saveOutput: true);
    /// <summary>Error function (<c>torch.erf</c>).</summary>
    public Tensor Erf() => Unary(UnaryOp.Erf, "Erf", (g, x, _) => g.Mul(x.Square().Neg().Exp()).Mul(2 / Math.Sqrt(Math.PI)), saveInput: true);
    /// <summary>log(1 + x) (<c>torch.log1p</c>).</summary>
    public Tensor Log1p() => Unary(UnaryOp.Log1p, "Log1p", (g, x, _) => g.Div(x.Add(1.0)), saveInput: true);
    /// <summary>exp(x) - 1 (<c>torch.expm1</c>).</summary>
    public Tensor Expm1() => Unary(UnaryOp.Expm1, "Expm1", (g, _, y) => g.Mul(y.Add(1.0)), saveOutput: true);
    /// <summary>x² (<c>torch.square</c>).</summary>
    public Tensor Square() => Unary(UnaryOp.Square, "Square", (g, x, _) => g.Mul(x).Mul(2.0), saveInput: true);
    /// <summary>Rounds down (<c>torch.floor</c>); zero gradient.</summary>
    public Tensor Floor() => Unary(UnaryOp.Floor, "Floor", (g, _, _) => ZerosLike(g));
    /// <summary>Rounds up (<c>torch.ceil</c>); zero gradient.</summary>
    public Tensor Ceil() => Unary(UnaryOp.Ceil, "Ceil", (g, _, _) => ZerosLike(g));
    /// <summary>Rounds half to even (<c>torch.round</c>); zero gradient.</summary>
    public Tensor Round() => Unary(UnaryOp.Round, "Round", (g, _, _) => ZerosLike(g));
    /// <summary>Sign: -1, 0 or 1 (<c>torch.sign</c>); zero gradient.</summary>
    public Tensor Sign() => Unary(UnaryOp.Sign, "Sign", (g, _, _) => ZerosLike(g));

    /// <summary>Base-2 logarithm (<c>torch.log2</c>).</summary>
    public Tensor Log2() => Log().Mul(1 / Math.Log(2));
    /// <summary>Base-10 logarithm (<c>torch.log10</c>).</summary>
    public Tensor Log10() => Log().Mul(1 / Math.Log(10));

    /// <summary>Clamps into [min, max]; either bound may be null (<c>torch.clamp</c>). Gradient passes where the input is inside.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        ThrowIfDisposed();
        double lo = min ?? double.NegativeInfinity, hi = max ?? double.PositiveInfinity;
        var xc = Contiguous();
        var y = Empty(shape, DType, Device);
        Backend.Clamp(xc.View, lo, hi, y.View);
        DisposeIfTemp(xc, this);
        if (GraphTracer.Current is { } tr) tr.Clip(this, lo, hi, y);
        if (Autograd.Needs(this))
        {
            var x = Alias();
            Autograd.Record(y, "Clip", [this], g =>
            {
                using var inside = x.Ge(lo).LogicalAnd(x.Le(hi));
                return [g.Mul(inside.To(g.DType))];
            }, x);
        }
        return y;
    }

    /// <summary>Clamps from below (<c>torch.clamp_min</c>).</summary>
    public Tensor ClampMin(double min) => Clamp(min, null);
    /// <summary>Clamps from above (<c>torch.clamp_max</c>).</summary>
    public Tensor ClampMax(double max) => Clamp(null, max);

    /// <summary>GELU; <paramref name="approximate"/> "none" uses erf, "tanh" the tanh form (<c>torch.nn.functional.gelu</c>).</summary>
    public Tensor Gelu(string approximate = "none")
    {
        if (approximate == "tanh")
        {
            var inner = this.Add(Pow(3).Mul(0.044715)).Mul(Math.Sqrt(2 / Math.PI));
            return Mul(0.5).Mul(inner.Tanh().Add(1.0));
        }
        if (approximate != "none") throw new ArgumentException($"Gelu: approximate must be 'none' or 'tanh', got '{approximate}'");
        return Mul(0.5).Mul(Mul(1 / Math.Sqrt(2)).Erf().Add(1.0));
    }

    /// <summary>SiLU / swish x·σ(x) (<c>torch.nn.functional.silu</c>).</summary>
    public Tensor Silu() => Mul(Sigmoid());

    /// <summary>Leaky ReLU (<c>torch.nn.functional.leaky_relu</c>).</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        var y = Relu().Sub(Neg().Relu().Mul(negativeSlope));
        tr?.Collapse(mark, "LeakyRelu", [tr.Name(this)], y, new AttributeBag().Set("alpha", (float)negativeSlope));
        return y;
    }

    /// <summary>ELU (<c>torch.nn.functional.elu</c>).</summary>
    public Tensor Elu(double alpha = 1.0)
    {
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        var y = Relu().Add(Neg().Relu().Neg().Expm1().Mul(alpha));
        tr?.Collapse(mark, "Elu", [tr.Name(this)], y, new AttributeBag().Set("alpha", (float)alpha));
        return y;
    }

    /// <summary>Softplus log(1 + exp(βx))/β, linear above the threshold (<c>torch.nn.functional.softplus</c>).</summary>
    public Tensor Softplus(double beta = 1.0, double threshold = 20.0)
    {
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        var bx = Mul(beta);
        // Stable: max(bx, 0) + log1p(exp(-|bx|)).
        var soft = bx.Relu().Add(bx.Abs().Neg().Exp().Log1p()).Div(beta);
        using var above = bx.Gt(threshold);
        var y = Where(above, this, soft);
        // ONNX Softplus is log(1 + e^x): the same function for beta 1 (the threshold only avoids overflow).
        if (beta == 1) tr?.Collapse(mark, "Softplus", [tr.Name(this)], y);
        return y;
    }

    /// <summary>Hard tanh, clamp to [min, max] (<c>torch.nn.functional.hardtanh</c>).</summary>
    public Tensor Hardtanh(double min = -1, double max = 1) => Clamp(min, max);
}
