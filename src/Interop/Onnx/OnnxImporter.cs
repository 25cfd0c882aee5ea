using System.Text;
using Google.Protobuf;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop;

/// <summary>ModelProto/GraphProto to <see cref="Graph"/>: values, initializers (incl. external data), nodes with typed attributes, subgraphs.</summary>
internal sealed class OnnxImporter
{
    /// <summary>Largest model file read (protobuf's own 2 GiB message limit).</summary>
    internal const long MaxModelBytes = int.MaxValue;

    readonly string file;
    readonly string modelDir;

    OnnxImporter(string file)
    {
        this.file = file;
        modelDir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
    }

    internal static P.ModelProto ReadModel(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model not found: {path}", path);
        var info = new FileInfo(path);
        if (info.Length > MaxModelBytes) throw new OnnxFormatException(path, $"file of {info.Length} bytes exceeds the 2 GiB protobuf limit (store weights as external data)");
        return ParseModel(File.ReadAllBytes(path), path);
    }

    internal static P.ModelProto ParseModel(byte[] bytes, string name)
    {
        try
        {
            return P.ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(name, $"not a valid ONNX model ({e.Message})", e);
        }
    }

    internal static Graph Import(P.ModelProto model, string path)
    {
        if (model.Graph == null) throw new OnnxFormatException(path, "the model has no graph");
        var opsets = new Dictionary<string, int>();
        foreach (var o in model.OpsetImport)
        {
            string d = o.Domain == "ai.onnx" ? "" : o.Domain;
            if (o.Version < 1 || o.Version > 1000) throw new OnnxFormatException(path, $"implausible opset version {o.Version} for domain '{o.Domain}'");
            opsets[d] = (int)o.Version;
        }
        // IR version 3 and older models may omit the default domain; they used opset 1.
        if (!opsets.ContainsKey("")) opsets[""] = model.OpsetImport.Count == 0 ? 1 : opsets.GetValueOrDefault("", 1);
        var g = new OnnxImporter(path).ToGraph(model.Graph, opsets, 0);
        g.Validate();
        return g;
    }

    Graph ToGraph(P.GraphProto gp, Dictionary<string, int> opsets, int depth)
    {
        if (depth > 32) throw new OnnxFormatException(file, "subgraphs are nested more than 32 deep");
        var g = new Graph(gp.Name.Length > 0 ? gp.Name : "graph") { OpsetImports = opsets };
        foreach (var init in gp.Initializer)
        {
            if (init.Name.Length == 0) throw new OnnxFormatException(file, "an initializer has no name");
            if (g.Initializers.ContainsKey(init.Name)) throw new OnnxFormatException(file, $"initializer '{init.Name}' is defined twice");
            g.Initializers[init.Name] = OnnxTensors.ToTensor(init, modelDir, file).Unown();
        }
        if (gp.SparseInitializer.Count > 0)
            throw new UnsupportedDataTypeException([$"{gp.SparseInitializer.Count} sparse initializer(s): NativeNet has no sparse tensors"]);
        foreach (var vi in gp.Input)
            if (!g.Initializers.ContainsKey(vi.Name)) g.Inputs.Add(Widen(ToValue(vi)));
        foreach (var vi in gp.Output) g.Outputs.Add(ToValue(vi));
        foreach (var vi in gp.ValueInfo)
            if (vi.Name.Length > 0) g.ValueInfo[vi.Name] = ToValue(vi);
        foreach (var np in gp.Node)
        {
            var attrs = new AttributeBag();
            string? issue = null;
            foreach (var ap in np.Attribute)
            {
                try
                {
                    SetAttribute(attrs, ap, opsets, depth);
                }
                catch (UnsupportedDataTypeException e)
                {
                    issue = $"attribute '{ap.Name}': {string.Join("; ", e.Problems)}";
                }
            }
            var node = new GraphNode(np.OpType.Length > 0 ? np.OpType : throw new OnnxFormatException(file, $"node '{np.Name}' has no op type"),
                np.Input, np.Output, np.Name, np.Domain, attrs);
            g.Nodes.Add(node);
            if (issue != null) g.ImportIssues[node] = issue;
        }
        return g;
    }

