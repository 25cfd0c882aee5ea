namespace NativeNet;

/// <summary>Gradient-mode switches and the backward engine (PyTorch <c>torch.autograd</c>).</summary>
public static class Autograd
{
    [ThreadStatic] static int noGradDepth;
    [ThreadStatic] static int enableGradDepth;

    /// <summary>True when ops record the graph on this thread (<c>torch.is_grad_enabled()</c>).</summary>
    public static bool IsGradEnabled => noGradDepth == 0 || enableGradDepth > 0;

    /// <summary>Disables graph recording until disposed: <c>using (Autograd.NoGrad()) { ... }</c> (<c>torch.no_grad()</c>).</summary>
    public static GradModeScope NoGrad() => new(enable: false);

    /// <summary>Re-enables recording inside a no-grad region (<c>torch.enable_grad()</c>).</summary>
    public static GradModeScope EnableGrad() => new(enable: true);

    /// <summary>Restores the previous grad mode on dispose.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        readonly bool enable;
        readonly int savedNoGrad, savedEnable;

        internal GradModeScope(bool enable)
        {
            this.enable = enable;
            savedNoGrad = noGradDepth;
            savedEnable = enableGradDepth;
            if (enable) { enableGradDepth++; }
            else { noGradDepth++; enableGradDepth = 0; }
        }

        /// <summary>Leaves the scope.</summary>
        public void Dispose()
        {
            noGradDepth = savedNoGrad;
            enableGradDepth = savedEnable;
            _ = enable;
        }
    }

    internal static bool Needs(Tensor a) => a.RequiresGrad && IsGradEnabled;

    internal static bool Needs(Tensor a, Tensor b) => (a.RequiresGrad || b.RequiresGrad) && IsGradEnabled;

    internal static bool Needs(Tensor[] xs)
    {
        if (!IsGradEnabled) return false;
        foreach (var x in xs) if (x.RequiresGrad) return true;
        return false;
    }

    /// <summary>Attaches a backward node to <paramref name="output"/>. Saved tensors must be aliases from <see cref="Tensor.Alias"/>.</summary>
    internal static void Record(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, params Tensor[] saved)
    {
        var node = new FunctionNode(name, inputs, backward, saved);
        output.SetGradFn(node);
    }

    /// <summary>Computes gradients of <paramref name="root"/> and accumulates them into the leaves' <c>Grad</c>.</summary>
    internal static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        root.ThrowIfDisposed();
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward: the tensor does not require grad and has no GradFn (did you forget RequiresGrad, or call it under NoGrad?)");
        var userGradient = gradient;
        if (gradient == null)
        {
            if (root.NumEl != 1)
                throw new ShapeMismatchException("Backward", $"grad can be implicitly created only for scalar outputs, got shape {ShapeUtil.Format(root.shape)}; pass a gradient");
            gradient = Tensor.OnesLike(root);
        }
        else if (!gradient.Shape.SequenceEqual(root.Shape))
            throw new ShapeMismatchException("Backward", $"gradient shape {ShapeUtil.Format(gradient.shape)} does not match output shape {ShapeUtil.Format(root.shape)}");

        BackwardNode start = root.gradFn ?? root.GetAccumulator();
        using var _ = NoGrad();
        // A backward pass inside a trace is not part of the traced graph.
        var tracer = GraphTracer.Suspend();
        try { Run(root, start, gradient, userGradient, retainGraph); }
        finally { GraphTracer.Deactivate(tracer); }
    }

    /// <summary>Profiling hook (benchmarks): called with each node's name and the Stopwatch ticks its backward took.</summary>
    [ThreadStatic] internal static Action<string, long>? NodeTimer;

    static void Run(Tensor root, BackwardNode start, Tensor gradient, Tensor? userGradient, bool retainGraph)
    {
        var deps = new Dictionary<BackwardNode, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<BackwardNode>();
        stack.Push(start);
        deps[start] = 0;
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var nx in n.Next)
            {
                if (nx == null) continue;
                if (deps.TryGetValue(nx, out int c)) deps[nx] = c + 1;
                else { deps[nx] = 1; stack.Push(nx); }
            }
        }

        var pending = new Dictionary<BackwardNode, Tensor>(ReferenceEqualityComparer.Instance) { [start] = gradient };
        var ready = new Stack<BackwardNode>();
        ready.Push(start);
        while (ready.Count > 0)
        {
            var n = ready.Pop();
            pending.Remove(n, out var g);
            Tensor?[]? grads = null;
            long started = NodeTimer != null ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            if (g != null)
            {
                if (n is AccumulateGrad acc) acc.Accumulate(g, CanAdopt(g, userGradient, pending));
                else grads = n.Apply(g, retainGraph);
            }
            NodeTimer?.Invoke(n.Name, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            for (int i = 0; i < n.Next.Length; i++)
            {
                var nx = n.Next[i];
                if (nx == null) continue;
                var gi = grads?[i];
                if (gi != null)
                {
                    if (!gi.Shape.SequenceEqual(n.InputShapes[i]))
                        throw new InvalidOperationException($"{n.Name}Backward returned a gradient of shape {ShapeUtil.Format(gi.shape)} for input {i} of shape {ShapeUtil.Format(n.InputShapes[i])}");
                    // Mixed-precision ops promote; each input's gradient has that input's dtype (as in PyTorch).
                    if (gi.DType != n.InputDTypes[i]) gi = gi.To(n.InputDTypes[i]);
                    pending[nx] = pending.TryGetValue(nx, out var acc) ? acc + gi : gi;
                }
                if (--deps[nx] == 0) ready.Push(nx);
            }
        }
    }
    /// <summary>
    /// A leaf may take a gradient tensor as its <c>Grad</c> instead of copying it when nothing else can see it:
    /// made by the engine (not the caller's), dense, no other view of its storage, not pending for another node.
    /// </summary>
    static bool CanAdopt(Tensor g, Tensor? userGradient, Dictionary<BackwardNode, Tensor> pending)
    {
        if (ReferenceEquals(g, userGradient) || g.gradFn != null || !g.IsContiguous || g.storage.RefCount != 1) return false;
        foreach (var v in pending.Values)
            if (ReferenceEquals(v, g)) return false;
        return true;
    }
}

