using static NativeNet.Tests.AutogradTests.GradCheck;

namespace NativeNet.Tests.AutogradTests;

/// <summary>Finite-difference gradient checks of elementwise binary, scalar and unary ops (incl. broadcasting).</summary>
public class ElementwiseGradientTests
{
    static readonly (int[] A, int[] B)[] BroadcastShapes =
    [
        ([2, 3], [2, 3]),
        ([2, 3], [3]),
        ([3], [2, 3]),
        ([4, 1, 3], [2, 1]),
        ([2, 1, 3], [1, 4, 1]),
        ([], [2, 3]),
        ([2, 3], []),
        ([1], [2, 3]),
    ];

    public static TheoryData<string, int> BinaryCases()
    {
        var d = new TheoryData<string, int>();
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "OpAdd", "OpSub", "OpMul", "OpDiv" })
            for (int i = 0; i < BroadcastShapes.Length; i++) d.Add(op, i);
        return d;
    }

    [Theory, MemberData(nameof(BinaryCases))]
    public void Binary(string op, int shapeCase)
    {
        var (sa, sb) = BroadcastShapes[shapeCase];
        Tensor a, b;
        switch (op)
        {
            case "Div" or "OpDiv": a = Rand(1, sa); b = Positive(2, sb); break;
            case "Pow": a = Positive(1, sa); b = Rand(2, sb); break;
            case "Maximum" or "Minimum":
                // Interleaved distinct values so neither operand wins everywhere and no two are within eps.
                a = Distinct(1, sa); b = Uniform(2, sb, -0.97, 0.97); b = b.Add(0.003); break;
            default: a = Rand(1, sa); b = Rand(2, sb); break;
        }
        Func<Tensor[], Tensor> f = op switch
        {
            "Add" => x => x[0].Add(x[1]),
            "Sub" => x => x[0].Sub(x[1]),
            "Mul" => x => x[0].Mul(x[1]),
            "Div" => x => x[0].Div(x[1]),
            "Pow" => x => x[0].Pow(x[1]),
            "Maximum" => x => x[0].Maximum(x[1]),
            "Minimum" => x => x[0].Minimum(x[1]),
            "OpAdd" => x => x[0] + x[1],
            "OpSub" => x => x[0] - x[1],
            "OpMul" => x => x[0] * x[1],
            _ => x => x[0] / x[1],
        };
        Check($"{op} {Fmt(sa)}x{Fmt(sb)}", f, [a, b]);
    }

    [Fact]
    public void MaximumMinimumAvoidTiesNumerically()
    {
        // Guard for the Binary theory: its Maximum/Minimum operands never come within 1e-4 of each other.
        foreach (var (sa, sb) in BroadcastShapes)
        {
            using var a = Distinct(1, sa);
            using var b0 = Uniform(2, sb, -0.97, 0.97);
            using var b = b0.Add(0.003);
            using var diff = a.Sub(b).Abs();
            Assert.True(diff.Min().Item() > 1e-4);
        }
    }

    public static TheoryData<string> ScalarCases() => new(ScalarOps.Keys);

    static readonly Dictionary<string, (Func<Tensor, Tensor> F, Func<Tensor> X)> ScalarOps = new()
    {
        ["Add(s)"] = (x => x.Add(1.5), () => Rand(3, 2, 3)),
        ["Sub(s)"] = (x => x.Sub(1.5), () => Rand(3, 2, 3)),
        ["Mul(s)"] = (x => x.Mul(-2.5), () => Rand(3, 2, 3)),
        ["Div(s)"] = (x => x.Div(4.0), () => Rand(3, 2, 3)),
        ["RSub"] = (x => x.RSub(2.0), () => Rand(3, 2, 3)),
        ["RDiv"] = (x => x.RDiv(3.0), () => Positive(3, 2, 3)),
        ["RDivNegative"] = (x => x.RDiv(-0.5), () => AwayFromZero(3, 2, 3)),
        ["RDivZero"] = (x => x.RDiv(0.0), () => AwayFromZero(3, 2, 3)),
        ["s+x"] = (x => 2.0 + x, () => Rand(3, 4)),
        ["s-x"] = (x => 2.0 - x, () => Rand(3, 4)),
        ["s*x"] = (x => 2.0 * x, () => Rand(3, 4)),
        ["s/x"] = (x => 2.0 / x, () => Positive(3, 4)),
        ["x/s"] = (x => x / 2.0, () => Rand(3, 4)),
        ["-x"] = (x => -x, () => Rand(3, 4)),
        ["Pow(2)"] = (x => x.Pow(2), () => Rand(3, 2, 3)),
        ["Pow(3)NegativeBase"] = (x => x.Pow(3), () => Rand(3, 2, 3)),
        ["Pow(2.5)"] = (x => x.Pow(2.5), () => Positive(3, 2, 3)),
        ["Pow(-1.5)"] = (x => x.Pow(-1.5), () => Positive(3, 2, 3)),
        ["Pow(0.5)"] = (x => x.Pow(0.5), () => Positive(3, 2, 3)),
        ["Pow(1)"] = (x => x.Pow(1), () => Rand(3, 2, 3)),
        ["Pow(0)"] = (x => x.Pow(0), () => Rand(3, 2, 3)),
        ["Remainder"] = (x => x.Remainder(0.7), () => Uniform(3, [2, 3], 0.05, 0.65)),
        ["ScalarOn0D"] = (x => x.Mul(3.0).Add(1.0), () => Rand(3)),
    };

    [Theory, MemberData(nameof(ScalarCases))]
    public void Scalar(string name)
    {
        var (f, x) = ScalarOps[name];
        Check(name, f, x());
    }

    public static TheoryData<string> UnaryCases() => new(UnaryOps.Keys);

    // Inputs keep away from kinks and domain edges so central differences are valid.
    static readonly Dictionary<string, (Func<Tensor, Tensor> F, Func<Tensor> X)> UnaryOps = new()
    {
        ["Neg"] = (x => x.Neg(), () => Rand(4, 2, 3)),
        ["Abs"] = (x => x.Abs(), () => AwayFromZero(4, 2, 3)),
        ["Exp"] = (x => x.Exp(), () => Rand(4, 2, 3)),
        ["Log"] = (x => x.Log(), () => Positive(4, 2, 3)),
        ["Sqrt"] = (x => x.Sqrt(), () => Positive(4, 2, 3)),
        ["Rsqrt"] = (x => x.Rsqrt(), () => Positive(4, 2, 3)),
        ["Tanh"] = (x => x.Tanh(), () => Uniform(4, [2, 3], -2, 2)),
        ["Sigmoid"] = (x => x.Sigmoid(), () => Uniform(4, [2, 3], -3, 3)),
        ["Relu"] = (x => x.Relu(), () => AwayFromZero(4, 2, 3)),
        ["Sin"] = (x => x.Sin(), () => Uniform(4, [2, 3], -3, 3)),
        ["Cos"] = (x => x.Cos(), () => Uniform(4, [2, 3], -3, 3)),
        ["Reciprocal"] = (x => x.Reciprocal(), () => AwayFromZero(4, 2, 3)),
        ["Erf"] = (x => x.Erf(), () => Uniform(4, [2, 3], -2.5, 2.5)),
        ["Log1p"] = (x => x.Log1p(), () => Uniform(4, [2, 3], -0.5, 2)),
        ["Expm1"] = (x => x.Expm1(), () => Rand(4, 2, 3)),
        ["Square"] = (x => x.Square(), () => Rand(4, 2, 3)),
        ["Log2"] = (x => x.Log2(), () => Positive(4, 2, 3)),
        ["Log10"] = (x => x.Log10(), () => Positive(4, 2, 3)),
        ["Floor"] = (x => x.Floor(), () => Uniform(4, [2, 3], 0.1, 0.9).Add(2.0)),
        ["Ceil"] = (x => x.Ceil(), () => Uniform(4, [2, 3], 0.1, 0.9).Add(-3.0)),
        ["Round"] = (x => x.Round(), () => Uniform(4, [2, 3], 0.1, 0.4).Add(1.0)),
        ["Sign"] = (x => x.Sign(), () => AwayFromZero(4, 2, 3)),
        ["Clamp"] = (x => x.Clamp(-0.5, 0.5), () => Distinct(4, 3, 5).Add(0.01)),
        ["ClampMinOnly"] = (x => x.Clamp(min: -0.2), () => Distinct(4, 3, 5).Add(0.01)),
        ["ClampMaxOnly"] = (x => x.Clamp(max: 0.3), () => Distinct(4, 3, 5).Add(0.01)),
        ["ClampMin"] = (x => x.ClampMin(0.1), () => Distinct(4, 3, 5).Add(0.01)),
        ["ClampMax"] = (x => x.ClampMax(0.1), () => Distinct(4, 3, 5).Add(0.01)),
        ["Hardtanh"] = (x => x.Hardtanh(-0.4, 0.6), () => Distinct(4, 3, 5).Add(0.01)),
        ["GeluErf"] = (x => x.Gelu(), () => Uniform(4, [2, 5], -3, 3)),
        ["GeluTanh"] = (x => x.Gelu("tanh"), () => Uniform(4, [2, 5], -3, 3)),
        ["Silu"] = (x => x.Silu(), () => Uniform(4, [2, 5], -3, 3)),
        ["LeakyRelu"] = (x => x.LeakyRelu(0.1), () => AwayFromZero(4, 2, 5)),
        ["LeakyReluDefault"] = (x => x.LeakyRelu(), () => AwayFromZero(4, 2, 5)),
        ["Elu"] = (x => x.Elu(1.3), () => AwayFromZero(4, 2, 5)),
        ["Softplus"] = (x => x.Softplus(), () => Uniform(4, [2, 5], -3, 3)),
        // beta·x crosses the threshold (2·x > 1.5 for x > 0.75): both branches are checked.
        ["SoftplusThreshold"] = (x => x.Softplus(beta: 2, threshold: 1.5), () => Distinct(4, 2, 5).Mul(1.6).Add(0.013)),
        ["NonContiguousInput"] = (x => x.T.Exp(), () => Rand(4, 3, 2)),
        ["Composite"] = (x => x.Mul(x).Add(x.Sin()).Mul(x.Exp()), () => Rand(4, 2, 3)),
    };

    [Theory, MemberData(nameof(UnaryCases))]
    public void Unary(string name)
    {
        var (f, x) = UnaryOps[name];
        Check(name, f, x());
    }

    [Fact]
    public void WhereWithBroadcasting()
    {
        using var cond = Tensor.FromArray(new[] { true, false, true, false, false, true }, [2, 1, 3]);
        Check("Where", x => Tensor.Where(cond, x[0], x[1]), [Rand(5, 4, 3), Rand(6, 2, 1, 1)]);
        Check("Where0D", x => Tensor.Where(cond, x[0], x[1]), [Rand(5), Rand(6, 3)]);
    }

    [Fact]
    public void ToDtypeRoundTrip()
    {
        // Float32 rounding of x ± eps limits the difference quotient to ~1e-7/eps relative error.
        Check("To(Float32)", x => x.To(DType.Float32).Mul(3.0).To(DType.Float64), Rand(7, 2, 3), eps: 1e-2, atol: 1e-4, rtol: 1e-4);
        Check("To(Float64)", x => x.To(DType.Float64).Sin(), Rand(7, 2, 3));
        Check("Clone", x => x.Clone().Mul(x), Rand(7, 2, 3));
        Check("Contiguous", x => x.T.Contiguous().Mul(Tensor.Arange(0, 3, 1, DType.Float64)), Rand(7, 3, 2));
    }

    [Fact]
    public void ToFloat32GradientHasLeafDtype()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2f, 3f }, requiresGrad: true);
        using var w = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 });
        using var y = x.To(DType.Float64).Mul(w).Sum();
        y.Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal(new[] { 0.5f, -1f, 2f }, x.Grad.ToArray<float>());

        using var x64 = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        using var y32 = x64.To(DType.Float32).Mul(2.0).Sum();
        y32.Backward();
        Assert.Equal(DType.Float64, x64.Grad!.DType);
        Assert.Equal(new[] { 2.0, 2.0 }, x64.Grad.ToArray<double>());
    }

    [Fact]
    public void MixedFloatDtypesGiveEachLeafItsOwnGradDtype()
    {
        // Regression: the float32 operand of a float64 op used to receive a float64 gradient.
        using var a = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        using var b = Tensor.FromArray(new[] { 3.0, 4.0 }, requiresGrad: true);
        using var y = a.Mul(b).Sum();
        Assert.Equal(DType.Float64, y.DType);
        y.Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float64, b.Grad!.DType);
        Assert.Equal(new[] { 3f, 4f }, a.Grad.ToArray<float>());
        Assert.Equal(new[] { 1.0, 2.0 }, b.Grad.ToArray<double>());
    }

    [Fact]
    public void AmaxTiesSplitGradientEvenly()
    {
        // torch.amax documents that the gradient is distributed evenly between equal maxima.
        using var x = Tensor.FromArray(new[] { 1.0, 3.0, 3.0, 2.0 }, requiresGrad: true);
        using var y = x.Amax([0]);
        y.Backward();
        Assert.Equal(new[] { 0, 0.5, 0.5, 0 }, x.Grad!.ToArray<double>());
    }

    static string Fmt(int[] s) => "[" + string.Join(",", s) + "]";
}
