using static NativeNet.Tests.AutogradTests.GradCheck;

namespace NativeNet.Tests.AutogradTests;

/// <summary>Finite-difference gradient checks of reductions over several dim sets, with and without keepDim.</summary>
public class ReductionGradientTests
{
    static readonly int[]?[] DimSets = [null, [1], [-1], [0, 2], [0, 1, 2], [2, 0]];

    public static TheoryData<string, int, bool> Cases()
    {
        var d = new TheoryData<string, int, bool>();
        foreach (var op in new[] { "Sum", "Mean", "Amax", "Amin", "Var", "VarPopulation", "Std", "LogSumExp" })
            for (int i = 0; i < DimSets.Length; i++)
                foreach (var keep in new[] { false, true })
                    d.Add(op, i, keep);
        return d;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Reduce(string op, int dimSet, bool keepDim)
    {
        var dims = DimSets[dimSet];
        var x = op is "Amax" or "Amin" ? Distinct(11, 2, 3, 4) : Rand(11, 2, 3, 4);
        Func<Tensor, Tensor> f = op switch
        {
            "Sum" => t => t.Sum(dims, keepDim),
            "Mean" => t => t.Mean(dims, keepDim),
            "Amax" => t => t.Amax(dims, keepDim),
            "Amin" => t => t.Amin(dims, keepDim),
            "Var" => t => t.Var(dims, keepDim: keepDim),
            "VarPopulation" => t => t.Var(dims, correction: 0, keepDim: keepDim),
            "Std" => t => t.Std(dims, keepDim: keepDim),
            _ => t => dims == null ? t.LogSumExp([0, 1, 2], keepDim) : t.LogSumExp(dims, keepDim),
        };
        Check($"{op}({(dims == null ? "all" : string.Join(",", dims))}, keepDim={keepDim})", f, x);
    }

    public static TheoryData<string> OtherCases() => new(Others.Keys);

    static readonly Dictionary<string, (Func<Tensor, Tensor> F, Func<Tensor> X)> Others = new()
    {
        ["Sum()"] = (x => x.Sum(), () => Rand(12, 3, 4)),
        ["Sum(dim)"] = (x => x.Sum(0), () => Rand(12, 3, 4)),
        ["Mean()"] = (x => x.Mean(), () => Rand(12, 3, 4)),
        ["Mean(dim, keepDim)"] = (x => x.Mean(1, keepDim: true), () => Rand(12, 3, 4)),
        ["Max()"] = (x => x.Max(), () => Distinct(12, 3, 4)),
        ["Min()"] = (x => x.Min(), () => Distinct(12, 3, 4)),
        ["Max(dim).Values"] = (x => x.Max(1).Values, () => Distinct(12, 3, 4)),
        ["Max(dim, keepDim).Values"] = (x => x.Max(0, keepDim: true).Values, () => Distinct(12, 3, 4)),
        ["Max(-1).Values 3-D"] = (x => x.Max(-1).Values, () => Distinct(12, 2, 3, 4)),
        ["Min(dim).Values"] = (x => x.Min(1).Values, () => Distinct(12, 3, 4)),
        ["Min(dim, keepDim).Values"] = (x => x.Min(-2, keepDim: true).Values, () => Distinct(12, 3, 4)),
        ["Var(dim)"] = (x => x.Var(1), () => Rand(12, 3, 4)),
        ["Std(dim, correction 0)"] = (x => x.Std(0, correction: 0), () => Rand(12, 3, 4)),
        ["LogSumExp(dim)"] = (x => x.LogSumExp(1), () => Rand(12, 3, 4)),
        ["LogSumExp large values"] = (x => x.LogSumExp(1), () => Rand(12, 3, 4).Mul(50.0).Add(500.0)),
        ["Norm()"] = (x => x.Norm(), () => Rand(12, 3, 4)),
        ["Norm(3)"] = (x => x.Norm(3), () => AwayFromZero(12, 3, 4)),
        ["Norm(1)"] = (x => x.Norm(1), () => AwayFromZero(12, 3, 4)),
        ["Sum of 0-D"] = (x => x.Sum(), () => Rand(12)),
        ["Mean of transposed"] = (x => x.T.Mean(1), () => Rand(12, 3, 4)),
        ["Sum of expanded"] = (x => x.Expand(4, 3).Sum(0), () => Rand(12, 3)),
    };

    [Theory, MemberData(nameof(OtherCases))]
    public void Other(string name)
    {
        var (f, x) = Others[name];
        Check(name, f, x());
    }
}