    GraphValue ToValue(P.ValueInfoProto vi)
    {
        if (vi.Name.Length == 0) throw new OnnxFormatException(file, "a graph input or output has no name");
        var v = new GraphValue(vi.Name) { DeclaredType = vi.Type };
        var type = vi.Type;
        if (type == null) return v;
        switch (type.ValueCase)
        {
            case P.TypeProto.ValueOneofCase.TensorType:
                SetTensorType(v, type.TensorType.ElemType, type.TensorType.Shape);
                break;
            case P.TypeProto.ValueOneofCase.SequenceType:
                v.Kind = GraphValueKind.Sequence;
                if (type.SequenceType.ElemType is { ValueCase: P.TypeProto.ValueOneofCase.TensorType } et)
                    SetTensorType(v, et.TensorType.ElemType, et.TensorType.Shape);
                else v.ForeignType = "sequence of non-tensors";
                break;
            case P.TypeProto.ValueOneofCase.OptionalType:
                v.Kind = GraphValueKind.Optional;
                var inner = type.OptionalType.ElemType;
                if (inner?.ValueCase == P.TypeProto.ValueOneofCase.TensorType) SetTensorType(v, inner.TensorType.ElemType, inner.TensorType.Shape);
                else if (inner?.ValueCase == P.TypeProto.ValueOneofCase.SequenceType && inner.SequenceType.ElemType?.ValueCase == P.TypeProto.ValueOneofCase.TensorType)
                    SetTensorType(v, inner.SequenceType.ElemType.TensorType.ElemType, null);
                else v.ForeignType = "optional of an unsupported type";
                break;
            case P.TypeProto.ValueOneofCase.None:
                break;
            default:
                v.ForeignType = type.ValueCase switch
                {
                    P.TypeProto.ValueOneofCase.MapType => "map",
                    P.TypeProto.ValueOneofCase.SparseTensorType => "sparse tensor",
                    _ => type.ValueCase.ToString(),
                };
                break;
        }
        return v;
    }

    /// <summary>
    /// Graph inputs of int8/int16/uint16 are fed as int32 and uint32/uint64 as int64 (LoadTensor converts them the same
    /// way, losslessly); outputs keep their declared type, so a graph that returns such a type stays unsupported.
    /// </summary>
    static GraphValue Widen(GraphValue v)
    {
        if (v.ForeignType is "int8" or "int16" or "uint16") { v.DType = DType.Int32; v.ForeignType = null; }
        else if (v.ForeignType is "uint32" or "uint64") { v.DType = DType.Int64; v.ForeignType = null; }
        return v;
    }

