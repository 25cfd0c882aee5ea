namespace NativeNet;

/// <summary>
/// A runnable model backed by a <see cref="Graph"/> (what <c>Onnx.Load</c> returns): the graph's initializers are its
/// weights, and the graph is compiled once on construction, so unsupported operators are reported at load time.
/// Calling it runs the compiled plan; gradients flow to initializers that require grad (set
/// <see cref="Tensor.RequiresGrad"/> on them, then call <see cref="Recompile"/> so constant folding leaves them alone).
/// (<c>torch.fx.GraphModule</c>, an ONNX Runtime session.)
/// </summary>
public class GraphModule
{
    CompiledGraph plan;

    /// <summary>Wraps and compiles <paramref name="graph"/>.</summary>
    public GraphModule(Graph graph)
    {
        Graph = graph;
        plan = graph.Compile();
    }

    /// <summary>The graph this module runs.</summary>
    public Graph Graph { get; }

    /// <summary>The compiled plan used by <see cref="Call"/> and <see cref="Run(Tensor[])"/>.</summary>
    public CompiledGraph Plan => plan;

    /// <summary>The initializers (weights, biases, constants) by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Initializers => Graph.Initializers;

    /// <summary>Compiles the graph again, e.g. after initializers were made trainable.</summary>
    public void Recompile() => plan = Graph.Compile();

    /// <summary>Runs a one-output model (<c>module(x)</c>).</summary>
    public Tensor Call(params Tensor[] inputs) => plan.Call(inputs);

    /// <summary>Runs the model on inputs in graph-input order; returns every output in order.</summary>
    public Tensor[] Run(params Tensor[] inputs) => plan.Run(inputs);

    /// <summary>Runs the model on named inputs; returns the outputs by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => plan.Run(inputs);
}
