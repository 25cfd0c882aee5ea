namespace NativeNet;

/// <summary>RNN, GRU and LSTM (ONNX gate layouts, directions, sequence lengths, peepholes, clip) unrolled over time as composites.</summary>
internal static partial class OpRegistry
{
    static void RegisterRecurrent()
    {
        AddMulti("RNN", ctx => Recurrent(ctx, RnnKind.Rnn));
        AddMulti("GRU", ctx => Recurrent(ctx, RnnKind.Gru));
        AddMulti("LSTM", ctx => Recurrent(ctx, RnnKind.Lstm));
    }

    enum RnnKind { Rnn, Gru, Lstm }

    /// <summary>The activation functions ONNX recurrent ops name, with their alpha/beta.</summary>
    static Func<Tensor, Tensor> Activation(OpContext ctx, string name, ref int ai, ref int bi, float[] alphas, float[] betas)
    {
        float A(float d, ref int i) => i < alphas.Length ? alphas[i++] : d;
        float B(float d, ref int i) => i < betas.Length ? betas[i++] : d;
        switch (name.ToLowerInvariant())
        {
            case "sigmoid": return x => x.Sigmoid();
            case "tanh": return x => x.Tanh();
            case "relu": return x => x.Relu();
            case "softsign": return x => x.Div(x.Abs().Add(1.0));
            case "softplus": return x => x.Softplus();
            case "leakyrelu": { double a = A(0.01f, ref ai); return x => x.LeakyRelu(a); }
            case "elu": { double a = A(1f, ref ai); return x => x.Elu(a); }
            case "thresholdedrelu":
                {
                    double a = A(1f, ref ai);
                    return x => Tensor.Where(x.Gt(a), x, Tensor.Scalar(0, x.DType));
                }
            case "affine": { double a = A(1f, ref ai), b = B(0f, ref bi); return x => x.Mul(a).Add(b); }
            case "scaledtanh": { double a = A(1f, ref ai), b = B(1f, ref bi); return x => x.Mul(b).Tanh().Mul(a); }
            case "hardsigmoid": { double a = A(0.2f, ref ai), b = B(0.5f, ref bi); return x => x.Mul(a).Add(b).Clamp(0, 1); }
            default: throw ctx.Fail($"unknown activation '{name}'");
        }
    }

    static object?[] Recurrent(OpContext ctx, RnnKind kind)
    {
        int gates = kind switch { RnnKind.Rnn => 1, RnnKind.Gru => 3, _ => 4 };
        var x = ctx.In(0);
        var w = ctx.In(1);
        var r = ctx.In(2);
        int layout = ctx.A.GetInt32("layout", 0);
        if (x.Dim != 3) throw ctx.Fail($"X must be 3-D, got {ShapeUtil.Format(x.Shape)}");
        if (layout == 1) x = x.Transpose(0, 1);
        int seq = x.Shape[0], batch = x.Shape[1];
        int hidden = ctx.A.GetInt32("hidden_size", r.Shape[^1]);
        string direction = ctx.A.GetString("direction", "forward");
        int dirs = direction == "bidirectional" ? 2 : 1;
        if (w.Dim != 3 || w.Shape[0] != dirs || w.Shape[1] != gates * hidden)
            throw ctx.Fail($"W must be [{dirs}, {gates * hidden}, input], got {ShapeUtil.Format(w.Shape)}");
        var b = ctx.Opt(3);
        var lens = ctx.Has(4) ? ctx.Ints(4) : null;
        var h0 = ctx.Opt(5);
        var c0 = kind == RnnKind.Lstm ? ctx.Opt(6) : null;
        var p = kind == RnnKind.Lstm ? ctx.Opt(7) : null;
        if (layout == 1)
        {
            h0 = h0?.Transpose(0, 1);
            c0 = c0?.Transpose(0, 1);
        }
        double? clip = ctx.A.Has("clip") ? ctx.A.GetFloat("clip") : null;
        var alphas = ctx.A.GetFloats("activation_alpha") ?? [];
        var betas = ctx.A.GetFloats("activation_beta") ?? [];
        var names = ctx.A.GetStrings("activations") ?? [];
        int perDir = kind == RnnKind.Rnn ? 1 : 2 + (kind == RnnKind.Lstm ? 1 : 0);
        if (names.Length == 0) names = Enumerable.Repeat(kind == RnnKind.Rnn ? new[] { "Tanh" } : kind == RnnKind.Gru ? ["Sigmoid", "Tanh"] : ["Sigmoid", "Tanh", "Tanh"], dirs).SelectMany(a => a).ToArray();
        if (names.Length != perDir * dirs) throw ctx.Fail($"expects {perDir * dirs} activations, got {names.Length}");
        int ai = 0, bi = 0;
        var acts = names.Select(n => Activation(ctx, n, ref ai, ref bi, alphas, betas)).ToArray();
        bool lbr = ctx.A.GetInt("linear_before_reset", 0) != 0;
        bool coupled = ctx.A.GetInt("input_forget", 0) != 0;

