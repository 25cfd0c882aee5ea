namespace NativeNet.Tests.Ops;

/// <summary>Every op's bad input gives a typed exception that names the op and the shapes or dtypes involved.</summary>
public class BadInputTests
{
    record Case(Func<object?> Run, Type Exception, string? Op, params string[] Contains);

    static Tensor F(params int[] shape) => Tensor.Zeros(shape);
    static Tensor L(params long[] v) => Tensor.FromArray(v);

    static readonly Dictionary<string, Case> Cases = new()
    {
        // Shapes.
        ["Where broadcast"] = new(() => Tensor.Where(Tensor.FromArray(new[] { true, false }), F(3), F(3)), typeof(ShapeMismatchException), "Where", "[2]", "[3]"),
        ["MatMul inner"] = new(() => F(2, 3).MatMul(F(4, 5)), typeof(ShapeMismatchException), "MatMul", "[2, 3]", "[4, 5]"),
        ["MatMul batch"] = new(() => F(2, 3, 4).MatMul(F(3, 4, 5)), typeof(ShapeMismatchException), "MatMul", "[2, 3, 4]", "[3, 4, 5]"),
        ["MatMul 1-D"] = new(() => F(3).MatMul(F(4)), typeof(ShapeMismatchException), "MatMul", "[3]", "[4]"),
        ["MatMul 3-D x 1-D"] = new(() => F(2, 3, 4).MatMul(F(3)), typeof(ShapeMismatchException), "MatMul", "[2, 3, 4]", "[3, 1]"),
        ["MatMul 0-D"] = new(() => Tensor.Scalar(1).MatMul(F(3)), typeof(ShapeMismatchException), "MatMul", "[]", "[3]"),
        ["Mm rank"] = new(() => F(2, 3, 4).Mm(F(4, 2)), typeof(ShapeMismatchException), "Mm", "[2, 3, 4]", "[4, 2]"),
        ["Bmm rank"] = new(() => F(3, 4).Bmm(F(4, 2)), typeof(ShapeMismatchException), "Bmm", "[3, 4]", "[4, 2]"),
        ["Reshape"] = new(() => F(2, 3).Reshape(4, 2), typeof(ShapeMismatchException), "Reshape", "[4, 2]", "[2, 3]"),
        ["Reshape two -1"] = new(() => F(2, 3).Reshape(-1, -1), typeof(ShapeMismatchException), "Reshape", "[-1, -1]"),
        ["View non-contiguous"] = new(() => F(2, 3).T.View_(6), typeof(ShapeMismatchException), "View", "[3, 2]"),
        ["Expand"] = new(() => F(2, 3).Expand(2, 4), typeof(ShapeMismatchException), "Expand", "[2, 3]", "[2, 4]"),
        ["Expand fewer dims"] = new(() => F(2, 3).Expand(3), typeof(ShapeMismatchException), "Expand", "[2, 3]", "[3]"),
        ["Permute length"] = new(() => F(2, 3).Permute(0), typeof(ShapeMismatchException), "Transpose", "[0]", "[2, 3]"),
        ["Permute repeat"] = new(() => F(2, 3).Permute(1, 1), typeof(ShapeMismatchException), "Transpose", "[1, 1]", "[2, 3]"),
        ["Cat sizes"] = new(() => Tensor.Cat([F(2, 3), F(2, 4)], 0), typeof(ShapeMismatchException), "Concat", "[2, 3]", "[2, 4]"),
        ["Cat rank"] = new(() => Tensor.Cat([F(2, 3), F(3)], 0), typeof(ShapeMismatchException), "Concat", "[2, 3]", "[3]"),
        ["Cat empty list"] = new(() => Tensor.Cat([], 0), typeof(ArgumentException), null, "Cat"),
        ["Stack shapes"] = new(() => Tensor.Stack([F(2, 3), F(3, 2)]), typeof(ShapeMismatchException), "Stack", "[2, 3]", "[3, 2]"),
        ["Split sizes"] = new(() => F(5, 2).Split([2, 2]), typeof(ShapeMismatchException), "Split", "[2, 2]", "[5, 2]"),
        ["Repeat too few"] = new(() => F(2, 3).Repeat(2), typeof(ShapeMismatchException), "Tile", "[2]", "[2, 3]"),
        ["Gather rank"] = new(() => F(2, 3).Gather(1, L(0, 1)), typeof(ShapeMismatchException), "GatherElements", "[2]", "[2, 3]"),
        ["Gather too big"] = new(() => F(2, 3).Gather(1, Tensor.Zeros([3, 1], DType.Int64)), typeof(ShapeMismatchException), "GatherElements", "[3, 1]", "[2, 3]"),
        ["ScatterAdd source"] = new(() => F(2, 3).ScatterAdd(1, Tensor.Zeros([2, 2], DType.Int64), F(2, 3)), typeof(ShapeMismatchException), "ScatterElements", "[2, 2]", "[2, 3]"),
        ["ScatterAdd rank"] = new(() => F(2, 3).ScatterAdd(1, Tensor.Zeros([6], DType.Int64), F(6)), typeof(ShapeMismatchException), "ScatterElements", "[6]", "[2, 3]"),
        ["ScatterAdd too big"] = new(() => F(2, 3).ScatterAdd(1, Tensor.Zeros([4, 1], DType.Int64), F(4, 1)), typeof(ShapeMismatchException), "ScatterElements", "[4, 1]", "[2, 3]"),
        ["IndexSelect 2-D index"] = new(() => F(2, 3).IndexSelect(0, Tensor.Zeros([1, 1], DType.Int64)), typeof(ShapeMismatchException), "IndexSelect", "[1, 1]"),
        ["Conv 3-D input"] = new(() => Tensor.Conv2d(F(1, 3, 3), F(1, 1, 2, 2)), typeof(ShapeMismatchException), "Conv", "[1, 3, 3]"),
        ["Conv 3-D weight"] = new(() => Tensor.Conv2d(F(1, 1, 3, 3), F(1, 2, 2)), typeof(ShapeMismatchException), "Conv", "[1, 2, 2]"),
        ["Conv channels"] = new(() => Tensor.Conv2d(F(1, 3, 5, 5), F(4, 2, 3, 3)), typeof(ShapeMismatchException), "Conv", "[1, 3, 5, 5]", "[4, 2, 3, 3]"),
        ["Conv groups"] = new(() => Tensor.Conv2d(F(1, 4, 5, 5), F(3, 2, 3, 3), groups: 2), typeof(ShapeMismatchException), "Conv", "[1, 4, 5, 5]", "[3, 2, 3, 3]"),
        ["Conv kernel too big"] = new(() => Tensor.Conv2d(F(1, 1, 2, 2), F(1, 1, 3, 3)), typeof(ShapeMismatchException), "Conv", "3x3", "2x2"),
        ["Conv kernel too big with stride"] = new(() => Tensor.Conv2d(F(1, 1, 2, 2), F(1, 1, 3, 3), stride: [2]), typeof(ShapeMismatchException), "Conv", "3x3", "2x2"),
        ["Conv bias"] = new(() => Tensor.Conv2d(F(1, 1, 3, 3), F(2, 1, 2, 2), F(3)), typeof(ShapeMismatchException), "Conv", "[3]", "[2, 1, 2, 2]"),
        ["Conv stride 0"] = new(() => Tensor.Conv2d(F(1, 1, 3, 3), F(1, 1, 2, 2), stride: [0]), typeof(ArgumentException), null, "Conv", "stride"),
        ["Conv 3 strides"] = new(() => Tensor.Conv2d(F(1, 1, 3, 3), F(1, 1, 2, 2), stride: [1, 1, 1]), typeof(ArgumentException), null, "Conv", "stride"),
        ["MaxPool 3-D"] = new(() => Tensor.MaxPool2d(F(1, 4, 4), [2]), typeof(ShapeMismatchException), "MaxPool", "[1, 4, 4]"),
        ["MaxPool kernel too big"] = new(() => Tensor.MaxPool2d(F(1, 1, 2, 2), [3]), typeof(ShapeMismatchException), "MaxPool", "3x3", "2x2"),
        ["MaxPool kernel too big with stride"] = new(() => Tensor.MaxPool2d(F(1, 1, 2, 2), [3], stride: [2]), typeof(ShapeMismatchException), "MaxPool", "3x3", "2x2"),
        ["MaxPool padding"] = new(() => Tensor.MaxPool2d(F(1, 1, 4, 4), [2], padding: [2]), typeof(ArgumentException), null, "MaxPool", "padding"),
        ["AvgPool 2-D"] = new(() => Tensor.AvgPool2d(F(4, 4), [2]), typeof(ShapeMismatchException), "AveragePool", "[4, 4]"),
        ["AdaptiveAvgPool 2-D"] = new(() => Tensor.AdaptiveAvgPool2d(F(4, 4), [2]), typeof(ShapeMismatchException), "AdaptiveAvgPool", "[4, 4]"),
        ["AdaptiveAvgPool size 0"] = new(() => Tensor.AdaptiveAvgPool2d(F(1, 4, 4), [0, 2]), typeof(ArgumentException), null, "AdaptiveAvgPool"),
        ["CopyFrom"] = new(() => F(2, 3).CopyFrom(F(3, 2)), typeof(ShapeMismatchException), "CopyFrom", "[2, 3]", "[3, 2]"),
        ["CopyFrom not broadcastable to target"] = new(() => F(3).CopyFrom(F(2, 3)), typeof(ShapeMismatchException), "CopyFrom", "[2, 3]", "[3]"),
        ["AddInPlace"] = new(() => F(3).AddInPlace(F(2, 3)), typeof(ShapeMismatchException), "AddInPlace", "[2, 3]", "[3]"),
        ["FromArray"] = new(() => Tensor.FromArray(new[] { 1f, 2f }, [3]), typeof(ShapeMismatchException), "FromArray", "[3]"),
        ["Item"] = new(() => F(2).Item(), typeof(ShapeMismatchException), "Item", "[2]"),
        // DTypes.
        ["Conv Int64"] = new(() => Tensor.Conv2d(Tensor.Zeros([1, 1, 3, 3], DType.Int64), Tensor.Zeros([1, 1, 2, 2], DType.Int64)), typeof(DTypeMismatchException), "Conv", "int64"),
        ["Conv mixed"] = new(() => Tensor.Conv2d(F(1, 1, 3, 3), Tensor.Zeros([1, 1, 2, 2], DType.Float64)), typeof(DTypeMismatchException), "Conv", "float32", "float64"),
        ["Conv bias dtype"] = new(() => Tensor.Conv2d(F(1, 1, 3, 3), F(1, 1, 2, 2), Tensor.Zeros([1], DType.Float64)), typeof(DTypeMismatchException), "Conv", "float32", "float64"),
        ["MatMul mixed"] = new(() => F(2, 2).MatMul(Tensor.Zeros([2, 2], DType.Float64)), typeof(DTypeMismatchException), "MatMul", "float32", "float64"),
        ["Gather float index"] = new(() => F(2, 3).Gather(1, F(2, 1)), typeof(DTypeMismatchException), "GatherElements", "float32"),
        ["IndexSelect float index"] = new(() => F(2, 3).IndexSelect(0, F(1)), typeof(DTypeMismatchException), "IndexSelect", "float32"),
        ["ScatterAdd float index"] = new(() => F(2, 3).ScatterAdd(0, F(2, 3), F(2, 3)), typeof(DTypeMismatchException), "ScatterElements", "float32"),
        ["MaxPool Int64"] = new(() => Tensor.MaxPool2d(Tensor.Zeros([1, 1, 4, 4], DType.Int64), [2]), typeof(DTypeMismatchException), "MaxPool", "int64"),
        ["AvgPool Int32"] = new(() => Tensor.AvgPool2d(Tensor.Zeros([1, 1, 4, 4], DType.Int32), [2]), typeof(DTypeMismatchException), "AveragePool", "int32"),
        ["AdaptiveAvgPool Bool"] = new(() => Tensor.AdaptiveAvgPool2d(Tensor.Zeros([1, 1, 4, 4], DType.Bool), [2]), typeof(DTypeMismatchException), "AdaptiveAvgPool", "bool"),
        ["Softmax Int64"] = new(() => L(1, 2).Softmax(0), typeof(DTypeMismatchException), "Softmax", "int64"),
        ["LogSoftmax Int64"] = new(() => L(1, 2).LogSoftmax(0), typeof(DTypeMismatchException), "LogSoftmax", "int64"),
        ["Mean Int64"] = new(() => L(1, 2).Mean(), typeof(DTypeMismatchException), "ReduceMean", "int64"),
        ["And float"] = new(() => F(2).LogicalAnd(F(2)), typeof(DTypeMismatchException), "And", "float32"),
        ["Not float"] = new(() => F(2).LogicalNot(), typeof(DTypeMismatchException), "Not", "float32"),
        ["Where float condition"] = new(() => Tensor.Where(F(2), F(2), F(2)), typeof(DTypeMismatchException), "Where", "float32"),
        ["Add bool"] = new(() => Tensor.FromArray(new[] { true }).Add(Tensor.FromArray(new[] { false })), typeof(DTypeMismatchException), "Add", "bool"),
        ["Rand Int64"] = new(() => Tensor.Rand([2], dtype: DType.Int64), typeof(DTypeMismatchException), "Rand", "int64"),
        ["Randn Int32"] = new(() => Tensor.Randn([2], dtype: DType.Int32), typeof(DTypeMismatchException), "Randn", "int32"),
        ["ToArray dtype"] = new(() => L(1).ToArray<float>(), typeof(DTypeMismatchException), "ToArray", "int64", "float32"),
        ["Exp of bool"] = new(() => Tensor.FromArray(new[] { true }).Neg(), typeof(DTypeMismatchException), "Neg", "bool"),
        ["Clamp bool"] = new(() => Tensor.FromArray(new[] { true }).Clamp(0, 1), typeof(DTypeMismatchException), "Clamp", "bool"),
        // Indices and dims.
        ["IndexSelect out of range"] = new(() => F(3, 2).IndexSelect(0, L(0, 3)), typeof(IndexOutOfRangeException), null, "IndexSelect", "3"),
        ["IndexSelect negative out of range"] = new(() => F(3, 2).IndexSelect(0, L(-4)), typeof(IndexOutOfRangeException), null, "IndexSelect", "-4"),
        ["Indexer tensor out of range"] = new(() => F(3, 2)[L(7)], typeof(IndexOutOfRangeException), null, "IndexSelect", "7"),
        ["Gather out of range"] = new(() => F(2, 3).Gather(1, Tensor.Full([2, 1], 3, DType.Int64)), typeof(IndexOutOfRangeException), null, "Gather", "3"),
        ["ScatterAdd out of range"] = new(() => F(2, 3).ScatterAdd(1, Tensor.Full([2, 1], 5, DType.Int64), F(2, 1)), typeof(IndexOutOfRangeException), null, "ScatterAdd", "5"),
        ["Select out of range"] = new(() => F(2, 3).Select(1, 3), typeof(IndexOutOfRangeException), null, "Select", "3"),
        ["Indexer int out of range"] = new(() => F(2, 3)[2], typeof(IndexOutOfRangeException), null, "Select", "2"),
        ["Indexer too many"] = new(() => F(2, 3)[0, 0, 0], typeof(IndexOutOfRangeException), null, "Index", "rank 2"),
        ["Narrow out of range"] = new(() => F(2, 3).Narrow(1, 2, 2), typeof(ArgumentOutOfRangeException), null, "Narrow", "size 3"),
        ["Sum dim"] = new(() => F(2, 3).Sum(2), typeof(ArgumentOutOfRangeException), null, "ReduceSum", "rank 2"),
        ["Sum repeated dims"] = new(() => F(2, 3).Sum([1, -1]), typeof(ArgumentException), null, "ReduceSum", "repeats"),
        ["Softmax dim"] = new(() => F(2, 3).Softmax(-3), typeof(ArgumentOutOfRangeException), null, "Softmax", "-3"),
        ["Unsqueeze dim"] = new(() => F(2, 3).Unsqueeze(4), typeof(ArgumentOutOfRangeException), null, "Unsqueeze", "4"),
        ["Transpose dim"] = new(() => F(2, 3).Transpose(0, 2), typeof(ArgumentOutOfRangeException), null, "Transpose", "2"),
        ["Cat dim"] = new(() => Tensor.Cat([F(2), F(2)], 1), typeof(ArgumentOutOfRangeException), null, "Concat", "1"),
        ["ArgMax dim"] = new(() => F(2, 3).ArgMax(5), typeof(ArgumentOutOfRangeException), null, "ArgMax", "5"),
        // Arguments.
        ["Slice step"] = new(() => F(4).Slice(0, 0, 4, 0), typeof(ArgumentException), null, "Slice", "step"),
        ["Split size"] = new(() => F(4).Split(0), typeof(ArgumentException), null, "Split"),
        ["Chunk count"] = new(() => F(4).Chunk(0), typeof(ArgumentException), null, "Chunk"),
        ["Gelu mode"] = new(() => F(4).Gelu("exact"), typeof(ArgumentException), null, "Gelu", "exact"),
        ["Linspace steps"] = new(() => Tensor.Linspace(0, 1, -1), typeof(ArgumentException), null, "Linspace"),
        ["Flatten dims"] = new(() => F(2, 3, 4).Flatten(2, 1), typeof(ArgumentException), null, "Flatten"),
        ["Negative shape"] = new(() => Tensor.Zeros(2, -1), typeof(ArgumentException), null, "[2, -1]"),
        ["Cuda device"] = new(() => F(2).To(Device.Cuda(0)), typeof(DeviceUnavailableException), null, "cuda:0"),
    };

