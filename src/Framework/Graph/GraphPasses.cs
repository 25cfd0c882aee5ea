namespace NativeNet;

/// <summary>The compile passes over the step list: dead-code elimination, constant folding, liveness.</summary>
public sealed partial class CompiledGraph
{
    void Optimize()
    {
        var definedHere = new HashSet<int>(inputSlots);
        foreach (var k in graph.Initializers.Keys) if (slotOf.TryGetValue(k, out int s)) definedHere.Add(s);
        foreach (var st in steps) foreach (var o in st.Out) if (o >= 0) definedHere.Add(o);
        freeVarSlots = Enumerable.Range(0, slotNames.Count).Where(s => !definedHere.Contains(s)).ToArray();

        RemovedNodeCount += EliminateDeadCode();
        FoldConstants();
        RemovedNodeCount += EliminateDeadCode();
        foreach (var st in steps)
            st.Fast = FastKernels.Bind(st.Node, st.Opset, k => k < st.In.Length && st.In[k] >= 0 ? constants[st.In[k]] as Tensor : null);
        if (!isSubgraph)
        {
            FuseConvRelu();
            FuseConvPool();
            FuseElementwise();
        }
        ComputeLiveness();
    }

    /// <summary>Drops steps none of whose outputs reach a graph output; returns how many.</summary>
    int EliminateDeadCode()
    {
        var needed = new HashSet<int>(outputSlots);
        var alive = new List<PlanStep>(steps.Count);
        for (int i = steps.Count - 1; i >= 0; i--)
        {
            var st = steps[i];
            if (!st.Out.Any(needed.Contains)) continue;
            alive.Add(st);
            foreach (var s in st.In) if (s >= 0) needed.Add(s);
            foreach (var s in st.Implicit) needed.Add(s);
        }
        alive.Reverse();
        int removed = steps.Count - alive.Count;
        steps = alive;
        return removed;
    }

    bool IsConstant(int slot) => constants[slot] is Tensor { RequiresGrad: false };

    /// <summary>
    /// Evaluates, once, every step whose inputs are all constants (initializers that do not require grad, Constant
    /// nodes, earlier folds), and Shape/Size of values whose shape is static (declared graph-input shapes, which every
    /// run checks, propagated through shape-preserving ops), so shape arithmetic of fixed-size models disappears.
    /// </summary>
    void FoldConstants()
    {
        var shapes = new Dictionary<int, int[]>();
        if (!isSubgraph)
            for (int i = 0; i < inputSlots.Length; i++)
                if (graph.Inputs[i].Kind == GraphValueKind.Tensor && graph.Inputs[i].StaticShape is { } ss) shapes[inputSlots[i]] = ss;
        // Parameters are read at every run, but their shapes are fixed (LoadStateDict rejects other shapes).
        foreach (var (slot, name) in variableSlots) shapes[slot] = graph.Initializers[name].Shape.ToArray();
        int[]? ShapeOf(int s) => shapes.TryGetValue(s, out var sh) ? sh : constants[s] is Tensor t ? t.Shape.ToArray() : null;

        var kept = new List<PlanStep>(steps.Count);
        foreach (var st in steps)
        {
            if (TryFold(st, ShapeOf))
            {
                FoldedNodeCount++;
                continue;
            }
            kept.Add(st);
            if (st.Out.Length == 0 || st.Out[0] < 0) continue;
            if (st.Def.Traits.HasFlag(OpTraits.SameShape) && st.In.Length > 0 && st.In[0] >= 0 && ShapeOf(st.In[0]) is { } inShape)
                shapes[st.Out[0]] = inShape;
            else if (StaticShapes.Infer(st.Node, st.Opset, st.In.Select(s => s < 0 ? null : ShapeOf(s)).ToArray(),
                         st.In.Select(s => s >= 0 && IsConstant(s) ? (Tensor?)constants[s] : null).ToArray()) is { } inferred)
                shapes[st.Out[0]] = inferred;
        }
        steps = kept;
    }

    bool TryFold(PlanStep st, Func<int, int[]?> shapeOf)
    {
        if (st.Def.Traits.HasFlag(OpTraits.NonDeterministic) || st.Implicit.Length > 0 || st.Node.Subgraphs().Any()) return false;
        if (st.Node.Domain.Length == 0 && st.Node.OpType is "Shape" or "Size" && st.In.Length == 1 && st.In[0] >= 0
            && !IsConstant(st.In[0]) && shapeOf(st.In[0]) is { } shape && st.Out.Length == 1 && st.Out[0] >= 0)
        {
            constants[st.Out[0]] = st.Node.OpType == "Size"
                ? Tensor.Scalar(ShapeUtil.NumEl(shape), DType.Int64).Unown()
                : ShapeSlice(shape, st.Node.Attributes, st.Opset).Unown();
            return true;
        }
        foreach (var s in st.In) if (s >= 0 && !IsConstant(s)) return false;
        object?[] outs;
        try
        {
            using (Autograd.NoGrad())
                outs = Invoke(st, st.In.Select(s => s < 0 ? null : constants[s]).ToArray(), new ExecutionFrame(this, constants, null));
        }
        catch (GraphExecutionException)
        {
            return false; // leave it: the run reports the error with its context
        }
        for (int k = 0; k < st.Out.Length; k++)
        {
            if (st.Out[k] < 0) continue;
            var v = k < outs.Length ? outs[k] : null;
            if (v is not Tensor t) return false;
            constants[st.Out[k]] = t.Unown();
        }
        return true;
    }

    /// <summary>ONNX Shape: the dims from start to end (opset 15 attributes; negative values count from the end).</summary>
    internal static Tensor ShapeSlice(ReadOnlySpan<int> shape, AttributeBag attrs, int opset)
    {
        int r = shape.Length;
        long start = opset >= 15 ? attrs.GetInt("start", 0) : 0, end = opset >= 15 ? attrs.GetInt("end", r) : r;
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.Clamp(start, 0, r);
        end = Math.Clamp(end, 0, r);
        var dims = new long[Math.Max(0, end - start)];
        for (int i = 0; i < dims.Length; i++) dims[i] = shape[(int)start + i];
        return Tensor.FromArray(dims);
    }

    /// <summary>For each step, the slots whose last reader it is: the executor disposes them right after the step.</summary>
    void ComputeLiveness()
    {
        int n = slotNames.Count;
        var lastUse = new int[n];
        Array.Fill(lastUse, -1);
        for (int i = 0; i < steps.Count; i++)
        {
            foreach (var s in steps[i].In) if (s >= 0) lastUse[s] = i;
            foreach (var s in steps[i].Implicit) lastUse[s] = i;
        }
        var keep = new bool[n];
        foreach (var s in outputSlots) keep[s] = true;
        foreach (var s in inputSlots) keep[s] = true;
        foreach (var s in freeVarSlots) keep[s] = true;
        foreach (var (s, _) in variableSlots) keep[s] = true;
        for (int s = 0; s < n; s++) if (constants[s] != null) keep[s] = true;
        for (int i = 0; i < steps.Count; i++)
        {
            var free = new List<int>();
            foreach (var s in steps[i].In.Concat(steps[i].Implicit).Distinct())
                if (s >= 0 && !keep[s] && lastUse[s] == i) free.Add(s);
            foreach (var s in steps[i].Out)
                if (s >= 0 && !keep[s] && lastUse[s] < 0 && !free.Contains(s)) free.Add(s);
            steps[i].FreeAfter = free.ToArray();
        }
    }
}
