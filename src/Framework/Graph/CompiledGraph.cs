namespace NativeNet;

/// <summary>One node of a compiled plan: the kernel, its input/output slots and the slots that die after it.</summary>
internal sealed class PlanStep
{
    internal required GraphNode Node;
    internal required OpDef Def;
    internal required int Opset;
    internal required int[] In;
    internal required int[] Out;
    internal required int[] Implicit;
    internal int[] FreeAfter = [];
    /// <summary>Set on a fused elementwise step: its program and the original steps.</summary>
    internal FusedChain? Fused;
    /// <summary>Pre-bound kernel (attributes parsed at compile time), or null for the general kernel.</summary>
    internal FastKernel? Fast;
}

/// <summary>
/// Optimizations <see cref="Graph.Compile(CompileOptions)"/> applies (ONNX Runtime's session options, in small). The
/// defaults are what <see cref="Graph.Compile()"/> uses; switching one off is for measuring it.
/// </summary>
/// <param name="Fusion">Fuse chains of elementwise nodes into single passes over memory.</param>
/// <param name="MemoryPlan">Reuse intermediate buffers: run fused steps in place when their input dies, and take buffers
/// from a plan-owned arena that intermediates return to after their last use.</param>
public sealed record CompileOptions(bool Fusion = true, bool MemoryPlan = true);

/// <summary>
/// A graph compiled once for repeated execution (<see cref="Graph.Compile()"/>; the analogue of a <c>tf.function</c>'s
/// concrete function or an ONNX Runtime session). Compilation validates, orders nodes topologically, removes dead
/// code, folds constant subgraphs (including shape arithmetic over static input shapes) and computes liveness so every
/// intermediate tensor is disposed right after its last use. Gradients flow through a run when inputs or initializers
/// require grad. The passes run in <see cref="PassNames"/> order: elementwise fusion and a buffer-reuse memory plan
/// are further passes over the same step list.
/// </summary>
public sealed partial class CompiledGraph
{
    readonly Graph graph;
    readonly Dictionary<string, int> slotOf = new();
    readonly List<string> slotNames = new();
    object?[] constants = [];
    readonly int[] inputSlots;
    readonly int[] outputSlots;
    int[] freeVarSlots = [];
    List<PlanStep> steps = new();
    readonly Dictionary<Graph, CompiledGraph> subplans = new(ReferenceEqualityComparer.Instance);
    readonly IReadOnlySet<string>? outerScope;
    readonly bool isSubgraph;

    readonly (int Slot, string Name)[] variableSlots = [];
    readonly Func<string, Tensor>? variableSource;

    internal CompiledGraph(Graph g, IReadOnlySet<string>? outer = null) : this(g, outer, null, null) { }

    /// <summary>
    /// Compiles <paramref name="g"/>; initializers named in <paramref name="variables"/> are not constants of the plan but
    /// read from <paramref name="source"/> at every run (a module's parameters and buffers, which training updates).
    /// </summary>
    internal CompiledGraph(Graph g, IReadOnlySet<string>? outer, IReadOnlySet<string>? variables, Func<string, Tensor>? source, CompileOptions? options = null)
    {
        graph = g;
        Options = options ?? new CompileOptions();
        outerScope = outer;
        isSubgraph = outer != null;
        variableSource = source;
        if (!isSubgraph)
        {
            g.Validate();
            var unsupported = OpRegistry.FindUnsupported(g);
            if (unsupported.Count > 0) throw new UnsupportedOperatorException(unsupported);
            var foreign = g.Inputs.Select(v => ("input", v)).Concat(g.Outputs.Select(v => ("output", v)))
                .Where(p => p.v.ForeignType != null).Select(p => $"{p.Item1} '{p.v.Name}' is {p.v.ForeignType}").ToList();
            if (foreign.Count > 0) throw new UnsupportedDataTypeException(foreign);
        }
        inputSlots = g.Inputs.Select(v => Slot(v.Name)).ToArray();
        foreach (var n in g.Nodes)
        {
            var def = OpRegistry.Find(n.Domain, n.OpType) ?? throw new UnsupportedOperatorException(
                [new UnsupportedOperator(n.OpType, n.Domain, g.OpsetVersion(n.Domain), n.Name, "no NativeNet implementation of this operator")]);
            steps.Add(new PlanStep
            {
                Node = n, Def = def, Opset = g.OpsetVersion(n.Domain),
                In = n.Inputs.Select(i => i.Length == 0 ? -1 : Slot(i)).ToArray(),
                Out = n.Outputs.Select(o => o.Length == 0 ? -1 : Slot(o)).ToArray(),
                Implicit = n.ImplicitInputs.Select(Slot).ToArray(),
            });
        }
        outputSlots = g.Outputs.Select(v => Slot(v.Name)).ToArray();
        constants = new object?[slotNames.Count];
        var vars = new List<(int, string)>();
        foreach (var (name, t) in g.Initializers)
        {
            if (!slotOf.TryGetValue(name, out int s)) continue;
            if (variables != null && variables.Contains(name)) vars.Add((s, name));
            else constants[s] = t;
        }
        variableSlots = vars.ToArray();
        Optimize();
    }

