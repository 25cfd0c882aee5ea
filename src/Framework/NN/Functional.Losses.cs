namespace NativeNet.NN;

public static partial class F
{
    internal static void CheckReduction(string op, string reduction)
    {
        if (reduction is not ("mean" or "sum" or "none"))
            throw new ArgumentException($"{op}: reduction must be 'mean', 'sum' or 'none', got '{reduction}'", nameof(reduction));
    }

    static Tensor Reduce(Tensor loss, string reduction)
    {
        if (reduction == "none") return loss;
        using (loss) return reduction == "sum" ? loss.Sum() : loss.Mean();
    }

    static string Fmt(Tensor t) => ShapeUtil.Format(t.Shape.ToArray());

    static void CheckPair(string op, Tensor input, Tensor target)
    {
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ShapeMismatchException(op, $"input shape {Fmt(input)} and target shape {Fmt(target)} must be equal");
        if (!input.DType.IsFloatingPoint() || input.DType != target.DType)
            throw new DTypeMismatchException(op, $"input and target must share a floating-point dtype, got {input.DType.Name()} and {target.DType.Name()}");
    }

    /// <summary>Mean squared error (<c>F.mse_loss(input, target, reduction)</c>); shapes must match.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("MseLoss", reduction);
        CheckPair("MseLoss", input, target);
        using var diff = input.Sub(target);
        return Reduce(diff.Square(), reduction);
    }

    /// <summary>Mean absolute error (<c>F.l1_loss(input, target, reduction)</c>); shapes must match.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("L1Loss", reduction);
        CheckPair("L1Loss", input, target);
        using var diff = input.Sub(target);
        return Reduce(diff.Abs(), reduction);
    }

    /// <summary>Huber loss: ½d² where |d| &lt; delta, else delta·(|d| - ½delta) (<c>F.huber_loss(input, target, reduction, delta)</c>).</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, string reduction = "mean", double delta = 1.0)
    {
        CheckReduction("HuberLoss", reduction);
        CheckPair("HuberLoss", input, target);
        if (delta <= 0) throw new ArgumentOutOfRangeException(nameof(delta), delta, "HuberLoss: delta must be positive");
        return Reduce(Piecewise(input, target, delta, 0.5, delta, 0.5 * delta * delta), reduction);
    }

    /// <summary>Smooth L1: ½d²/beta where |d| &lt; beta, else |d| - ½beta (<c>F.smooth_l1_loss(input, target, reduction, beta)</c>).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", double beta = 1.0)
    {
        CheckReduction("SmoothL1Loss", reduction);
        CheckPair("SmoothL1Loss", input, target);
        if (beta < 0) throw new ArgumentOutOfRangeException(nameof(beta), beta, "SmoothL1Loss: beta must be non-negative");
        if (beta == 0) return L1Loss(input, target, reduction);
        return Reduce(Piecewise(input, target, beta, 0.5 / beta, 1, 0.5 * beta), reduction);
    }

    // |d| < threshold ? quad·d² : lin·|d| - offset. The quadratic side uses d², so the gradient at d = 0 is 0.
    static Tensor Piecewise(Tensor input, Tensor target, double threshold, double quad, double lin, double offset)
    {
        using var d = input.Sub(target);
        using var ad = d.Abs();
        using var sq = d.Square();
        using var q = sq.Mul(quad);
        using var ls = ad.Mul(lin);
        using var l = ls.Sub(offset);
        using var small = ad.Lt(threshold);
        return Tensor.Where(small, q, l);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities, with log clamped at -100 like PyTorch
    /// (<c>F.binary_cross_entropy(input, target, weight, reduction)</c>). Prefer <see cref="BinaryCrossEntropyWithLogits"/>.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean")
    {
        const string op = "BceLoss";
        CheckReduction(op, reduction);
        CheckPair(op, input, target);
        if (input.NumEl > 0)
        {
            using var mn = input.Min();
            using var mx = input.Max();
            if (mn.Item() < 0 || mx.Item() > 1)
                throw new ArgumentOutOfRangeException(nameof(input), $"{op}: all elements of input should be between 0 and 1 (got {mn.Item()}..{mx.Item()}); use BceWithLogitsLoss on raw scores");
        }
        using var s = Tensor.Scope();
        var logX = input.Log().ClampMin(-100);
        var log1mX = input.RSub(1).Log().ClampMin(-100);
        var loss = target.Mul(logX).Add(target.RSub(1).Mul(log1mX)).Neg();
        if (weight != null) loss = loss.Mul(weight);
        return s.Keep<Tensor>(Reduce(loss, reduction));
    }

    /// <summary>
    /// Binary cross-entropy on raw scores, computed stably as max(x,0) - x·y + log(1 + e^-|x|)
    /// (<c>F.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)</c>). The gradient is the exact
    /// σ(x) - y form (also at x = 0). <paramref name="weight"/> and <paramref name="posWeight"/> broadcast to the input
    /// and are treated as constants.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean", Tensor? posWeight = null)
    {
        const string op = "BceWithLogitsLoss";
        CheckReduction(op, reduction);
        CheckPair(op, input, target);
        int[] shape = input.Shape.ToArray();
        foreach (var (t, name) in new[] { (weight, "weight"), (posWeight, "posWeight") })
            if (t != null && !ShapeUtil.Broadcast(shape, t.Shape.ToArray(), op).AsSpan().SequenceEqual(shape))
                throw new ShapeMismatchException(op, $"{name} shape {Fmt(t)} does not broadcast to input shape {Fmt(input)}");

        var x = input.Alias();
        var y = target.Alias();
        var w = weight?.Alias();
        var pw = posWeight?.Alias();
        Tensor loss;
        using (Autograd.NoGrad())
        using (var s = Tensor.Scope())
        {
            // softplus(-x) = max(-x, 0) + log1p(exp(-|x|))
            var sp = x.Neg().Relu().Add(x.Abs().Neg().Exp().Log1p());
            var lw = pw == null ? null : pw.Sub(1).Mul(y).Add(1);
            var l = y.RSub(1).Mul(x).Add(lw == null ? sp : lw.Mul(sp));
            if (w != null) l = l.Mul(w);
            loss = s.Keep<Tensor>(l);
        }
        if (Autograd.Needs(input, target))
        {
            bool needX = input.RequiresGrad, needY = target.RequiresGrad;
            Tensor[] saved = [x, y, .. w == null ? Array.Empty<Tensor>() : [w], .. pw == null ? Array.Empty<Tensor>() : [pw]];
            Autograd.Record(loss, "BinaryCrossEntropyWithLogits", [input, target], g =>
            {
                using var s = Tensor.Scope();
                var gw = w == null ? g : g.Mul(w);
                Tensor? gx = null, gy = null;
                if (needX)
                {
                    // d/dx = (1 - y) - lw·(1 - σ(x)); without pos_weight this is σ(x) - y.
                    var sig = x.Sigmoid();
                    var dx = pw == null ? sig.Sub(y) : y.RSub(1).Sub(pw.Sub(1).Mul(y).Add(1).Mul(sig.RSub(1)));
                    gx = s.Keep<Tensor>(gw.Mul(dx));
                }
                if (needY)
                {
                    // d/dy = -x + (pos_weight - 1)·softplus(-x)
                    var dy = x.Neg();
                    if (pw != null) dy = dy.Add(pw.Sub(1).Mul(x.Neg().Relu().Add(x.Abs().Neg().Exp().Log1p())));
                    gy = s.Keep<Tensor>(gw.Mul(dy));
                }
                return [gx, gy];
            }, saved);
        }
        else
        {
            x.Dispose(); y.Dispose(); w?.Dispose(); pw?.Dispose();
        }
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities [N, C, d1, …] (or [C]) at Int64 class indices [N, d1, …]
    /// (<c>F.nll_loss(input, target, weight, ignore_index, reduction)</c>). "mean" divides by the summed weights of the
    /// non-ignored targets.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean")
    {
        const string op = "NllLoss";
        CheckReduction(op, reduction);
        if (input.Dim == 1) return Unbatched(input, target, reduction, (i, t) => NllLoss(i, t, weight, ignoreIndex, reduction), op);
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        var (tgt, hasIgnore) = CheckClassTarget(op, input, target, weight, ignoreIndex);
        Tensor y;
        using (tgt) y = NllCore(input, tgt, weight, ignoreIndex, hasIgnore, reduction, out _);
        tr?.Loss(mark, "NegativeLogLikelihoodLoss", input, target, weight, ignoreIndex, reduction, y);
        return y;
    }

    /// <summary>
    /// Cross-entropy of raw scores [N, C, d1, …] (or [C]) against Int64 class indices [N, d1, …] or class
    /// probabilities shaped like the input (<c>F.cross_entropy(input, target, weight, ignore_index, reduction,
    /// label_smoothing)</c>): log-softmax over dim 1 followed by NLL, with PyTorch 1.13's label-smoothing formula.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean",
        double labelSmoothing = 0.0)
    {
        const string op = "CrossEntropyLoss";
        CheckReduction(op, reduction);
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{op}: labelSmoothing must be in [0, 1]");
        if (input.Dim == 0) throw new ShapeMismatchException(op, "input must have a class dimension, got a scalar");
        if (!input.DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"input must be floating point, got {input.DType.Name()}");
        if (input.Dim == 1 && !target.DType.IsFloatingPoint())
            return Unbatched(input, target, reduction, (i, t) => CrossEntropy(i, t, weight, ignoreIndex, reduction, labelSmoothing), op);
        int classDim = input.Dim == 1 ? 0 : 1;
        int c = input.Shape[classDim];
        if (weight != null && (weight.Dim != 1 || weight.Shape[0] != c))
            throw new ShapeMismatchException(op, $"weight must be [{c}] for input {Fmt(input)}, got {Fmt(weight)}");
        if (target.DType.IsFloatingPoint()) return ProbabilityCrossEntropy(input, target, weight, reduction, labelSmoothing, classDim);
        if (labelSmoothing == 0 && GraphTracer.Current is { } tr)
        {
            // Traced as ONNX SoftmaxCrossEntropyLoss (the mean's divisor then follows the batch).
            int mark = tr.Mark;
            var y = CrossEntropyOfClasses(input, target, weight, ignoreIndex, reduction, labelSmoothing);
            tr.Loss(mark, "SoftmaxCrossEntropyLoss", input, target, weight, ignoreIndex, reduction, y);
            return y;
        }
        return CrossEntropyOfClasses(input, target, weight, ignoreIndex, reduction, labelSmoothing);
    }

    static Tensor CrossEntropyOfClasses(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, string reduction, double labelSmoothing)
    {
        const string op = "CrossEntropyLoss";
        int c = input.Shape[1];
        var (tgt, hasIgnore) = CheckClassTarget(op, input, target, weight, ignoreIndex);
        using var tgtOwner = tgt;
        if (weight == null && labelSmoothing == 0 && !hasIgnore && reduction != "none")
            return FusedCrossEntropy(input, tgt, reduction == "mean");
        using var logp = input.LogSoftmax(1);
        var nll = NllCore(logp, tgt, weight, ignoreIndex, hasIgnore, reduction, out var denominator);
        if (labelSmoothing == 0)
        {
            denominator?.Dispose();
            return nll;
        }
        using var s = Tensor.Scope();
        Tensor smooth;
        if (weight != null)
        {
            var bshape = Enumerable.Repeat(1, input.Dim).ToArray();
            bshape[1] = c;
            smooth = logp.Mul(weight.Reshape(bshape)).Sum(1).Neg();
        }
        else smooth = logp.Sum(1).Neg();
        if (hasIgnore) smooth = smooth.Mul(tgt.Ne(ignoreIndex).To(smooth.DType));
        Tensor red = reduction switch
        {
            "none" => smooth,
            "sum" => smooth.Sum(),
            _ => smooth.Sum().Div(denominator!),
        };
        var result = nll.Mul(1 - labelSmoothing).Add(red.Mul(labelSmoothing / c));
        nll.Dispose();
        denominator?.Dispose();
        return s.Keep<Tensor>(result);
    }

    /// <summary>
    /// The common training case (class indices, no weight, smoothing or ignored targets, mean or sum) as one node whose
    /// backward is (softmax(x) - onehot(t))·g/count: about half the ops of the general composite.
    /// </summary>
    static Tensor FusedCrossEntropy(Tensor input, Tensor target, bool mean)
    {
        double scale = mean ? 1.0 / (input.NumEl / input.Shape[1]) : 1.0;
        Tensor logp, index, loss;
        using (Autograd.NoGrad())
        {
            logp = input.LogSoftmax(1).Unown();
            index = target.Unsqueeze(1).Unown();
            using var picked = logp.Gather(1, index);
            using var total = picked.Sum();
            loss = total.Mul(-scale);
        }
        if (!Autograd.Needs(input))
        {
            logp.Dispose();
            index.Dispose();
            return loss;
        }
        Autograd.Record(loss, "SoftmaxCrossEntropyLoss", [input], g =>
        {
            using var probs = logp.Exp();
            using var minusOne = Tensor.Full(index.Shape.ToArray(), -1.0, probs.DType, probs.Device);
            using var diff = probs.ScatterAdd(1, index, minusOne);
            using var gs = g.Mul(scale);
            return [diff.Mul(gs)];
        }, logp, index);
        return loss;
    }

    static Tensor ProbabilityCrossEntropy(Tensor input, Tensor target, Tensor? weight, string reduction, double labelSmoothing, int classDim)
    {
        const string op = "CrossEntropyLoss";
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ShapeMismatchException(op, $"probability targets must have the input's shape {Fmt(input)}, got {Fmt(target)}");
        if (input.DType != target.DType)
            throw new DTypeMismatchException(op, $"input and probability target must share a dtype, got {input.DType.Name()} and {target.DType.Name()}");
        int c = input.Shape[classDim];
        using var s = Tensor.Scope();
        var logp = input.LogSoftmax(classDim);
        var t = labelSmoothing > 0 ? target.Mul(1 - labelSmoothing).Add(labelSmoothing / c) : target;
        var prod = logp.Mul(t);
        if (weight != null)
        {
            var bshape = Enumerable.Repeat(1, input.Dim).ToArray();
            bshape[classDim] = c;
            prod = prod.Mul(weight.Reshape(bshape));
        }
        Tensor result = reduction switch
        {
            "none" => prod.Sum(classDim).Neg(),
            "sum" => prod.Sum().Neg(),
            _ => prod.Sum().Neg().Div(input.NumEl / (double)c),
        };
        return s.Keep<Tensor>(result);
    }

    static Tensor Unbatched(Tensor input, Tensor target, string reduction, Func<Tensor, Tensor, Tensor> fn, string op)
    {
        if (target.Dim != 0)
            throw new ShapeMismatchException(op, $"for an unbatched input {Fmt(input)} the class-index target must be a scalar, got {Fmt(target)}");
        using var i = input.Unsqueeze(0);
        using var t = target.Unsqueeze(0);
        var r = fn(i, t);
        if (reduction != "none") return r;
        using (r) return r.Reshape();
    }

    /// <summary>Checks dtype, shape and range of class-index targets; returns them as Int64 (a new tensor) and whether any equals ignoreIndex.</summary>
    static (Tensor Target, bool HasIgnore) CheckClassTarget(string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex)
    {
        if (input.Dim < 2) throw new ShapeMismatchException(op, $"input must be [N, C, ...], got {Fmt(input)}");
        if (!input.DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"input must be floating point, got {input.DType.Name()}");
        if (target.DType is not (DType.Int64 or DType.Int32))
            throw new DTypeMismatchException(op, $"class-index target must be Int64, got {target.DType.Name()} (floating-point targets are taken as class probabilities by CrossEntropyLoss and must have the input's shape)");
        int c = input.Shape[1];
        int[] expected = [input.Shape[0], .. input.Shape[2..]];
        if (!target.Shape.SequenceEqual(expected))
            throw new ShapeMismatchException(op, $"target shape {Fmt(target)} does not match input {Fmt(input)}: expected {ShapeUtil.Format(expected)}");
        if (weight != null && (weight.Dim != 1 || weight.Shape[0] != c))
            throw new ShapeMismatchException(op, $"weight must be [{c}] for input {Fmt(input)}, got {Fmt(weight)}");
        var t = target.To(DType.Int64).Contiguous();
        if (ReferenceEquals(t, target)) t = target.Detach();
        bool hasIgnore = false;
        foreach (var v in t.ToArray<long>())
        {
            if (v == ignoreIndex) { hasIgnore = true; continue; }
            if (v < 0 || v >= c)
                throw new ArgumentOutOfRangeException(nameof(target), $"{op}: target class {v} is out of range for {c} classes (input {Fmt(input)}; valid 0..{c - 1} or ignoreIndex {ignoreIndex})");
        }
        return (t, hasIgnore);
    }

    /// <summary>NLL on checked Int64 targets; <paramref name="denominator"/> is the "mean" divisor (null for other reductions).</summary>
    static Tensor NllCore(Tensor logp, Tensor target, Tensor? weight, long ignoreIndex, bool hasIgnore, string reduction, out Tensor? denominator)
    {
        using var s = Tensor.Scope();
        var safe = hasIgnore ? Tensor.Where(target.Eq(ignoreIndex), Tensor.Scalar(0, DType.Int64, target.Device), target) : target;
        var picked = logp.Gather(1, safe.Unsqueeze(1)).Squeeze(1);
        Tensor? w = weight?.IndexSelect(0, safe.Reshape(-1)).Reshape(target.Shape.ToArray());
        if (hasIgnore)
        {
            var keep = target.Ne(ignoreIndex).To(logp.DType);
            w = w == null ? keep : w.Mul(keep);
        }
        var loss = (w == null ? picked : picked.Mul(w)).Neg();
        denominator = null;
        Tensor result;
        switch (reduction)
        {
            case "none": result = loss; break;
            case "sum": result = loss.Sum(); break;
            default:
                denominator = s.Keep<Tensor>(w == null ? Tensor.Scalar(loss.NumEl, logp.DType, logp.Device) : w.Sum());
                result = loss.Sum().Div(denominator);
                break;
        }
        return s.Keep<Tensor>(result);
    }
}
