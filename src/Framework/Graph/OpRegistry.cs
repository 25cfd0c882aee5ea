namespace NativeNet;

/// <summary>Runs one node: reads inputs from the context, returns one value per node output (null for an unused one).</summary>
internal delegate object?[] OpKernel(OpContext ctx);

/// <summary>How the executor treats an op.</summary>
[Flags]
internal enum OpTraits
{
    None = 0,
    /// <summary>Output depends on more than the inputs (random ops): never constant-folded.</summary>
    NonDeterministic = 1,
    /// <summary>Output has the input's shape (unary elementwise): lets shape folding see through it.</summary>
    SameShape = 2,
}

/// <summary>One entry of the op table: the kernel, an optional import-time check of attributes, and traits.</summary>
internal sealed record OpDef(string OpType, string Domain, OpKernel Kernel, Func<GraphNode, int, string?>? Check, OpTraits Traits);

/// <summary>
/// The one table from ONNX op type (per domain) to a function over NativeNet tensors. Kernels are opset-aware through
/// <see cref="OpContext.Opset"/> (e.g. axes as attribute before opset 13 and as input from 13). The families live in
/// OpTable.*.cs; each maps attributes onto the op defined once in Ops/.
/// </summary>
internal static partial class OpRegistry
{
    static readonly Dictionary<(string Domain, string Op), OpDef> Table = new();

    static OpRegistry()
    {
        RegisterElementwise();
        RegisterActivations();
        RegisterMath();
        RegisterReductions();
        RegisterShapeOps();
        RegisterIndexing();
        RegisterNeural();
        RegisterNormalization();
        RegisterControlFlow();
        RegisterSequences();
        RegisterMisc();
        RegisterTraining();
        RegisterRecurrent();
        RegisterQuantization();
        RegisterSignal();
        RegisterText();
        RegisterRandom();
    }

    internal static OpDef? Find(string domain, string opType) => Table.GetValueOrDefault((domain == "ai.onnx" ? "" : domain, opType));

    /// <summary>All registered op types of a domain.</summary>
    internal static IEnumerable<string> OpTypes(string domain = "") => Table.Keys.Where(k => k.Domain == domain).Select(k => k.Op).OrderBy(s => s);

    /// <summary>Null when the node can run, else the reason (unknown op, unsupported attribute value or dtype).</summary>
    internal static string? WhyUnsupported(GraphNode node, int opset)
    {
        var def = Find(node.Domain, node.OpType);
        if (def == null)
            return node.Domain.Length == 0 || node.Domain == "ai.onnx" ? "no NativeNet implementation of this operator" : $"unknown operator domain '{node.Domain}'";
        try
        {
            return def.Check?.Invoke(node, opset);
        }
        catch (GraphAttributeException e)
        {
            return e.Message;
        }
    }

    /// <summary>Every unsupported node of a graph and its subgraphs.</summary>
    internal static List<UnsupportedOperator> FindUnsupported(Graph g)
    {
        var list = new List<UnsupportedOperator>();
        Collect(g, list);
        return list;
    }

    static void Collect(Graph g, List<UnsupportedOperator> list)
    {
        foreach (var n in g.Nodes)
        {
            int opset = g.OpsetVersion(n.Domain);
            var why = g.ImportIssues.TryGetValue(n, out var issue) ? issue : WhyUnsupported(n, opset);
            if (why != null) list.Add(new UnsupportedOperator(n.OpType, n.Domain, opset, n.Name, why));
            foreach (var s in n.Subgraphs()) Collect(s, list);
        }
    }

    static void Add(string op, Func<OpContext, Tensor> f, Func<GraphNode, int, string?>? check = null, OpTraits traits = OpTraits.None)
        => Table[("", op)] = new OpDef(op, "", ctx => [f(ctx)], check, traits);

    static void AddMulti(string op, OpKernel f, Func<GraphNode, int, string?>? check = null, OpTraits traits = OpTraits.None, string domain = "")
        => Table[(domain, op)] = new OpDef(op, domain, f, check, traits);

    static void Unary(string op, Func<Tensor, Tensor> f) => Add(op, ctx => f(ctx.In(0)), traits: OpTraits.SameShape);

