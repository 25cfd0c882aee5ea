namespace NativeNet.NN;

/// <summary>
/// Multiplies the learning rate by <c>factor</c> when a monitored quantity has not improved for <c>patience</c> epochs
/// (<c>keras.callbacks.ReduceLROnPlateau</c>), never below <c>minLr</c>, then waits <c>cooldown</c> epochs. It adds the
/// learning rate in force during the epoch to the logs as "learning_rate".
/// </summary>
public class ReduceLROnPlateau : Callback
{
    readonly MonitorRule rule;
    int wait, cooldownCounter;
    double best;

    /// <summary>Creates the callback (<c>ReduceLROnPlateau(monitor, factor, patience, verbose, mode, min_delta, cooldown, min_lr)</c>).</summary>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, int verbose = 0, string mode = "auto",
        double minDelta = 1e-4, int cooldown = 0, double minLr = 0)
    {
        if (factor >= 1 || factor <= 0) throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau: factor must be in (0, 1)");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "ReduceLROnPlateau: patience must be non-negative");
        Monitor = monitor;
        Factor = factor;
        Patience = patience;
        Verbose = verbose;
        Cooldown = cooldown;
        MinLr = minLr;
        rule = new MonitorRule("ReduceLROnPlateau", monitor, mode, minDelta);
    }

    /// <summary>The log key watched.</summary>
    public string Monitor { get; }
    /// <summary>The factor applied to the learning rate.</summary>
    public double Factor { get; }
    /// <summary>Epochs without improvement before reducing.</summary>
    public int Patience { get; }
    /// <summary>1 prints a line at each reduction.</summary>
    public int Verbose { get; }
    /// <summary>Epochs to wait after a reduction before counting again.</summary>
    public int Cooldown { get; }
    /// <summary>Lower bound of the learning rate.</summary>
    public double MinLr { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        RequireLogKey(Monitor);
        wait = 0;
        cooldownCounter = 0;
        best = rule.Worst;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        var opt = Model.Optimizer ?? throw new InvalidOperationException("ReduceLROnPlateau: the model has no optimizer");
        logs["learning_rate"] = opt.Lr;
        if (!logs.TryGetValue(Monitor, out double current)) return;
        if (cooldownCounter > 0)
        {
            cooldownCounter--;
            wait = 0;
        }
        if (rule.Improved(current, best))
        {
            best = current;
            wait = 0;
        }
        else if (cooldownCounter <= 0 && ++wait >= Patience)
        {
            double old = opt.Lr;
            if (old > MinLr)
            {
                double lr = Math.Max(old * Factor, MinLr);
                opt.Lr = lr;
                if (Verbose > 0) Console.WriteLine($"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {lr:G6}.");
                cooldownCounter = Cooldown;
                wait = 0;
            }
        }
    }
}
