namespace NativeNet.NN;

/// <summary>
/// Writes TensorBoard event files during Fit (<c>keras.callbacks.TensorBoard(log_dir, update_freq)</c>): one run in
/// <c>logDir/train</c> and one in <c>logDir/validation</c>, each an <c>events.out.tfevents.*</c> file with scalars
/// "epoch_loss", "epoch_accuracy", … at step = epoch (0-based), and with <c>updateFreq: "batch"</c> also "batch_loss",
/// "batch_accuracy", … (running epoch averages) at step = the global training step. View with
/// <c>tensorboard --logdir logDir</c>.
/// </summary>
public class TensorBoard : Callback
{
    EventFileWriter? train, validation;
    long globalStep;

    /// <summary>Creates the callback; <paramref name="updateFreq"/> is "epoch" or "batch".</summary>
    public TensorBoard(string logDir = "logs", string updateFreq = "epoch")
    {
        ArgumentException.ThrowIfNullOrEmpty(logDir);
        if (updateFreq is not ("epoch" or "batch"))
            throw new ArgumentException($"TensorBoard: updateFreq must be 'epoch' or 'batch', got '{updateFreq}'", nameof(updateFreq));
        LogDir = logDir;
        UpdateFreq = updateFreq;
    }

    /// <summary>The root directory of the runs.</summary>
    public string LogDir { get; }

    /// <summary>"epoch" or "batch".</summary>
    public string UpdateFreq { get; }

    /// <summary>The training run's event file, once training began.</summary>
    public string? TrainEventFile => train?.FilePath ?? trainPath;

    /// <summary>The validation run's event file, once validation logs were written.</summary>
    public string? ValidationEventFile => validation?.FilePath ?? validationPath;

    /// <summary>True with <c>updateFreq: "batch"</c>.</summary>
    public override bool NeedsBatchLogs => UpdateFreq == "batch";

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        Close();
        train = new EventFileWriter(Path.Combine(LogDir, "train"));
        globalStep = 0;
    }

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        globalStep++;
        if (UpdateFreq != "batch" || train == null || logs.Count == 0) return;
        train.AddScalars(logs.Select(kv => ("batch_" + kv.Key, kv.Value)).ToList(), globalStep);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (train == null) return;
        var t = logs.Where(kv => !kv.Key.StartsWith("val_", StringComparison.Ordinal)).Select(kv => ("epoch_" + kv.Key, kv.Value)).ToList();
        var v = logs.Where(kv => kv.Key.StartsWith("val_", StringComparison.Ordinal)).Select(kv => ("epoch_" + kv.Key[4..], kv.Value)).ToList();
        if (t.Count > 0) train.AddScalars(t, epoch);
        train.Flush();
        if (v.Count > 0)
        {
            validation ??= new EventFileWriter(Path.Combine(LogDir, "validation"));
            validation.AddScalars(v, epoch);
            validation.Flush();
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs) => Close();

    void Close()
    {
        train?.Dispose();
        validation?.Dispose();
        // Keep the paths readable after closing.
        trainPath = train?.FilePath ?? trainPath;
        validationPath = validation?.FilePath ?? validationPath;
        train = null;
        validation = null;
    }

    string? trainPath, validationPath;
}
