using System.Runtime.CompilerServices;

namespace NativeNet;

/// <summary>The ai.onnx.preview.training domain: Gradient, answered by NativeNet's autograd.</summary>
internal static partial class OpRegistry
{
    const string TrainingDomain = "ai.onnx.preview.training";
    static readonly ConditionalWeakTable<GraphNode, Graph> GradientSlices = new();

    static void RegisterTraining()
    {
        AddMulti("Gradient", Gradient, domain: TrainingDomain);
    }

    /// <summary>
    /// Gradient(xs...) with attributes xs (the input names) and y: re-runs the part of the enclosing graph between xs and y
    /// with xs as leaves that require grad, then back-propagates ones (the gradient of sum(y)).
    /// </summary>
    static object?[] Gradient(OpContext ctx)
    {
        var xs = ctx.A.GetStrings("xs") ?? throw ctx.Fail("attribute xs is required");
        string y = ctx.A.GetString("y");
        if (xs.Length != ctx.InputCount) throw ctx.Fail($"xs names {xs.Length} values but the node has {ctx.InputCount} inputs");
        var frame = ctx.Frame ?? throw ctx.Fail("needs an execution frame");
        var slice = GradientSlices.GetValue(ctx.Node, _ => SliceGraph(frame.Plan.Graph, xs, y, ctx));
        var leaves = new object?[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            var t = ctx.In(i);
            if (!t.DType.IsFloatingPoint()) throw ctx.Fail($"cannot differentiate with respect to {t.DType.Name()} input '{xs[i]}'");
            using (Autograd.NoGrad()) leaves[i] = t.Clone().RequiresGrad_();
        }
        using (Autograd.EnableGrad())
        {
            var outs = ctx.RunSubgraph(slice, leaves);
            var yt = outs[0] as Tensor ?? throw ctx.Fail($"'{y}' is not a tensor");
            if (yt.RequiresGrad) yt.Backward(Tensor.OnesLike(yt));
        }
        return leaves.Select(l => (object?)(((Tensor)l!).Grad ?? Tensor.ZerosLike((Tensor)l!))).ToArray();
    }

    static Graph SliceGraph(Graph g, string[] xs, string y, OpContext ctx)
    {
        var needed = new HashSet<string> { y };
        var nodes = new List<GraphNode>();
        for (int i = g.Nodes.Count - 1; i >= 0; i--)
        {
            var n = g.Nodes[i];
            if (ReferenceEquals(n, ctx.Node) || !n.Outputs.Any(needed.Contains)) continue;
            nodes.Add(n);
            foreach (var v in n.Inputs.Concat(n.ImplicitInputs)) if (v.Length > 0 && !xs.Contains(v)) needed.Add(v);
        }
        nodes.Reverse();
        var slice = new Graph($"gradient of {y}") { OpsetImports = g.OpsetImports };
        foreach (var x in xs) slice.Inputs.Add(new GraphValue(x));
        slice.Outputs.Add(new GraphValue(y));
        slice.Nodes.AddRange(nodes);
        return slice;
    }
}