/// <summary>A node of the recorded backward graph (PyTorch <c>grad_fn</c>): computes input gradients from the output gradient.</summary>
public abstract class BackwardNode
{
    internal BackwardNode?[] Next = [];
    internal int[][] InputShapes = [];
    internal DType[] InputDTypes = [];

    /// <summary>The op's name (its ONNX op type where one exists), e.g. "MatMul".</summary>
    public abstract string Name { get; }

    internal abstract Tensor?[] Apply(Tensor grad, bool retainGraph);

    /// <summary>PyTorch-style name, e.g. "MulBackward".</summary>
    public override string ToString() => Name + "Backward";
}

/// <summary>A node whose backward is a closure over aliases of the tensors it saved.</summary>
internal sealed class FunctionNode : BackwardNode
{
    readonly string name;
    Func<Tensor, Tensor?[]>? backward;
    Tensor[] saved;

    internal FunctionNode(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[] saved)
    {
        this.name = name;
        this.backward = backward;
        this.saved = saved;
        Next = new BackwardNode?[inputs.Length];
        InputShapes = new int[inputs.Length][];
        InputDTypes = new DType[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            InputShapes[i] = t.shape;
            InputDTypes[i] = t.DType;
            Next[i] = t.gradFn ?? (t.RequiresGrad ? t.GetAccumulator() : null);
        }
    }

    public override string Name => name;

    internal override Tensor?[] Apply(Tensor grad, bool retainGraph)
    {
        var fn = backward ?? throw new InvalidOperationException(
            $"Trying to backward through the graph a second time ({name}); its saved tensors were freed. Pass retainGraph: true to the first Backward.");
        var result = fn(grad);
        if (!retainGraph) Release();
        return result;
    }

    void Release()
    {
        backward = null;
        foreach (var t in saved) t.Dispose();
        saved = [];
    }
}

/// <summary>The sink for a leaf tensor: adds incoming gradients into <see cref="Tensor.Grad"/>.</summary>
public sealed class AccumulateGrad : BackwardNode
{
    readonly Tensor leaf;

    internal AccumulateGrad(Tensor leaf) => this.leaf = leaf;

    /// <inheritdoc/>
    public override string Name => "AccumulateGrad";

    internal override Tensor?[] Apply(Tensor grad, bool retainGraph)
    {
        Accumulate(grad, adopt: false);
        return [];
    }

    /// <summary>Adds <paramref name="grad"/> into the leaf's Grad; with <paramref name="adopt"/> the first gradient is kept without a copy.</summary>
    internal void Accumulate(Tensor grad, bool adopt)
    {
        var t = leaf;
        if (t.IsDisposed) return;
        if (t.Grad == null || t.Grad.IsDisposed)
            t.Grad = grad.DType != t.DType ? grad.To(t.DType).Unown() : adopt ? grad.Unown() : grad.Clone().Unown();
        else t.Grad.AddInPlace(grad);
    }
}
