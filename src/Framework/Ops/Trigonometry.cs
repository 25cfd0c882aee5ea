namespace NativeNet;

/// <summary>Trigonometric and hyperbolic functions and their inverses, plus NaN/infinity tests.</summary>
public partial class Tensor
{
    /// <summary>Tangent (<c>torch.tan</c>).</summary>
    public Tensor Tan() => Unary(UnaryOp.Tan, "Tan", (g, _, y) => g.Mul(y.Square().Add(1.0)), saveOutput: true);
    /// <summary>Arcsine (<c>torch.asin</c>).</summary>
    public Tensor Asin() => Unary(UnaryOp.Asin, "Asin", (g, x, _) => g.Mul(x.Square().RSub(1).Rsqrt()), saveInput: true);
    /// <summary>Arccosine (<c>torch.acos</c>).</summary>
    public Tensor Acos() => Unary(UnaryOp.Acos, "Acos", (g, x, _) => g.Mul(x.Square().RSub(1).Rsqrt()).Neg(), saveInput: true);
    /// <summary>Arctangent (<c>torch.atan</c>).</summary>
    public Tensor Atan() => Unary(UnaryOp.Atan, "Atan", (g, x, _) => g.Div(x.Square().Add(1.0)), saveInput: true);
    /// <summary>Hyperbolic sine (<c>torch.sinh</c>).</summary>
    public Tensor Sinh() => Unary(UnaryOp.Sinh, "Sinh", (g, x, _) => g.Mul(x.Cosh()), saveInput: true);
    /// <summary>Hyperbolic cosine (<c>torch.cosh</c>).</summary>
    public Tensor Cosh() => Unary(UnaryOp.Cosh, "Cosh", (g, x, _) => g.Mul(x.Sinh()), saveInput: true);
    /// <summary>Inverse hyperbolic sine (<c>torch.asinh</c>).</summary>
    public Tensor Asinh() => Unary(UnaryOp.Asinh, "Asinh", (g, x, _) => g.Mul(x.Square().Add(1.0).Rsqrt()), saveInput: true);
    /// <summary>Inverse hyperbolic cosine (<c>torch.acosh</c>).</summary>
    public Tensor Acosh() => Unary(UnaryOp.Acosh, "Acosh", (g, x, _) => g.Mul(x.Square().Sub(1.0).Rsqrt()), saveInput: true);
    /// <summary>Inverse hyperbolic tangent (<c>torch.atanh</c>).</summary>
    public Tensor Atanh() => Unary(UnaryOp.Atanh, "Atanh", (g, x, _) => g.Div(x.Square().RSub(1)), saveInput: true);

    /// <summary>True where the element is NaN (<c>torch.isnan</c>); integer tensors have none.</summary>
    public Tensor IsNan() => DType.IsFloatingPoint() ? Ne(this) : Full(shape, 0, DType.Bool, Device);

    /// <summary>
    /// True where the element is infinite (<c>torch.isinf</c>); <paramref name="positive"/>/<paramref name="negative"/>
    /// select which signs count (ONNX IsInf's detect_positive/detect_negative).
    /// </summary>
    public Tensor IsInf(bool positive = true, bool negative = true)
    {
        if (!DType.IsFloatingPoint() || (!positive && !negative)) return Full(shape, 0, DType.Bool, Device);
        if (positive && negative)
        {
            using var a = Abs();
            return a.Eq(double.PositiveInfinity);
        }
        return Eq(positive ? double.PositiveInfinity : double.NegativeInfinity);
    }
}
