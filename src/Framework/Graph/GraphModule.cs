using NativeNet.NN;

namespace NativeNet;

/// <summary>
/// A <see cref="Module"/> backed by a <see cref="Graph"/> (what <c>Onnx.Load</c> returns; <c>torch.fx.GraphModule</c>).
/// Floating-point initializers become <see cref="Parameter"/>s (trainable: gradients flow through graph execution, so an
/// imported model can be fine-tuned), BatchNormalization statistics and integer initializers become buffers. Parameter
/// names are the initializer names with '.' replaced by '_'. The graph is compiled once on construction, so unsupported
/// operators are reported at load time; floating-point parameters and buffers are read at every call, so optimizer steps,
/// <c>LoadStateDict</c> and <c>To(dtype)</c> take effect (integer buffers are constants of the plan and must not be replaced). Use <c>Autograd.NoGrad()</c> for inference.
/// </summary>
public class GraphModule : Module
{
    readonly Dictionary<string, string> registered = new();
    readonly CompiledGraph plan;

    /// <summary>Wraps and compiles <paramref name="graph"/>.</summary>
    public GraphModule(Graph graph)
    {
        Graph = graph;
        var statistics = BatchNormStatistics(graph);
        var used = new HashSet<string>();
        foreach (var (name, t) in graph.Initializers)
        {
            string key = name.Replace('.', '_');
            if (key.Length == 0) key = "initializer";
            for (int i = 2; !used.Add(key); i++) key = name.Replace('.', '_') + "_" + i;
            registered[name] = key;
            if (t.DType.IsFloatingPoint() && !statistics.Contains(name)) RegisterParameter(key, new Parameter(t));
            else RegisterBuffer(key, t);
        }
        // Floating-point parameters and buffers are read at every run; integer buffers (shape constants) stay constants of
        // the plan so shape arithmetic folds.
        var variables = graph.Initializers.Where(kv => kv.Value.DType.IsFloatingPoint()).Select(kv => kv.Key).ToHashSet();
        plan = new CompiledGraph(graph, null, variables, Lookup);
    }

    Tensor Lookup(string initializer)
    {
        string key = registered[initializer];
        return (Tensor?)GetParameter(key) ?? GetBuffer(key) ?? throw new InvalidOperationException($"GraphModule: parameter '{key}' was removed");
    }

    /// <summary>The current value of an initializer (its parameter or buffer), for export.</summary>
    internal Tensor CurrentInitializer(string initializer) => Lookup(initializer);

    static HashSet<string> BatchNormStatistics(Graph g)
    {
        var r = new HashSet<string>();
        void Walk(Graph x)
        {
            foreach (var n in x.Nodes)
            {
                if (n.OpType == "BatchNormalization" && n.Domain.Length == 0)
                    for (int i = 3; i < Math.Min(5, n.Inputs.Length); i++) r.Add(n.Inputs[i]);
                foreach (var s in n.Subgraphs()) Walk(s);
            }
        }
        Walk(g);
        return r;
    }

    /// <summary>The graph this module runs.</summary>
    public Graph Graph { get; }

    /// <summary>The compiled plan (its constant folding leaves parameters and buffers alone).</summary>
    public CompiledGraph Plan => plan;

    /// <summary>The registered name (parameter or buffer) of an initializer.</summary>
    public string RegisteredName(string initializer) => registered.TryGetValue(initializer, out var k) ? k
        : throw new KeyNotFoundException($"GraphModule: the graph has no initializer '{initializer}'");

    /// <summary>Runs a one-output graph on inputs in graph-input order (<c>module(x)</c>).</summary>
    public override Tensor Forward(params Tensor[] inputs) => plan.Call(inputs);

    /// <summary>Runs a one-input, one-output graph.</summary>
    public override Tensor Forward(Tensor x) => plan.Call(x);

    /// <summary>Runs the graph on inputs in graph-input order; returns every output in order.</summary>
    public Tensor[] Run(params Tensor[] inputs) => plan.Run(inputs);

    /// <summary>Runs the graph on named inputs; returns the outputs by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => plan.Run(inputs);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"graph={Graph.Name}, inputs=[{string.Join(", ", Graph.Inputs.Select(v => v.Name))}], outputs=[{string.Join(", ", Graph.Outputs.Select(v => v.Name))}], nodes={Graph.Nodes.Count}";
}
