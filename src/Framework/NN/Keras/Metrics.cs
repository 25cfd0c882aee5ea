namespace NativeNet.NN;

/// <summary>
/// A streaming metric (<c>keras.metrics.Metric</c>): <see cref="Update"/> (<c>update_state</c>) accumulates a batch,
/// <see cref="Result"/> (<c>result</c>) gives the value so far, <see cref="Reset"/> (<c>reset_state</c>) starts over.
/// Subclass it for custom metrics. A string converts to a metric by Keras name ("accuracy", "mae", …), resolved when
/// the model is compiled and the first batch is seen.
/// </summary>
public abstract class Metric
{
    /// <summary>Creates the metric; <paramref name="name"/> is its key in logs and <see cref="History"/>.</summary>
    protected Metric(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The key in logs and history, e.g. "accuracy" (and "val_accuracy" on validation data).</summary>
    public string Name { get; internal set; }

    /// <summary>
    /// Accumulates one batch of targets <paramref name="yTrue"/> and model outputs <paramref name="yPred"/> (Keras's
    /// argument order). Called under no-grad inside the training step's tensor scope.
    /// </summary>
    public abstract void Update(Tensor yTrue, Tensor yPred);

    /// <summary>The metric over the batches since the last <see cref="Reset"/>.</summary>
    public abstract double Result();

    /// <summary>Clears the accumulated state (at each epoch start and before validation).</summary>
    public abstract void Reset();

    /// <summary>A fresh copy for another output of a multi-output model; the default is a shallow copy that is then reset.</summary>
    public virtual Metric Clone()
    {
        var m = (Metric)MemberwiseClone();
        m.Reset();
        return m;
    }

    /// <summary>A metric by Keras name (<c>metrics=["accuracy"]</c>); unknown names fail in <c>Compile</c>.</summary>
    public static implicit operator Metric(string name) => new NamedMetric(name);

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}({Name})";
}

/// <summary>A metric given by name, replaced by a concrete metric once the loss and first batch are known.</summary>
internal sealed class NamedMetric(string name) : Metric(name)
{
    public override void Update(Tensor yTrue, Tensor yPred) => throw new InvalidOperationException($"metric '{Name}' was not resolved");
    public override double Result() => throw new InvalidOperationException($"metric '{Name}' was not resolved");
    public override void Reset() { }
}

/// <summary>
/// A metric that averages a per-element value over every sample seen (<c>keras.metrics.MeanMetricWrapper</c>). The sum
/// stays on the tensors' device, so <see cref="Update"/> never waits for the device; only <see cref="Result"/> reads it.
/// </summary>
public abstract class MeanMetric : Metric
{
    Tensor? total;
    long count;

    /// <summary>Creates the metric.</summary>
    protected MeanMetric(string name) : base(name) { }

    /// <summary>The per-element values of one batch (e.g. 1 for a correct prediction, 0 otherwise).</summary>
    protected abstract Tensor Values(Tensor yTrue, Tensor yPred);

    /// <inheritdoc/>
    public override void Update(Tensor yTrue, Tensor yPred)
    {
        using var _ = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        var v = Values(yTrue, yPred);
        total ??= Tensor.Scalar(0, DType.Float64, v.Device).Unown();
        total.AddInPlace(v.Sum());
        count += v.NumEl;
    }

    /// <inheritdoc/>
    public override double Result() => count == 0 || total == null ? 0 : total.Item() / count;

    /// <inheritdoc/>
    public override void Reset()
    {
        total?.Dispose();
        total = null;
        count = 0;
    }

    /// <inheritdoc/>
    public override Metric Clone()
    {
        var m = (MeanMetric)MemberwiseClone();
        m.total = null;
        m.count = 0;
        return m;
    }
}

/// <summary>Accuracy of class scores [N, C, …] against integer labels [N, …] (<c>keras.metrics.SparseCategoricalAccuracy</c>).</summary>
public class SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") : MeanMetric(name)
{
    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred)
    {
        var labels = yTrue.Dim == yPred.Dim && yTrue.Size(-1) == 1 ? yTrue.Squeeze(-1) : yTrue;
        if (labels.DType.IsFloatingPoint()) labels = labels.To(DType.Int64);
        return yPred.ArgMax(1).Eq(labels);
    }
}

/// <summary>Accuracy of class scores against one-hot targets of the same shape (<c>keras.metrics.CategoricalAccuracy</c>).</summary>
public class CategoricalAccuracy(string name = "categorical_accuracy") : MeanMetric(name)
{
    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred) => yPred.ArgMax(-1).Eq(yTrue.ArgMax(-1));
}

/// <summary>
/// Accuracy of binary predictions: output &gt; <c>threshold</c> compared with target &gt; 0.5
/// (<c>keras.metrics.BinaryAccuracy(threshold)</c>); use threshold 0 on logits.
/// </summary>
public class BinaryAccuracy(string name = "binary_accuracy", double threshold = 0.5) : MeanMetric(name)
{
    /// <summary>Decision threshold on the model output.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred)
    {
        var t = yTrue.Dim == yPred.Dim - 1 && yPred.Size(-1) == 1 ? yTrue.Unsqueeze(-1) : yTrue;
        return yPred.Gt(Threshold).Eq(t.Gt(0.5));
    }
}

