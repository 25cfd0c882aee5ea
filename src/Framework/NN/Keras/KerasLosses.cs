namespace NativeNet.NN;

/// <summary>
/// Base of the Keras cross-entropy losses, whose <c>fromLogits</c> may be left to inference (null). The rule, applied
/// once on the first batch a loss sees and then fixed: the model output is taken as probabilities when it was produced
/// by a Softmax (categorical) or Sigmoid (binary) op (as Keras checks the output op), or, for categorical losses, when
/// every value lies in [0, 1] and each row sums to 1 (±1e-3); otherwise it is taken as logits. So
/// <c>Dense(10)</c> as a last layer trains on logits and <c>Dense(10, activation: "softmax")</c> on probabilities,
/// with the same string loss. Pass <c>fromLogits</c> explicitly to skip inference.
/// </summary>
public abstract class ProbabilisticLoss : Loss
{
    /// <summary>Keras's clipping epsilon for probabilities (<c>backend.epsilon()</c>).</summary>
    protected const double Epsilon = 1e-7;

    bool? inferred;

    /// <summary>Stores the options.</summary>
    protected ProbabilisticLoss(bool? fromLogits, string reduction) : base(reduction) => FromLogits = fromLogits;

    /// <summary>Whether inputs are logits (true), probabilities (false), or inferred from the first batch (null).</summary>
    public bool? FromLogits { get; }

    /// <summary>What this loss treats its inputs as: the explicit choice, else the inference, or null before the first batch.</summary>
    public bool? TreatsInputAsLogits => FromLogits ?? inferred;

    /// <summary>Resolves <see cref="FromLogits"/> for <paramref name="input"/>: explicit, cached, or inferred now.</summary>
    protected bool UsesLogits(Tensor input)
    {
        if (FromLogits is bool b) return b;
        if (inferred is bool i) return i;
        inferred = !LooksLikeProbabilities(input);
        return inferred.Value;
    }

    /// <summary>The op name that marks probabilities for this loss ("Softmax" or "Sigmoid").</summary>
    private protected abstract string ProbabilityOp { get; }

    bool LooksLikeProbabilities(Tensor input)
    {
        if (input.GradFn?.Name == ProbabilityOp) return true;
        if (ProbabilityOp != "Softmax" || input.Dim < 2 || input.NumEl == 0) return false;
        using var _ = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        if (input.Amin(null).Item() < 0) return false;
        if (input.Amax(null).Item() > 1) return false;
        var rowSums = input.Sum(1, false);
        return rowSums.Sub(1.0).Abs().Max().Item() < 1e-3;
    }
}

/// <summary>
/// Cross-entropy with integer class targets (<c>keras.losses.SparseCategoricalCrossentropy(from_logits)</c>): input
/// [N, C] logits or probabilities (see <see cref="ProbabilisticLoss"/> for inference), target Int64 [N]. On logits it is
/// <see cref="CrossEntropyLoss"/>'s fused kernel; on probabilities it is NLL of log(clip(p, 1e-7, 1 - 1e-7)).
/// </summary>
public class SparseCategoricalCrossentropy : ProbabilisticLoss
{
    /// <summary>Creates the loss; null <paramref name="fromLogits"/> infers it from the first batch.</summary>
    public SparseCategoricalCrossentropy(bool? fromLogits = null, string reduction = "mean") : base(fromLogits, reduction) { }

    private protected override string ProbabilityOp => "Softmax";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        if (UsesLogits(input)) return F.CrossEntropy(input, target, reduction: Reduction);
        using var logp = input.Clamp(Epsilon, 1 - Epsilon).Log();
        return F.NllLoss(logp, target, reduction: Reduction);
    }
}

/// <summary>
/// Cross-entropy with one-hot or probability targets shaped like the input
/// (<c>keras.losses.CategoricalCrossentropy(from_logits, label_smoothing)</c>).
/// </summary>
public class CategoricalCrossentropy : ProbabilisticLoss
{
    /// <summary>Creates the loss; null <paramref name="fromLogits"/> infers it from the first batch.</summary>
    public CategoricalCrossentropy(bool? fromLogits = null, double labelSmoothing = 0, string reduction = "mean") : base(fromLogits, reduction)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "CategoricalCrossentropy: labelSmoothing must be in [0, 1]");
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>Amount of label smoothing in [0, 1].</summary>
    public double LabelSmoothing { get; }

    private protected override string ProbabilityOp => "Softmax";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        if (UsesLogits(input)) return F.CrossEntropy(input, target, reduction: Reduction, labelSmoothing: LabelSmoothing);
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ShapeMismatchException("CategoricalCrossentropy", $"target {ShapeUtil.Format(target.Shape.ToArray())} must have the input's shape {ShapeUtil.Format(input.Shape.ToArray())}");
        using var scope = Tensor.Scope();
        var t = LabelSmoothing == 0 ? target : target * (1 - LabelSmoothing) + LabelSmoothing / input.Size(1);
        var perSample = (t * input.Clamp(Epsilon, 1 - Epsilon).Log()).Sum(1, false).Neg();
        var result = Reduction switch { "mean" => perSample.Mean(), "sum" => perSample.Sum(), _ => perSample };
        return scope.Keep<Tensor>(result);
    }
}

/// <summary>
/// Binary cross-entropy (<c>keras.losses.BinaryCrossentropy(from_logits)</c>): on logits it is
/// <see cref="BceWithLogitsLoss"/>'s stable form, on probabilities <see cref="BceLoss"/>'s. Inference takes the input
/// as probabilities only when it comes from a Sigmoid op (values in [0, 1] alone are not enough for one column).
/// </summary>
public class BinaryCrossentropy : ProbabilisticLoss
{
    /// <summary>Creates the loss; null <paramref name="fromLogits"/> infers it from the first batch.</summary>
    public BinaryCrossentropy(bool? fromLogits = null, string reduction = "mean") : base(fromLogits, reduction) { }

    private protected override string ProbabilityOp => "Sigmoid";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => UsesLogits(input)
        ? F.BinaryCrossEntropyWithLogits(input, target, reduction: Reduction)
        : F.BinaryCrossEntropy(input, target, reduction: Reduction);
}

/// <summary>Keras loss names (<c>keras.losses.get</c>) mapped to loss modules.</summary>
internal static class KerasLosses
{
    internal static readonly string[] Names =
    [
        "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
        "mse", "mean_squared_error", "mae", "mean_absolute_error", "huber",
    ];

    internal static Loss Get(string name) => name switch
    {
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        "binary_crossentropy" => new BinaryCrossentropy(),
        "mse" or "mean_squared_error" => new MseLoss(),
        "mae" or "mean_absolute_error" => new L1Loss(),
        "huber" => new HuberLoss(),
        _ => throw new ArgumentException($"Compile: unknown loss '{name}'; known: {string.Join(", ", Names)}", "loss"),
    };
}
