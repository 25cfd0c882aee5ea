namespace NativeNet;

/// <summary>One instruction of a fused elementwise chain.</summary>
internal enum FusedOp : byte
{
    Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg, Abs, Reciprocal, Floor, Ceil, Sin, Cos, Erf, LeakyRelu, ClipMin, ClipMax,
    Add, Sub, Mul, Div, Max, Min, Pow,
    /// <summary>Inference BatchNormalization: x·scale[c] + shift[c] with per-channel scale/shift from the 4 side inputs.</summary>
    BatchNorm,
}

/// <summary>
/// acc = Op(acc) for unary ops; acc = Op(acc, side) (or Op(side, acc) when <see cref="SideFirst"/>) for binary ops.
/// <see cref="Side"/> indexes the fused step's inputs (≥ 1), or is <see cref="Self"/> for Op(acc, acc).
/// </summary>
internal readonly record struct FusedInstr(FusedOp Op, int Side = -1, bool SideFirst = false, double Scalar = 0)
{
    internal const int Self = -2;
}

/// <summary>A chain of elementwise nodes compiled into one pass over memory, and the original steps it replaces.</summary>
internal sealed class FusedChain
{
    internal required FusedInstr[] Program;
    /// <summary>The original steps, run one by one when gradients are needed or the inputs do not suit the fused kernel.</summary>
    internal required PlanStep[] Parts;
    /// <summary>Set for Conv+Relu (and Conv(+Relu)+MaxPool): the convolution with the ReLU in its output pass.</summary>
    internal ConvParams? Conv;
    /// <summary>With <see cref="Conv"/>: whether a ReLU follows the convolution.</summary>
    internal bool Relu = true;
    /// <summary>
    /// With <see cref="Conv"/>: a 2×2/2 MaxPool follows, computed in the convolution's output pass (inference), or by
    /// one pooling pass that keeps one byte per window for backward (training).
    /// </summary>
    internal bool Pool;

    public override string ToString() => string.Join("+", Parts.Select(p => p.Node.OpType));
}

/// <summary>The elementwise-fusion pass.</summary>
public sealed partial class CompiledGraph
{
    static readonly Dictionary<string, FusedOp> UnaryFusable = new()
    {
        ["Relu"] = FusedOp.Relu, ["Sigmoid"] = FusedOp.Sigmoid, ["Tanh"] = FusedOp.Tanh, ["Exp"] = FusedOp.Exp, ["Log"] = FusedOp.Log,
        ["Sqrt"] = FusedOp.Sqrt, ["Neg"] = FusedOp.Neg, ["Abs"] = FusedOp.Abs, ["Reciprocal"] = FusedOp.Reciprocal,
        ["Floor"] = FusedOp.Floor, ["Ceil"] = FusedOp.Ceil, ["Sin"] = FusedOp.Sin, ["Cos"] = FusedOp.Cos, ["Erf"] = FusedOp.Erf,
        ["LeakyRelu"] = FusedOp.LeakyRelu,
    };

    static readonly Dictionary<string, FusedOp> BinaryFusable = new()
    {
        ["Add"] = FusedOp.Add, ["Sub"] = FusedOp.Sub, ["Mul"] = FusedOp.Mul, ["Div"] = FusedOp.Div, ["Max"] = FusedOp.Max,
        ["Min"] = FusedOp.Min, ["Pow"] = FusedOp.Pow,
    };

    /// <summary>Number of fused steps and of the nodes they replaced (for tests and reports).</summary>
    public (int Steps, int Nodes) FusionCount => (steps.Count(s => s.Fused != null), steps.Where(s => s.Fused != null).Sum(NodeCount));

    static int NodeCount(PlanStep s) => s.Fused == null ? 1 : s.Fused.Parts.Sum(NodeCount);

    /// <summary>
    /// How many steps read each slot (graph outputs count as two readers, so they are never fused away) and the last
    /// step that reads it: a value with one use is read only by its consumer.
    /// </summary>
    (int[] Uses, Dictionary<int, int> Consumer) Readers()
    {
        var uses = new int[slotNames.Count];
        var consumer = new Dictionary<int, int>();
        for (int i = 0; i < steps.Count; i++)
            foreach (var s in steps[i].In.Concat(steps[i].Implicit))
                if (s >= 0) { uses[s]++; consumer[s] = i; }
        foreach (var s in outputSlots) uses[s] += 2;
        return (uses, consumer);
    }

