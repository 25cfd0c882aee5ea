using System.Numerics;
using System.Numerics.Tensors;

namespace NativeNet;

/// <summary>Runs fused steps: resolves side operands, picks the output buffer (in place when the input dies here), calls the kernel.</summary>
public sealed partial class CompiledGraph
{
    /// <summary>
    /// Runs a fused chain in one pass. Returns false (the caller then runs the original steps) when gradients are
    /// needed, a tracer is recording, the dtype is not float32/float64, or a side operand would broadcast the chain
    /// value to a larger shape.
    /// </summary>
    bool TryRunFused(PlanStep st, ExecutionFrame frame)
    {
        if (GraphTracer.Current != null) return false;
        var slots = frame.Slots;
        var ins = frame.Scratch(st.In.Length);
        try
        {
            if (st.Fused!.Conv is { } conv) return RunConvRelu(st, conv, ins, frame);
            bool grad = Autograd.IsGradEnabled;
            for (int k = 0; k < ins.Length; k++)
            {
                if (slots[st.In[k]] is not Tensor t || t.Device != Device.Cpu || (grad && t.RequiresGrad)) return false;
                ins[k] = t;
            }
            var main = ins[0]!;
            for (int k = 1; k < ins.Length; k++) if (ins[k]!.DType != main.DType) return false;
            return main.DType switch
            {
                DType.Float32 => RunFused<float>(st, ins!, slots, frame.Owned),
                DType.Float64 => RunFused<double>(st, ins!, slots, frame.Owned),
                _ => false,
            };
        }
        finally
        {
            Array.Clear(ins);
        }
    }

    /// <summary>
    /// Conv with the ReLU in its output pass, with gradients too (the fused op's backward is built from its parts); or
    /// Conv(+Relu)+MaxPool: in one pass without gradients, and with gradients as the convolution followed by one pass
    /// that pools and keeps one byte per window for a backward that does MaxPool's and ReLU's part in one pass.
    /// </summary>
    static bool RunConvRelu(PlanStep st, ConvParams conv, Tensor?[] ins, ExecutionFrame frame)
    {
        var slots = frame.Slots;
        bool pool = st.Fused!.Pool;
        for (int k = 0; k < ins.Length; k++)
        {
            if (st.In[k] < 0) continue;
            if (slots[st.In[k]] is not Tensor t) return false;
            ins[k] = t;
        }
        Tensor? y;
        try
        {
            y = !pool ? conv.Run(ins, relu: true) : conv.RunPooled(ins, st.Fused.Relu);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            throw new GraphExecutionException("Conv", st.Fused!.Parts[0].Node.Name, e.Message, e);
        }
        if (y == null) return false;
        slots[st.Out[0]] = y;
        frame.Owned[st.Out[0]] = true;
        return true;
    }