    public static TheoryData<string> Names() => new(Cases.Keys);

    [Theory, MemberData(nameof(Names))]
    public void ThrowsTypedErrorNamingOpAndShapes(string name)
    {
        var c = Cases[name];
        using var scope = Tensor.Scope();
        var ex = Assert.Throws(c.Exception, () => { c.Run(); });
        if (c.Op != null)
        {
            var op = ex switch
            {
                ShapeMismatchException s => s.Op,
                DTypeMismatchException d => d.Op,
                _ => null,
            };
            Assert.Equal(c.Op, op);
            Assert.StartsWith(c.Op + ":", ex.Message);
        }
        foreach (var s in c.Contains) Assert.Contains(s, ex.Message);
    }

    public static TheoryData<string> DisposedNames() => new(DisposedOps.Keys);

    // Each runs an op with one disposed operand (made by D); the error must name that operand's shape.
    static readonly Dictionary<string, Func<Func<int[], Tensor>, object?>> DisposedOps = new()
    {
        ["Exp"] = d => d([2, 3]).Exp(),
        ["Add left"] = d => d([2, 3]).Add(F(2, 3)),
        ["Add right"] = d => F(2, 3).Add(d([2, 3])),
        ["Mul scalar"] = d => d([2, 3]).Mul(2.0),
        ["Eq"] = d => F(2, 3).Eq(d([2, 3])),
        ["Pow tensor"] = d => F(2, 3).Pow(d([2, 3])),
        ["Clamp"] = d => d([2, 3]).Clamp(0, 1),
        ["Sum"] = d => d([2, 3]).Sum(),
        ["Max dim"] = d => d([2, 3]).Max(1),
        ["Var"] = d => d([2, 3]).Var(),
        ["Reshape"] = d => d([2, 3]).Reshape(3, 2),
        ["Permute"] = d => d([2, 3]).Permute(1, 0),
        ["Slice"] = d => d([2, 3]).Slice(1, 0, 2),
        ["Select"] = d => d([2, 3]).Select(0, 1),
        ["Expand"] = d => d([2, 1]).Expand(2, 3),
        ["Squeeze"] = d => d([2, 1]).Squeeze(),
        ["Unsqueeze"] = d => d([2, 3]).Unsqueeze(0),
        ["Contiguous"] = d => d([2, 3]).Contiguous(),
        ["To same dtype"] = d => d([2, 3]).To(DType.Float32),
        ["To other dtype"] = d => d([2, 3]).To(DType.Float64),
        ["Clone"] = d => d([2, 3]).Clone(),
        ["Detach"] = d => d([2, 3]).Detach(),
        ["MatMul left"] = d => d([2, 3]).MatMul(F(3, 2)),
        ["MatMul right"] = d => F(2, 3).MatMul(d([3, 2])),
        ["Conv input"] = d => Tensor.Conv2d(d([1, 1, 3, 3]), F(1, 1, 2, 2)),
        ["Conv weight"] = d => Tensor.Conv2d(F(1, 1, 3, 3), d([1, 1, 2, 2])),
        ["Conv bias"] = d => Tensor.Conv2d(F(1, 1, 3, 3), F(1, 1, 2, 2), d([1])),
        ["MaxPool"] = d => Tensor.MaxPool2d(d([1, 1, 4, 4]), [2]),
        ["AvgPool"] = d => Tensor.AvgPool2d(d([1, 1, 4, 4]), [2]),
        ["AdaptiveAvgPool"] = d => Tensor.AdaptiveAvgPool2d(d([1, 1, 4, 4]), [2]),
        ["Softmax"] = d => d([2, 3]).Softmax(1),
        ["IndexSelect self"] = d => d([2, 3]).IndexSelect(0, L(0)),
        ["IndexSelect index"] = d => F(2, 3).IndexSelect(0, d([1]).To(DType.Int64)),
        ["Gather self"] = d => d([2, 3]).Gather(1, Tensor.Zeros([2, 1], DType.Int64)),
        ["ScatterAdd self"] = d => d([2, 3]).ScatterAdd(1, Tensor.Zeros([2, 1], DType.Int64), F(2, 1)),
        ["ScatterAdd source"] = d => F(2, 3).ScatterAdd(1, Tensor.Zeros([2, 1], DType.Int64), d([2, 1])),
        ["Cat"] = d => Tensor.Cat([F(2, 3), d([2, 3])]),
        ["Stack"] = d => Tensor.Stack([F(2, 3), d([2, 3])]),
        ["Where x"] = d => Tensor.Where(Tensor.FromArray(new[] { true, false, true }), d([3]), F(3)),
        ["Where y"] = d => Tensor.Where(Tensor.FromArray(new[] { true, false, true }), F(3), d([3])),
        ["CopyFrom target"] = d => d([2, 3]).CopyFrom(F(2, 3)),
        ["CopyFrom source"] = d => F(2, 3).CopyFrom(d([2, 3])),
        ["AddInPlace other"] = d => F(2, 3).AddInPlace(d([2, 3])),
        ["FillInPlace"] = d => d([2, 3]).FillInPlace(1),
        ["Item"] = d => d([1]).Item(),
        ["ToArray"] = d => d([2, 3]).ToArray<float>(),
        ["Backward"] = d => { var x = Tensor.Ones([1], DType.Float32, requiresGrad: true); var y = x.Mul(2.0); y.Dispose(); y.Backward(); return null; },
    };

    [Theory, MemberData(nameof(DisposedNames))]
    public void DisposedOperandThrowsNamingItsShape(string name)
    {
        using var scope = Tensor.Scope();
        int[]? disposedShape = null;
        Tensor MakeDisposed(int[] shape)
        {
            disposedShape = shape;
            var t = Tensor.Zeros(shape);
            t.Dispose();
            return t;
        }
        var ex = Assert.Throws<ObjectDisposedException>(() => DisposedOps[name](MakeDisposed));
        var shapeText = "[" + string.Join(", ", disposedShape ?? [1]) + "]";
        Assert.Contains(shapeText, ex.Message);
    }
}
