namespace NativeNet;

/// <summary>A graph is malformed: an unknown value reference, a value produced twice, a missing output (<c>onnx.checker</c> errors).</summary>
public class GraphValidationException : InvalidOperationException
{
    /// <summary>Creates the exception with the reason.</summary>
    public GraphValidationException(string message) : base(message) { }
}

/// <summary>A graph's nodes depend on each other in a cycle, so no execution order exists. The message names nodes on the cycle.</summary>
public sealed class GraphCycleException : GraphValidationException
{
    /// <summary>Creates the exception naming the nodes that could not be ordered.</summary>
    public GraphCycleException(IReadOnlyList<string> nodes)
        : base($"graph has a cycle: {nodes.Count} node(s) depend on each other ({string.Join(", ", nodes.Take(8))}{(nodes.Count > 8 ? ", ..." : "")})")
        => Nodes = nodes;

    /// <summary>Names (or op types) of the nodes that are on or behind the cycle.</summary>
    public IReadOnlyList<string> Nodes { get; }
}

/// <summary>A node attribute is missing, has the wrong type or an invalid value; the message names node, op and attribute.</summary>
public sealed class GraphAttributeException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public GraphAttributeException(string message) : base(message) { }
}

/// <summary>One operator the graph executor cannot run, with the reason.</summary>
/// <param name="OpType">The ONNX op type, e.g. "NonMaxSuppression".</param>
/// <param name="Domain">The operator domain ("" is the default ai.onnx domain).</param>
/// <param name="Opset">The opset version of that domain the graph imports.</param>
/// <param name="NodeName">The node's name (may be empty).</param>
/// <param name="Reason">Why it is not supported.</param>
public sealed record UnsupportedOperator(string OpType, string Domain, int Opset, string NodeName, string Reason)
{
    /// <summary>"OpType (domain, opset N, node 'name'): reason".</summary>
    public override string ToString() =>
        $"{OpType} ({(Domain.Length == 0 ? "ai.onnx" : Domain)}, opset {Opset}{(NodeName.Length > 0 ? $", node '{NodeName}'" : "")}): {Reason}";
}

/// <summary>
/// A graph uses operators (or operator variants) that NativeNet cannot run. <see cref="Operators"/> lists all of them,
/// not only the first (like onnxruntime's "could not find an implementation" but complete).
/// </summary>
public sealed class UnsupportedOperatorException : NotSupportedException
{
    /// <summary>Creates the exception listing every unsupported operator.</summary>
    public UnsupportedOperatorException(IReadOnlyList<UnsupportedOperator> operators)
        : base($"{operators.Count} unsupported operator(s): " + string.Join("; ", operators.Select(o => o.ToString())))
        => Operators = operators;

    /// <summary>Every unsupported operator of the graph.</summary>
    public IReadOnlyList<UnsupportedOperator> Operators { get; }
}

/// <summary>A node failed while the graph ran; <see cref="Exception.InnerException"/> holds the op's own typed error.</summary>
public sealed class GraphExecutionException : InvalidOperationException
{
    /// <summary>Creates the exception naming the node.</summary>
    public GraphExecutionException(string opType, string nodeName, string message, Exception? inner = null)
        : base($"{opType}{(nodeName.Length > 0 ? $" (node '{nodeName}')" : "")}: {message}", inner)
    {
        OpType = opType;
        NodeName = nodeName;
    }

    /// <summary>The op type of the failing node.</summary>
    public string OpType { get; }

    /// <summary>The failing node's name (may be empty).</summary>
    public string NodeName { get; }
}

/// <summary>A graph declares values of a type NativeNet has no dtype for (float16, int8, string, map, ...); the message lists them.</summary>
public sealed class UnsupportedDataTypeException : NotSupportedException
{
    /// <summary>Creates the exception from one line per offending value.</summary>
    public UnsupportedDataTypeException(IReadOnlyList<string> problems)
        : base($"unsupported data type(s): {string.Join("; ", problems)}") => Problems = problems;

    /// <summary>One description per offending value, e.g. "input 'x' is float16".</summary>
    public IReadOnlyList<string> Problems { get; }
}
