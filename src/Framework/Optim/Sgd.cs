using NativeNet.NN;

namespace NativeNet.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay, with PyTorch
/// 1.13's update rule (<c>torch.optim.SGD</c>, Keras <c>SGD</c>): the momentum buffer starts as the first gradient.
/// </summary>
public class Sgd : Optimizer
{
    /// <summary>
    /// Creates the optimizer (<c>optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov, maximize=…)</c>);
    /// <paramref name="parameters"/> may be null and bound later with <see cref="Optimizer.AddParamGroup"/>. PyTorch
    /// requires lr; 0.01 here is Keras's default.
    /// </summary>
    public Sgd(IEnumerable<Parameter>? parameters = null, double lr = 0.01, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, Validate(lr, momentum, dampening, weightDecay, nesterov, maximize)) { }

    static ParamGroup Validate(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        CheckNonNegative("Sgd", "lr", lr);
        CheckNonNegative("Sgd", "momentum", momentum);
        CheckNonNegative("Sgd", "weightDecay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum and zero dampening");
        var d = NewDefaults();
        d.Lr = lr; d.Momentum = momentum; d.Dampening = dampening; d.WeightDecay = weightDecay; d.Nesterov = nesterov; d.Maximize = maximize;
        return d;
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Parameter parameter, Tensor grad, ParamState state)
    {
        Tensor? buf = null;
        bool first = false;
        if (group.Momentum != 0 && !state.Tensors.TryGetValue("momentum_buffer", out buf))
        {
            buf = Tensor.Empty(parameter.Shape.ToArray(), parameter.DType, parameter.Device).Unown();
            state.Tensors["momentum_buffer"] = buf;
            first = true;
        }
        parameter.Backend.SgdStep(parameter.View, grad.View, buf?.View,
            new SgdParams(group.Lr, group.Momentum, group.Dampening, group.WeightDecay, group.Nesterov, group.Maximize, first));
        state.Step++;
    }
}
