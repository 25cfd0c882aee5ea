namespace NativeNet;

/// <summary>Batch, instance, layer, group and mean-variance normalization as composites (gradients come free).</summary>
internal static partial class OpRegistry
{
    static void RegisterNormalization()
    {
        AddMulti("BatchNormalization", BatchNorm);
        Add("InstanceNormalization", ctx =>
        {
            var x = ctx.In(0);
            if (x.Dim < 3) throw ctx.Fail($"needs [N, C, ...], got {ShapeUtil.Format(x.Shape)}");
            var dims = SpatialDims(x);
            var mean = x.Mean(dims, keepDim: true);
            var centered = x.Sub(mean);
            var var = centered.Square().Mean(dims, keepDim: true);
            var y = centered.Mul(var.Add(ctx.A.GetFloat("epsilon", 1e-5f)).Rsqrt());
            return y.Mul(ChannelParam(ctx.In(1), x)).Add(ChannelParam(ctx.In(2), x));
        });
        AddMulti("LayerNormalization", ctx =>
        {
            var x = ctx.In(0);
            int axis = ctx.Axis(ctx.A.GetInt("axis", -1), x.Dim);
            var dims = Enumerable.Range(axis, x.Dim - axis).ToArray();
            var mean = x.Mean(dims, keepDim: true);
            var centered = x.Sub(mean);
            var var = centered.Square().Mean(dims, keepDim: true);
            var inv = var.Add(ctx.A.GetFloat("epsilon", 1e-5f)).Rsqrt();
            var y = centered.Mul(inv).Mul(ctx.In(1));
            if (ctx.Opt(2) is { } bias) y = y.Add(bias);
            return [y, ctx.OutputUsed(1) ? mean : null, ctx.OutputUsed(2) ? inv : null];
        });
        Add("GroupNormalization", ctx =>
        {
            var x = ctx.In(0);
            int groups = ctx.A.GetInt32("num_groups");
            if (x.Dim < 3 || groups <= 0 || x.Shape[1] % groups != 0) throw ctx.Fail($"needs [N, C, ...] with C divisible by num_groups={groups}, got {ShapeUtil.Format(x.Shape)}");
            int n = x.Shape[0], c = x.Shape[1];
            var g = x.Reshape(n, groups, -1);
            var mean = g.Mean(2, keepDim: true);
            var centered = g.Sub(mean);
            var var = centered.Square().Mean(2, keepDim: true);
            var y = centered.Mul(var.Add(ctx.A.GetFloat("epsilon", 1e-5f)).Rsqrt()).Reshape(x.Shape.ToArray());
            Tensor scale = ctx.In(1), bias = ctx.In(2);
            if (scale.NumEl == groups && groups != c)
            {
                // Opset 18 gives one scale/bias per group.
                scale = scale.Reshape(groups, 1).Expand(groups, c / groups).Reshape(c);
                bias = bias.Reshape(groups, 1).Expand(groups, c / groups).Reshape(c);
            }
            return y.Mul(ChannelParam(scale, x)).Add(ChannelParam(bias, x));
        });
        Add("MeanVarianceNormalization", ctx =>
        {
            var x = ctx.In(0);
            var dims = (ctx.A.GetInts("axes") ?? [0, 2, 3]).Select(a => ctx.Axis(a, x.Dim)).Distinct().ToArray();
            var mean = x.Mean(dims, keepDim: true);
            var std = x.Square().Mean(dims, keepDim: true).Sub(mean.Square()).Sqrt();
            return x.Sub(mean).Div(std.Add(1e-9));
        });
        Add("LpNormalization", ctx =>
        {
            var x = ctx.In(0);
            int axis = ctx.Axis(ctx.A.GetInt("axis", -1), x.Dim);
            long p = ctx.A.GetInt("p", 2);
            var norm = p == 1 ? x.Abs().Sum(axis, keepDim: true) : x.Square().Sum(axis, keepDim: true).Sqrt();
            return x.Div(norm);
        });
    }

    /// <summary>A per-channel [C] parameter shaped to broadcast over [N, C, ...]; other shapes (BatchNorm spatial=0) broadcast as given.</summary>
    static Tensor ChannelParam(Tensor p, Tensor x)
    {
        if (p.Dim == 1) return p.Reshape([p.NumEl, .. Enumerable.Repeat(1, Math.Max(0, x.Dim - 2))]);
        return p.Unsqueeze(0);
    }

    static object?[] BatchNorm(OpContext ctx)
    {
        var x = ctx.In(0);
        Tensor scale = ctx.In(1), bias = ctx.In(2), mean = ctx.In(3), var = ctx.In(4);
        double eps = ctx.A.GetFloat("epsilon", 1e-5f), momentum = ctx.A.GetFloat("momentum", 0.9f);
        bool training = ctx.Opset >= 14 && ctx.A.GetInt("training_mode", 0) != 0;
        if (x.Dim < 2) throw ctx.Fail($"needs [N, C, ...], got {ShapeUtil.Format(x.Shape)}");
        if (!training)
        {
            var inv = ChannelParam(var, x).Add(eps).Rsqrt().Mul(ChannelParam(scale, x));
            var y = x.Sub(ChannelParam(mean, x)).Mul(inv).Add(ChannelParam(bias, x));
            return [y, null, null, null, null];
        }
        var dims = new[] { 0 }.Concat(SpatialDims(x)).ToArray();
        var bm = x.Mean(dims, keepDim: true);
        var centered = x.Sub(bm);
        var bv = centered.Square().Mean(dims, keepDim: true);
        var yt = centered.Mul(bv.Add(eps).Rsqrt()).Mul(ChannelParam(scale, x)).Add(ChannelParam(bias, x));
        var bmFlat = bm.Reshape(-1);
        var bvFlat = bv.Reshape(-1);
        var runMean = mean.Mul(momentum).Add(bmFlat.Mul(1 - momentum));
        var runVar = var.Mul(momentum).Add(bvFlat.Mul(1 - momentum));
        return [yt, runMean, runVar, null, null];
    }
}
