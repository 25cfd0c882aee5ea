namespace NativeNet.NN;

/// <summary>
/// Stops training when a monitored quantity stops improving (<c>keras.callbacks.EarlyStopping</c>): after
/// <c>patience</c> epochs without an improvement larger than <c>minDelta</c>, it sets <see cref="Model.StopTraining"/>
/// and, with <c>restoreBestWeights</c>, loads the weights of the best epoch back into the model.
/// </summary>
public class EarlyStopping : Callback
{
    readonly MonitorRule rule;
    StateDict? bestWeights;
    int wait;

    /// <summary>Creates the callback (<c>EarlyStopping(monitor, min_delta, patience, mode, baseline, restore_best_weights, start_from_epoch)</c>).</summary>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, string mode = "auto", double? baseline = null,
        bool restoreBestWeights = false, int startFromEpoch = 0, int verbose = 0)
    {
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "EarlyStopping: patience must be non-negative");
        Monitor = monitor;
        Patience = patience;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
        Verbose = verbose;
        rule = new MonitorRule("EarlyStopping", monitor, mode, minDelta);
    }

    /// <summary>The log key watched, e.g. "val_loss".</summary>
    public string Monitor { get; }
    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }
    /// <summary>A value the monitored quantity must beat for the patience count to reset, or null.</summary>
    public double? Baseline { get; }
    /// <summary>Whether the best epoch's weights are restored when training stops.</summary>
    public bool RestoreBestWeights { get; }
    /// <summary>Epochs to wait before monitoring starts (warm-up).</summary>
    public int StartFromEpoch { get; }
    /// <summary>1 prints a line when stopping.</summary>
    public int Verbose { get; }
    /// <summary>The epoch (0-based) at which training was stopped, or 0 when it was not (<c>stopped_epoch</c>).</summary>
    public int StoppedEpoch { get; private set; }
    /// <summary>The best monitored value so far (<c>best</c>).</summary>
    public double Best { get; private set; }
    /// <summary>The epoch (0-based) of the best value (<c>best_epoch</c>).</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        RequireLogKey(Monitor);
        wait = 0;
        StoppedEpoch = 0;
        Best = rule.Worst;
        BestEpoch = 0;
        Free(bestWeights);
        bestWeights = null;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double current) || epoch < StartFromEpoch) return;
        if (RestoreBestWeights && bestWeights == null) bestWeights = Snapshot(Model);
        wait++;
        if (rule.Improved(current, Best))
        {
            Best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights)
            {
                Free(bestWeights);
                bestWeights = Snapshot(Model);
            }
            if (Baseline is not double b || rule.Improved(current, b))
            {
                wait = 0;
                return;
            }
        }
        if (wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            Model.StopTraining = true;
            if (RestoreBestWeights && bestWeights != null)
            {
                if (Verbose > 0) Console.WriteLine($"Restoring model weights from the end of the best epoch: {BestEpoch + 1}.");
                Model.LoadStateDict(bestWeights);
            }
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs)
    {
        if (StoppedEpoch > 0 && Verbose > 0) Console.WriteLine($"Epoch {StoppedEpoch + 1}: early stopping");
        Free(bestWeights);
        bestWeights = null;
    }

    static void Free(StateDict? sd)
    {
        if (sd != null) foreach (var t in sd.Values) t.Dispose();
    }

    /// <summary>A copy of the model's parameters and buffers (<c>model.get_weights()</c>).</summary>
    internal static StateDict Snapshot(Module model)
    {
        var copy = new StateDict();
        using (Autograd.NoGrad())
            foreach (var (k, v) in model.StateDict())
            {
                copy[k] = v.Clone().Unown();
                v.Dispose();
            }
        return copy;
    }
}