/// <summary>
/// Whether the true class (integer labels [N]) is among the <c>k</c> highest scores of [N, C]
/// (<c>keras.metrics.SparseTopKCategoricalAccuracy(k)</c>); ties count in the sample's favour.
/// </summary>
public class SparseTopKCategoricalAccuracy(int k = 5, string name = "sparse_top_k_categorical_accuracy") : MeanMetric(name)
{
    /// <summary>How many top classes count as a hit.</summary>
    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "top-k accuracy: k must be positive");

    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred) => TopK(yPred, yTrue.Dim == 1 ? yTrue.Unsqueeze(1) : yTrue, K);

    /// <summary>Rank of the true class = number of classes scoring strictly higher; a hit when the rank is below k.</summary>
    internal static Tensor TopK(Tensor yPred, Tensor labelColumn, int k)
    {
        if (yPred.Dim != 2) throw new ShapeMismatchException("TopKCategoricalAccuracy", $"expects scores [N, C], got {ShapeUtil.Format(yPred.Shape.ToArray())}");
        var idx = labelColumn.DType == DType.Int64 ? labelColumn : labelColumn.To(DType.Int64);
        var trueScore = yPred.Gather(1, idx);
        return yPred.Gt(trueScore).Sum(1, false).Lt(k);
    }
}

/// <summary>Top-k accuracy against one-hot targets (<c>keras.metrics.TopKCategoricalAccuracy(k)</c>).</summary>
public class TopKCategoricalAccuracy(int k = 5, string name = "top_k_categorical_accuracy") : MeanMetric(name)
{
    /// <summary>How many top classes count as a hit.</summary>
    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "top-k accuracy: k must be positive");

    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred) => SparseTopKCategoricalAccuracy.TopK(yPred, yTrue.ArgMax(-1, keepDim: true), K);
}

/// <summary>Mean absolute error as a metric (<c>keras.metrics.MeanAbsoluteError</c>, name "mae").</summary>
public class MeanAbsoluteError(string name = "mae") : MeanMetric(name)
{
    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred) => yPred.Sub(KerasMetrics.Align(yTrue, yPred)).Abs();
}

/// <summary>Mean squared error as a metric (<c>keras.metrics.MeanSquaredError</c>, name "mse").</summary>
public class MeanSquaredError(string name = "mse") : MeanMetric(name)
{
    /// <inheritdoc/>
    protected override Tensor Values(Tensor yTrue, Tensor yPred) => yPred.Sub(KerasMetrics.Align(yTrue, yPred)).Square();
}

/// <summary>Keras metric names (<c>keras.metrics.get</c>) and the resolution of "accuracy" from the loss and shapes.</summary>
internal static class KerasMetrics
{
    internal static readonly string[] Names =
    [
        "accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mae", "mean_absolute_error", "mse", "mean_squared_error",
    ];

    /// <summary>Targets [N] against outputs [N, 1] are compared as [N, 1] (Keras expands them).</summary>
    internal static Tensor Align(Tensor yTrue, Tensor yPred) =>
        yTrue.Dim == yPred.Dim - 1 && yPred.Size(-1) == 1 ? yTrue.Unsqueeze(-1) : yTrue;

    internal static void Validate(Metric m)
    {
        if (m is NamedMetric && !Names.Contains(m.Name))
            throw new ArgumentException($"Compile: unknown metric '{m.Name}'; known: {string.Join(", ", Names)} (or pass a Metric object)", "metrics");
    }

    /// <summary>The concrete metric for <paramref name="m"/> given the loss and one batch's target and output.</summary>
    internal static Metric Resolve(Metric m, Loss loss, Tensor yTrue, Tensor yPred)
    {
        if (m is not NamedMetric) return m;
        string n = m.Name;
        switch (n)
        {
            case "accuracy" or "acc":
                bool binaryLoss = loss is BinaryCrossentropy or BceLoss or BceWithLogitsLoss;
                if (binaryLoss || (yPred.Dim >= 1 && yPred.Size(-1) == 1))
                {
                    bool logits = loss is BceWithLogitsLoss || (loss is ProbabilisticLoss p && p.TreatsInputAsLogits == true);
                    return new BinaryAccuracy(n, logits ? 0 : 0.5);
                }
                if (!yTrue.DType.IsFloatingPoint() || yTrue.Dim == yPred.Dim - 1 || loss is SparseCategoricalCrossentropy)
                    return new SparseCategoricalAccuracy(n);
                return new CategoricalAccuracy(n);
            case "sparse_categorical_accuracy": return new SparseCategoricalAccuracy(n);
            case "categorical_accuracy": return new CategoricalAccuracy(n);
            case "binary_accuracy": return new BinaryAccuracy(n);
            case "top_k_categorical_accuracy": return new TopKCategoricalAccuracy(name: n);
            case "sparse_top_k_categorical_accuracy": return new SparseTopKCategoricalAccuracy(name: n);
            case "mae" or "mean_absolute_error": return new MeanAbsoluteError(n);
            case "mse" or "mean_squared_error": return new MeanSquaredError(n);
            default: throw new ArgumentException($"unknown metric '{n}'; known: {string.Join(", ", Names)}");
        }
    }
}