    int Slot(string name)
    {
        if (slotOf.TryGetValue(name, out int s)) return s;
        slotOf[name] = slotNames.Count;
        slotNames.Add(name);
        return slotNames.Count - 1;
    }

    internal bool TrySlot(string name, out int slot) => slotOf.TryGetValue(name, out slot);

    /// <summary>The optimizations this plan was compiled with.</summary>
    public CompileOptions Options { get; }

    bool FusionEnabled => Options.Fusion;

    /// <summary>The graph this plan was compiled from.</summary>
    public Graph Graph => graph;

    /// <summary>Names of the inputs <see cref="Run(Tensor[])"/> takes, in order.</summary>
    public IReadOnlyList<string> InputNames => graph.Inputs.Select(v => v.Name).ToList();

    /// <summary>Names of the outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames => graph.Outputs.Select(v => v.Name).ToList();

    /// <summary>Number of nodes the plan runs per call (after folding and dead-code removal).</summary>
    public int StepCount => steps.Count;

    /// <summary>Number of nodes evaluated once at compile time.</summary>
    public int FoldedNodeCount { get; private set; }

    /// <summary>Number of nodes removed because no output depends on them.</summary>
    public int RemovedNodeCount { get; private set; }

    /// <summary>
    /// Largest tensor (in elements) an op may create from shapes it reads from input data, such as ConstantOfShape,
    /// Range, Tile, Expand or Resize (default 2^28): a hostile or corrupt model gets a typed error instead of a runaway allocation.
    /// </summary>
    public static long MaxTensorElements { get; set; } = 1L << 28;

    /// <summary>Most iterations a Loop may run (default 2^20), so a corrupt trip count or condition cannot hang a run.</summary>
    public static long MaxLoopIterations { get; set; } = 1L << 20;

    /// <summary>The compile passes, in order.</summary>
    public static IReadOnlyList<string> PassNames { get; } =
        ["DeadCodeElimination", "ConstantFolding", "DeadCodeElimination", "ElementwiseFusion", "Liveness", "MemoryPlan"];

    /// <summary>Runs a one-output graph (<c>plan(x)</c>).</summary>
    public Tensor Call(params Tensor[] inputs)
    {
        if (graph.Outputs.Count != 1)
            throw new InvalidOperationException($"Call: graph '{graph.Name}' has {graph.Outputs.Count} outputs; use Run to get all of them");
        if (inputs.Length != graph.Inputs.Count)
            throw new ArgumentException($"graph '{graph.Name}' takes {graph.Inputs.Count} input(s) ({string.Join(", ", InputNames)}), got {inputs.Length}");
        return AsTensor(RunValues(inputs, null)[0], 0);
    }

    /// <summary>Runs the graph on inputs given in <see cref="InputNames"/> order; returns the outputs in order.</summary>
    public Tensor[] Run(params Tensor[] inputs)
    {
        if (inputs.Length != graph.Inputs.Count)
            throw new ArgumentException($"graph '{graph.Name}' takes {graph.Inputs.Count} input(s) ({string.Join(", ", InputNames)}), got {inputs.Length}");
        return AsTensors(RunValues(inputs, null));
    }

