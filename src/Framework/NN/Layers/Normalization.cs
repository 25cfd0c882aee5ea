namespace NativeNet.NN;

/// <summary>
/// Shared batch-normalization layer (PyTorch's <c>_BatchNorm</c>): weight (ones) and bias (zeros) when affine; buffers
/// running_mean (zeros), running_var (ones) and num_batches_tracked (Int64 scalar) when tracking running stats.
/// Training normalizes with the batch statistics and updates the running ones; evaluation uses the running ones.
/// </summary>
public abstract class BatchNormBase : Module
{
    /// <summary>Creates the parameters and buffers for <paramref name="numFeatures"/> channels.</summary>
    protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype, Device? device)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), $"{GetType().Name}: num_features must be positive, got {numFeatures}");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        var dev = device ?? Device.Default;
        RegisterParameter("weight", affine ? Parameter.Adopt(Tensor.Ones([numFeatures], dtype, dev)) : null);
        RegisterParameter("bias", affine ? Parameter.Adopt(Tensor.Zeros([numFeatures], dtype, dev)) : null);
        RegisterBuffer("running_mean", trackRunningStats ? Tensor.Zeros([numFeatures], dtype, dev) : null);
        RegisterBuffer("running_var", trackRunningStats ? Tensor.Ones([numFeatures], dtype, dev) : null);
        RegisterBuffer("num_batches_tracked", trackRunningStats ? Tensor.Zeros([], DType.Int64, dev) : null);
    }

    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }
    /// <summary>Added to the variance for stability.</summary>
    public double Eps { get; }
    /// <summary>Running-stat blend factor; null means a cumulative average (factor 1/num_batches_tracked).</summary>
    public double? Momentum { get; }
    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool Affine { get; }
    /// <summary>Whether running statistics are kept (else batch statistics are used in eval too).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Scale γ [C], or null when not affine.</summary>
    public Parameter? Weight => GetParameter("weight");
    /// <summary>Shift β [C], or null when not affine.</summary>
    public Parameter? Bias => GetParameter("bias");
    /// <summary>Running mean [C] (<c>bn.running_mean</c>).</summary>
    public Tensor? RunningMean => GetBuffer("running_mean");
    /// <summary>Running unbiased variance [C] (<c>bn.running_var</c>).</summary>
    public Tensor? RunningVar => GetBuffer("running_var");
    /// <summary>Number of training batches seen, an Int64 scalar (<c>bn.num_batches_tracked</c>).</summary>
    public Tensor? NumBatchesTracked => GetBuffer("num_batches_tracked");

    /// <summary>Checks the input's rank for the concrete layer.</summary>
    protected abstract void CheckInput(Tensor x);

    /// <summary>Normalizes x [N, C, ...].</summary>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        if (x.Shape[1] != NumFeatures)
            throw new ShapeMismatchException(GetType().Name, $"expected {NumFeatures} channels in dim 1, got input {ShapeUtil.Format(x.Shape.ToArray())}");
        double factor = Momentum ?? 0.0;
        var nbt = NumBatchesTracked;
        if (IsTraining && TrackRunningStats && nbt != null)
        {
            using (Autograd.NoGrad())
            using (var next = nbt.Add(1.0)) nbt.CopyFrom(next);
            if (Momentum == null) factor = 1.0 / nbt.Item<long>();
        }
        // As PyTorch: running stats are updated only when tracked, and used in eval when they exist.
        bool batchStats = IsTraining || (RunningMean == null && RunningVar == null);
        return F.BatchNorm(x, RunningMean, RunningVar, Weight, Bias, batchStats, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum?.ToString() ?? "None")}, affine={Affine}, track_running_stats={TrackRunningStats}";
}

/// <summary>Batch normalization over [N, C] or [N, C, L] inputs (<c>torch.nn.BatchNorm1d</c>).</summary>
public class BatchNorm1d : BatchNormBase
{
    /// <summary>Creates the layer (<c>nn.BatchNorm1d(num_features, eps, momentum, affine, track_running_stats)</c>).</summary>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
        DType dtype = DType.Float32, Device? device = null)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device) { }

    /// <inheritdoc/>
    protected override void CheckInput(Tensor x)
    {
        if (x.Dim is not (2 or 3)) throw new ShapeMismatchException("BatchNorm1d", $"expected 2-D or 3-D input, got {ShapeUtil.Format(x.Shape.ToArray())}");
    }
}

/// <summary>Batch normalization over NCHW inputs (<c>torch.nn.BatchNorm2d</c>).</summary>
public class BatchNorm2d : BatchNormBase
{
    /// <summary>Creates the layer (<c>nn.BatchNorm2d(num_features, eps, momentum, affine, track_running_stats)</c>).</summary>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
        DType dtype = DType.Float32, Device? device = null)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device) { }

    /// <inheritdoc/>
    protected override void CheckInput(Tensor x)
    {
        if (x.Dim != 4) throw new ShapeMismatchException("BatchNorm2d", $"expected 4-D input [N, C, H, W], got {ShapeUtil.Format(x.Shape.ToArray())}");
    }
}

/// <summary>
/// Layer normalization over the trailing <c>normalizedShape</c> dims (<c>torch.nn.LayerNorm</c>) with elementwise
/// weight (ones) and bias (zeros).
/// </summary>
public class LayerNorm : Module
{
    /// <summary>Normalizes over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32, Device? device = null)
        : this([normalizedShape], eps, elementwiseAffine, dtype, device) { }

    /// <summary>Normalizes over the trailing dims <paramref name="normalizedShape"/> (<c>nn.LayerNorm(normalized_shape, eps, elementwise_affine)</c>).</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32, Device? device = null)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: normalized shape must be non-empty and positive, got {ShapeUtil.Format(normalizedShape)}");
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        var dev = device ?? Device.Default;
        RegisterParameter("weight", elementwiseAffine ? Parameter.Adopt(Tensor.Ones(NormalizedShape, dtype, dev)) : null);
        RegisterParameter("bias", elementwiseAffine ? Parameter.Adopt(Tensor.Zeros(NormalizedShape, dtype, dev)) : null);
    }

    /// <summary>The normalized trailing shape.</summary>
    public int[] NormalizedShape { get; }
    /// <summary>Added to the variance for stability.</summary>
    public double Eps { get; }
    /// <summary>Elementwise scale, or null.</summary>
    public Parameter? Weight => GetParameter("weight");
    /// <summary>Elementwise shift, or null.</summary>
    public Parameter? Bias => GetParameter("bias");

    /// <summary>Normalizes <paramref name="x"/>.</summary>
    public override Tensor Forward(Tensor x) => F.LayerNorm(x, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{ShapeUtil.Format(NormalizedShape)}, eps={Eps}, elementwise_affine={Weight != null}";
}