    /// <summary>
    /// Conv whose only reader is a Relu: one step that runs the convolution with the ReLU in its output pass (the
    /// activation costs no extra pass over memory). With gradients it records one ConvRelu node (ReLU's mask, then the convolution's backward).
    /// </summary>
    void FuseConvRelu()
    {
        if (!FusionEnabled) return;
        var (uses, consumer) = Readers();
        var replaced = new Dictionary<int, PlanStep>();
        var removed = new HashSet<int>();
        for (int i = 0; i < steps.Count; i++)
        {
            var conv = steps[i];
            if (conv.Node.OpType != "Conv" || conv.Node.Domain.Length != 0 || conv.Fast == null || conv.Out.Length != 1 || conv.Out[0] < 0) continue;
            int v = conv.Out[0];
            if (uses[v] != 1 || !consumer.TryGetValue(v, out int c) || c <= i) continue;
            var relu = steps[c];
            if (relu.Node.OpType != "Relu" || relu.Node.Domain.Length != 0 || relu.In.Length != 1 || relu.Out.Length != 1 || relu.Out[0] < 0) continue;
            if (ConvParams.Parse(conv.Node) is not { } p) continue;
            conv.FreeAfter = [];
            relu.FreeAfter = [v];
            replaced[c] = new PlanStep
            {
                Node = relu.Node, Def = relu.Def, Opset = relu.Opset, In = conv.In, Out = relu.Out, Implicit = [],
                Fused = new FusedChain { Program = [], Parts = [conv, relu], Conv = p },
            };
            removed.Add(i);
        }
        steps = steps.Select((s, i) => replaced.TryGetValue(i, out var r) ? r : s).Where((_, i) => !removed.Contains(i)).ToList();
    }

    /// <summary>
    /// Conv (or Conv+Relu) whose only reader is a 2×2/stride-2 MaxPool: one step. The convolution pools each sample's
    /// planes while they are in cache, so the full-size activation is never written; with gradients autograd keeps one
    /// byte per window and the backward unpools inside the convolution's backward (<c>Tensor.Conv2dMaxPool2x2</c>).
    /// </summary>
    void FuseConvPool()
    {
        if (!FusionEnabled) return;
        var (uses, consumer) = Readers();
        var replaced = new Dictionary<int, PlanStep>();
        var removed = new HashSet<int>();
        for (int i = 0; i < steps.Count; i++)
        {
            var conv = steps[i];
            ConvParams? p;
            bool relu;
            if (conv.Fused is { Conv: { } cp, Pool: false }) { p = cp; relu = conv.Fused.Relu; }
            else if (conv.Fused == null && conv.Node.OpType == "Conv" && conv.Node.Domain.Length == 0 && conv.Fast != null) { p = ConvParams.Parse(conv.Node); relu = false; }
            else continue;
            if (p == null || conv.Out.Length != 1 || conv.Out[0] < 0) continue;
            int v = conv.Out[0];
            if (uses[v] != 1 || !consumer.TryGetValue(v, out int c) || c <= i) continue;
            var pool = steps[c];
            if (pool.Node.OpType != "MaxPool" || pool.Node.Domain.Length != 0 || pool.In.Length != 1 || pool.Out.Length < 1 || pool.Out[0] < 0
                || pool.Out.Skip(1).Any(o => o >= 0) || PoolParams.Parse(pool.Node, pool.Opset) is not { IsMax2x2Stride2: true }) continue;
            conv.FreeAfter = [];
            pool.FreeAfter = [v];
            replaced[c] = new PlanStep
            {
                Node = pool.Node, Def = pool.Def, Opset = pool.Opset, In = conv.In, Out = [pool.Out[0]], Implicit = [],
                Fused = new FusedChain { Program = [], Parts = [conv, pool], Conv = p, Relu = relu, Pool = true },
            };
            removed.Add(i);
        }
        steps = steps.Select((s, i) => replaced.TryGetValue(i, out var r) ? r : s).Where((_, i) => !removed.Contains(i)).ToList();
    }

    /// <summary>Whether a step can join a fused chain (the op, its attributes and constant inputs allow it).</summary>
    bool Fusable(PlanStep st)
    {
        var n = st.Node;
        if (n.Domain.Length != 0 || st.Out.Length < 1 || st.Out[0] < 0 || st.Implicit.Length > 0) return false;
        if (st.Out.Skip(1).Any(o => o >= 0)) return false;
        if (UnaryFusable.ContainsKey(n.OpType)) return st.In.Length == 1 && st.In[0] >= 0;
        if (BinaryFusable.ContainsKey(n.OpType)) return st.In.Length == 2 && st.In[0] >= 0 && st.In[1] >= 0 && (st.Opset >= 7 || n.Attributes.GetInt("broadcast", 0) == 0);
        if (n.OpType == "Clip")
        {
            if (st.In.Length == 0 || st.In[0] < 0) return false;
            if (st.Opset < 11) return true;
            for (int k = 1; k < st.In.Length; k++) if (st.In[k] >= 0 && constants[st.In[k]] is not Tensor { NumEl: 1, RequiresGrad: false }) return false;
            return true;
        }
        if (n.OpType == "BatchNormalization")
            return st.Opset >= 9 && st.In.Length == 5 && st.In.All(s => s >= 0) && n.Attributes.GetInt("training_mode", 0) == 0;
        return false;
    }