    /// <summary>Runs the graph on inputs given by name; returns the outputs by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var ordered = new object?[graph.Inputs.Count];
        for (int i = 0; i < ordered.Length; i++)
            ordered[i] = inputs.TryGetValue(graph.Inputs[i].Name, out var t) ? t
                : throw new ArgumentException($"graph '{graph.Name}': input '{graph.Inputs[i].Name}' was not given");
        foreach (var k in inputs.Keys)
            if (!graph.Inputs.Any(v => v.Name == k)) throw new ArgumentException($"graph '{graph.Name}' has no input named '{k}' (inputs: {string.Join(", ", InputNames)})");
        var outs = AsTensors(RunValues(ordered, null));
        var r = new Dictionary<string, Tensor>();
        for (int i = 0; i < outs.Length; i++) r[graph.Outputs[i].Name] = outs[i];
        return r;
    }

    Tensor[] AsTensors(object?[] values)
    {
        var r = new Tensor[values.Length];
        for (int i = 0; i < values.Length; i++) r[i] = AsTensor(values[i], i);
        return r;
    }

    Tensor AsTensor(object? value, int i) => value as Tensor ?? throw new InvalidOperationException(
        $"graph output '{graph.Outputs[i].Name}' is a {(value == null ? "missing optional" : "sequence")} value, not a tensor");

    internal CompiledGraph Subplan(Graph g)
    {
        lock (subplans)
        {
            if (subplans.TryGetValue(g, out var p)) return p;
            var scope = new HashSet<string>(slotNames);
            if (outerScope != null) scope.UnionWith(outerScope);
            p = new CompiledGraph(g, scope);
            subplans[g] = p;
            return p;
        }
    }

    PlanArena? arena = new();

    /// <summary>Bytes held by the plan's buffer arena (intermediates and scratch space reused across runs; see <see cref="CompileOptions"/>).</summary>
    public long ArenaBytes => arenaStats?.Bytes ?? 0;

    /// <summary>Arena requests that needed a new buffer and those served by reuse, over all runs.</summary>
    internal (long Allocations, long Reuses, long RequestedBytes) ArenaCounts =>
        arenaStats is { } a ? (a.Allocations, a.Reuses, a.RequestedBytes) : (0, 0, 0);

    PlanArena? arenaStats;

    /// <summary>Drops the arena's free buffers (the next run starts a new arena), like releasing a session's arena.</summary>
    public void ReleaseMemory()
    {
        var a = Interlocked.Exchange(ref arena, new PlanArena());
        a?.Release();
    }

    /// <summary>Runs the plan: values may be tensors, sequences or null (absent optionals).</summary>
    internal object?[] RunValues(object?[] inputs, ExecutionFrame? outer)
    {
        // One run at a time owns the arena; a concurrent run (or a subgraph inside a run) allocates as usual. A run that
        // records gradients does too: autograd keeps its buffers until the backward pass, whose own allocations come from
        // the process-wide pool, and sharing that pool between forward and backward measured faster (hot buffers).
        PlanArena? mine = Options.MemoryPlan && outer == null && PlanArena.Current == null && !RecordsGradients(inputs)
            ? Interlocked.Exchange(ref arena, null) : null;
        if (mine == null) return RunValuesCore(inputs, outer);
        arenaStats = mine;
        var prev = PlanArena.Enter(mine);
        try
        {
            return RunValuesCore(inputs, outer);
        }
        finally
        {
            PlanArena.Exit(prev);
            Interlocked.CompareExchange(ref arena, mine, null);
        }
    }

    bool RecordsGradients(object?[] inputs)
    {
        if (!Autograd.IsGradEnabled) return false;
        foreach (var v in inputs) if (v is Tensor { RequiresGrad: true }) return true;
        foreach (var (_, name) in variableSlots) if (variableSource!(name).RequiresGrad) return true;
        foreach (var c in constants) if (c is Tensor { RequiresGrad: true }) return true;
        return false;
    }

    /// <summary>A finished run's frame (slot arrays, scratch), reused by the next run so a run allocates no bookkeeping.</summary>
    ExecutionFrame? spareFrame;

    object?[] RunValuesCore(object?[] inputs, ExecutionFrame? outer)
    {
        if (inputs.Length != inputSlots.Length)
            throw new ArgumentException($"graph '{graph.Name}' takes {inputSlots.Length} input(s), got {inputs.Length}");
        for (int i = 0; i < inputs.Length; i++) CheckInput(graph.Inputs[i], inputs[i]);
        if (freeVarSlots.Length > 0 && outer == null)
            throw new GraphValidationException($"graph '{graph.Name}' reads outer-scope values but runs without an enclosing graph");
        // A concurrent run (or a nested one) finds no spare frame and makes its own.
        var frame = Interlocked.Exchange(ref spareFrame, null) ?? new ExecutionFrame(this, new object?[constants.Length], null);
        var slots = frame.Slots;
        try
        {
            frame.Parent = outer;
            Array.Copy(constants, slots, constants.Length);
            for (int i = 0; i < inputs.Length; i++) slots[inputSlots[i]] = inputs[i];
            foreach (var s in freeVarSlots) slots[s] = outer!.Lookup(slotNames[s]);
            foreach (var (s, name) in variableSlots) slots[s] = variableSource!(name);
            foreach (var step in steps) Execute(step, frame);
            var result = new object?[outputSlots.Length];
            for (int i = 0; i < result.Length; i++)
            {
                var v = slots[outputSlots[i]];
                // Never hand out an object the plan keeps (constants, inputs, outer values, an earlier output): give a view.
                bool shared = !frame.Owned[outputSlots[i]] || Array.IndexOf(outputSlots, outputSlots[i]) < i;
                result[i] = shared && v is Tensor t ? t.Reshape(t.Shape.ToArray()) : v;
            }
            return result;
        }
        finally
        {
            Array.Clear(slots);
            Array.Clear(frame.Owned);
            frame.Parent = null;
            Volatile.Write(ref spareFrame, frame);
        }
    }

    void Execute(PlanStep step, ExecutionFrame frame)
    {
        object?[] slots = frame.Slots;
        bool[] owned = frame.Owned;
        if (step.Fused != null)
        {
            if (!TryRunFused(step, frame))
                foreach (var part in step.Fused.Parts) Execute(part, frame);
            Free(step.FreeAfter, slots, owned);
            return;
        }
        if (step.Fast != null && RunFast(step, frame))
        {
            Free(step.FreeAfter, slots, owned);
            return;
        }
        var ins = new object?[step.In.Length];
        for (int k = 0; k < ins.Length; k++) ins[k] = step.In[k] < 0 ? null : slots[step.In[k]];
        var outs = Invoke(step, ins, frame);
        for (int k = 0; k < step.Out.Length; k++)
        {
            int s = step.Out[k];
            var v = k < outs.Length ? outs[k] : null;
            if (s < 0)
            {
                if (v is Tensor dead && !IsShared(dead, ins, step.Node, outs, k)) dead.Dispose();
                continue;
            }
            if (v is Tensor t && IsShared(t, ins, step.Node, outs, k)) v = t.Reshape(t.Shape.ToArray());
            else if (v is TensorSequence seq) OwnItems(seq, ins);
            slots[s] = v;
            owned[s] = true;
        }
        Free(step.FreeAfter, slots, owned);
    }

    /// <summary>Runs a pre-bound kernel; false when it declines the inputs (the general kernel runs instead).</summary>
    static bool RunFast(PlanStep step, ExecutionFrame frame)
    {
        var slots = frame.Slots;
        var ins = frame.Scratch(step.In.Length);
        try
        {
            for (int k = 0; k < ins.Length; k++)
            {
                if (step.In[k] < 0) continue;
                if (slots[step.In[k]] is not Tensor t) return false;
                ins[k] = t;
            }
            Tensor? y;
            try
            {
                y = step.Fast!(ins);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException or ArithmeticException)
            {
                throw new GraphExecutionException(step.Node.OpType, step.Node.Name, e.Message, e);
            }
            if (y == null) return false;
            foreach (var t in ins)
                if (ReferenceEquals(t, y))
                {
                    y = y.Reshape(y.Shape.ToArray()); // the kernel returned an input: the slot gets its own object
                    break;
                }
            slots[step.Out[0]] = y;
            frame.Owned[step.Out[0]] = true;
            return true;
        }
        finally
        {
            Array.Clear(ins);
        }
    }

    static void Free(int[] freeAfter, object?[] slots, bool[] owned)
    {
        foreach (var s in freeAfter)
        {
            if (owned[s] && slots[s] is Tensor t) t.Dispose();
            slots[s] = null;
            owned[s] = false;
        }
    }

    /// <summary>A sequence must not hold the very tensor objects that slots own (they are disposed at their last use): alias them.</summary>
    static void OwnItems(TensorSequence seq, object?[] ins)
    {
        for (int i = 0; i < seq.Items.Count; i++)
            if (ins.Any(x => ReferenceEquals(x, seq.Items[i]))) seq.Items[i] = seq.Items[i].Reshape(seq.Items[i].Shape.ToArray());
    }

    static bool IsShared(Tensor t, object?[] ins, GraphNode node, object?[] outs, int k)
    {
        foreach (var i in ins)
        {
            if (ReferenceEquals(i, t)) return true;
            if (i is TensorSequence seq && seq.Items.Any(it => ReferenceEquals(it, t))) return true;
        }
        for (int j = 0; j < k; j++) if (ReferenceEquals(outs[j], t)) return true;
        foreach (var a in node.Attributes) if (ReferenceEquals(a.Value, t)) return true;
        return false;
    }

    static object?[] Invoke(PlanStep step, object?[] ins, ExecutionFrame frame)
    {
        var ctx = new OpContext(step.Node, step.Opset, ins, frame);
        bool recording = Autograd.IsGradEnabled && ins.Any(v => v is Tensor { RequiresGrad: true });
        try
        {
            if (recording) return step.Def.Kernel(ctx);
            // Temporaries of composite kernels go back to the pool at once; outputs are kept.
            using var scope = Tensor.Scope();
            var outs = step.Def.Kernel(ctx);
            foreach (var o in outs)
            {
                if (o is Tensor t) scope.Keep<Tensor>(t);
                else if (o is TensorSequence seq) foreach (var it in seq.Items) scope.Keep<Tensor>(it);
            }
            return outs;
        }
        catch (GraphExecutionException) { throw; }
        catch (UnsupportedOperatorException) { throw; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException
                                      or ArithmeticException or OutOfMemoryException or KeyNotFoundException)
        {
            throw new GraphExecutionException(step.Node.OpType, step.Node.Name, e.Message, e);
        }
    }

    void CheckInput(GraphValue decl, object? value)
    {
        // The message prefix is built only on failure (this runs on every call).
        string Where() => $"graph '{graph.Name}' input '{decl.Name}'";
        switch (decl.Kind)
        {
            case GraphValueKind.Tensor:
                if (value is not Tensor t) throw new ArgumentException($"{Where()} must be a tensor");
                if (decl.DType is DType dt && t.DType != dt)
                    throw new DTypeMismatchException(Where(), $"expected {dt.Name()}, got {t.DType.Name()}");
                if (!isSubgraph && decl.Shape is { } shape)
                {
                    if (shape.Length != t.Dim)
                        throw new ShapeMismatchException(Where(), $"expected rank {shape.Length} {FormatDims(shape)}, got {ShapeUtil.Format(t.Shape)}");
                    for (int d = 0; d < shape.Length; d++)
                        if (shape[d].Size is int size && size != t.Shape[d])
                            throw new ShapeMismatchException(Where(), $"expected shape {FormatDims(shape)}, got {ShapeUtil.Format(t.Shape)} (dimension {d})");
                }
                break;
            case GraphValueKind.Sequence:
                if (value is not TensorSequence) throw new ArgumentException($"{Where()} must be a sequence of tensors");
                break;
            default:
                if (value is not (null or Tensor or TensorSequence)) throw new ArgumentException($"{Where()} must be a tensor or absent");
                break;
        }
    }

    static string FormatDims(GraphDim[] dims) => "[" + string.Join(", ", dims.Select(d => d.ToString())) + "]";
}