    void SetTensorType(GraphValue v, int elemType, P.TensorShapeProto? shape)
    {
        if (elemType != 0)
        {
            var dt = OpRegistry.FromOnnxType(elemType);
            if (dt == null) v.ForeignType = OpRegistry.OnnxTypeName(elemType);
            v.DType = dt;
        }
        if (shape == null) return;
        var dims = new GraphDim[shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = shape.Dim[i];
            if (d.ValueCase == P.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            {
                if (d.DimValue < 0 || d.DimValue > int.MaxValue) throw new OnnxFormatException(file, $"value '{v.Name}': dimension {i} is {d.DimValue}");
                dims[i] = GraphDim.Of((int)d.DimValue);
            }
            else dims[i] = new GraphDim(null, d.ValueCase == P.TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && d.DimParam.Length > 0 ? d.DimParam : null);
        }
        v.Shape = dims;
    }

    void SetAttribute(AttributeBag attrs, P.AttributeProto ap, Dictionary<string, int> opsets, int depth)
    {
        if (ap.Name.Length == 0) throw new OnnxFormatException(file, "an attribute has no name");
        if (ap.RefAttrName.Length > 0) throw new OnnxFormatException(file, $"attribute '{ap.Name}' refers to a function attribute outside a function");
        var type = ap.Type;
        if (type == P.AttributeProto.Types.AttributeType.Undefined) type = InferType(ap);
        switch (type)
        {
            case P.AttributeProto.Types.AttributeType.Float: attrs.Set(ap.Name, ap.F); break;
            case P.AttributeProto.Types.AttributeType.Int: attrs.Set(ap.Name, ap.I); break;
            case P.AttributeProto.Types.AttributeType.String: attrs.Set(ap.Name, Utf8(ap.S)); break;
            case P.AttributeProto.Types.AttributeType.Tensor:
                attrs.Set(ap.Name, OnnxTensors.ToTensor(ap.T ?? throw new OnnxFormatException(file, $"attribute '{ap.Name}' has no tensor"), modelDir, file).Unown());
                break;
            case P.AttributeProto.Types.AttributeType.Graph:
                attrs.Set(ap.Name, ToGraph(ap.G ?? throw new OnnxFormatException(file, $"attribute '{ap.Name}' has no graph"), opsets, depth + 1));
                break;
            case P.AttributeProto.Types.AttributeType.Floats: attrs.Set(ap.Name, ap.Floats.ToArray()); break;
            case P.AttributeProto.Types.AttributeType.Ints: attrs.Set(ap.Name, ap.Ints.ToArray()); break;
            case P.AttributeProto.Types.AttributeType.Strings: attrs.Set(ap.Name, ap.Strings.Select(Utf8).ToArray()); break;
            case P.AttributeProto.Types.AttributeType.Tensors:
                attrs.Set(ap.Name, ap.Tensors.Select(t => OnnxTensors.ToTensor(t, modelDir, file).Unown()).ToArray());
                break;
            case P.AttributeProto.Types.AttributeType.Graphs:
                attrs.Set(ap.Name, ap.Graphs.Select(sg => ToGraph(sg, opsets, depth + 1)).ToArray());
                break;
            case P.AttributeProto.Types.AttributeType.Undefined:
                throw new OnnxFormatException(file, $"attribute '{ap.Name}' has no value");
            case P.AttributeProto.Types.AttributeType.TypeProto:
                // Only Optional's 'type' uses this (the type of an empty optional); kept as text.
                attrs.Set(ap.Name, ap.Tp?.ToString() ?? "");
                break;
            default:
                throw new UnsupportedDataTypeException([$"attribute type {type}"]);
        }
    }

    /// <summary>Very old files leave the attribute type unset; the filled field tells it.</summary>
    static P.AttributeProto.Types.AttributeType InferType(P.AttributeProto ap)
    {
        if (ap.HasF) return P.AttributeProto.Types.AttributeType.Float;
        if (ap.HasI) return P.AttributeProto.Types.AttributeType.Int;
        if (ap.HasS) return P.AttributeProto.Types.AttributeType.String;
        if (ap.T != null) return P.AttributeProto.Types.AttributeType.Tensor;
        if (ap.G != null) return P.AttributeProto.Types.AttributeType.Graph;
        if (ap.Floats.Count > 0) return P.AttributeProto.Types.AttributeType.Floats;
        if (ap.Ints.Count > 0) return P.AttributeProto.Types.AttributeType.Ints;
        if (ap.Strings.Count > 0) return P.AttributeProto.Types.AttributeType.Strings;
        if (ap.Tensors.Count > 0) return P.AttributeProto.Types.AttributeType.Tensors;
        if (ap.Graphs.Count > 0) return P.AttributeProto.Types.AttributeType.Graphs;
        return P.AttributeProto.Types.AttributeType.Undefined;
    }

    static string Utf8(ByteString s) => Encoding.UTF8.GetString(s.Span);
}
