namespace NativeNet;

/// <summary>
/// A <see cref="GraphFunction"/> made with <c>strict: true</c> was called with an input signature (shapes and dtypes)
/// it was not traced for (TensorFlow's retracing, turned into an error).
/// </summary>
public sealed class GraphSignatureException : ArgumentException
{
    /// <summary>Creates the exception naming both signatures.</summary>
    public GraphSignatureException(string function, string traced, string given)
        : base($"Graph.Function '{function}' was traced for {traced} but called with {given} (strict: true forbids retracing)")
    {
        Traced = traced;
        Given = given;
    }

    /// <summary>The signature the function was traced for, e.g. "(float32[batch, 784])".</summary>
    public string Traced { get; }

    /// <summary>The signature of the rejected call.</summary>
    public string Given { get; }
}

/// <summary>
/// A function traced into a graph on its first call per input signature and replayed after (<c>tf.function</c>; made by
/// <c>Graph.Function</c>). The signature is the inputs' dtypes and shapes; with a dynamic batch (the default) dim 0 is
/// not part of it, so every batch size reuses one trace. A new signature traces again (or, with <c>strict: true</c>,
/// throws <see cref="GraphSignatureException"/>). The traced call returns the eager results; later calls run the
/// compiled plan, through which gradients flow. Called while another trace is recording, the function runs inline.
/// Like <c>tf.function</c>, Python-side (here: C#-side) effects and data-dependent branches happen only while tracing.
/// </summary>
public sealed class GraphFunction
{
    readonly string name;
    readonly Func<Tensor[], Tensor[]> fn;
    readonly int arity;
    readonly string[]? inputNames;
    readonly Dictionary<string, (Graph Graph, CompiledGraph Plan)> traces = new();
    readonly List<Graph> graphs = new();
    readonly object gate = new();

    internal GraphFunction(string name, Func<Tensor[], Tensor[]> fn, int arity, string[]? inputNames, bool strict, bool dynamicBatch)
    {
        this.name = name;
        this.fn = fn;
        this.arity = arity;
        this.inputNames = inputNames;
        Strict = strict;
        DynamicBatch = dynamicBatch;
    }

    /// <summary>True when a new input signature throws instead of retracing.</summary>
    public bool Strict { get; }

    /// <summary>True when dim 0 (the batch) is symbolic and not part of the signature.</summary>
    public bool DynamicBatch { get; }

    /// <summary>How many times the function was traced (one per distinct signature).</summary>
    public int TraceCount
    {
        get { lock (gate) return graphs.Count; }
    }

    /// <summary>The traced graphs, in tracing order (<c>tf.function</c>'s concrete functions).</summary>
    public IReadOnlyList<Graph> Graphs
    {
        get { lock (gate) return graphs.ToList(); }
    }

    /// <summary>Runs a one-output function (<c>f(x)</c>).</summary>
    public Tensor Call(params Tensor[] inputs)
    {
        var r = Run(inputs);
        if (r.Length != 1) throw new InvalidOperationException($"Graph.Function '{name}' returns {r.Length} tensors; use Run to get all of them");
        return r[0];
    }

    /// <summary>Runs the function and returns every output.</summary>
    public Tensor[] Run(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (arity >= 0 && inputs.Length != arity)
            throw new ArgumentException($"Graph.Function '{name}' takes {arity} input(s), got {inputs.Length}");
        if (GraphTracer.Current != null) return fn(inputs);
        string sig = Signature(inputs);
        CompiledGraph? plan = null;
        lock (gate)
        {
            if (traces.TryGetValue(sig, out var hit)) plan = hit.Plan;
            else if (Strict && traces.Count > 0) throw new GraphSignatureException(name, traces.Keys.First(), sig);
        }
        if (plan != null) return plan.Run(inputs);
        var names = inputNames ?? inputs.Select((_, i) => $"input_{i}").ToArray();
        var graph = Graph.TraceCore(name, null, inputs, names, DynamicBatch, fn, out var outputs);
        var compiled = graph.Compile();
        lock (gate)
        {
            if (traces.TryAdd(sig, (graph, compiled))) graphs.Add(graph);
        }
        return outputs;
    }

    /// <summary>"(float32[batch, 784], int64[batch])": dtypes and shapes, dim 0 as "batch" when it follows the first input's.</summary>
    string Signature(Tensor[] inputs)
    {
        int? batch = DynamicBatch && inputs.Length > 0 && inputs[0].Dim > 0 ? inputs[0].Shape[0] : null;
        var parts = inputs.Select(t =>
        {
            var dims = t.Shape.ToArray().Select(d => d.ToString()).ToArray();
            if (batch is int b && dims.Length > 0 && t.Shape[0] == b) dims[0] = "batch";
            return $"{t.DType.Name()}[{string.Join(", ", dims)}]";
        });
        return "(" + string.Join(", ", parts) + ")";
    }
}
