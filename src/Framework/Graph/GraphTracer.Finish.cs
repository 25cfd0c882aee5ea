namespace NativeNet;

/// <summary>Turning a recording into a clean graph: outputs, dead-code removal, value shapes with a symbolic batch.</summary>
internal sealed partial class GraphTracer
{
    readonly Dictionary<string, (DType DType, int[] Shape)> traced = new();

    /// <summary>Remembers the dtype and shape a value had while tracing (for value_info and the batch probe).</summary>
    void Observe(string name, Tensor t) => traced[name] = (t.DType, t.Shape.ToArray());

    /// <summary>
    /// Closes the recording: binds <paramref name="outputs"/> as graph outputs (named <paramref name="outputNames"/>),
    /// removes nodes and initializers no output needs, validates, and computes value shapes. With a dynamic batch the
    /// graph is run once more at another batch size: dims that follow the batch become symbolic ("batch"), and a graph
    /// that cannot run at another batch size is reported here rather than at its first use.
    /// </summary>
    internal Graph Finish(Tensor[] outputs, string[] outputNames)
    {
        if (outputs.Length == 0) throw new GraphTraceException("the traced code returned no tensors");
        var outNames = new string[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            string v = Name(outputs[i]);
            // An output must be produced by a node of its own: inputs, initializers and repeated outputs go through Identity.
            bool produced = graph.Nodes.Any(n => n.Outputs.Contains(v));
            if (!produced || outNames.Take(i).Contains(v)) v = Intermediate("Identity", [v]);
            outNames[i] = v;
            traced[v] = (outputs[i].DType, outputs[i].Shape.ToArray());
        }
        foreach (var (t, n) in names) if (!traced.ContainsKey(n)) Observe(n, t);
        var rename = new Dictionary<string, string>();
        for (int i = 0; i < outNames.Length; i++)
        {
            string want = outputNames[i];
            if (usedNames.Contains(want) && !rename.ContainsKey(outNames[i])) want = Fresh(want);
            usedNames.Add(want);
            rename[outNames[i]] = want;
        }
        foreach (var n in graph.Nodes)
        {
            for (int k = 0; k < n.Inputs.Length; k++) if (rename.TryGetValue(n.Inputs[k], out var r)) n.Inputs[k] = r;
            for (int k = 0; k < n.Outputs.Length; k++) if (rename.TryGetValue(n.Outputs[k], out var r)) n.Outputs[k] = r;
        }
        foreach (var (from, to) in rename) if (traced.Remove(from, out var info)) traced[to] = info;
        for (int i = 0; i < outNames.Length; i++)
        {
            var (dt, shape) = traced[rename[outNames[i]]];
            graph.Outputs.Add(new GraphValue(rename[outNames[i]], dt, shape.Select(GraphDim.Of).ToArray()));
        }
        RemoveDeadCode();
        graph.Validate();
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0 && traced.TryGetValue(o, out var info) && !graph.Outputs.Any(v => v.Name == o))
                    graph.ValueInfo[o] = new GraphValue(o, info.DType, info.Shape.Select(GraphDim.Of).ToArray());
        foreach (var name in LiveInitializers) if (graph.Initializers.ContainsKey(name)) graph.LiveInitializers.Add(name);
        if (Batch is int b && graph.Inputs.Any(v => v.Shape is { Length: > 0 } s && s[0].Symbol != null)) MarkBatchDims(b);
        return graph;
    }

    void RemoveDeadCode()
    {
        var needed = new HashSet<string>(graph.Outputs.Select(o => o.Name));
        var alive = new List<GraphNode>();
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var n = graph.Nodes[i];
            if (!n.Outputs.Any(needed.Contains)) continue;
            alive.Add(n);
            foreach (var x in n.Inputs) if (x.Length > 0) needed.Add(x);
        }
        alive.Reverse();
        graph.Nodes.Clear();
        graph.Nodes.AddRange(alive);
        foreach (var k in graph.Initializers.Keys.Where(k => !needed.Contains(k)).ToList()) graph.Initializers.Remove(k);
    }

    /// <summary>Runs the graph at batch b+1 (inputs made by repeating example rows) and marks the dims that follow the batch.</summary>
    void MarkBatchDims(int b)
    {
        int probeBatch = b + 1;
        var probe = new Graph(graph.Name) { OpsetImports = graph.OpsetImports };
        probe.Inputs.AddRange(graph.Inputs);
        foreach (var kv in graph.Initializers) probe.Initializers[kv.Key] = kv.Value;
        probe.Nodes.AddRange(graph.Nodes);
        var watched = graph.Outputs.Select(o => o.Name).Concat(graph.ValueInfo.Keys).Distinct().ToList();
        foreach (var w in watched) probe.Outputs.Add(new GraphValue(w));
        Tensor[] results;
        var inputs = new Tensor[graph.Inputs.Count];
        var prev = Suspend();
        try
        {
            using var scope = Tensor.Scope();
            using (Autograd.NoGrad())
            {
                for (int i = 0; i < inputs.Length; i++)
                {
                    var t = exampleInputs[i];
                    if (graph.Inputs[i].Shape is { Length: > 0 } s && s[0].Symbol != null)
                    {
                        using var rows = Tensor.FromArray(Enumerable.Range(0, probeBatch).Select(r => (long)(r % b)).ToArray());
                        inputs[i] = t.IndexSelect(0, rows);
                    }
                    else inputs[i] = t;
                }
                results = new CompiledGraph(probe).Run(inputs);
            }
            var shapes = new Dictionary<string, int[]>();
            for (int i = 0; i < watched.Count; i++) shapes[watched[i]] = results[i].Shape.ToArray();
            foreach (var v in graph.Outputs.Concat(graph.ValueInfo.Values))
            {
                if (v.Shape == null || !shapes.TryGetValue(v.Name, out var other)) continue;
                if (other.Length != v.Shape.Length)
                    throw new GraphTraceException($"value '{v.Name}' has rank {other.Length} at batch {probeBatch} but {v.Shape.Length} at batch {b}");
                for (int d = 0; d < other.Length; d++)
                {
                    int at = v.Shape[d].Size!.Value;
                    if (at == other[d]) continue;
                    v.Shape[d] = at == b && other[d] == probeBatch ? GraphDim.Sym("batch") : new GraphDim(null);
                }
            }
        }
        catch (Exception e) when (e is not GraphTraceException && (e is ArgumentException or InvalidOperationException or NotSupportedException))
        {
            throw new GraphTraceException(
                $"the traced graph does not run with another batch size (dim 0 = {probeBatch} instead of {b}): {e.Message}. The traced code treats " +
                "the batch dimension as fixed (e.g. a Reshape, Expand or Squeeze that depends on it); trace with dynamicBatch: false", e);
        }
        finally
        {
            Deactivate(prev);
        }
    }

    Tensor[] exampleInputs = [];

    /// <summary>The example inputs (kept for the batch probe).</summary>
    internal void SetExamples(Tensor[] inputs) => exampleInputs = inputs;
}
