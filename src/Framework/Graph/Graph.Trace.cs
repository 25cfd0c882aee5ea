using NativeNet.NN;

namespace NativeNet;

/// <summary>Tracing eager code into graphs (<c>torch.jit.trace</c>, <c>tf.function</c>).</summary>
public sealed partial class Graph
{
    /// <summary>
    /// Runs <paramref name="model"/> once on <paramref name="exampleInput"/> and records the ops it executes as a static
    /// graph (<c>torch.jit.trace(model, example)</c>). Parameters and buffers become initializers named by their dotted
    /// module names (read live by compiled plans). With <paramref name="dynamicBatch"/> dim 0 of the input is the
    /// symbolic "batch". Control flow is recorded as the branch taken; the model runs in its current mode (call
    /// <c>Eval()</c> first for inference). See docs/graphs.md.
    /// </summary>
    public static Graph Trace(Module model, Tensor exampleInput, bool dynamicBatch = true) => Trace(model, [exampleInput], dynamicBatch);

    /// <summary>Traces a model with several inputs (<c>torch.jit.trace(model, (x, y))</c>); see <see cref="Trace(Module, Tensor, bool)"/>.</summary>
    public static Graph Trace(Module model, Tensor[] exampleInputs, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = exampleInputs.Length == 1 ? ["input"] : exampleInputs.Select((_, i) => $"input_{i}").ToArray();
        using (Autograd.NoGrad())
            return TraceCore(model.GetType().Name, model, exampleInputs, names, dynamicBatch, ins => [model.Call(ins)], out _);
    }

    /// <summary>Traces a one-input function (<c>torch.jit.trace(fn, example)</c>); inputs are named after its parameters.</summary>
    public static Graph Trace(Func<Tensor, Tensor> fn, Tensor exampleInput, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        using (Autograd.NoGrad())
            return TraceCore(FunctionName(fn), null, [exampleInput], ParameterNames(fn, 1), dynamicBatch, ins => [fn(ins[0])], out _);
    }

    /// <summary>Traces a function of several inputs returning several outputs.</summary>
    public static Graph Trace(Func<Tensor[], Tensor[]> fn, Tensor[] exampleInputs, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        using (Autograd.NoGrad())
            return TraceCore(FunctionName(fn), null, exampleInputs, exampleInputs.Select((_, i) => $"input_{i}").ToArray(), dynamicBatch, fn, out _);
    }

    /// <summary>
    /// Wraps a function so it is traced on its first call per input signature and replayed as a compiled graph after
    /// (<c>tf.function</c>). See <see cref="GraphFunction"/>.
    /// </summary>
    public static GraphFunction Function(Func<Tensor, Tensor> fn, bool strict = false, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return new GraphFunction(FunctionName(fn), ins => [fn(ins[0])], 1, ParameterNames(fn, 1), strict, dynamicBatch);
    }

    /// <summary>A two-input <see cref="Function(Func{Tensor, Tensor}, bool, bool)"/>.</summary>
    public static GraphFunction Function(Func<Tensor, Tensor, Tensor> fn, bool strict = false, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return new GraphFunction(FunctionName(fn), ins => [fn(ins[0], ins[1])], 2, ParameterNames(fn, 2), strict, dynamicBatch);
    }

    /// <summary>A one-input function with two outputs (<c>Run</c> returns both).</summary>
    public static GraphFunction Function(Func<Tensor, (Tensor, Tensor)> fn, bool strict = false, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return new GraphFunction(FunctionName(fn), ins => { var (a, b) = fn(ins[0]); return [a, b]; }, 1, ParameterNames(fn, 1), strict, dynamicBatch);
    }

    /// <summary>A function of any number of inputs and outputs.</summary>
    public static GraphFunction Function(Func<Tensor[], Tensor[]> fn, bool strict = false, bool dynamicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return new GraphFunction(FunctionName(fn), fn, -1, null, strict, dynamicBatch);
    }

    static string FunctionName(Delegate fn)
    {
        var n = fn.Method.Name;
        return n.Length == 0 || n.Contains('<') ? "function" : n;
    }

    static string[] ParameterNames(Delegate fn, int count)
    {
        var ps = fn.Method.GetParameters();
        var names = ps.Length == count ? ps.Select(p => p.Name ?? "").ToArray() : [];
        if (names.Length != count || names.Any(n => n.Length == 0) || names.Distinct().Count() != count)
            names = count == 1 ? ["input"] : Enumerable.Range(0, count).Select(i => $"input_{i}").ToArray();
        return names;
    }

    /// <summary>
    /// Records <paramref name="run"/> on <paramref name="inputs"/>. With a dynamic batch, dim 0 of every input whose
    /// dim 0 equals the first input's is the symbol "batch". Returns the graph and (in <paramref name="outputs"/>) the
    /// eager results of the traced run.
    /// </summary>
    internal static Graph TraceCore(string name, Module? module, Tensor[] inputs, string[] inputNames, bool dynamicBatch,
        Func<Tensor[], Tensor[]> run, out Tensor[] outputs)
    {
        if (inputs.Length == 0) throw new ArgumentException("Graph.Trace: needs at least one example input");
        foreach (var t in inputs) t.ThrowIfDisposed();
        var g = new Graph(name);
        var tracer = new GraphTracer(g, module);
        int? batch = dynamicBatch && inputs[0].Dim > 0 ? inputs[0].Shape[0] : null;
        tracer.Batch = batch;
        tracer.SetExamples(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            var dims = inputs[i].Shape.ToArray().Select(GraphDim.Of).ToArray();
            if (batch is int b && dims.Length > 0 && inputs[i].Shape[0] == b) dims[0] = GraphDim.Sym("batch");
            tracer.AddInput(inputs[i], inputNames[i], dims);
        }
        var prev = tracer.Activate();
        try
        {
            outputs = run(inputs);
        }
        finally
        {
            GraphTracer.Deactivate(prev);
        }
        var outNames = outputs.Length == 1 ? ["output"] : outputs.Select((_, i) => $"output_{i}").ToArray();
        return tracer.Finish(outputs, outNames);
    }
}