        // valid[t] is [batch, 1]: 1 while t < sequence length.
        Tensor[]? valid = null;
        if (lens != null)
        {
            valid = new Tensor[seq];
            for (int t = 0; t < seq; t++)
                valid[t] = Tensor.FromArray(lens.Select(l => t < l).ToArray(), [batch, 1]);
        }
        var ys = new Tensor[dirs];
        var hs = new Tensor[dirs];
        var cs = new Tensor[dirs];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var wd = w.Select(0, d);
            var rd = r.Select(0, d);
            var bd = b?.Select(0, d);
            var h = h0?.Select(0, d) ?? Tensor.Zeros([batch, hidden], x.DType);
            var c = c0?.Select(0, d) ?? Tensor.Zeros([batch, hidden], x.DType);
            var f = acts[d * perDir];
            var g = perDir > 1 ? acts[d * perDir + 1] : f;
            var hAct = perDir > 2 ? acts[d * perDir + 2] : g;
            // Input projections for all steps at once: [seq, batch, gates*hidden].
            var xw = x.MatMul(wd.T);
            if (bd != null) xw = xw.Add(bd.Narrow(0, 0, gates * hidden));
            var rb = bd?.Narrow(0, gates * hidden, gates * hidden);
            var outs = new Tensor[seq];
            for (int step = 0; step < seq; step++)
            {
                int t = reverse ? seq - 1 - step : step;
                var xt = xw.Select(0, t);
                if (reverse && lens != null) xt = ReverseWithin(xw, lens, step, batch);
                Tensor hNew, cNew = c;
                switch (kind)
                {
                    case RnnKind.Rnn:
                        {
                            var a = xt.Add(h.MatMul(rd.T));
                            if (rb != null) a = a.Add(rb);
                            hNew = f(Clip(a, clip));
                            break;
                        }
                    case RnnKind.Gru:
                        {
                            var rz = rd.Narrow(0, 0, 2 * hidden);
                            var rh = rd.Narrow(0, 2 * hidden, hidden);
                            var zr = xt.Narrow(1, 0, 2 * hidden).Add(h.MatMul(rz.T));
                            if (rb != null) zr = zr.Add(rb.Narrow(0, 0, 2 * hidden));
                            zr = f(Clip(zr, clip));
                            var z = zr.Narrow(1, 0, hidden);
                            var rg = zr.Narrow(1, hidden, hidden);
                            var rbh = rb?.Narrow(0, 2 * hidden, hidden);
                            Tensor pre;
                            if (lbr)
                            {
                                var hr = h.MatMul(rh.T);
                                if (rbh != null) hr = hr.Add(rbh);
                                pre = xt.Narrow(1, 2 * hidden, hidden).Add(rg.Mul(hr));
                            }
                            else
                            {
                                pre = xt.Narrow(1, 2 * hidden, hidden).Add(rg.Mul(h).MatMul(rh.T));
                                if (rbh != null) pre = pre.Add(rbh);
                            }
                            var hh = g(Clip(pre, clip));
                            hNew = z.RSub(1).Mul(hh).Add(z.Mul(h));
                            break;
                        }
                    default:
                        {
                            var a = xt.Add(h.MatMul(rd.T));
                            if (rb != null) a = a.Add(rb);
                            a = Clip(a, clip);
                            Tensor ig = a.Narrow(1, 0, hidden), og = a.Narrow(1, hidden, hidden), fg = a.Narrow(1, 2 * hidden, hidden), cg = a.Narrow(1, 3 * hidden, hidden);
                            var pd = p?.Select(0, d);
                            if (pd != null)
                            {
                                ig = ig.Add(pd.Narrow(0, 0, hidden).Mul(c));
                                fg = fg.Add(pd.Narrow(0, 2 * hidden, hidden).Mul(c));
                            }
                            var i = f(ig);
                            var fo = coupled ? i.RSub(1) : f(fg);
                            cNew = fo.Mul(c).Add(i.Mul(g(cg)));
                            if (pd != null) og = og.Add(pd.Narrow(0, hidden, hidden).Mul(cNew));
                            hNew = f(og).Mul(hAct(cNew));
                            break;
                        }
                }
                if (valid != null)
                {
                    var m = valid[step];
                    var zero = Tensor.Scalar(0, x.DType);
                    outs[t] = Tensor.Where(m, hNew, zero);
                    h = Tensor.Where(m, hNew, h);
                    c = Tensor.Where(m, cNew, c);
                }
                else
                {
                    outs[t] = hNew;
                    h = hNew;
                    c = cNew;
                }
            }
            if (reverse && lens != null) outs = ReverseOutputs(outs, lens, batch);
            ys[d] = Tensor.Stack(outs, 0);
            hs[d] = h;
            cs[d] = c;
        }
        var y = Tensor.Stack(ys, 1);
        var yh = Tensor.Stack(hs, 0);
        var yc = Tensor.Stack(cs, 0);
        if (layout == 1)
        {
            y = y.Permute(2, 0, 1, 3);
            yh = yh.Transpose(0, 1);
            yc = yc.Transpose(0, 1);
        }
        return kind == RnnKind.Lstm ? [y, yh, yc] : [y, yh];
    }

    static Tensor Clip(Tensor x, double? clip) => clip is double c ? x.Clamp(-c, c) : x;

    /// <summary>With sequence lengths, reverse direction step s reads x[len-1-s] of each batch entry (padding steps read anything).</summary>
    static Tensor ReverseWithin(Tensor xw, long[] lens, int step, int batch)
    {
        var idx = new long[batch];
        for (int bi = 0; bi < batch; bi++) idx[bi] = Math.Max(0, lens[bi] - 1 - step) * batch + bi;
        using var it = Tensor.FromArray(idx);
        return xw.Reshape(-1, xw.Shape[2]).IndexSelect(0, it);
    }

    /// <summary>Outputs of a length-aware reverse pass were produced in step order; put step s at time len-1-s per batch entry.</summary>
    static Tensor[] ReverseOutputs(Tensor[] bySlot, long[] lens, int batch)
    {
        int seq = bySlot.Length;
        // bySlot[t] was filled at step s = seq-1-t (the loop wrote outs[t] with t = seq-1-s).
        var steps = new Tensor[seq];
        for (int s = 0; s < seq; s++) steps[s] = bySlot[seq - 1 - s];
        var stacked = Tensor.Stack(steps, 0);
        var res = new Tensor[seq];
        for (int t = 0; t < seq; t++)
        {
            var idx = new long[batch];
            for (int bi = 0; bi < batch; bi++)
            {
                long s = lens[bi] - 1 - t;
                idx[bi] = (s >= 0 ? s : t) * batch + bi;
            }
            using var it = Tensor.FromArray(idx);
            res[t] = stacked.Reshape(-1, stacked.Shape[2]).IndexSelect(0, it);
        }
        return res;
    }
}
