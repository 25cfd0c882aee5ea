namespace NativeNet;

/// <summary>
/// A static computation graph (the IR behind ONNX import/export and graph execution): nodes in topological order,
/// typed values with possibly symbolic shapes, initializers (constant tensors such as weights), graph inputs and outputs
/// and the opset versions the node semantics follow. <see cref="Compile()"/> turns it into an executable plan.
/// (TensorFlow's <c>tf.Graph</c>, <c>torch.fx.Graph</c>, ONNX's <c>GraphProto</c>.)
/// </summary>
public sealed partial class Graph
{
    /// <summary>Creates an empty graph.</summary>
    public Graph(string name = "graph") => Name = name;

    /// <summary>The graph's name.</summary>
    public string Name { get; set; }

    /// <summary>The nodes; kept in topological order by <see cref="Validate()"/>.</summary>
    public List<GraphNode> Nodes { get; } = new();

    /// <summary>The values a caller feeds, in order (initializers are not inputs).</summary>
    public List<GraphValue> Inputs { get; } = new();

    /// <summary>The values the graph returns, in order.</summary>
    public List<GraphValue> Outputs { get; } = new();

    /// <summary>Constant tensors by name (weights, biases, shape constants).</summary>
    public Dictionary<string, Tensor> Initializers { get; } = new();

    /// <summary>Known dtype/shape of intermediate values (ONNX <c>value_info</c>); optional.</summary>
    public Dictionary<string, GraphValue> ValueInfo { get; } = new();

    /// <summary>
    /// Initializers that are live module state (a traced model's parameters and buffers): compiled plans read them at
    /// every run and never fold them, so training and <c>LoadStateDict</c> stay visible.
    /// </summary>
    internal HashSet<string> LiveInitializers { get; } = new();

    /// <summary>Nodes an importer could not represent fully (e.g. a string-valued Constant), with the reason.</summary>
    internal Dictionary<GraphNode, string> ImportIssues { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Opset version per operator domain ("" is ai.onnx). Subgraphs share their parent's table.</summary>
    public Dictionary<string, int> OpsetImports { get; internal set; } = new() { [""] = 17 };

    /// <summary>The opset version for <paramref name="domain"/>, or 0 when the graph does not import it.</summary>
    public int OpsetVersion(string domain) => OpsetImports.GetValueOrDefault(domain == "ai.onnx" ? "" : domain);

    /// <summary>Appends a node and returns it.</summary>
    public GraphNode AddNode(string opType, string[] inputs, string[] outputs, AttributeBag? attributes = null, string name = "", string domain = "")
    {
        var n = new GraphNode(opType, inputs, outputs, name, domain, attributes);
        Nodes.Add(n);
        return n;
    }

    /// <summary>The description of <paramref name="name"/> from inputs, outputs or value info, or null.</summary>
    public GraphValue? FindValue(string name) =>
        Inputs.FirstOrDefault(v => v.Name == name) ?? Outputs.FirstOrDefault(v => v.Name == name) ?? ValueInfo.GetValueOrDefault(name);

    /// <summary>Number of elements over all initializers (the parameter count <c>nativenet inspect</c> prints).</summary>
    public long ParameterCount => Initializers.Values.Sum(t => (long)t.NumEl);

    /// <summary>Compiles the graph into an executable plan (validation, dead-code removal, constant folding, liveness).</summary>
    public CompiledGraph Compile() => Compile(new CompileOptions());

    /// <summary>Compiles with explicit <paramref name="options"/> (e.g. fusion off, to measure it).</summary>
    public CompiledGraph Compile(CompileOptions options) =>
        new(this, null, LiveInitializers.Count > 0 ? LiveInitializers : null, name => Initializers[name], options);

    /// <summary>
    /// Checks the graph and sorts its nodes topologically (stable: already-ordered graphs keep their order).
    /// Throws <see cref="GraphValidationException"/> on a reference to an unknown value, a value produced twice or an
    /// output nothing produces, and <see cref="GraphCycleException"/> on a cycle. Subgraphs are validated too and may
    /// read the enclosing graphs' values.
    /// </summary>
    public void Validate() => Validate(null);

    internal void Validate(IReadOnlySet<string>? outerScope)
    {
        var defined = new HashSet<string>();
        void Define(string v, string what)
        {
            if (v.Length == 0) return;
            if (!defined.Add(v)) throw new GraphValidationException($"graph '{Name}': value '{v}' is defined twice ({what})");
        }
        foreach (var i in Inputs) Define(i.Name, "graph input");
        foreach (var k in Initializers.Keys) Define(k, "initializer");
        foreach (var n in Nodes)
            foreach (var o in n.Outputs) Define(o, $"output of {n.Describe()}");

        bool Visible(string v) => defined.Contains(v) || (outerScope?.Contains(v) ?? false);
        foreach (var n in Nodes)
        {
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !Visible(i))
                    throw new GraphValidationException($"graph '{Name}': {n.Describe()} reads '{i}', which no graph input, initializer or node defines");
            var implicitInputs = new HashSet<string>();
            foreach (var sub in n.Subgraphs())
            {
                var inner = new HashSet<string>(defined);
                if (outerScope != null) inner.UnionWith(outerScope);
                sub.Validate(inner);
                foreach (var f in sub.FreeVariables()) implicitInputs.Add(f);
            }
            n.ImplicitInputs = implicitInputs.Where(v => !n.Inputs.Contains(v)).ToArray();
        }
        foreach (var o in Outputs)
            if (!Visible(o.Name)) throw new GraphValidationException($"graph '{Name}': output '{o.Name}' is not produced by any node, input or initializer");
        SortTopologically();
    }

