namespace NativeNet;

/// <summary>
/// Random ops. With a 'seed' attribute a node draws from its own counter-based stream (the same values every run); without
/// one it draws from the global generator (<c>Tensor.ManualSeed</c>). The streams are NativeNet's, not NumPy's, so values
/// differ from other runtimes. Never constant-folded.
/// </summary>
internal static partial class OpRegistry
{
    static void RegisterRandom()
    {
        const OpTraits random = OpTraits.NonDeterministic;
        Add("RandomUniform", ctx => Draw(ctx, ctx.Guard(ctx.A.GetInts32("shape") ?? throw ctx.Fail("shape is required")), DType.Float32, false), DTypeAttrCheck("dtype"), random);
        Add("RandomNormal", ctx => Draw(ctx, ctx.Guard(ctx.A.GetInts32("shape") ?? throw ctx.Fail("shape is required")), DType.Float32, true), DTypeAttrCheck("dtype"), random);
        Add("RandomUniformLike", ctx => Draw(ctx, ctx.In(0).Shape.ToArray(), ctx.In(0).DType.IsFloatingPoint() ? ctx.In(0).DType : DType.Float32, false), DTypeAttrCheck("dtype"), random);
        Add("RandomNormalLike", ctx => Draw(ctx, ctx.In(0).Shape.ToArray(), ctx.In(0).DType.IsFloatingPoint() ? ctx.In(0).DType : DType.Float32, true), DTypeAttrCheck("dtype"), random);
        Add("Bernoulli", ctx =>
        {
            var p = ctx.In(0);
            var u = Uniform(ctx, p.Shape.ToArray(), DType.Float64, 0, 1);
            using var hit = u.Lt(p.To(DType.Float64));
            return hit.To(DTypeAttr(ctx, "dtype", p.DType));
        }, DTypeAttrCheck("dtype"), random);
        Add("Multinomial", ctx =>
        {
            var logits = ctx.In(0);
            if (logits.Dim != 2) throw ctx.Fail($"input must be [batch, classes], got {ShapeUtil.Format(logits.Shape)}");
            int samples = ctx.A.GetInt32("sample_size", 1), batch = logits.Shape[0], classes = logits.Shape[1];
            ctx.Guard((long)batch * Math.Max(samples, 0));
            var probs = logits.To(DType.Float64).Softmax(1).ToArray<double>();
            var u = Uniform(ctx, [batch, samples], DType.Float64, 0, 1).ToArray<double>();
            var r = new long[batch * samples];
            for (int b = 0; b < batch; b++)
                for (int s = 0; s < samples; s++)
                {
                    double acc = 0, target = u[b * samples + s];
                    int k = 0;
                    for (; k < classes - 1; k++) { acc += probs[b * classes + k]; if (target < acc) break; }
                    r[b * samples + s] = k;
                }
            return Tensor.FromArray(r, [batch, samples]).To(DTypeAttr(ctx, "dtype", DType.Int32));
        }, DTypeAttrCheck("dtype"), random);
    }

    static Tensor Draw(OpContext ctx, int[] shape, DType fallback, bool normal)
    {
        var dt = DTypeAttr(ctx, "dtype", fallback);
        if (!dt.IsFloatingPoint()) throw ctx.Fail($"dtype must be floating point, got {dt.Name()}");
        return normal
            ? Uniform(ctx, shape, dt, ctx.A.GetFloat("mean", 0f), ctx.A.GetFloat("scale", 1f), normal: true)
            : Uniform(ctx, shape, dt, ctx.A.GetFloat("low", 0f), ctx.A.GetFloat("high", 1f));
    }

    static Tensor Uniform(OpContext ctx, int[] shape, DType dt, double a, double b, bool normal = false)
    {
        if (!ctx.A.Has("seed")) return normal ? Tensor.Randn(shape, a, b, dt) : Tensor.Rand(shape, a, b, dt);
        var t = Tensor.Empty(shape, dt);
        t.Backend.Random(t.View, normal, a, b, (ulong)BitConverter.SingleToInt32Bits(ctx.A.GetFloat("seed")), 0);
        return t;
    }
}