    unsafe bool RunFused<T>(PlanStep st, Tensor[] ins, object?[] slots, bool[] owned) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var main = ins[0];
        int[] shape = main.shape;
        var program = st.Fused!.Program;
        var sides = new FusedSide<T>[ins.Length];
        Span<bool> resolved = stackalloc bool[ins.Length];
        List<Tensor>? temps = null; // made on first use: most chains need no temporaries
        try
        {
            foreach (var instr in program)
            {
                if (instr.Op == FusedOp.BatchNorm)
                {
                    if (!BatchNormSide(ins, instr, shape, ref temps, out sides[instr.Side])) return false;
                }
                else if (instr.Side >= 0 && !resolved[instr.Side])
                {
                    if (!ResolveSide(ins[instr.Side], shape, ref temps, out sides[instr.Side])) return false;
                    resolved[instr.Side] = true;
                }
            }
            int head = st.In[0];
            // In place only when nothing reads the head's original values after the first instruction (side 0 is the head).
            bool inPlace = owned[head] && Array.IndexOf(st.FreeAfter, head) >= 0 && !resolved[0] && Array.IndexOf(st.In, head, 1) < 0
                && main.IsContiguous && main.storage.RefCount == 1 && !main.RequiresGrad && main.gradFn == null;
            var src = main.IsContiguous ? main : main.Contiguous();
            if (!ReferenceEquals(src, main)) AddTemp(ref temps, src);
            var y = inPlace ? main : Tensor.Empty(shape, main.DType, Device.Cpu);
            if (main.NumEl > 0) FusedKernel.Run(program, sides, (T*)Backends.Cpu.CpuBackend.P<T>(src.View), Backends.Cpu.CpuBackend.P<T>(y.View), main.NumEl);
            if (inPlace)
            {
                slots[head] = null;
                owned[head] = false;
                InPlaceSteps++;
            }
            slots[st.Out[0]] = y;
            owned[st.Out[0]] = true;
            return true;
        }
        finally
        {
            if (temps != null) foreach (var t in temps) t.Dispose();
        }
    }

    static void AddTemp(ref List<Tensor>? temps, Tensor t) => (temps ??= new List<Tensor>()).Add(t);

    /// <summary>Number of fused steps that wrote into their dying input's buffer (counted over all runs).</summary>
    internal long InPlaceSteps;

    /// <summary>Classifies how <paramref name="side"/> broadcasts over <paramref name="shape"/>; false if it would enlarge it.</summary>
    static unsafe bool ResolveSide<T>(Tensor side, int[] shape, ref List<Tensor>? temps, out FusedSide<T> r) where T : unmanaged
    {
        r = default;
        int rank = shape.Length;
        var ss = side.shape;
        if (ss.Length > rank) return false;
        var sd = new int[rank];
        for (int i = 0; i < rank; i++) sd[i] = i < rank - ss.Length ? 1 : ss[i - (rank - ss.Length)];
        for (int i = 0; i < rank; i++) if (sd[i] != 1 && sd[i] != shape[i]) return false;
        if (side.NumEl == 1)
        {
            r.Kind = SideKind.Scalar;
            r.Value = *Backends.Cpu.CpuBackend.P<T>(side.View);
            return true;
        }
        // Matched dims (side size = chain size > 1) must form one run for the Trailing/Channel patterns.
        int first = -1, last = -1;
        bool oneRun = true;
        for (int i = 0; i < rank; i++)
        {
            if (shape[i] == 1) continue;
            if (sd[i] == shape[i])
            {
                if (first < 0) first = i;
                else if (last < i - 1 && Enumerable.Range(last + 1, i - last - 1).Any(j => shape[j] != 1)) oneRun = false;
                last = i;
            }
        }
        var data = side.IsContiguous ? side : side.Contiguous();
        if (!ReferenceEquals(data, side)) AddTemp(ref temps, data);
        if (!oneRun)
        {
            using (Autograd.NoGrad())
            {
                using var e = data.Expand(shape);
                data = e.Contiguous();
            }
            AddTemp(ref temps, data);
            r.Kind = SideKind.Full;
            r.Data = Backends.Cpu.CpuBackend.P<T>(data.View);
            return true;
        }
        int inner = 1;
        for (int i = last + 1; i < rank; i++) inner *= shape[i];
        r.Data = Backends.Cpu.CpuBackend.P<T>(data.View);
        r.Mid = data.NumEl;
        r.Inner = inner;
        r.Kind = data.NumEl == ShapeUtil.NumEl(shape) ? SideKind.Full : inner == 1 ? SideKind.Trailing : SideKind.Channel;
        return true;
    }

    /// <summary>Per-channel scale = w / sqrt(var + eps) and shift = b - mean·scale (as F.BatchNorm's eval path computes them).</summary>
    static unsafe bool BatchNormSide<T>(Tensor[] ins, FusedInstr instr, int[] shape, ref List<Tensor>? temps, out FusedSide<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        r = default;
        if (shape.Length < 2) return false;
        int c = shape[1];
        var p = new Tensor[4];
        for (int k = 0; k < 4; k++)
        {
            var t = ins[instr.Side + k];
            if (t.NumEl != c || t.Dim != 1) return false;
            p[k] = t.IsContiguous ? t : t.Contiguous();
            if (!ReferenceEquals(p[k], t)) AddTemp(ref temps, p[k]);
        }
        var scale = Tensor.Empty([c], p[0].DType, Device.Cpu);
        var shift = Tensor.Empty([c], p[0].DType, Device.Cpu);
        AddTemp(ref temps, scale);
        AddTemp(ref temps, shift);
        var sc = new Span<T>(Backends.Cpu.CpuBackend.P<T>(scale.View), c);
        var sh = new Span<T>(Backends.Cpu.CpuBackend.P<T>(shift.View), c);
        ReadOnlySpan<T> w = new(Backends.Cpu.CpuBackend.P<T>(p[0].View), c), b = new(Backends.Cpu.CpuBackend.P<T>(p[1].View), c),
            mean = new(Backends.Cpu.CpuBackend.P<T>(p[2].View), c), var = new(Backends.Cpu.CpuBackend.P<T>(p[3].View), c);
        TensorPrimitives.Add(var, T.CreateTruncating(instr.Scalar), sc);
        TensorPrimitives.ReciprocalSqrt(sc, sc);
        TensorPrimitives.Multiply(sc, w, sc);
        TensorPrimitives.Multiply(mean, sc, sh);
        TensorPrimitives.Subtract(b, sh, sh);
        int inner = 1;
        for (int i = 2; i < shape.Length; i++) inner *= shape[i];
        r.Kind = SideKind.Channel;
        r.Data = (T*)Backends.Cpu.CpuBackend.P<T>(scale.View);
        r.Shift = Backends.Cpu.CpuBackend.P<T>(shift.View);
        r.Mid = c;
        r.Inner = Math.Max(inner, 1);
        return true;
    }
}
