namespace NativeNet.NN;

/// <summary>
/// Hooks into <c>Fit</c> (<c>keras.callbacks.Callback</c>). Epoch logs map names such as "loss", "accuracy",
/// "val_loss" to values; callbacks may add entries (they reach <see cref="History"/>). Epochs and batches count from 0.
/// </summary>
public abstract class Callback
{
    /// <summary>The model being trained (<c>callback.model</c>); set before <see cref="OnTrainBegin"/>.</summary>
    public Model Model { get; internal set; } = null!;

    /// <summary>What the current Fit does (<c>callback.params</c>); set before <see cref="OnTrainBegin"/>.</summary>
    public TrainingParams Params { get; internal set; } = null!;

    /// <summary>Called once before the first epoch (<c>on_train_begin</c>); throw here to reject the setup.</summary>
    public virtual void OnTrainBegin(IDictionary<string, double> logs) { }

    /// <summary>Called once after the last epoch, also when training stopped early (<c>on_train_end</c>).</summary>
    public virtual void OnTrainEnd(IDictionary<string, double> logs) { }

    /// <summary>Called at the start of each epoch (<c>on_epoch_begin</c>).</summary>
    public virtual void OnEpochBegin(int epoch, IDictionary<string, double> logs) { }

    /// <summary>Called after each epoch with its training and validation logs (<c>on_epoch_end</c>).</summary>
    public virtual void OnEpochEnd(int epoch, IDictionary<string, double> logs) { }

    /// <summary>Called before each training step (<c>on_train_batch_begin</c>).</summary>
    public virtual void OnTrainBatchBegin(int batch) { }

    /// <summary>
    /// Called after each training step (<c>on_train_batch_end</c>). <paramref name="logs"/> holds the running epoch
    /// averages only when some callback sets <see cref="NeedsBatchLogs"/> (reading them costs a device read per step);
    /// otherwise it is empty.
    /// </summary>
    public virtual void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Whether <see cref="OnTrainBatchEnd"/> needs the running loss and metrics.</summary>
    public virtual bool NeedsBatchLogs => false;

    /// <summary>Throws when <paramref name="monitor"/> will not be in the epoch logs (before training starts).</summary>
    private protected void RequireLogKey(string monitor)
    {
        if (!Params.LogKeys.Contains(monitor))
            throw new ArgumentException($"{GetType().Name}: monitored quantity '{monitor}' is not in the training logs; available: {string.Join(", ", Params.LogKeys)}" +
                (monitor.StartsWith("val_", StringComparison.Ordinal) ? " (val_* needs validationData or validationSplit)" : ""), "monitor");
    }
}

/// <summary>What a Fit call does, as callbacks see it (<c>callback.params</c>).</summary>
/// <param name="Epochs">Total epochs (the last epoch index + 1).</param>
/// <param name="Steps">Training steps per epoch.</param>
/// <param name="Verbose">The verbosity Fit was called with.</param>
/// <param name="LogKeys">Keys each epoch's logs will have, e.g. loss, accuracy, val_loss, val_accuracy.</param>
public sealed record TrainingParams(int Epochs, int Steps, int Verbose, IReadOnlyList<string> LogKeys);

/// <summary>Whether a monitored value improved, with Keras's "auto"/"min"/"max" modes and min_delta.</summary>
internal sealed class MonitorRule
{
    internal MonitorRule(string owner, string monitor, string mode, double minDelta)
    {
        if (mode is not ("auto" or "min" or "max")) throw new ArgumentException($"{owner}: mode must be 'auto', 'min' or 'max', got '{mode}'", nameof(mode));
        Maximize = mode == "max" || (mode == "auto" && (monitor.Contains("acc", StringComparison.Ordinal) || monitor.Contains("auc", StringComparison.Ordinal)));
        MinDelta = Math.Abs(minDelta);
    }

    internal bool Maximize { get; }
    internal double MinDelta { get; }
    internal double Worst => Maximize ? double.NegativeInfinity : double.PositiveInfinity;

    /// <summary>Keras's <c>monitor_op(current - min_delta, reference)</c> (sign flipped when minimizing).</summary>
    internal bool Improved(double current, double reference) =>
        Maximize ? current - MinDelta > reference : current + MinDelta < reference;
}

/// <summary>
/// A callback built from delegates (<c>keras.callbacks.LambdaCallback</c>), e.g.
/// <c>new LambdaCallback(onEpochEnd: (epoch, logs) =&gt; Console.WriteLine(logs["loss"]))</c>.
/// </summary>
public class LambdaCallback(
    Action<int, IDictionary<string, double>>? onEpochBegin = null,
    Action<int, IDictionary<string, double>>? onEpochEnd = null,
    Action<int>? onBatchBegin = null,
    Action<int, IReadOnlyDictionary<string, double>>? onBatchEnd = null,
    Action<IDictionary<string, double>>? onTrainBegin = null,
    Action<IDictionary<string, double>>? onTrainEnd = null) : Callback
{
    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IDictionary<string, double> logs) => onEpochBegin?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) => onEpochEnd?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnTrainBatchBegin(int batch) => onBatchBegin?.Invoke(batch);

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => onBatchEnd?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs) => onTrainBegin?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs) => onTrainEnd?.Invoke(logs);

    /// <summary>True when an <c>onBatchEnd</c> delegate was given.</summary>
    public override bool NeedsBatchLogs => onBatchEnd != null;
}
