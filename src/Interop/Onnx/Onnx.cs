using Google.Protobuf;
using NativeNet.NN;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop;

/// <summary>
/// ONNX import (<c>onnx.load</c> + <c>onnxruntime.InferenceSession</c> in one call): <see cref="Load"/> gives a runnable
/// model, <see cref="LoadGraph(string)"/> the graph, <see cref="LoadTensor"/> a serialized TensorProto (test data).
/// Export (<c>torch.onnx.export</c>): <see cref="Save(Graph, string)"/> writes a graph (traced or imported),
/// <see cref="Save(Module, Tensor, string, bool)"/> traces a model first.
/// Truncated, corrupt or hostile files raise <see cref="OnnxFormatException"/>; operators and dtypes NativeNet lacks
/// raise <see cref="UnsupportedOperatorException"/> (listing all of them) or <see cref="UnsupportedDataTypeException"/>.
/// </summary>
public static class Onnx
{
    /// <summary>Loads and compiles a model; unsupported operators are reported here, all at once.</summary>
    public static GraphModule Load(string path) => new(LoadGraph(path));

    /// <summary>Loads a model's graph without compiling it (works for models with unsupported operators, e.g. to inspect them).</summary>
    public static Graph LoadGraph(string path) => ToGraph(OnnxImporter.ReadModel(path), path);

    /// <summary>Parses a model from memory; <paramref name="name"/> (a path) names it in errors and locates external data.</summary>
    internal static Graph LoadGraph(byte[] bytes, string name) => ToGraph(OnnxImporter.ParseModel(bytes, name), name);

    static Graph ToGraph(P.ModelProto model, string path)
    {
        try
        {
            return OnnxImporter.Import(model, path);
        }
        catch (GraphValidationException e)
        {
            throw new OnnxFormatException(path, e.Message, e);
        }
        catch (GraphAttributeException e)
        {
            throw new OnnxFormatException(path, e.Message, e);
        }
    }

    /// <summary>
    /// Writes <paramref name="graph"/> as an ONNX model (IR version 8, the graph's opsets — 17 for traced graphs —,
    /// producer "NativeNet"), atomically: a temp file, then a rename (<c>onnx.save</c>).
    /// </summary>
    public static void Save(Graph graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        OnnxExporter.Write(OnnxExporter.ToModel(graph), path);
    }

    /// <summary>
    /// Traces <paramref name="model"/> on <paramref name="exampleInput"/> and writes the graph (<c>torch.onnx.export(model,
    /// example, path)</c>); dim 0 is the symbolic "batch" unless <paramref name="dynamicBatch"/> is false. An imported
    /// <see cref="GraphModule"/> is written from its graph with its current parameters (the example is not needed).
    /// Call <c>model.Eval()</c> first to export inference behaviour (BatchNorm statistics, no dropout).
    /// </summary>
    public static void Save(Module model, Tensor exampleInput, string path, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is GraphModule gm) Save(gm, path);
        else Save(Graph.Trace(model, exampleInput, dynamicBatch), path);
    }

    /// <summary>Writes an imported (and possibly fine-tuned) model: its graph with the current parameter and buffer values.</summary>
    public static void Save(GraphModule model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        OnnxExporter.Write(OnnxExporter.ToModel(model.Graph, model.CurrentInitializer), path);
    }

    /// <summary>The serialized model of <paramref name="graph"/> (what <see cref="Save(Graph, string)"/> writes).</summary>
    internal static byte[] ToBytes(Graph graph) => OnnxExporter.ToModel(graph).ToByteArray();

    /// <summary>Loads a serialized TensorProto (the ONNX test-data format <c>input_0.pb</c>).</summary>
    public static Tensor LoadTensor(string path)
    {
        var t = Parse(path, P.TensorProto.Parser);
        return OnnxTensors.ToTensor(t, null, path);
    }

    /// <summary>Writes a tensor as a serialized TensorProto.</summary>
    public static void SaveTensor(Tensor tensor, string path, string name = "")
    {
        var bytes = OnnxTensors.FromTensor(tensor, name).ToByteArray();
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The names of the ONNX operators (default domain) NativeNet can run.</summary>
    public static IReadOnlyList<string> SupportedOperators => OpRegistry.OpTypes().ToList();

    internal static T Parse<T>(string path, MessageParser<T> parser) where T : IMessage<T>
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        if (new FileInfo(path).Length > OnnxImporter.MaxModelBytes) throw new OnnxFormatException(path, "file exceeds the 2 GiB protobuf limit");
        try
        {
            return parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(path, $"not a valid {typeof(T).Name} ({e.Message})", e);
        }
    }
}
