namespace NativeNet.NN;

/// <summary>
/// Stateless neural-network functions (<c>torch.nn.functional</c>, imported as <c>F</c>). Layers call these, so each
/// computation is written once. Most are composites of tensor ops and get gradients for free.
/// </summary>
public static partial class F
{
    /// <summary>ReLU (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>Logistic sigmoid (<c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>GELU; "none" uses erf, "tanh" the tanh approximation (<c>F.gelu(input, approximate)</c>).</summary>
    public static Tensor Gelu(Tensor input, string approximate = "none") => input.Gelu(approximate);

    /// <summary>SiLU / swish, x·σ(x) (<c>F.silu</c>).</summary>
    public static Tensor Silu(Tensor input) => input.Silu();

    /// <summary>Leaky ReLU (<c>F.leaky_relu(input, negative_slope)</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => input.LeakyRelu(negativeSlope);

    /// <summary>ELU (<c>F.elu(input, alpha)</c>).</summary>
    public static Tensor Elu(Tensor input, double alpha = 1.0) => input.Elu(alpha);

    /// <summary>Softplus, log(1 + exp(βx))/β, linear above the threshold (<c>F.softplus(input, beta, threshold)</c>).</summary>
    public static Tensor Softplus(Tensor input, double beta = 1.0, double threshold = 20.0) => input.Softplus(beta, threshold);

    /// <summary>Softmax along <paramref name="dim"/> (<c>F.softmax(input, dim)</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (<c>F.log_softmax(input, dim)</c>).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    /// <summary>Affine map y = x·Wᵀ + b with W [out, in] (<c>F.linear(input, weight, bias)</c>); x is [..., in].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (weight.Dim != 2)
            throw new ShapeMismatchException("Linear", $"weight must be 2-D [out, in], got {ShapeUtil.Format(weight.Shape.ToArray())}");
        if (input.Dim == 0 || input.Shape[^1] != weight.Shape[1])
            throw new ShapeMismatchException("Linear", $"input {ShapeUtil.Format(input.Shape.ToArray())} does not end in in_features={weight.Shape[1]} of weight {ShapeUtil.Format(weight.Shape.ToArray())}");
        if (input.DType != weight.DType)
            throw new DTypeMismatchException("Linear", $"input is {input.DType.Name()} but weight is {weight.DType.Name()}; cast one with To()");
        if (bias != null && (bias.Dim != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ShapeMismatchException("Linear", $"bias must be [{weight.Shape[0]}], got {ShapeUtil.Format(bias.Shape.ToArray())}");
        var tr = GraphTracer.Current;
        if (tr == null && input.Dim >= 2 && input.Device == weight.Device && (bias == null || (bias.DType == input.DType && bias.Device == input.Device)))
            return Tensor.LinearPrimitive(input, weight, bias);
        int mark = tr?.Mark ?? 0;
        using var wt = weight.T;
        Tensor r;
        if (bias == null) r = input.MatMul(wt);
        else
        {
            // The product is an intermediate: disposing it returns its buffer early (the graph keeps what it needs).
            using var y = input.MatMul(wt);
            r = y.Add(bias);
        }
        // A 2-D linear layer is ONNX Gemm(x, W, b, transB=1), as torch.onnx exports nn.Linear.
        if (tr != null && input.Dim == 2)
            tr.Collapse(mark, "Gemm", bias == null ? [tr.Name(input), tr.Name(weight)] : [tr.Name(input), tr.Name(weight), tr.Name(bias)], r,
                new AttributeBag().Set("transB", 1L));
        return r;
    }

    /// <summary>2-D convolution of an NCHW input with an OIHW weight (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Tensor.Conv2d(input, weight, bias, [stride], [padding], [dilation], groups);

    /// <summary>2-D convolution with (height, width) pairs for stride, padding and dilation (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int, int) stride, (int, int) padding, (int, int) dilation, int groups = 1)
        => Tensor.Conv2d(input, weight, bias, [stride.Item1, stride.Item2], [padding.Item1, padding.Item2], [dilation.Item1, dilation.Item2], groups);

    /// <summary>2-D max pooling; stride defaults to the kernel size (<c>F.max_pool2d</c>).</summary>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        => Tensor.MaxPool2d(input, [kernelSize], [stride ?? kernelSize], [padding], [dilation], ceilMode);

    /// <summary>2-D max pooling with (height, width) pairs (<c>F.max_pool2d</c>).</summary>
    public static Tensor MaxPool2d(Tensor input, (int, int) kernelSize, (int, int)? stride = null, (int, int)? padding = null, (int, int)? dilation = null, bool ceilMode = false)
        => Tensor.MaxPool2d(input, Pair(kernelSize), Pair(stride ?? kernelSize), Pair(padding ?? (0, 0)), Pair(dilation ?? (1, 1)), ceilMode);

    /// <summary>2-D average pooling (<c>F.avg_pool2d</c>).</summary>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        => Tensor.AvgPool2d(input, [kernelSize], [stride ?? kernelSize], [padding], ceilMode, countIncludePad);

    /// <summary>2-D average pooling with (height, width) pairs (<c>F.avg_pool2d</c>).</summary>
    public static Tensor AvgPool2d(Tensor input, (int, int) kernelSize, (int, int)? stride = null, (int, int)? padding = null, bool ceilMode = false, bool countIncludePad = true)
        => Tensor.AvgPool2d(input, Pair(kernelSize), Pair(stride ?? kernelSize), Pair(padding ?? (0, 0)), ceilMode, countIncludePad);

    /// <summary>Adaptive average pooling to a square output (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => Tensor.AdaptiveAvgPool2d(input, [outputSize, outputSize]);

    /// <summary>Adaptive average pooling to (height, width) (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int, int) outputSize) => Tensor.AdaptiveAvgPool2d(input, Pair(outputSize));

    static int[] Pair((int, int) v) => [v.Item1, v.Item2];

    /// <summary>
    /// Inverted dropout (<c>F.dropout(input, p, training)</c>): in training zeroes each element with probability
    /// <paramref name="p"/> and scales the rest by 1/(1-p); otherwise returns the input. The mask comes from
    /// <see cref="Tensor.Rand(int[])"/>, so <see cref="Tensor.ManualSeed"/> makes it reproducible.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1]");
        if (!training || p == 0) return input;
        if (!input.DType.IsFloatingPoint()) throw new DTypeMismatchException("Dropout", $"needs a floating-point input, got {input.DType.Name()}");
        if (p == 1) return input.Mul(0.0);
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        using var r = Tensor.Rand(input.Shape.ToArray(), 0, 1, input.DType, input.Device);
        using var keep = r.Lt(1 - p);
        using var keepF = keep.To(input.DType);
        using var mask = keepF.Mul(1 / (1 - p));
        var y = input.Mul(mask);
        // Traced: ONNX Dropout in training mode (a fresh mask per run), not the mask drawn while tracing.
        tr?.Collapse(mark, "Dropout", [tr.Name(input), tr.Scalar(p, input.DType), tr.Scalar(1, DType.Bool)], y);
        return y;
    }

