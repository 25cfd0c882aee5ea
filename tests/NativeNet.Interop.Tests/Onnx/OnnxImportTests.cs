using Google.Protobuf;
using static NativeNet.Interop.Tests.OnnxFormat.OnnxModels;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>Importer: tensor encodings, external data, typed errors on malformed or hostile files; inspect and run.</summary>
public sealed class OnnxImportTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("nativenet-onnx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Write(P.ModelProto m, string name = "model.onnx")
    {
        string p = Path.Combine(dir, name);
        File.WriteAllBytes(p, m.ToByteArray());
        return p;
    }

    static P.ModelProto Identity(P.TensorProto init, int elem, params long[] dims) =>
        Model(Graph("id", [Node("Identity", [init.Name], ["y"])], [], [Value("y", elem, dims)], init));

    static Tensor RunIdentity(string path) => Onnx.LoadGraph(path).Compile().Run()[0];

    [Fact]
    public void TensorEncodingsAreDecoded()
    {
        var typed = new P.TensorProto { Name = "t", DataType = 1 };
        typed.Dims.AddRange([2, 2]);
        typed.FloatData.AddRange([1f, 2f, 3f, 4f]);
        Assert.Equal([1f, 2f, 3f, 4f], RunIdentity(Write(Identity(typed, 1, 2, 2))).ToArray<float>());

        var half = new P.TensorProto { Name = "h", DataType = 10, RawData = ByteString.CopyFrom(BitConverter.GetBytes((Half)1.5).Concat(BitConverter.GetBytes((Half)(-2))).ToArray()) };
        half.Dims.Add(2);
        var model = Model(Graph("h", [Node("Cast", ["h"], ["y"], Int("to", 1))], [], [Value("y", 1, 2)], half));
        Assert.Equal([1.5f, -2f], RunIdentity(Write(model)).ToArray<float>());

        var boolean = new P.TensorProto { Name = "b", DataType = 9 };
        boolean.Int32Data.AddRange([1, 0, 1]);
        boolean.Dims.Add(3);
        Assert.Equal([true, false, true], RunIdentity(Write(Identity(boolean, 9, 3))).ToArray<bool>());

        var scalar = new P.TensorProto { Name = "s", DataType = 7, RawData = ByteString.CopyFrom(BitConverter.GetBytes(42L)) };
        using var s = RunIdentity(Write(Identity(scalar, 7)));
        Assert.Equal(0, s.Dim);
        Assert.Equal(42L, s.Item<long>());
    }

    [Fact]
    public void ExternalDataIsReadFromTheModelDirectory()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var bytes = new byte[8].Concat(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray()).ToArray();
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), bytes);
        var t = new P.TensorProto { Name = "w", DataType = 1, DataLocation = P.TensorProto.Types.DataLocation.External };
        t.Dims.AddRange([2, 3]);
        t.ExternalData.Add(new P.StringStringEntryProto { Key = "location", Value = "weights.bin" });
        t.ExternalData.Add(new P.StringStringEntryProto { Key = "offset", Value = "8" });
        t.ExternalData.Add(new P.StringStringEntryProto { Key = "length", Value = "24" });
        Assert.Equal(data, RunIdentity(Write(Identity(t, 1, 2, 3))).ToArray<float>());
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../outside.bin")]
    public void ExternalDataOutsideTheModelDirectoryIsRejected(string location)
    {
        var t = new P.TensorProto { Name = "w", DataType = 1, DataLocation = P.TensorProto.Types.DataLocation.External };
        t.Dims.Add(1);
        t.ExternalData.Add(new P.StringStringEntryProto { Key = "location", Value = location });
        var e = Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(Identity(t, 1, 1))));
        Assert.Contains("outside the model directory", e.Message);
    }

    [Fact]
    public void ExternalDataSymlinkOutsideTheModelDirectoryIsRejected()
    {
        string outside = Path.Combine(Path.GetTempPath(), $"nativenet-outside-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(outside, new byte[4]);
        try
        {
            File.CreateSymbolicLink(Path.Combine(dir, "link.bin"), outside);
            var t = new P.TensorProto { Name = "w", DataType = 1, DataLocation = P.TensorProto.Types.DataLocation.External };
            t.Dims.Add(1);
            t.ExternalData.Add(new P.StringStringEntryProto { Key = "location", Value = "link.bin" });
            Assert.Contains("outside the model directory", Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(Identity(t, 1, 1)))).Message);
        }
        finally { File.Delete(outside); }
    }

    [Fact]
    public void DeclaredSizesAreCheckedBeforeAllocating()
    {
        long before = GC.GetTotalAllocatedBytes();
        var huge = new P.TensorProto { Name = "w", DataType = 1, RawData = ByteString.CopyFrom(new byte[16]) };
        huge.Dims.AddRange([50_000, 50_000]);
        var e = Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(Identity(huge, 1, 50_000, 50_000))));
        Assert.Contains("model.onnx", e.Message);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 << 20, "the importer allocated for a size the file does not hold");

        var absurd = new P.TensorProto { Name = "w", DataType = 1 };
        absurd.Dims.AddRange([1L << 40, 1L << 40]);
        Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(Identity(absurd, 1, 1))));

        var negative = new P.TensorProto { Name = "w", DataType = 1 };
        negative.Dims.Add(-3);
        Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(Identity(negative, 1, 1))));

        var missingValues = new P.TensorProto { Name = "w", DataType = 7 };
        missingValues.Dims.Add(1000);
        missingValues.Int64Data.Add(1);
        Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(Identity(missingValues, 7, 1000))));
    }

    [Fact]
    public void TruncatedFileNamesTheFile()
    {
        var bytes = Mlp().ToByteArray();
        string p = Path.Combine(dir, "truncated.onnx");
        File.WriteAllBytes(p, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<OnnxFormatException>(() => Onnx.Load(p));
        Assert.Contains("truncated.onnx", e.Message);
        Assert.Throws<FileNotFoundException>(() => Onnx.Load(Path.Combine(dir, "absent.onnx")));
    }

    [Fact]
    public void CyclicAndDanglingGraphsAreTypedErrors()
    {
        var cyclic = Model(Graph("c", [Node("Add", ["x", "b"], ["a"]), Node("Relu", ["a"], ["b"])], [Value("x", 1, 2)], [Value("a", 1, 2)]));
        var e = Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(cyclic)));
        Assert.IsType<GraphCycleException>(e.InnerException);

        var dangling = Model(Graph("d", [Node("Relu", ["missing"], ["y"])], [Value("x", 1, 2)], [Value("y", 1, 2)]));
        Assert.IsType<GraphValidationException>(Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(dangling))).InnerException);

        var noOutput = Model(Graph("o", [], [Value("x", 1, 2)], [Value("nothing", 1, 2)]));
        Assert.Throws<OnnxFormatException>(() => Onnx.LoadGraph(Write(noOutput)));
    }

    [Fact]
    public void UnsupportedOperatorsAreListedAtLoad()
    {
        var m = Model(Graph("u", [Node("StringNormalizer", ["x"], ["a"]), Node("Relu", ["a"], ["b"]), Node("NoSuchThing", ["b"], ["y"])],
            [Value("x", 1, 2)], [Value("y", 1, 2)]));
        var e = Assert.Throws<UnsupportedOperatorException>(() => Onnx.Load(Write(m)));
        Assert.Equal(["StringNormalizer", "NoSuchThing"], e.Operators.Select(o => o.OpType).ToArray());
        Assert.All(e.Operators, o => Assert.Equal(17, o.Opset));
    }

    [Fact]
    public void GraphsWithForeignDtypesAreReported()
    {
        var m = Model(Graph("f", [Node("Identity", ["x"], ["y"])], [Value("x", 10, 2)], [Value("y", 10, 2)]));
        var e = Assert.Throws<UnsupportedDataTypeException>(() => Onnx.Load(Write(m)));
        Assert.Contains("float16", e.Message);
    }

    [Fact]
    public void SubgraphsReadOuterValues()
    {
        var plan = Onnx.LoadGraph(Write(WithIf())).Compile();
        using var x = Tensor.FromArray([0f, 0f, 0f]);
        Assert.Equal([2f, 3f, 4f], plan.Run(x, Tensor.Scalar(1, DType.Bool))[0].ToArray<float>());
        Assert.Equal([1f, 2f, 3f], plan.Run(x, Tensor.Scalar(0, DType.Bool))[0].ToArray<float>());
    }

    [Fact]
    public void CnnShapeSubgraphIsFoldedAndRuns()
    {
        var module = Onnx.Load(Write(Cnn()));
        Assert.Equal(4, module.Plan.FoldedNodeCount);
        using (Autograd.NoGrad())
        {
            using var y = module.Call(Tensor.Randn(1, 2, 6, 6));
            Assert.Equal([1, 3], y.Shape.ToArray());
        }
    }

    [Fact]
    public void InspectSummarizesTheModel()
    {
        var text = OnnxInspector.Describe(Onnx.LoadGraph(Write(Cnn())));
        Assert.Contains("input      x: float32[1, 2, 6, 6]", text);
        Assert.Contains("output     y: float32[1, 3]", text);
        Assert.Contains("ai.onnx 17", text);
        Assert.Contains($"parameters {36 + 2 + 54 + 3:N0}", text);
        Assert.Matches(@"Conv\s+1", text);
        Assert.Contains("nodes      8", text);
    }

    [Fact]
    public void RunWritesEachOutputAsNpy()
    {
        string model = Write(Mlp());
        using var x = Tensor.Randn(2, 4);
        string xPath = Path.Combine(dir, "x.npy");
        Npy.Save(xPath, x);
        var written = OnnxRunner.Run(model, [$"x={xPath}"], Path.Combine(dir, "out"));
        Assert.Single(written);
        using var back = Npy.Load(Path.Combine(dir, "out", "y.npy"));
        using var expected = Onnx.LoadGraph(model).Compile().Call(x);
        Assert.Equal(expected.ToArray<float>(), back.ToArray<float>());
        Assert.Throws<ArgumentException>(() => OnnxRunner.Run(model, [], Path.Combine(dir, "out2")));
        Assert.Throws<ArgumentException>(() => OnnxRunner.Run(model, [$"nope={xPath}"], Path.Combine(dir, "out2")));
    }

    [Fact]
    public void TensorFilesRoundTrip()
    {
        using var t = Tensor.FromArray([1.5, -2, 3], [3, 1]);
        string p = Path.Combine(dir, "t.pb");
        Onnx.SaveTensor(t, p, "t");
        using var back = Onnx.LoadTensor(p);
        Assert.Equal(DType.Float64, back.DType);
        Assert.Equal([3, 1], back.Shape.ToArray());
        Assert.Equal(t.ToArray<double>(), back.ToArray<double>());
        File.WriteAllBytes(p, [0x0a, 0xff, 0xff]);
        Assert.Throws<OnnxFormatException>(() => Onnx.LoadTensor(p));
    }
}
