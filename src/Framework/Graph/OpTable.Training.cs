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
        AddMulti("Adagrad", Adagrad, domain: TrainingDomain);
        AddMulti("Momentum", Momentum, domain: TrainingDomain);
        AddMulti("Adam", Adam, domain: TrainingDomain);
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

    /// <summary>The optimizer ops take (R, T, then n groups of n tensors); returns n.</summary>
    static int Groups(OpContext ctx, int groups)
    {
        int rest = ctx.InputCount - 2;
        if (rest <= 0 || rest % groups != 0) throw ctx.Fail($"expects R, T and {groups} equal groups of tensors, got {ctx.InputCount} inputs");
        return rest / groups;
    }

    static object?[] Adagrad(OpContext ctx)
    {
        int n = Groups(ctx, 3);
        double r = ctx.Scalar(0), t = ctx.Scalar(1);
        double decay = ctx.A.GetFloat("decay_factor", 0f), eps = ctx.A.GetFloat("epsilon", 0f), norm = ctx.A.GetFloat("norm_coefficient", 0f);
        double lr = r / (1 + t * decay);
        var outs = new object?[2 * n];
        for (int i = 0; i < n; i++)
        {
            var x = ctx.In(2 + i);
            var g = ctx.In(2 + n + i).Add(x.Mul(norm));
            var h = ctx.In(2 + 2 * n + i).Add(g.Square());
            outs[i] = x.Sub(g.Div(h.Sqrt().Add(eps)).Mul(lr));
            outs[n + i] = h;
        }
        return outs;
    }

    static object?[] Momentum(OpContext ctx)
    {
        int n = Groups(ctx, 3);
        double r = ctx.Scalar(0), t = ctx.Scalar(1);
        double alpha = ctx.A.GetFloat("alpha"), beta = ctx.A.GetFloat("beta"), norm = ctx.A.GetFloat("norm_coefficient");
        string mode = ctx.A.GetString("mode");
        if (mode is not ("standard" or "nesterov")) throw ctx.Fail($"unknown mode '{mode}'");
        double b = t > 0 ? beta : 1;
        var outs = new object?[2 * n];
        for (int i = 0; i < n; i++)
        {
            var x = ctx.In(2 + i);
            var g = ctx.In(2 + n + i).Add(x.Mul(norm));
            var v = ctx.In(2 + 2 * n + i).Mul(alpha).Add(g.Mul(b));
            outs[i] = mode == "standard" ? x.Sub(v.Mul(r)) : x.Sub(g.Add(v.Mul(alpha)).Mul(r));
            outs[n + i] = v;
        }
        return outs;
    }

    static object?[] Adam(OpContext ctx)
    {
        int n = Groups(ctx, 4);
        double r = ctx.Scalar(0), t = ctx.Scalar(1);
        double alpha = ctx.A.GetFloat("alpha", 0.9f), beta = ctx.A.GetFloat("beta", 0.999f), eps = ctx.A.GetFloat("epsilon", 1e-6f);
        double norm = ctx.A.GetFloat("norm_coefficient", 0f), post = ctx.A.GetFloat("norm_coefficient_post", 0f);
        double lr = t > 0 ? r * Math.Sqrt(1 - Math.Pow(beta, t)) / (1 - Math.Pow(alpha, t)) : r;
        var outs = new object?[3 * n];
        for (int i = 0; i < n; i++)
        {
            var x = ctx.In(2 + i);
            var g = ctx.In(2 + n + i).Add(x.Mul(norm));
            var v = ctx.In(2 + 2 * n + i).Mul(alpha).Add(g.Mul(1 - alpha));
            var h = ctx.In(2 + 3 * n + i).Mul(beta).Add(g.Square().Mul(1 - beta));
            outs[i] = x.Sub(v.Div(h.Sqrt().Add(eps)).Mul(lr)).Mul(1 - post);
            outs[n + i] = v;
            outs[2 * n + i] = h;
        }
        return outs;
    }
}