    /// <summary>
    /// Batch normalization over every dim but 1 (<c>F.batch_norm(input, running_mean, running_var, weight, bias,
    /// training, momentum, eps)</c>). In training it normalizes with the batch's biased variance and, when running stats
    /// are given, updates them in place: mean and unbiased variance blended with factor <paramref name="momentum"/>.
    /// Otherwise it uses the running stats.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        if (input.Dim < 2) throw new ShapeMismatchException(op, $"expected an input of at least 2 dims [N, C, ...], got {ShapeUtil.Format(input.Shape.ToArray())}");
        if (!input.DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"needs a floating-point input, got {input.DType.Name()}");
        int c = input.Shape[1];
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
            if (t != null && (t.Dim != 1 || t.Shape[0] != c))
                throw new ShapeMismatchException(op, $"{name} must be [{c}] for input {ShapeUtil.Format(input.Shape.ToArray())}, got {ShapeUtil.Format(t.Shape.ToArray())}");
        var bshape = new int[input.Dim];
        Array.Fill(bshape, 1);
        bshape[1] = c;
        var dims = Enumerable.Range(0, input.Dim).Where(d => d != 1).ToArray();
        long count = input.NumEl / Math.Max(c, 1);

        if (training || runningMean == null || runningVar == null)
        {
            if (count <= 1) throw new ShapeMismatchException(op, $"expected more than 1 value per channel when training, got input {ShapeUtil.Format(input.Shape.ToArray())}");
            using var mean = input.Mean(dims, keepDim: true);
            using var diff = input.Sub(mean);
            using var sq = diff.Square();
            using var variance = sq.Mean(dims, keepDim: true);
            using var varEps = variance.Add(eps);
            using var invStd = varEps.Rsqrt();
            if (training && runningMean != null && runningVar != null)
            {
                using var s = Tensor.Scope();
                using (Autograd.NoGrad())
                {
                    runningMean.CopyFrom(runningMean.Mul(1 - momentum).Add(mean.Reshape(c).Mul(momentum)));
                    runningVar.CopyFrom(runningVar.Mul(1 - momentum).Add(variance.Reshape(c).Mul(momentum * count / (count - 1))));
                }
            }
            var y = diff.Mul(invStd);
            return Affine(y, weight, bias, bshape);
        }