    static void Binary(string op, Func<Tensor, Tensor, Tensor> f) => Add(op, ctx => f(ctx.In(0), LegacyBroadcast(ctx, ctx.In(0), ctx.In(1))));

    /// <summary>
    /// Before opset 7, binary ops broadcast only with broadcast=1, aligning B with A at axis (default: the trailing dims);
    /// reshaping B to that alignment gives the same result under NumPy broadcasting.
    /// </summary>
    static Tensor LegacyBroadcast(OpContext ctx, Tensor a, Tensor b)
    {
        if (ctx.Opset >= 7 || ctx.A.GetInt("broadcast", 0) == 0 || !ctx.A.Has("axis") || b.Dim == 0) return b;
        int axis = ctx.Axis(ctx.A.GetInt("axis"), a.Dim);
        int trailing = a.Dim - axis - b.Dim;
        if (trailing < 0) throw ctx.Fail($"B {ShapeUtil.Format(b.Shape)} does not fit A {ShapeUtil.Format(a.Shape)} at axis {axis}");
        return b.Reshape([.. b.Shape.ToArray(), .. Enumerable.Repeat(1, trailing)]);
    }

    /// <summary>ONNX TensorProto.DataType code to NativeNet dtype, or null for types NativeNet does not have.</summary>
    internal static DType? FromOnnxType(long code) => code switch
    {
        1 => DType.Float32, 2 => DType.UInt8, 6 => DType.Int32, 7 => DType.Int64, 9 => DType.Bool, 11 => DType.Float64, _ => null,
    };

    /// <summary>NativeNet dtype to ONNX TensorProto.DataType code.</summary>
    internal static int ToOnnxType(DType t) => t switch
    {
        DType.Float32 => 1, DType.UInt8 => 2, DType.Int32 => 6, DType.Int64 => 7, DType.Bool => 9, DType.Float64 => 11, _ => 0,
    };

    /// <summary>ONNX type names for messages.</summary>
    internal static string OnnxTypeName(long code) => code switch
    {
        0 => "undefined", 1 => "float32", 2 => "uint8", 3 => "int8", 4 => "uint16", 5 => "int16", 6 => "int32", 7 => "int64", 8 => "string",
        9 => "bool", 10 => "float16", 11 => "float64", 12 => "uint32", 13 => "uint64", 14 => "complex64", 15 => "complex128", 16 => "bfloat16",
        17 => "float8e4m3fn", 18 => "float8e4m3fnuz", 19 => "float8e5m2", 20 => "float8e5m2fnuz", 21 => "uint4", 22 => "int4", _ => $"type {code}",
    };

    /// <summary>A check that an integer attribute naming a dtype ("to" of Cast, "dtype" of EyeLike…) is one NativeNet has.</summary>
    static Func<GraphNode, int, string?> DTypeAttrCheck(string attr) => (n, _) =>
    {
        if (!n.Attributes.Has(attr)) return null;
        long code = TypeCode(n.Attributes, attr);
        return FromOnnxType(code) == null ? $"{attr}={OnnxTypeName(code)}: NativeNet has no {OnnxTypeName(code)} dtype" : null;
    };

    /// <summary>A dtype attribute as an ONNX type code; opset 1-5 Cast names the type as a string ("FLOAT").</summary>
    static long TypeCode(AttributeBag a, string attr)
    {
        if (a.Get(attr)?.Kind != AttributeKind.String) return a.GetInt(attr);
        return a.GetString(attr).ToUpperInvariant() switch
        {
            "FLOAT" => 1, "UINT8" => 2, "INT8" => 3, "UINT16" => 4, "INT16" => 5, "INT32" => 6, "INT64" => 7, "STRING" => 8, "BOOL" => 9,
            "FLOAT16" => 10, "DOUBLE" => 11, "UINT32" => 12, "UINT64" => 13, var other => throw new GraphAttributeException($"{a.Owner}: unknown type name '{other}'"),
        };
    }

    internal static DType DTypeAttr(OpContext ctx, string attr, DType fallback)
    {
        if (!ctx.A.Has(attr)) return fallback;
        long code = TypeCode(ctx.A, attr);
        return FromOnnxType(code) ?? throw ctx.Fail($"{attr}={OnnxTypeName(code)} is not a NativeNet dtype");
    }
}
