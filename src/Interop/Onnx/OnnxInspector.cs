using System.Text;

namespace NativeNet.Interop;

/// <summary>A human-readable summary of a model (what <c>nativenet inspect</c> prints, like Netron's model panel).</summary>
public static class OnnxInspector
{
    /// <summary>
    /// Inputs and outputs with dtypes and shapes, opset imports, a histogram of op types, the parameter count (elements of
    /// all initializers) and the operators NativeNet cannot run, if any.
    /// </summary>
    public static string Describe(Graph graph)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"graph      {graph.Name}");
        sb.AppendLine($"opset      {string.Join(", ", graph.OpsetImports.OrderBy(kv => kv.Key).Select(kv => $"{(kv.Key.Length == 0 ? "ai.onnx" : kv.Key)} {kv.Value}"))}");
        foreach (var v in graph.Inputs) sb.AppendLine($"input      {v}");
        foreach (var v in graph.Outputs) sb.AppendLine($"output     {v}");
        long parameters = graph.ParameterCount;
        sb.AppendLine($"parameters {parameters:N0} in {graph.Initializers.Count} initializer(s) ({graph.Initializers.Values.Sum(t => (long)t.NumEl * t.DType.ElementSize()):N0} bytes)");
        var histogram = new Dictionary<string, int>();
        void Count(Graph g)
        {
            foreach (var n in g.Nodes)
            {
                string key = n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}";
                histogram[key] = histogram.GetValueOrDefault(key) + 1;
                foreach (var s in n.Subgraphs()) Count(s);
            }
        }
        Count(graph);
        sb.AppendLine($"nodes      {histogram.Values.Sum()} ({histogram.Count} op types)");
        int width = histogram.Count == 0 ? 0 : histogram.Keys.Max(k => k.Length);
        foreach (var (op, n) in histogram.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            sb.AppendLine($"  {op.PadRight(width)}  {n}");
        var unsupported = OpRegistry.FindUnsupported(graph);
        if (unsupported.Count > 0)
        {
            sb.AppendLine($"unsupported {unsupported.Count} node(s):");
            foreach (var u in unsupported) sb.AppendLine($"  {u}");
        }
        return sb.ToString();
    }
}