        // Eval: fold the running stats and the affine into one per-channel scale and shift.
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        using var rv = runningVar.Reshape(bshape);
        using var rm = runningMean.Reshape(bshape);
        using var rvEps = rv.Add(eps);
        using var scale0 = rvEps.Rsqrt();
        Tensor scale = scale0, shift;
        if (weight != null)
        {
            using var w = weight.Reshape(bshape);
            scale = scale0.Mul(w);
        }
        using (var ms = rm.Mul(scale))
        {
            if (bias != null)
            {
                using var b = bias.Reshape(bshape);
                shift = b.Sub(ms);
            }
            else shift = ms.Neg();
        }
        using var xs = input.Mul(scale);
        var result = xs.Add(shift);
        tr?.BatchNorm(mark, input, runningMean, runningVar, weight, bias, eps, result);
        if (!ReferenceEquals(scale, scale0)) scale.Dispose();
        shift.Dispose();
        return result;
    }

    static Tensor Affine(Tensor y, Tensor? weight, Tensor? bias, int[] bshape)
    {
        if (weight != null)
        {
            using var w = weight.Reshape(bshape);
            using var old = y;
            y = old.Mul(w);
        }
        if (bias != null)
        {
            using var b = bias.Reshape(bshape);
            using var old = y;
            y = old.Add(b);
        }
        return y;
    }

    /// <summary>
    /// Layer normalization over the trailing <paramref name="normalizedShape"/> dims with the biased variance
    /// (<c>F.layer_norm(input, normalized_shape, weight, bias, eps)</c>).
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "LayerNorm";
        int k = normalizedShape.Length;
        if (k == 0) throw new ArgumentException($"{op}: normalizedShape cannot be empty");
        if (input.Dim < k || !input.Shape[^k..].SequenceEqual(normalizedShape))
            throw new ShapeMismatchException(op, $"input {ShapeUtil.Format(input.Shape.ToArray())} does not end in normalized shape {ShapeUtil.Format(normalizedShape)}");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t != null && !t.Shape.SequenceEqual(normalizedShape))
                throw new ShapeMismatchException(op, $"{name} must be {ShapeUtil.Format(normalizedShape)}, got {ShapeUtil.Format(t.Shape.ToArray())}");
        var dims = Enumerable.Range(input.Dim - k, k).ToArray();
        using var mean = input.Mean(dims, keepDim: true);
        using var diff = input.Sub(mean);
        using var sq = diff.Square();
        using var variance = sq.Mean(dims, keepDim: true);
        using var varEps = variance.Add(eps);
        using var invStd = varEps.Rsqrt();
        var y = diff.Mul(invStd);
        if (weight != null) { using var old = y; y = old.Mul(weight); }
        if (bias != null) { using var old = y; y = old.Add(bias); }
        return y;
    }

    /// <summary>
    /// Looks up rows of <paramref name="weight"/> [num_embeddings, dim] at integer <paramref name="input"/> of any shape
    /// (<c>F.embedding(input, weight, padding_idx)</c>); the result is [..input.shape, dim]. The row at
    /// <paramref name="paddingIdx"/> receives no gradient.
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        const string op = "Embedding";
        if (input.DType is not (DType.Int64 or DType.Int32))
            throw new DTypeMismatchException(op, $"indices must be Int64 or Int32, got {input.DType.Name()}");
        if (weight.Dim != 2) throw new ShapeMismatchException(op, $"weight must be 2-D [num_embeddings, dim], got {ShapeUtil.Format(weight.Shape.ToArray())}");
        int n = weight.Shape[0], d = weight.Shape[1];
        if (input.NumEl > 0)
        {
            long lo, hi;
            using (var mn = input.Min()) lo = mn.Item<long>();
            using (var mx = input.Max()) hi = mx.Item<long>();
            if (lo < 0 || hi >= n)
                throw new ArgumentOutOfRangeException(nameof(input), $"{op}: index {(lo < 0 ? lo : hi)} is out of range for {n} embeddings");
        }
        using var flat = input.Reshape(-1);
        using var rows = weight.IndexSelect(0, flat);
        var y = rows.Reshape([.. input.Shape.ToArray(), d]);
        if (paddingIdx is not int pad) return y;
        if (pad < 0) pad += n;
        // Same values, but positions that hit the padding row pass no gradient to it (PyTorch's padding_idx).
        using var isPad = input.Eq(pad).Unsqueeze(-1);
        using var frozen = y.Detach();
        using (y) return Tensor.Where(isPad, frozen, y);
    }

    /// <summary>
    /// One-hot encoding of Int64 class indices (<c>F.one_hot(tensor, num_classes)</c>): the result is Int64
    /// [..shape, num_classes]; -1 infers num_classes as max + 1.
    /// </summary>
    public static Tensor OneHot(Tensor tensor, int numClasses = -1)
    {
        if (tensor.DType != DType.Int64) throw new DTypeMismatchException("OneHot", $"expects an Int64 tensor, got {tensor.DType.Name()}");
        long lo = 0, hi = -1;
        if (tensor.NumEl > 0)
        {
            using (var mn = tensor.Min()) lo = mn.Item<long>();
            using (var mx = tensor.Max()) hi = mx.Item<long>();
        }
        if (lo < 0) throw new ArgumentOutOfRangeException(nameof(tensor), $"OneHot: class values must be non-negative, got {lo}");
        if (numClasses == -1) numClasses = (int)hi + 1;
        else if (hi >= numClasses) throw new ArgumentOutOfRangeException(nameof(tensor), $"OneHot: class value {hi} is too large for {numClasses} classes");
        using var classes = Tensor.Arange(0, numClasses, 1, DType.Int64, tensor.Device);
        using var col = tensor.Unsqueeze(-1);
        using var hit = col.Eq(classes);
        return hit.To(DType.Int64);
    }
}
