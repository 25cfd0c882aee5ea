namespace NativeNet;

/// <summary>What an op kernel sees while a graph runs: the node, its opset, its input values and a way to run subgraphs.</summary>
internal sealed class OpContext
{
    internal OpContext(GraphNode node, int opset, object?[] inputs, ExecutionFrame? frame)
    {
        Node = node;
        Opset = opset;
        Inputs = inputs;
        Frame = frame;
    }

    internal GraphNode Node { get; }
    internal int Opset { get; }
    internal object?[] Inputs { get; }
    internal ExecutionFrame? Frame { get; }
    internal AttributeBag A => Node.Attributes;
    internal int InputCount => Inputs.Length;
    internal int OutputCount => Node.Outputs.Length;

    internal bool OutputUsed(int i) => i < Node.Outputs.Length && Node.Outputs[i].Length > 0;

    internal bool Has(int i) => i < Inputs.Length && Inputs[i] != null;

    internal GraphExecutionException Fail(string message) => new(Node.OpType, Node.Name, message);

    /// <summary>A required tensor input.</summary>
    internal Tensor In(int i)
    {
        if (i >= Inputs.Length || Inputs[i] == null) throw Fail($"required input {i} is missing");
        return Inputs[i] as Tensor ?? throw Fail($"input {i} must be a tensor, got a {Describe(Inputs[i])}");
    }

    /// <summary>An optional tensor input, or null when omitted.</summary>
    internal Tensor? Opt(int i)
    {
        if (!Has(i)) return null;
        return Inputs[i] as Tensor ?? throw Fail($"input {i} must be a tensor, got a {Describe(Inputs[i])}");
    }

    /// <summary>A required sequence input.</summary>
    internal TensorSequence Seq(int i)
    {
        if (!Has(i)) throw Fail($"required sequence input {i} is missing");
        return Inputs[i] as TensorSequence ?? throw Fail($"input {i} must be a sequence, got a {Describe(Inputs[i])}");
    }

    static string Describe(object? v) => v switch { Tensor => "tensor", TensorSequence => "sequence", null => "missing value", _ => v.GetType().Name };

    /// <summary>An integer tensor input (shape, axes, pads…) read to the host.</summary>
    internal long[] Ints(int i)
    {
        var t = In(i);
        if (t.DType is not (DType.Int64 or DType.Int32 or DType.UInt8 or DType.Bool))
            throw Fail($"input {i} must be an integer tensor, got {t.DType.Name()}");
        if (t.DType == DType.Int64) return t.ToArray<long>();
        using var c = t.To(DType.Int64);
        return c.ToArray<long>();
    }

    /// <summary>An optional integer tensor input, or null.</summary>
    internal long[]? OptInts(int i) => Has(i) ? Ints(i) : null;

    /// <summary>Checked narrowing of sizes/axes read from a tensor.</summary>
    internal int[] Int32s(long[] v, string what)
    {
        var r = new int[v.Length];
        for (int k = 0; k < v.Length; k++)
        {
            if (v[k] < int.MinValue || v[k] > int.MaxValue) throw Fail($"{what}[{k}] = {v[k]} is out of range");
            r[k] = (int)v[k];
        }
        return r;
    }

    /// <summary>
    /// Rejects a shape computed from input data (ConstantOfShape, Range, Tile, Resize, Pad, ...) that would exceed
    /// <see cref="CompiledGraph.MaxTensorElements"/>, before anything is allocated.
    /// </summary>
    internal int[] Guard(int[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw Fail($"negative dimension in shape {ShapeUtil.Format(shape)}");
            n *= d;
            if (n > CompiledGraph.MaxTensorElements)
                throw Fail($"shape {ShapeUtil.Format(shape)} exceeds the limit of {CompiledGraph.MaxTensorElements} elements per tensor (CompiledGraph.MaxTensorElements)");
        }
        return shape;
    }

    /// <summary>Guards an element count computed from data.</summary>
    internal long Guard(long count)
    {
        if (count > CompiledGraph.MaxTensorElements)
            throw Fail($"{count} elements exceed the limit of {CompiledGraph.MaxTensorElements} per tensor (CompiledGraph.MaxTensorElements)");
        return count;
    }

    /// <summary>A scalar tensor input as double.</summary>
    internal double Scalar(int i)
    {
        var t = In(i);
        if (t.NumEl != 1) throw Fail($"input {i} must hold one value, got shape {ShapeUtil.Format(t.Shape)}");
        return t.Item();
    }

    /// <summary>Normalizes an axis for a tensor of <paramref name="rank"/>, naming the node on error.</summary>
    internal int Axis(long axis, int rank)
    {
        int r = Math.Max(rank, 1);
        if (axis < -r || axis >= r) throw Fail($"axis {axis} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + r : axis);
    }

    /// <summary>Runs a subgraph (If/Loop/Scan body) whose free variables come from the current frame.</summary>
    internal object?[] RunSubgraph(Graph g, object?[] inputs)
    {
        if (Frame == null) throw Fail("subgraphs need an execution frame");
        return Frame.Plan.Subplan(g).RunValues(inputs, Frame);
    }
}

/// <summary>
/// The values of one running plan, visible to subgraphs that read outer-scope names. A plan reuses its frame from run
/// to run (slots cleared in between), so the bookkeeping of a run allocates nothing.
/// </summary>
internal sealed class ExecutionFrame
{
    internal ExecutionFrame(CompiledGraph plan, object?[] slots, ExecutionFrame? parent)
    {
        Plan = plan;
        Slots = slots;
        Owned = new bool[slots.Length];
        Parent = parent;
    }

    internal CompiledGraph Plan { get; }
    internal object?[] Slots { get; }
    /// <summary>Slots whose value this run made (disposed at their last use), as opposed to inputs and constants.</summary>
    internal bool[] Owned { get; }
    internal ExecutionFrame? Parent { get; set; }

    Tensor?[]?[] scratch = [];

    /// <summary>A cleared array of <paramref name="n"/> tensors for one step's inputs; the caller clears it after use.</summary>
    internal Tensor?[] Scratch(int n)
    {
        if (n >= scratch.Length) Array.Resize(ref scratch, n + 1);
        return scratch[n] ??= new Tensor?[n];
    }

    internal object? Lookup(string name)
    {
        for (var f = this; f != null; f = f.Parent)
            if (f.Plan.TrySlot(name, out int s)) return f.Slots[s];
        throw new GraphValidationException($"value '{name}' is not defined in any enclosing graph");
    }
}
