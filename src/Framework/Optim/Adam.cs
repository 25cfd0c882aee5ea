using NativeNet.NN;

namespace NativeNet.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>, Keras <c>Adam</c>) with PyTorch 1.13's update: bias-corrected first and second
/// moments, optional L2 weight decay added to the gradient and the AMSGrad variant. One fused pass per parameter.
/// </summary>
public class Adam : Optimizer
{
    /// <summary>
    /// Creates the optimizer (<c>optim.Adam(params, lr, betas=(beta1, beta2), eps, weight_decay, amsgrad, maximize=…)</c>);
    /// <paramref name="parameters"/> may be null and bound later with <see cref="Optimizer.AddParamGroup"/>.
    /// </summary>
    public Adam(IEnumerable<Parameter>? parameters = null, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, AdamDefaults("Adam", lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)) { }

    /// <summary>Creates the optimizer with PyTorch's <c>betas</c> tuple.</summary>
    public Adam(IEnumerable<Parameter>? parameters, double lr, (double, double) betas, double eps = 1e-8, double weightDecay = 0,
        bool amsgrad = false, bool maximize = false)
        : this(parameters, lr, betas.Item1, betas.Item2, eps, weightDecay, amsgrad, maximize) { }

    internal static ParamGroup AdamDefaults(string op, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool maximize)
    {
        CheckNonNegative(op, "lr", lr);
        CheckNonNegative(op, "eps", eps);
        CheckNonNegative(op, "weightDecay", weightDecay);
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, $"{op}: beta1 must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, $"{op}: beta2 must be in [0, 1)");
        var d = NewDefaults();
        d.Lr = lr; d.Betas = (beta1, beta2); d.Eps = eps; d.WeightDecay = weightDecay; d.Amsgrad = amsgrad; d.Maximize = maximize;
        return d;
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Parameter parameter, Tensor grad, ParamState state) =>
        AdamUpdate(group, parameter, grad, state, decoupled: false);

    internal static void AdamUpdate(ParamGroup group, Parameter parameter, Tensor grad, ParamState state, bool decoupled)
    {
        var m = state.GetOrZeros("exp_avg", parameter);
        var v = state.GetOrZeros("exp_avg_sq", parameter);
        var vmax = group.Amsgrad ? state.GetOrZeros("max_exp_avg_sq", parameter) : null;
        state.Step++;
        parameter.Backend.AdamStep(parameter.View, grad.View, m.View, v.View, vmax?.View,
            new AdamParams(group.Lr, group.Betas.Beta1, group.Betas.Beta2, group.Eps, group.WeightDecay, decoupled, group.Amsgrad, group.Maximize, state.Step));
    }
}

/// <summary>
/// AdamW (<c>torch.optim.AdamW</c>, Keras <c>AdamW</c>): Adam with decoupled weight decay, p ← p·(1 - lr·wd) before
/// the Adam update (PyTorch 1.13). Default weight decay 1e-2.
/// </summary>
public class AdamW : Optimizer
{
    /// <summary>
    /// Creates the optimizer (<c>optim.AdamW(params, lr, betas, eps, weight_decay=1e-2, amsgrad, maximize=…)</c>);
    /// <paramref name="parameters"/> may be null and bound later with <see cref="Optimizer.AddParamGroup"/>.
    /// </summary>
    public AdamW(IEnumerable<Parameter>? parameters = null, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, Adam.AdamDefaults("AdamW", lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)) { }

    /// <summary>Creates the optimizer with PyTorch's <c>betas</c> tuple.</summary>
    public AdamW(IEnumerable<Parameter>? parameters, double lr, (double, double) betas, double eps = 1e-8, double weightDecay = 1e-2,
        bool amsgrad = false, bool maximize = false)
        : this(parameters, lr, betas.Item1, betas.Item2, eps, weightDecay, amsgrad, maximize) { }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Parameter parameter, Tensor grad, ParamState state) =>
        Adam.AdamUpdate(group, parameter, grad, state, decoupled: true);
}

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>, Keras <c>RMSprop</c>) with PyTorch 1.13's update: a running average of squared
/// gradients, optional centering, momentum and L2 weight decay.
/// </summary>
public class RmsProp : Optimizer
{
    /// <summary>
    /// Creates the optimizer (<c>optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered, maximize=…)</c>);
    /// <paramref name="parameters"/> may be null and bound later with <see cref="Optimizer.AddParamGroup"/>.
    /// </summary>
    public RmsProp(IEnumerable<Parameter>? parameters = null, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, Validate(lr, alpha, eps, weightDecay, momentum, centered, maximize)) { }

    static ParamGroup Validate(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
    {
        CheckNonNegative("RmsProp", "lr", lr);
        CheckNonNegative("RmsProp", "alpha", alpha);
        CheckNonNegative("RmsProp", "eps", eps);
        CheckNonNegative("RmsProp", "weightDecay", weightDecay);
        CheckNonNegative("RmsProp", "momentum", momentum);
        var d = NewDefaults();
        d.Lr = lr; d.Alpha = alpha; d.Eps = eps; d.WeightDecay = weightDecay; d.Momentum = momentum; d.Centered = centered; d.Maximize = maximize;
        return d;
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Parameter parameter, Tensor grad, ParamState state)
    {
        var sq = state.GetOrZeros("square_avg", parameter);
        var buf = group.Momentum > 0 ? state.GetOrZeros("momentum_buffer", parameter) : null;
        var ga = group.Centered ? state.GetOrZeros("grad_avg", parameter) : null;
        state.Step++;
        parameter.Backend.RmsPropStep(parameter.View, grad.View, sq.View, ga?.View, buf?.View,
            new RmsPropParams(group.Lr, group.Alpha, group.Eps, group.WeightDecay, group.Momentum, group.Centered, group.Maximize));
    }
}