    /// <summary>
    /// Groups chains of elementwise steps whose intermediate values have exactly one reader (and are not graph outputs)
    /// into one fused step placed at the chain's last node. Binary steps join when the chain value is one of their
    /// operands; the other operand (a constant, a broadcast bias, or any earlier value) is a side input of the fused step.
    /// </summary>
    void FuseElementwise()
    {
        if (!FusionEnabled) return;
        var uses = new int[slotNames.Count];
        foreach (var st in steps)
        {
            foreach (var s in st.In) if (s >= 0) uses[s]++;
            foreach (var s in st.Implicit) uses[s]++;
        }
        foreach (var s in outputSlots) uses[s] += 2; // never fuse through a graph output
        var consumer = new Dictionary<int, int>();
        for (int i = 0; i < steps.Count; i++)
            foreach (var s in steps[i].In.Concat(steps[i].Implicit))
                if (s >= 0) consumer[s] = i;
        var absorbed = new bool[steps.Count];
        var chainAt = new Dictionary<int, List<int>>();
        for (int i = 0; i < steps.Count; i++)
        {
            if (absorbed[i] || !Fusable(steps[i])) continue;
            var chain = new List<int> { i };
            int cur = i;
            while (true)
            {
                int v = steps[cur].Out[0];
                if (uses[v] != 1 || !consumer.TryGetValue(v, out int c) || c <= cur || absorbed[c] || !Fusable(steps[c])) break;
                var next = steps[c];
                bool main = next.In[0] == v || (BinaryFusable.ContainsKey(next.Node.OpType) && next.In[1] == v);
                if (!main) break;
                chain.Add(c);
                absorbed[c] = true;
                cur = c;
            }
            chainAt[chain[^1]] = chain;
            foreach (var k in chain) absorbed[k] = true;
        }
        var result = new List<PlanStep>(steps.Count);
        var inChain = new HashSet<int>(chainAt.Values.SelectMany(c => c));
        for (int i = 0; i < steps.Count; i++)
        {
            if (chainAt.TryGetValue(i, out var chain)) result.Add(MakeFused(chain.Select(k => steps[k]).ToArray()));
            else if (!inChain.Contains(i)) result.Add(steps[i]);
        }
        steps = result;
    }

    PlanStep MakeFused(PlanStep[] parts)
    {
        var ins = new List<int>();
        int SideOf(int slot)
        {
            int k = ins.IndexOf(slot);
            if (k < 0) { ins.Add(slot); k = ins.Count - 1; }
            return k;
        }
        var first = parts[0];
        // The chain's main input: the first input, unless it is a constant and the other is not.
        int head = first.In[0];
        if (BinaryFusable.ContainsKey(first.Node.OpType) && constants[first.In[0]] != null && constants[first.In[1]] == null) head = first.In[1];
        ins.Add(head);
        var program = new List<FusedInstr>();
        int value = head;
        foreach (var p in parts)
        {
            var n = p.Node;
            if (UnaryFusable.TryGetValue(n.OpType, out var u))
                program.Add(new FusedInstr(u, Scalar: u == FusedOp.LeakyRelu ? n.Attributes.GetFloat("alpha", 0.01f) : 0));
            else if (BinaryFusable.TryGetValue(n.OpType, out var b))
            {
                int a0 = p.In[0], a1 = p.In[1];
                if (a0 == value && a1 == value) program.Add(new FusedInstr(b, FusedInstr.Self));
                else if (a0 == value) program.Add(new FusedInstr(b, SideOf(a1)));
                else program.Add(new FusedInstr(b, SideOf(a0), SideFirst: true));
            }
            else if (n.OpType == "Clip")
            {
                double? lo, hi;
                if (p.Opset < 11)
                {
                    lo = n.Attributes.Has("min") ? n.Attributes.GetFloat("min") : null;
                    hi = n.Attributes.Has("max") ? n.Attributes.GetFloat("max") : null;
                }
                else
                {
                    lo = p.In.Length > 1 && p.In[1] >= 0 ? ((Tensor)constants[p.In[1]]!).Item() : null;
                    hi = p.In.Length > 2 && p.In[2] >= 0 ? ((Tensor)constants[p.In[2]]!).Item() : null;
                }
                // Clip with min > max gives max everywhere (the ONNX kernel's rule): max then min does exactly that.
                if (lo is double l) program.Add(new FusedInstr(FusedOp.ClipMin, Scalar: l));
                if (hi is double h) program.Add(new FusedInstr(FusedOp.ClipMax, Scalar: h));
            }
            else // BatchNormalization: scale, B, mean, var as four consecutive side inputs
            {
                int s0 = ins.Count;
                ins.AddRange(p.In[1..5]);
                program.Add(new FusedInstr(FusedOp.BatchNorm, s0, Scalar: n.Attributes.GetFloat("epsilon", 1e-5f)));
            }
            value = p.Out[0];
        }
        // In the unfused fallback each intermediate dies as soon as the next part has read it.
        for (int i = 1; i < parts.Length; i++) parts[i].FreeAfter = [parts[i - 1].Out[0]];
        parts[0].FreeAfter = [];
        var last = parts[^1];
        return new PlanStep
        {
            Node = last.Node, Def = last.Def, Opset = last.Opset, In = ins.ToArray(), Out = [last.Out[0]], Implicit = [],
            Fused = new FusedChain { Program = program.ToArray(), Parts = parts },
        };
    }
}
