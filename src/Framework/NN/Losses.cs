namespace NativeNet.NN;

/// <summary>
/// Base class of loss modules (PyTorch's <c>_Loss</c>): called as <c>criterion.Call(input, target)</c>, with a
/// <see cref="Reduction"/> of "mean" (default), "sum" or "none".
/// </summary>
public abstract class Loss : Module
{
    /// <summary>Checks and stores the reduction.</summary>
    protected Loss(string reduction)
    {
        F.CheckReduction(GetType().Name, reduction);
        Reduction = reduction;
    }

    /// <summary>"mean", "sum" or "none".</summary>
    public string Reduction { get; }

    /// <summary>Computes the loss of <paramref name="input"/> against <paramref name="target"/>, running the forward hooks (<c>criterion(input, target)</c>).</summary>
    public Tensor Call(Tensor input, Tensor target) => Call([input, target]);

    /// <summary>The loss computation; call the module with <see cref="Call(Tensor, Tensor)"/> instead.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>Dispatches (input, target) to <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public sealed override Tensor Forward(params Tensor[] inputs) => inputs.Length == 2
        ? Forward(inputs[0], inputs[1])
        : throw new ArgumentException($"{GetType().Name} takes (input, target), got {inputs.Length} tensor(s)");

    /// <summary>A loss needs a target: always throws.</summary>
    public sealed override Tensor Forward(Tensor x) =>
        throw new ArgumentException($"{GetType().Name} takes (input, target); call Call(input, target)");

    /// <inheritdoc/>
    protected override string ExtraRepr() => Reduction == "mean" ? "" : $"reduction='{Reduction}'";
}

/// <summary>Mean squared error (<c>torch.nn.MSELoss</c>, Keras <c>MeanSquaredError</c>); input and target shapes must match.</summary>
public class MseLoss : Loss
{
    /// <summary>Creates the loss (<c>nn.MSELoss(reduction)</c>).</summary>
    public MseLoss(string reduction = "mean") : base(reduction) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.MseLoss(input, target, Reduction);
}

/// <summary>Mean absolute error (<c>torch.nn.L1Loss</c>); input and target shapes must match.</summary>
public class L1Loss : Loss
{
    /// <summary>Creates the loss (<c>nn.L1Loss(reduction)</c>).</summary>
    public L1Loss(string reduction = "mean") : base(reduction) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.L1Loss(input, target, Reduction);
}

/// <summary>Huber loss (<c>torch.nn.HuberLoss(reduction, delta)</c>).</summary>
public class HuberLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    public HuberLoss(string reduction = "mean", double delta = 1.0) : base(reduction) => Delta = delta;

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.HuberLoss(input, target, Reduction, Delta);
}

/// <summary>Smooth L1 loss (<c>torch.nn.SmoothL1Loss(reduction, beta)</c>).</summary>
public class SmoothL1Loss : Loss
{
    /// <summary>Creates the loss.</summary>
    public SmoothL1Loss(string reduction = "mean", double beta = 1.0) : base(reduction) => Beta = beta;

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Beta { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.SmoothL1Loss(input, target, Reduction, Beta);
}

/// <summary>
/// Cross-entropy of raw scores (<c>torch.nn.CrossEntropyLoss</c>): input [N, C] or [N, C, d1, …]; target Int64 class
/// indices [N] / [N, d1, …] or class probabilities shaped like the input. Optional class weights, ignored index and
/// label smoothing follow PyTorch 1.13.
/// </summary>
public class CrossEntropyLoss : Loss
{
    /// <summary>Creates the loss (<c>nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)</c>).</summary>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean", double labelSmoothing = 0.0) : base(reduction)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "CrossEntropyLoss: labelSmoothing must be in [0, 1]");
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
        RegisterBuffer("weight", weight?.Detach());
    }

    /// <summary>Per-class weights [C], or null.</summary>
    public Tensor? Weight => GetBuffer("weight");
    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }
    /// <summary>Amount of label smoothing in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        F.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}

/// <summary>Negative log-likelihood of log-probabilities (<c>torch.nn.NLLLoss</c>); pair with <see cref="LogSoftmax"/>.</summary>
public class NllLoss : Loss
{
    /// <summary>Creates the loss (<c>nn.NLLLoss(weight, ignore_index, reduction)</c>).</summary>
    public NllLoss(Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean") : base(reduction)
    {
        IgnoreIndex = ignoreIndex;
        RegisterBuffer("weight", weight?.Detach());
    }

    /// <summary>Per-class weights [C], or null.</summary>
    public Tensor? Weight => GetBuffer("weight");
    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public long IgnoreIndex { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}

/// <summary>
/// Binary cross-entropy on raw scores, numerically stable (<c>torch.nn.BCEWithLogitsLoss</c>); optional per-element
/// <c>weight</c> and per-class <c>posWeight</c> broadcast to the input.
/// </summary>
public class BceWithLogitsLoss : Loss
{
    /// <summary>Creates the loss (<c>nn.BCEWithLogitsLoss(weight, reduction, pos_weight)</c>).</summary>
    public BceWithLogitsLoss(Tensor? weight = null, string reduction = "mean", Tensor? posWeight = null) : base(reduction)
    {
        RegisterBuffer("weight", weight?.Detach());
        RegisterBuffer("pos_weight", posWeight?.Detach());
    }

    /// <summary>Per-element weight, or null.</summary>
    public Tensor? Weight => GetBuffer("weight");
    /// <summary>Weight of positive examples per class, or null.</summary>
    public Tensor? PosWeight => GetBuffer("pos_weight");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        F.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}

/// <summary>Binary cross-entropy on probabilities in [0, 1] (<c>torch.nn.BCELoss</c>); prefer <see cref="BceWithLogitsLoss"/>.</summary>
public class BceLoss : Loss
{
    /// <summary>Creates the loss (<c>nn.BCELoss(weight, reduction)</c>).</summary>
    public BceLoss(Tensor? weight = null, string reduction = "mean") : base(reduction) => RegisterBuffer("weight", weight?.Detach());

    /// <summary>Per-element weight, or null.</summary>
    public Tensor? Weight => GetBuffer("weight");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropy(input, target, Weight, Reduction);
}