    /// <summary>Names this graph reads but does not define (outer-scope references), including those of nested subgraphs.</summary>
    internal HashSet<string> FreeVariables()
    {
        var defined = new HashSet<string>(Inputs.Select(i => i.Name));
        defined.UnionWith(Initializers.Keys);
        foreach (var n in Nodes) defined.UnionWith(n.Outputs);
        var free = new HashSet<string>();
        foreach (var n in Nodes)
        {
            foreach (var i in n.Inputs) if (i.Length > 0 && !defined.Contains(i)) free.Add(i);
            foreach (var sub in n.Subgraphs())
                foreach (var f in sub.FreeVariables()) if (!defined.Contains(f)) free.Add(f);
        }
        foreach (var o in Outputs) if (!defined.Contains(o.Name)) free.Add(o.Name);
        return free;
    }

    /// <summary>Kahn's algorithm, preferring the original order; leftover nodes mean a cycle.</summary>
    void SortTopologically()
    {
        int n = Nodes.Count;
        var producer = new Dictionary<string, int>();
        for (int i = 0; i < n; i++)
            foreach (var o in Nodes[i].Outputs)
                if (o.Length > 0) producer[o] = i;
        var consumers = new List<int>[n];
        var indegree = new int[n];
        for (int i = 0; i < n; i++) consumers[i] = new List<int>();
        for (int i = 0; i < n; i++)
        {
            var deps = new HashSet<int>();
            foreach (var v in Nodes[i].Inputs.Concat(Nodes[i].ImplicitInputs))
                if (v.Length > 0 && producer.TryGetValue(v, out int p)) deps.Add(p);
            foreach (var p in deps)
            {
                consumers[p].Add(i);
                indegree[i]++;
            }
        }
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < n; i++) if (indegree[i] == 0) ready.Enqueue(i, i);
        var order = new List<GraphNode>(n);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(Nodes[i]);
            foreach (var c in consumers[i])
                if (--indegree[c] == 0) ready.Enqueue(c, c);
        }
        if (order.Count != n)
        {
            var stuck = Enumerable.Range(0, n).Where(i => indegree[i] > 0).Select(i => Nodes[i].Name.Length > 0 ? Nodes[i].Name : Nodes[i].ToString()).ToList();
            throw new GraphCycleException(stuck);
        }
        Nodes.Clear();
        Nodes.AddRange(order);
    }

    /// <summary>A multi-line listing: inputs, initializers, nodes, outputs.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"graph {Name} (opset {string.Join(", ", OpsetImports.Select(kv => $"{(kv.Key.Length == 0 ? "ai.onnx" : kv.Key)} {kv.Value}"))})");
        foreach (var i in Inputs) sb.AppendLine($"  input  {i}");
        foreach (var (k, t) in Initializers) sb.AppendLine($"  init   {k}: {t.DType.Name()}{ShapeUtil.Format(t.Shape)}");
        foreach (var nd in Nodes) sb.AppendLine($"  {nd}");
        foreach (var o in Outputs) sb.AppendLine($"  output {o}");
        return sb.ToString();
    }
}
