namespace NativeNet;

/// <summary>
/// One operation of a <see cref="Graph"/> (ONNX <c>NodeProto</c>): an op type (the ONNX op type, e.g. "Conv"), its domain,
/// typed attributes, and the names of the values it reads and writes. An empty input name is an omitted optional input;
/// an empty output name an output nobody reads.
/// </summary>
public sealed class GraphNode
{
    /// <summary>Creates a node.</summary>
    public GraphNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name = "", string domain = "", AttributeBag? attributes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        OpType = opType;
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        Name = name;
        Domain = domain == "ai.onnx" ? "" : domain;
        Attributes = attributes ?? new AttributeBag();
        Attributes.Owner = Describe();
    }

    /// <summary>The op type, the ONNX op type where one exists ("Relu", "Conv", "MatMul").</summary>
    public string OpType { get; }

    /// <summary>The operator domain; "" is the default ONNX domain (ai.onnx).</summary>
    public string Domain { get; }

    /// <summary>The node's name (may be empty).</summary>
    public string Name { get; }

    /// <summary>Names of the values read, in the op's input order; "" marks an omitted optional input.</summary>
    public string[] Inputs { get; }

    /// <summary>Names of the values written, in the op's output order; "" marks an unused optional output.</summary>
    public string[] Outputs { get; }

    /// <summary>The node's attributes.</summary>
    public AttributeBag Attributes { get; }

    /// <summary>Outer-scope values read by this node's subgraphs (If/Loop/Scan); filled by <see cref="Graph.Validate()"/>.</summary>
    internal string[] ImplicitInputs { get; set; } = [];

    /// <summary>The subgraphs held in attributes (bodies of If, Loop, Scan).</summary>
    public IEnumerable<Graph> Subgraphs()
    {
        foreach (var a in Attributes)
        {
            if (a.Value is Graph g) yield return g;
            else if (a.Value is Graph[] gs) foreach (var s in gs) yield return s;
        }
    }

    /// <summary>"Conv node 'conv1'" for messages.</summary>
    public string Describe() => Name.Length > 0 ? $"{OpType} node '{Name}'" : $"{OpType} node";

    /// <summary>"Y = Conv(X, W, B)".</summary>
    public override string ToString() => $"{string.Join(", ", Outputs)} = {(Domain.Length > 0 ? Domain + "." : "")}{OpType}({string.Join(", ", Inputs)})";
}
