using NativeNet.NN;

namespace NativeNet;

/// <summary>
/// Tracing failed: the traced code ran an operation that has no graph representation, changed a traced value in place,
/// or the trace does not generalize to another batch size (<c>torch.jit.trace</c>'s TracingCheckError).
/// </summary>
public sealed class GraphTraceException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public GraphTraceException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Records the ops eager code runs into a <see cref="Graph"/> (<c>torch.jit.trace</c>'s tracer). Active on one thread
/// while <c>Graph.Trace</c> or the first call of a <c>Graph.Function</c> runs; ops test <see cref="Current"/> once and,
/// when it is set, describe themselves here (ONNX op type, attributes, inputs, output). Tensors are mapped to graph
/// values by reference; a tensor the trace did not produce becomes an initializer (module parameters and buffers under
/// their dotted names and read live, other captured tensors as copied constants).
/// </summary>
internal sealed partial class GraphTracer
{
    [ThreadStatic] static GraphTracer? current;
    /// <summary>Threads with a tracer; while 0 (eager code) the check every op makes is one plain static read.</summary>
    static int tracingThreads;

    /// <summary>The tracer of this thread, or null (the one check every op makes).</summary>
    internal static GraphTracer? Current => tracingThreads == 0 ? null : current;

    static void Set(GraphTracer? t)
    {
        var old = current;
        if (old == null && t != null) Interlocked.Increment(ref tracingThreads);
        else if (old != null && t == null) Interlocked.Decrement(ref tracingThreads);
        current = t;
    }

    readonly Graph graph;
    readonly Dictionary<Tensor, string> names = new(ReferenceEqualityComparer.Instance);
    /// <summary>Op outputs allocated during the trace that no recorded node produced yet.</summary>
    readonly HashSet<Tensor> unnamed = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<Tensor, string> moduleState = new(ReferenceEqualityComparer.Instance);
    readonly Module? module;
    readonly Dictionary<string, string> constants = new();
    readonly HashSet<string> usedNames = new();
    int counter;

    internal GraphTracer(Graph graph, Module? module)
    {
        this.graph = graph;
        this.module = module;
        RefreshModuleState();
    }

    internal Graph Graph => graph;

    /// <summary>Initializers that are module state (parameters, buffers, captured parameters): read live, never folded.</summary>
    internal HashSet<string> LiveInitializers { get; } = new();

    void RefreshModuleState()
    {
        if (module == null) return;
        foreach (var (n, p) in module.NamedParameters()) moduleState.TryAdd(p, n);
        foreach (var (n, b) in module.NamedBuffers()) moduleState.TryAdd(b, n);
    }

    /// <summary>Makes this tracer current on the calling thread; returns the previous one for <see cref="Deactivate"/>.</summary>
    internal GraphTracer? Activate()
    {
        var prev = current;
        Set(this);
        return prev;
    }

    internal static void Deactivate(GraphTracer? previous) => Set(previous);

    /// <summary>Stops recording on this thread; <see cref="Deactivate"/> with the result resumes.</summary>
    internal static GraphTracer? Suspend()
    {
        var t = current;
        Set(null);
        return t;
    }

    /// <summary>Runs <paramref name="f"/> without recording (tracer-internal copies, backward passes).</summary>
    internal static T Untraced<T>(Func<T> f)
    {
        var prev = Suspend();
        try { return f(); }
        finally { Set(prev); }
    }

    internal string Fresh(string stem)
    {
        string n;
        do n = $"{stem}_{counter++}"; while (!usedNames.Add(n));
        return n;
    }

    internal void Reserve(string name) => usedNames.Add(name);

    /// <summary>Registers an example tensor as a graph input.</summary>
    internal void AddInput(Tensor t, string name, GraphDim[] shape)
    {
        if (names.ContainsKey(t)) throw new ArgumentException($"Graph.Trace: the same tensor is passed as two inputs ('{names[t]}' and '{name}')");
        usedNames.Add(name);
        names[t] = name;
        graph.Inputs.Add(new GraphValue(name, t.DType, shape));
    }

    /// <summary>Called by <c>Tensor.Empty</c> for every tensor allocated while tracing.</summary>
    internal void Allocated(Tensor t) => unnamed.Add(t);

    /// <summary>Creation ops (Full, FromArray, Rand…): a constant made inside the trace, not an untraceable result.</summary>
    internal void Constant(Tensor t) => unnamed.Remove(t);

    /// <summary>True when <paramref name="t"/> is a value of the trace (an input or a recorded result).</summary>
    internal bool IsTraced(Tensor t) => names.ContainsKey(t);

    /// <summary>The graph value of an input tensor; tensors from outside the trace become initializers.</summary>
    internal string Name(Tensor t)
    {
        if (names.TryGetValue(t, out var n)) return n;
        if (unnamed.Contains(t))
            throw new GraphTraceException(
                $"a {t.DType.Name()} tensor of shape {ShapeUtil.Format(t.Shape)} was computed inside the trace by an operation that has no graph (ONNX) " +
                "representation, or from a value that was changed in place; such ops cannot be traced (see docs/graphs.md)");
        if (!moduleState.ContainsKey(t) && t is Parameter) RefreshModuleState();
        if (moduleState.TryGetValue(t, out var stateName))
        {
            string init = stateName;
            if (!usedNames.Add(init)) init = Fresh(stateName);
            graph.Initializers[init] = t;
            LiveInitializers.Add(init);
            names[t] = init;
            return init;
        }
        if (t is Parameter)
        {
            string init = Fresh("param");
            graph.Initializers[init] = t;
            LiveInitializers.Add(init);
            names[t] = init;
            return init;
        }
        // A tensor captured from outside: a constant of its current value (a copy, so later changes or disposal do not matter).
        var copy = Untraced(() => { using (Autograd.NoGrad()) return t.Detach().Contiguous().Clone().Unown(); });
        string c = Fresh("const");
        graph.Initializers[c] = copy;
        names[t] = c;
        return c;
    }

    /// <summary>Binds <paramref name="t"/> to a new value named after <paramref name="stem"/>.</summary>
    internal string Bind(Tensor t, string stem)
    {
        string n = Fresh(stem);
        names[t] = n;
        unnamed.Remove(t);
        Observe(n, t);
        return n;
    }

    /// <summary>Makes <paramref name="y"/> the same graph value as <paramref name="x"/> (no-op views, copies, detach).</summary>
    internal void Alias(Tensor x, Tensor y)
    {
        if (ReferenceEquals(x, y)) return;
        names[y] = Name(x);
        unnamed.Remove(y);
    }

    /// <summary>Records a node reading <paramref name="inputs"/> ("" for an omitted optional input) and producing <paramref name="y"/>.</summary>
    internal GraphNode Node(string op, string[] inputs, Tensor y, AttributeBag? attrs = null)
    {
        string o = Bind(y, op);
        return graph.AddNode(op, inputs, [o], attrs, o);
    }

    /// <summary>Records a node over tensors.</summary>
    internal GraphNode Node(string op, Tensor[] inputs, Tensor y, AttributeBag? attrs = null)
    {
        var ins = new string[inputs.Length];
        for (int i = 0; i < ins.Length; i++) ins[i] = Name(inputs[i]);
        return Node(op, ins, y, attrs);
    }

    /// <summary>Records a node with several outputs; unused outputs get names too.</summary>
    internal void NodeMulti(string op, string[] inputs, Tensor?[] outputs, AttributeBag? attrs = null)
    {
        var outs = outputs.Select(t => t == null ? "" : Bind(t, op)).ToArray();
        graph.AddNode(op, inputs, outs, attrs, Fresh(op));
    }

    /// <summary>Records a node whose output is an intermediate value no tensor holds; returns its name.</summary>
    internal string Intermediate(string op, string[] inputs, AttributeBag? attrs = null)
    {
        string o = Fresh(op);
        graph.AddNode(op, inputs, [o], attrs, o);
        return o;
    }

    /// <summary>The number of nodes recorded so far (see <see cref="Collapse"/>).</summary>
    internal int Mark => graph.Nodes.Count;

    /// <summary>
    /// Replaces the nodes recorded since <paramref name="mark"/> (the primitives a composite op ran) by one node, so a
    /// composite with an ONNX meaning (Flatten, Gemm, MatMul, BatchNormalization, ReduceMean…) is exported as itself.
    /// </summary>
    internal GraphNode Collapse(int mark, string op, string[] inputs, Tensor y, AttributeBag? attrs = null)
    {
        Drop(mark);
        return Node(op, inputs, y, attrs);
    }

    /// <summary>Removes the nodes recorded since <paramref name="mark"/>; their results are no longer values of the trace.</summary>
    internal void Drop(int mark)
    {
        if (graph.Nodes.Count <= mark) return;
        var dropped = new HashSet<string>();
        for (int i = mark; i < graph.Nodes.Count; i++) dropped.UnionWith(graph.Nodes[i].Outputs);
        graph.Nodes.RemoveRange(mark, graph.Nodes.Count - mark);
        foreach (var (t, n) in names.Where(kv => dropped.Contains(kv.Value)).ToList())
        {
            names.Remove(t);
            unnamed.Add(t);
        }
    }

    /// <summary>An int64 1-D constant (shapes, axes, pads), shared between nodes with the same content.</summary>
    internal string Ints(params long[] values) => ConstantOf(DType.Int64, values.Select(v => (double)v).ToArray(), [values.Length],
        () => Tensor.FromArray(values));

    /// <summary>A 0-D constant of <paramref name="dtype"/> (scalars of scalar ops: the operand's dtype, as ONNX needs).</summary>
    internal string Scalar(double value, DType dtype) => ConstantOf(dtype, [value], [], () => Tensor.Full([], value, dtype));

    /// <summary>An int64 0-D constant (Gather indices).</summary>
    internal string ScalarInt(long value) => ConstantOf(DType.Int64, [value], [], () => Tensor.Full([], value, DType.Int64));

    string ConstantOf(DType dtype, double[] values, int[] shape, Func<Tensor> make)
    {
        string key = $"{dtype}[{string.Join(",", shape)}]:{string.Join(",", values.Select(v => BitConverter.DoubleToInt64Bits(v)))}";
        if (constants.TryGetValue(key, out var n)) return n;
        var t = Untraced(() => make().Unown());
        n = Fresh(shape.Length == 0 ? "scalar" : "ints");
        graph.Initializers[n] = t;
        constants[key] = n;
        return n;
    }

    /// <summary>The value of <paramref name="t"/> as <paramref name="dtype"/>: a Cast node when the dtype differs (ONNX never promotes).</summary>
    internal string As(Tensor t, DType dtype)
    {
        string n = Name(t);
        if (t.DType == dtype) return n;
        return Intermediate("Cast", [n], new AttributeBag().Set("to", (long)OpRegistry.ToOnnxType(dtype)));
    }

    /// <summary>Rejects an in-place change of a traced value (the graph has no mutation).</summary>
    internal void InPlace(Tensor t, string op)
    {
        if (names.ContainsKey(t))
            throw new GraphTraceException($"{op}: a traced value (shape {ShapeUtil.Format(t.Shape)}) cannot be modified in place; use the out-of-place op");
    }

    /// <summary>An op that has no ONNX form was called on traced values.</summary>
    internal void Unsupported(string op, string why, params Tensor[] inputs)
    {
        if (inputs.Length == 0 || inputs.Any(names.ContainsKey))
            throw new GraphTraceException($"{op} cannot be traced: {why}");
    }
}
