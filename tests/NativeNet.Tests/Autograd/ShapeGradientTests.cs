using static NativeNet.Tests.AutogradTests.GradCheck;

namespace NativeNet.Tests.AutogradTests;

/// <summary>Finite-difference gradient checks of views, joins/splits, indexing and matrix products.</summary>
public class ShapeGradientTests
{
    // Each case multiplies by a fixed non-uniform weight where a plain view would give an all-ones gradient.
    static Tensor W(Tensor y)
    {
        using var w = Tensor.Arange(0, y.NumEl, 1, DType.Float64);
        using var ws = w.Sub(y.NumEl / 2.0).Reshape(y.Shape.ToArray());
        return y.Mul(ws);
    }

    public static TheoryData<string> ViewCases() => new(Views.Keys);

    static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> X)> Views = new()
    {
        ["Reshape"] = (x => W(x[0].Reshape(4, -1)), () => [Rand(20, 2, 3, 2)]),
        ["ReshapeOfTransposed"] = (x => W(x[0].Transpose(0, 2).Reshape(-1)), () => [Rand(20, 2, 3, 2)]),
        ["ReshapeSameShape"] = (x => W(x[0].Reshape(2, 3)), () => [Rand(20, 2, 3)]),
        ["View_"] = (x => W(x[0].View_(3, 2)), () => [Rand(20, 2, 3)]),
        ["Flatten"] = (x => W(x[0].Flatten(1)), () => [Rand(20, 2, 3, 2)]),
        ["Permute"] = (x => W(x[0].Permute(2, 0, 1)), () => [Rand(20, 2, 3, 4)]),
        ["PermuteNegative"] = (x => W(x[0].Permute(-1, 0, -2)), () => [Rand(20, 2, 3, 4)]),
        ["Transpose"] = (x => W(x[0].Transpose(0, -1)), () => [Rand(20, 2, 3, 4)]),
        ["T"] = (x => W(x[0].T), () => [Rand(20, 2, 3)]),
        ["MT"] = (x => W(x[0].MT), () => [Rand(20, 2, 3, 4)]),
        ["Squeeze()"] = (x => W(x[0].Squeeze()), () => [Rand(20, 2, 1, 3, 1)]),
        ["Squeeze(dim)"] = (x => W(x[0].Squeeze(-1)), () => [Rand(20, 2, 1, 3, 1)]),
        ["Unsqueeze"] = (x => W(x[0].Unsqueeze(1)), () => [Rand(20, 2, 3)]),
        ["UnsqueezeLast"] = (x => W(x[0].Unsqueeze(-1)), () => [Rand(20, 2, 3)]),
        ["Expand"] = (x => W(x[0].Expand(2, 3, 4)), () => [Rand(20, 3, 1)]),
        ["ExpandMinusOne"] = (x => W(x[0].Expand(2, -1, 4)), () => [Rand(20, 3, 1)]),
        ["BroadcastTo"] = (x => W(x[0].BroadcastTo(4, 3)), () => [Rand(20, 3)]),
        ["Slice"] = (x => W(x[0].Slice(1, 1, 5)), () => [Rand(20, 2, 6)]),
        ["SliceStep"] = (x => W(x[0].Slice(1, 0, 6, 2)), () => [Rand(20, 2, 6)]),
        ["SliceStep3NegativeStart"] = (x => W(x[0].Slice(0, -5, null, 3)), () => [Rand(20, 7, 2)]),
        ["SliceOfSlice"] = (x => W(x[0].Slice(1, 1).Slice(1, 0, 4, 2)), () => [Rand(20, 2, 6)]),
        ["Narrow"] = (x => W(x[0].Narrow(1, 2, 3)), () => [Rand(20, 2, 6)]),
        ["NarrowNegativeStart"] = (x => W(x[0].Narrow(-1, -3, 2)), () => [Rand(20, 2, 6)]),
        ["Select"] = (x => W(x[0].Select(1, 2)), () => [Rand(20, 2, 3, 4)]),
        ["SelectNegative"] = (x => W(x[0].Select(-1, -1)), () => [Rand(20, 2, 3, 4)]),
        ["Indexer[int]"] = (x => W(x[0][1]), () => [Rand(20, 3, 4)]),
        ["Indexer[^1]"] = (x => W(x[0][^1]), () => [Rand(20, 3, 4)]),
        ["Indexer[.., range]"] = (x => W(x[0][.., 1..3]), () => [Rand(20, 3, 4)]),
        ["Indexer[int, range]"] = (x => W(x[0][1, 1..]), () => [Rand(20, 3, 4)]),
        ["Indexer[Ellipsis, int]"] = (x => W(x[0][TensorIndex.Ellipsis, 2]), () => [Rand(20, 2, 3, 4)]),
        ["Indexer[NewAxis]"] = (x => W(x[0][TensorIndex.NewAxis, .., 0]), () => [Rand(20, 3, 4)]),
        ["Indexer[tensor]"] = (x => W(x[0][Tensor.FromArray(new long[] { 2, 0, 2 })]), () => [Rand(20, 3, 4)]),
        ["Cat"] = (x => W(Tensor.Cat([x[0], x[1], x[2]], 1)), () => [Rand(20, 2, 1, 3), Rand(21, 2, 2, 3), Rand(22, 2, 3, 3)]),
        ["CatNegativeDim"] = (x => W(Tensor.Cat([x[0], x[1]], -1)), () => [Rand(20, 2, 3), Rand(21, 2, 1)]),
        ["CatSameTensorTwice"] = (x => W(Tensor.Cat([x[0], x[0]], 0)), () => [Rand(20, 2, 3)]),
        ["Stack"] = (x => W(Tensor.Stack([x[0], x[1]], 1)), () => [Rand(20, 2, 3), Rand(21, 2, 3)]),
        ["StackLast"] = (x => W(Tensor.Stack([x[0], x[1], x[0]], -1)), () => [Rand(20, 2, 3), Rand(21, 2, 3)]),
        ["Split"] = (x => W(Tensor.Cat(x[0].Split(2, 1).Select((p, i) => p.Mul(i + 1.0)).ToArray(), 1)), () => [Rand(20, 2, 5)]),
        ["SplitSizes"] = (x => W(Tensor.Cat(x[0].Split([1, 3, 1], 1).Select((p, i) => p.Mul(i - 1.5)).ToArray(), 1)), () => [Rand(20, 2, 5)]),
        ["Chunk"] = (x => W(Tensor.Cat(x[0].Chunk(3, 0).Select((p, i) => p.Exp().Mul(i + 1.0)).ToArray(), 0)), () => [Rand(20, 7, 2)]),
        ["Repeat"] = (x => W(x[0].Repeat(2, 1, 3)), () => [Rand(20, 2, 3, 1)]),
        ["RepeatNewLeadingDim"] = (x => W(x[0].Repeat(2, 2, 1)), () => [Rand(20, 3, 2)]),
    };

    [Theory, MemberData(nameof(ViewCases))]
    public void View(string name)
    {
        var (f, x) = Views[name];
        Check(name, f, x());
    }

    public static TheoryData<string> IndexCases() => new(Indexing.Keys);

    static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> X)> Indexing = new()
    {
        ["IndexSelectDuplicates"] = (x => W(x[0].IndexSelect(1, Tensor.FromArray(new long[] { 2, 0, 2, 2 }))), () => [Rand(30, 2, 3, 2)]),
        ["IndexSelectNegativeIndex"] = (x => W(x[0].IndexSelect(0, Tensor.FromArray(new long[] { -1, 0 }))), () => [Rand(30, 3, 2)]),
        ["IndexSelectInt32"] = (x => W(x[0].IndexSelect(-1, Tensor.FromArray(new[] { 1, 1, 0 }))), () => [Rand(30, 3, 2)]),
        ["IndexSelect0DIndex"] = (x => W(x[0].IndexSelect(0, Tensor.Scalar(1, DType.Int64))), () => [Rand(30, 3, 2)]),
        ["Gather"] = (x => W(x[0].Gather(1, Tensor.FromArray(new long[] { 0, 2, 2, 1, 1, 1, 0, 0 }, [2, 4]))), () => [Rand(31, 2, 3)]),
        ["GatherDim0"] = (x => W(x[0].Gather(0, Tensor.FromArray(new long[] { 1, 0, 1, 1 }, [2, 2]))), () => [Rand(31, 2, 3)]),
        ["ScatterAdd"] = (x => W(x[0].ScatterAdd(1, Tensor.FromArray(new long[] { 0, 2, 0, 1, 1, 1 }, [2, 3]), x[1])), () => [Rand(32, 2, 4), Rand(33, 2, 3)]),
        ["ScatterAddDim0"] = (x => W(x[0].ScatterAdd(0, Tensor.FromArray(new long[] { 2, 0, 2 }, [1, 3]), x[1])), () => [Rand(32, 3, 3), Rand(33, 1, 3)]),
        ["ScatterAddSmallerIndex"] = (x => W(x[0].ScatterAdd(1, Tensor.FromArray(new long[] { 3, 3 }, [1, 2]), x[1])), () => [Rand(32, 2, 4), Rand(33, 1, 2)]),
    };

    [Theory, MemberData(nameof(IndexCases))]
    public void Index(string name)
    {
        var (f, x) = Indexing[name];
        Check(name, f, x());
    }

    public static TheoryData<string> MatMulCases() => new(MatMuls.Keys);

    static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> X)> MatMuls = new()
    {
        ["1Dx1D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 4), Rand(41, 4)]),
        ["1Dx2D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 4), Rand(41, 4, 3)]),
        ["2Dx1D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 3, 4), Rand(41, 4)]),
        ["2Dx2D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 3, 4), Rand(41, 4, 5)]),
        ["3Dx2D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 2, 3, 4), Rand(41, 4, 5)]),
        ["2Dx3D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 3, 4), Rand(41, 2, 4, 5)]),
        ["3Dx3D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 2, 3, 4), Rand(41, 2, 4, 5)]),
        ["BatchBroadcastBoth"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 2, 1, 3, 4), Rand(41, 3, 4, 2)]),
        ["1Dx3D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 4), Rand(41, 2, 4, 3)]),
        ["3Dx1D"] = (x => x[0].MatMul(x[1]), () => [Rand(40, 2, 3, 4), Rand(41, 4)]),
        ["TransposedLeft"] = (x => x[0].T.MatMul(x[1]), () => [Rand(40, 4, 3), Rand(41, 4, 5)]),
        ["TransposedRight"] = (x => x[0].MatMul(x[1].T), () => [Rand(40, 3, 4), Rand(41, 5, 4)]),
        ["TransposedBoth"] = (x => x[0].T.MatMul(x[1].T), () => [Rand(40, 4, 3), Rand(41, 5, 4)]),
        ["BatchedMT"] = (x => x[0].MatMul(x[1].MT), () => [Rand(40, 2, 3, 4), Rand(41, 2, 5, 4)]),
        ["BatchedPermuted"] = (x => x[0].Permute(1, 0, 2).MatMul(x[1]), () => [Rand(40, 3, 2, 4), Rand(41, 2, 4, 5)]),
        ["SlicedColumns"] = (x => x[0].Slice(1, 0, 6, 2).MatMul(x[1]), () => [Rand(40, 3, 6), Rand(41, 3, 2)]),
        ["Expanded"] = (x => x[0].Expand(3, 4).MatMul(x[1]), () => [Rand(40, 1, 4), Rand(41, 4, 2)]),
        ["SameTensorBothSides"] = (x => x[0].MatMul(x[0]), () => [Rand(40, 3, 3)]),
        ["Mm"] = (x => x[0].Mm(x[1]), () => [Rand(40, 3, 4), Rand(41, 4, 2)]),
        ["Bmm"] = (x => x[0].Bmm(x[1]), () => [Rand(40, 2, 3, 4), Rand(41, 2, 4, 2)]),
    };

    [Theory, MemberData(nameof(MatMulCases))]
    public void MatMul(string name)
    {
        var (f, x) = MatMuls[name];
        Check(name, f, x());
    }

    [Fact]
    public void MatMulWithOneOperandNotRequiringGrad()
    {
        using var w = Rand(42, 4, 2);
        Check("MatMul(x, const)", x => x[0].MatMul(w), [Rand(43, 3, 4)]);
        Check("MatMul(const, x)", x => w.T.MatMul(x[0]), [Rand(43, 4, 3)]);
    }
}
