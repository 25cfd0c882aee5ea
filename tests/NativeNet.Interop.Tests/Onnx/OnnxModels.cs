using Google.Protobuf;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>Builds small ONNX models in memory with the generated protobuf types (tests need no files from elsewhere).</summary>
internal static class OnnxModels
{
    internal static P.ValueInfoProto Value(string name, int elemType, params long[] dims)
    {
        var shape = new P.TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new P.TensorShapeProto.Types.Dimension { DimValue = d });
        return new P.ValueInfoProto { Name = name, Type = new P.TypeProto { TensorType = new P.TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } };
    }

    internal static P.NodeProto Node(string op, string[] inputs, string[] outputs, params P.AttributeProto[] attrs)
    {
        var n = new P.NodeProto { OpType = op, Name = op.ToLowerInvariant() + "_" + outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attrs);
        return n;
    }

    internal static P.AttributeProto Ints(string name, params long[] v)
    {
        var a = new P.AttributeProto { Name = name, Type = P.AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    internal static P.AttributeProto Int(string name, long v) => new() { Name = name, Type = P.AttributeProto.Types.AttributeType.Int, I = v };

    internal static P.AttributeProto Float(string name, float v) => new() { Name = name, Type = P.AttributeProto.Types.AttributeType.Float, F = v };

    internal static P.AttributeProto GraphAttr(string name, P.GraphProto g) => new() { Name = name, Type = P.AttributeProto.Types.AttributeType.Graph, G = g };

    internal static P.TensorProto Floats(string name, float[] data, params long[] dims)
    {
        var t = new P.TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        return t;
    }

    internal static P.TensorProto Longs(string name, long[] data, params long[] dims)
    {
        var t = new P.TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(data);
        return t;
    }

    internal static P.ModelProto Model(P.GraphProto g, int opset = 17)
    {
        var m = new P.ModelProto { IrVersion = 8, Graph = g, ProducerName = "nativenet-tests" };
        m.OpsetImport.Add(new P.OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    internal static P.GraphProto Graph(string name, P.NodeProto[] nodes, P.ValueInfoProto[] inputs, P.ValueInfoProto[] outputs, params P.TensorProto[] inits)
    {
        var g = new P.GraphProto { Name = name };
        g.Node.AddRange(nodes);
        g.Input.AddRange(inputs);
        g.Output.AddRange(outputs);
        g.Initializer.AddRange(inits);
        return g;
    }

    static float[] Seq(int n, float scale) => Enumerable.Range(0, n).Select(i => (float)Math.Sin(i * 0.7 + 0.3) * scale).ToArray();

    /// <summary>x [2, 4] -> Gemm(W [4, 3], b [3]) -> Relu -> Gemm(W2 [3, 2]) -> Softmax.</summary>
    internal static P.ModelProto Mlp() => Model(Graph("mlp",
        [
            Node("Gemm", ["x", "w1", "b1"], ["h"]),
            Node("Relu", ["h"], ["r"]),
            Node("Gemm", ["r", "w2"], ["z"], Int("transB", 1)),
            Node("Softmax", ["z"], ["y"], Int("axis", 1)),
        ],
        [Value("x", 1, 2, 4)], [Value("y", 1, 2, 2)],
        Floats("w1", Seq(12, 0.5f), 4, 3), Floats("b1", Seq(3, 0.1f), 3), Floats("w2", Seq(6, 0.4f), 2, 3)));

    /// <summary>x [1, 2, 6, 6] -> Conv(3x3, pad 1) -> MaxPool(2) -> shape arithmetic -> Reshape [1, -1] -> Gemm.</summary>
    internal static P.ModelProto Cnn() => Model(Graph("cnn",
        [
            Node("Conv", ["x", "w", "b"], ["c"], Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)),
            Node("MaxPool", ["c"], ["p"], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
            Node("Shape", ["p"], ["s"]),
            Node("Gather", ["s", "zero"], ["n"], Int("axis", 0)),
            Node("Unsqueeze", ["n", "zero1"], ["n1"]),
            Node("Concat", ["n1", "minus1"], ["shape"], Int("axis", 0)),
            Node("Reshape", ["p", "shape"], ["f"]),
            Node("Gemm", ["f", "fw"], ["y"]),
        ],
        [Value("x", 1, 1, 2, 6, 6)], [Value("y", 1, 1, 3)],
        Floats("w", Seq(36, 0.3f), 2, 2, 3, 3), Floats("b", Seq(2, 0.1f), 2), Longs("zero", [0]), Longs("zero1", [0], 1),
        Longs("minus1", [-1], 1), Floats("fw", Seq(54, 0.2f), 18, 3)));

    /// <summary>If(cond) then x + outer_c else x * outer_c, with the branches reading an outer-scope value.</summary>
    internal static P.ModelProto WithIf()
    {
        var thenG = Graph("then", [Node("Add", ["x", "c"], ["t"])], [], [Value("t", 1, 3)]);
        var elseG = Graph("else", [Node("Mul", ["x", "c"], ["e"])], [], [Value("e", 1, 3)]);
        return Model(Graph("if",
            [Node("Exp", ["x0"], ["x"]), Node("If", ["cond"], ["y"], GraphAttr("then_branch", thenG), GraphAttr("else_branch", elseG))],
            [Value("x0", 1, 3), Value("cond", 9)], [Value("y", 1, 3)], Floats("c", [1, 2, 3], 3)));
    }

    /// <summary>Ops whose output sizes come from data: ConstantOfShape, Range, Tile, Pad, Slice, Resize, TopK, Expand.</summary>
    internal static P.ModelProto DataShapes()
    {
        var value = new P.TensorProto { Name = "v", DataType = 1 };
        value.Dims.Add(1);
        value.FloatData.Add(0.5f);
        return Model(Graph("datashapes",
            [
                Node("ConstantOfShape", ["shape"], ["c"], new P.AttributeProto { Name = "value", Type = P.AttributeProto.Types.AttributeType.Tensor, T = value }),
                Node("Add", ["x", "c"], ["a"]),
                Node("Tile", ["a", "reps"], ["t"]),
                Node("Pad", ["t", "pads"], ["p"]),
                Node("Slice", ["p", "starts", "ends", "axes"], ["s"]),
                Node("Resize", ["s", "", "scales"], ["r"]),
                Node("TopK", ["r", "k"], ["y", "i"], Int("axis", -1)),
                Node("Range", ["r0", "r1", "r2"], ["rg"]),
                Node("Cast", ["rg"], ["rgf"], Int("to", 1)),
                Node("Expand", ["rgf", "eshape"], ["e"]),
                Node("ReduceSum", ["e"], ["z"], Int("keepdims", 0)),
            ],
            [Value("x", 1, 2, 3)], [Value("y", 1, 4, 3), Value("i", 7, 4, 3), Value("z", 1)],
            Longs("shape", [2, 3], 2), Longs("reps", [2, 1], 2), Longs("pads", [0, 1, 0, 1], 4), Longs("starts", [0], 1), Longs("ends", [4], 1),
            Longs("axes", [0], 1), Floats("scales", [1, 1], 2), Longs("k", [3], 1), Longs("r0", [0]), Longs("r1", [5]), Longs("r2", [1]),
            Longs("eshape", [3, 5], 2)));
    }

    internal static byte[] Bytes(P.ModelProto m) => m.ToByteArray();
}
