namespace NativeNet;

/// <summary>Sequence ops (lists of tensors) and optional values.</summary>
internal static partial class OpRegistry
{
    static void RegisterSequences()
    {
        AddMulti("SequenceEmpty", ctx => [new TensorSequence(DTypeAttr(ctx, "dtype", DType.Float32))], DTypeAttrCheck("dtype"));
        AddMulti("SequenceConstruct", ctx =>
        {
            var items = Enumerable.Range(0, ctx.InputCount).Select(ctx.In).ToList();
            if (items.Count == 0) throw ctx.Fail("needs at least one input");
            if (items.Any(t => t.DType != items[0].DType)) throw ctx.Fail("all tensors of a sequence must share a dtype");
            return [new TensorSequence(items[0].DType, items)];
        });
        AddMulti("SequenceInsert", ctx =>
        {
            var seq = ctx.Seq(0);
            var t = ctx.In(1);
            if (seq.Items.Count > 0 && t.DType != seq.DType) throw ctx.Fail($"cannot insert a {t.DType.Name()} tensor into a {seq.DType.Name()} sequence");
            int n = seq.Items.Count, pos = n;
            if (ctx.Has(2))
            {
                long p = (long)ctx.Scalar(2);
                if (p < -n || p > n) throw ctx.Fail($"position {p} is out of range [-{n}, {n}]");
                pos = (int)(p < 0 ? p + n : p);
            }
            var r = new TensorSequence(seq.Items.Count == 0 ? t.DType : seq.DType, seq.Items);
            r.Items.Insert(pos, t);
            return [r];
        });
        Add("SequenceAt", ctx =>
        {
            var seq = ctx.Seq(0);
            return seq.Items[SeqPosition(ctx, (long)ctx.Scalar(1), seq.Items.Count)];
        });
        AddMulti("SequenceErase", ctx =>
        {
            var seq = ctx.Seq(0);
            if (seq.Items.Count == 0) throw ctx.Fail("cannot erase from an empty sequence");
            int pos = ctx.Has(1) ? SeqPosition(ctx, (long)ctx.Scalar(1), seq.Items.Count) : seq.Items.Count - 1;
            var r = new TensorSequence(seq.DType, seq.Items);
            r.Items.RemoveAt(pos);
            return [r];
        });
        Add("SequenceLength", ctx => Tensor.Scalar(ctx.Seq(0).Items.Count, DType.Int64));
        Add("ConcatFromSequence", ctx =>
        {
            var seq = ctx.Seq(0);
            if (seq.Items.Count == 0) throw ctx.Fail("cannot concatenate an empty sequence");
            bool newAxis = ctx.A.GetInt("new_axis", 0) != 0;
            int axis = ctx.Axis(ctx.A.GetInt("axis"), seq.Items[0].Dim + (newAxis ? 1 : 0));
            return newAxis ? Tensor.Stack(seq.Items, axis) : Tensor.Cat(seq.Items, axis);
        });
        AddMulti("SplitToSequence", ctx =>
        {
            var x = ctx.In(0);
            int axis = ctx.Axis(ctx.A.GetInt("axis", 0), x.Dim);
            Tensor[] parts;
            if (!ctx.Has(1))
            {
                parts = x.Split(1, axis);
                if (ctx.A.GetInt("keepdims", 1) == 0) parts = parts.Select(p => p.Squeeze(axis)).ToArray();
            }
            else
            {
                var s = ctx.In(1);
                var v = ctx.Ints(1);
                if (s.Dim == 0)
                {
                    if (v[0] <= 0) throw ctx.Fail($"split size must be positive, got {v[0]}");
                    parts = x.Split((int)Math.Min(v[0], int.MaxValue), axis);
                }
                else parts = x.Split(ctx.Int32s(v, "split"), axis);
            }
            return [new TensorSequence(x.DType, parts)];
        });
        AddMulti("SequenceMap", SequenceMap);
        AddMulti("Optional", ctx => [ctx.Has(0) ? ctx.Inputs[0] : null]);
        Add("OptionalHasElement", ctx => Tensor.Scalar(ctx.Has(0) ? 1 : 0, DType.Bool));
        AddMulti("OptionalGetElement", ctx =>
        {
            if (!ctx.Has(0)) throw ctx.Fail("the optional value is empty");
            return [ctx.Inputs[0]];
        });
    }

    static int SeqPosition(OpContext ctx, long pos, int count)
    {
        if (pos < -count || pos >= count) throw ctx.Fail($"position {pos} is out of range for a sequence of {count}");
        return (int)(pos < 0 ? pos + count : pos);
    }

    static object?[] SequenceMap(OpContext ctx)
    {
        var body = ctx.A.GetGraph("body");
        var first = ctx.Seq(0);
        int count = first.Items.Count;
        var results = Enumerable.Range(0, body.Outputs.Count).Select(_ => new List<Tensor>()).ToArray();
        for (int i = 0; i < count; i++)
        {
            var args = new object?[ctx.InputCount];
            for (int k = 0; k < ctx.InputCount; k++)
                args[k] = ctx.Inputs[k] switch
                {
                    TensorSequence s => s.Items.Count == count ? s.Items[i] : throw ctx.Fail("all input sequences must have the same length"),
                    var v => v,
                };
            var outs = ctx.RunSubgraph(body, args);
            for (int k = 0; k < outs.Length; k++) results[k].Add(outs[k] as Tensor ?? throw ctx.Fail("body outputs must be tensors"));
        }
        return results.Select((r, k) => (object?)new TensorSequence(r.Count > 0 ? r[0].DType : body.Outputs[k].DType ?? DType.Float32, r)).ToArray();
    }
}
