namespace NativeNet.Optim;

/// <summary>
/// Base class of learning-rate schedulers (<c>torch.optim.lr_scheduler._LRScheduler</c>, PyTorch 1.13's chainable
/// form). Construction records each group's initial lr and counts as epoch 0 (the lr is unchanged); each
/// <see cref="Step"/> advances one epoch and writes the new lr into the optimizer's groups.
/// </summary>
public abstract class LRScheduler
{
    double[] lastLr;

    /// <summary>Attaches to <paramref name="optimizer"/>, which must already have its parameter groups.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer.ParamGroups.Count == 0)
            throw new InvalidOperationException($"{GetType().Name}: the optimizer has no parameter groups yet; bind its parameters first");
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups) g.InitialLr ??= g.Lr;
        BaseLrs = optimizer.ParamGroups.Select(g => g.InitialLr!.Value).ToArray();
        // PyTorch's constructor takes one step to epoch 0, where every built-in schedule keeps the current lr.
        LastEpoch = 0;
        StepCount = 1;
        lastLr = optimizer.ParamGroups.Select(g => g.Lr).ToArray();
    }

    /// <summary>The scheduled optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's initial learning rate (<c>scheduler.base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs { get; }

    /// <summary>Index of the current epoch (<c>scheduler.last_epoch</c>); 0 after construction.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Number of <see cref="Step"/> calls including the one made by the constructor (<c>scheduler._step_count</c>).</summary>
    protected int StepCount { get; private set; }

    /// <summary>Advances one epoch and sets the new learning rates (<c>scheduler.step()</c>); call it after <c>optimizer.Step()</c>.</summary>
    public void Step()
    {
        StepCount++;
        LastEpoch++;
        var groups = Optimizer.ParamGroups;
        var lrs = new double[groups.Count];
        for (int i = 0; i < lrs.Length; i++) lrs[i] = ComputeLr(groups[i].Lr, i < BaseLrs.Count ? BaseLrs[i] : groups[i].Lr);
        for (int i = 0; i < lrs.Length; i++) groups[i].Lr = lrs[i];
        lastLr = lrs;
    }

    /// <summary>The learning rates set by the last step, one per group (<c>scheduler.get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => lastLr;

    /// <summary>
    /// The new lr of one group at <see cref="LastEpoch"/> (already advanced), from its current lr and base lr
    /// (PyTorch's chainable <c>get_lr</c>).
    /// </summary>
    protected abstract double ComputeLr(double currentLr, double baseLr);
}

/// <summary>Multiplies the lr by <c>gamma</c> every <c>stepSize</c> epochs (<c>torch.optim.lr_scheduler.StepLR</c>).</summary>
public class StepLR : LRScheduler
{
    /// <summary>Creates the scheduler (<c>StepLR(optimizer, step_size, gamma=0.1)</c>).</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: step size must be positive");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Period in epochs.</summary>
    public int StepSize { get; }
    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(double currentLr, double baseLr) =>
        LastEpoch == 0 || LastEpoch % StepSize != 0 ? currentLr : currentLr * Gamma;
}

/// <summary>Multiplies the lr by <c>gamma</c> at each milestone epoch (<c>torch.optim.lr_scheduler.MultiStepLR</c>).</summary>
public class MultiStepLR : LRScheduler
{
    readonly Dictionary<int, int> milestones;

    /// <summary>Creates the scheduler (<c>MultiStepLR(optimizer, milestones, gamma=0.1)</c>); repeated milestones apply gamma repeatedly.</summary>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        this.milestones = milestones.GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count());
        Gamma = gamma;
    }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(double currentLr, double baseLr) =>
        milestones.TryGetValue(LastEpoch, out int k) ? currentLr * Math.Pow(Gamma, k) : currentLr;
}

/// <summary>Multiplies the lr by <c>gamma</c> every epoch (<c>torch.optim.lr_scheduler.ExponentialLR</c>).</summary>
public class ExponentialLR : LRScheduler
{
    /// <summary>Creates the scheduler (<c>ExponentialLR(optimizer, gamma)</c>).</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer) => Gamma = gamma;

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(double currentLr, double baseLr) => LastEpoch == 0 ? currentLr : currentLr * Gamma;
}

/// <summary>
/// Cosine annealing from the base lr to <c>etaMin</c> over <c>tMax</c> epochs, then back up (SGDR without restarts;
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>), in PyTorch 1.13's recursive form.
/// </summary>
public class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the scheduler (<c>CosineAnnealingLR(optimizer, T_max, eta_min=0)</c>).</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR: T_max must be positive");
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Half period in epochs.</summary>
    public int TMax { get; }
    /// <summary>Minimum learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(double currentLr, double baseLr)
    {
        int e = LastEpoch;
        if (e == 0) return currentLr;
        if (StepCount == 1 && e > 0) return EtaMin + (baseLr - EtaMin) * (1 + Math.Cos(e * Math.PI / TMax)) / 2;
        int period = 2 * TMax;
        if ((((e - 1 - TMax) % period) + period) % period == 0)
            return currentLr + (baseLr - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        return (1 + Math.Cos(Math.PI * e / TMax)) / (1 + Math.Cos(Math.PI * (e - 1) / TMax)) * (currentLr - EtaMin) + EtaMin;
    }
}
