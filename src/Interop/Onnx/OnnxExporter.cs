using Google.Protobuf;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop;

/// <summary>A graph cannot be written as ONNX (a value without a type ONNX can name, an attribute it cannot hold).</summary>
public sealed class OnnxExportException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public OnnxExportException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// <see cref="Graph"/> to ONNX ModelProto (<c>torch.onnx.export</c>'s serializer): IR version 8 for opsets up to 18,
/// producer "NativeNet", typed inputs/outputs with symbolic dims as dim_param, value_info for the intermediate values
/// whose shape is known, initializers as raw little-endian data, subgraphs for If/Loop/Scan.
/// </summary>
internal static class OnnxExporter
{
    internal const string Producer = "NativeNet";

    /// <summary>The IR version that goes with an ai.onnx opset (onnx/docs/Versioning.md).</summary>
    internal static long IrVersionFor(int opset) => opset switch { <= 18 => 8, <= 20 => 9, _ => 10 };

    /// <summary>Builds the model; <paramref name="initializer"/> supplies current initializer values (a module's live parameters).</summary>
    internal static P.ModelProto ToModel(Graph graph, Func<string, Tensor>? initializer = null)
    {
        var model = new P.ModelProto
        {
            IrVersion = IrVersionFor(graph.OpsetVersion("")),
            ProducerName = Producer,
            ProducerVersion = typeof(Graph).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = ToGraphProto(graph, initializer),
        };
        foreach (var (domain, version) in graph.OpsetImports.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            model.OpsetImport.Add(new P.OperatorSetIdProto { Domain = domain, Version = version });
        return model;
    }

    static P.GraphProto ToGraphProto(Graph g, Func<string, Tensor>? initializer)
    {
        var gp = new P.GraphProto { Name = g.Name.Length > 0 ? g.Name : "graph" };
        foreach (var v in g.Inputs) gp.Input.Add(ToValueInfo(v, g));
        foreach (var v in g.Outputs) gp.Output.Add(ToValueInfo(v, g));
        foreach (var (name, t) in g.Initializers)
        {
            var value = initializer?.Invoke(name) ?? t;
            using (Autograd.NoGrad()) gp.Initializer.Add(OnnxTensors.FromTensor(value, name));
        }
        var declared = new HashSet<string>(g.Inputs.Select(v => v.Name).Concat(g.Outputs.Select(v => v.Name)).Concat(g.Initializers.Keys));
        foreach (var (name, v) in g.ValueInfo)
            if (!declared.Contains(name) && (v.DType != null || v.ForeignType != null)) gp.ValueInfo.Add(ToValueInfo(v, g));
        foreach (var n in g.Nodes) gp.Node.Add(ToNode(n, g));
        return gp;
    }

    static P.NodeProto ToNode(GraphNode n, Graph g)
    {
        var np = new P.NodeProto { OpType = n.OpType, Domain = n.Domain, Name = n.Name };
        np.Input.AddRange(n.Inputs);
        np.Output.AddRange(n.Outputs);
        foreach (var a in n.Attributes) np.Attribute.Add(ToAttribute(a, n, g));
        return np;
    }

    static P.AttributeProto ToAttribute(GraphAttribute a, GraphNode n, Graph g)
    {
        var ap = new P.AttributeProto { Name = a.Name };
        switch (a.Value)
        {
            case float f: ap.Type = P.AttributeProto.Types.AttributeType.Float; ap.F = f; break;
            case long l: ap.Type = P.AttributeProto.Types.AttributeType.Int; ap.I = l; break;
            case string s when n.OpType == "Optional" && a.Name == "type":
                // The importer keeps Optional's TypeProto attribute as its JSON text.
                ap.Type = P.AttributeProto.Types.AttributeType.TypeProto;
                try { ap.Tp = P.TypeProto.Parser.ParseJson(s); }
                catch (InvalidProtocolBufferException e) { throw new OnnxExportException($"{n.Describe()}: attribute 'type' is not a TypeProto ({e.Message})", e); }
                break;
            case string s: ap.Type = P.AttributeProto.Types.AttributeType.String; ap.S = ByteString.CopyFromUtf8(s); break;
            case Tensor t: ap.Type = P.AttributeProto.Types.AttributeType.Tensor; ap.T = OnnxTensors.FromTensor(t); break;
            case Graph sub: ap.Type = P.AttributeProto.Types.AttributeType.Graph; ap.G = ToGraphProto(sub, null); break;
            case float[] fs: ap.Type = P.AttributeProto.Types.AttributeType.Floats; ap.Floats.AddRange(fs); break;
            case long[] ls: ap.Type = P.AttributeProto.Types.AttributeType.Ints; ap.Ints.AddRange(ls); break;
            case string[] ss: ap.Type = P.AttributeProto.Types.AttributeType.Strings; ap.Strings.AddRange(ss.Select(ByteString.CopyFromUtf8)); break;
            case Tensor[] ts: ap.Type = P.AttributeProto.Types.AttributeType.Tensors; ap.Tensors.AddRange(ts.Select(t => OnnxTensors.FromTensor(t))); break;
            case Graph[] gs: ap.Type = P.AttributeProto.Types.AttributeType.Graphs; ap.Graphs.AddRange(gs.Select(s => ToGraphProto(s, null))); break;
            default: throw new OnnxExportException($"graph '{g.Name}', {n.Describe()}: attribute '{a.Name}' of type {a.Value.GetType().Name} has no ONNX form");
        }
        return ap;
    }

    static P.ValueInfoProto ToValueInfo(GraphValue v, Graph g)
    {
        var vi = new P.ValueInfoProto { Name = v.Name };
        if (v.DeclaredType is P.TypeProto declared)
        {
            vi.Type = declared.Clone();
            return vi;
        }
        int elem = v.DType is DType dt ? OpRegistry.ToOnnxType(dt) : ForeignCode(v.ForeignType);
        if (elem == 0 && v.Kind == GraphValueKind.Tensor && v.Shape == null) return vi; // nothing known: an untyped value (allowed in subgraphs)
        var tensor = new P.TypeProto.Types.Tensor { ElemType = elem };
        if (v.Shape != null)
        {
            var shape = new P.TensorShapeProto();
            foreach (var d in v.Shape)
            {
                var dim = new P.TensorShapeProto.Types.Dimension();
                if (d.Size is int size) dim.DimValue = size;
                else if (d.Symbol != null) dim.DimParam = d.Symbol;
                shape.Dim.Add(dim);
            }
            tensor.Shape = shape;
        }
        var type = new P.TypeProto { TensorType = tensor };
        vi.Type = v.Kind switch
        {
            GraphValueKind.Sequence => new P.TypeProto { SequenceType = new P.TypeProto.Types.Sequence { ElemType = type } },
            GraphValueKind.Optional => new P.TypeProto { OptionalType = new P.TypeProto.Types.Optional { ElemType = type } },
            _ => type,
        };
        return vi;
    }

    /// <summary>The ONNX type code of a type NativeNet has no dtype for (kept from import), 0 when unknown.</summary>
    static int ForeignCode(string? name)
    {
        if (name == null) return 0;
        for (int code = 1; code <= 22; code++) if (OpRegistry.OnnxTypeName(code) == name) return code;
        return 0;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (a temp file in the same directory, then a rename).</summary>
    internal static void Write(P.ModelProto model, string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                model.WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
