namespace NativeNet.NN;

/// <summary>
/// Keras's fully connected layer (<c>keras.layers.Dense(units, activation, use_bias)</c>): the same implementation as
/// <see cref="Linear"/> (it derives from it, so weights, state-dict keys "weight"/"bias" and initialization are
/// PyTorch's) plus an optional activation applied to the output. The input size is inferred on the first call unless
/// <c>inputDim</c> is given.
/// </summary>
public class Dense : Linear
{
    readonly Func<Tensor, Tensor>? activation;

    /// <summary>
    /// Creates the layer (<c>Dense(units, activation=None, use_bias=True)</c>). <paramref name="activation"/> is a Keras
    /// name: "relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu"/"swish", "elu", "softplus",
    /// "leaky_relu", or null/"linear" for none.
    /// </summary>
    public Dense(int units, string? activation = null, bool useBias = true, int? inputDim = null)
        : base(units, useBias, inputDim)
    {
        this.activation = KerasActivations.Get(activation, "Dense");
        Activation = activation is null or "linear" ? null : activation;
    }

    /// <summary>Output size (<c>dense.units</c>); the same as <see cref="Linear.OutFeatures"/>.</summary>
    public int Units => OutFeatures;

    /// <summary>The activation's Keras name, or null for a linear layer.</summary>
    public string? Activation { get; }

    /// <summary>activation(x·Wᵀ + b).</summary>
    public override Tensor Forward(Tensor x)
    {
        var y = base.Forward(x);
        return activation == null ? y : activation(y);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => base.ExtraRepr() + (Activation is null ? "" : $", activation={Activation}");
}

/// <summary>Keras activation functions by name (<c>keras.activations.get</c>).</summary>
internal static class KerasActivations
{
    internal static readonly string[] Names =
        ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu", "swish", "elu", "softplus", "leaky_relu"];

    internal static Func<Tensor, Tensor>? Get(string? name, string op) => name switch
    {
        null or "linear" => null,
        "relu" => F.Relu,
        "sigmoid" => F.Sigmoid,
        "tanh" => F.Tanh,
        "softmax" => x => F.Softmax(x, -1),
        "log_softmax" => x => F.LogSoftmax(x, -1),
        "gelu" => x => F.Gelu(x),
        "silu" or "swish" => F.Silu,
        "elu" => x => F.Elu(x),
        "softplus" => x => F.Softplus(x),
        "leaky_relu" => x => F.LeakyRelu(x, 0.2), // Keras's default negative slope
        _ => throw new ArgumentException($"{op}: unknown activation '{name}'; known: {string.Join(", ", Names)}"),
    };
}

/// <summary>
/// Declares the input shape (without the batch dim) of a <see cref="Sequential"/> model, so that
/// <see cref="Model.Summary"/> can show output shapes before training (<c>keras.layers.InputLayer(shape)</c>). It checks
/// the shape and passes the input through.
/// </summary>
public class InputLayer : Module
{
    /// <summary>Creates the layer for samples of <paramref name="shape"/> (e.g. [1, 28, 28]).</summary>
    public InputLayer(int[] shape, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d <= 0)) throw new ArgumentException($"InputLayer: sizes must be positive, got {ShapeUtil.Format(shape)}");
        Shape = (int[])shape.Clone();
        DType = dtype;
    }

    /// <summary>Shape of one sample (<c>input_shape[1:]</c>).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Element type of the input.</summary>
    public DType DType { get; }

    /// <summary>Returns <paramref name="x"/> after checking that its sample shape is <see cref="Shape"/>.</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != Shape.Count + 1 || !x.Shape[1..].SequenceEqual(Shape.ToArray()))
            throw new ShapeMismatchException("InputLayer", $"expected input [batch, {string.Join(", ", Shape)}], got {ShapeUtil.Format(x.Shape.ToArray())}");
        return x;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"shape=({string.Join(", ", Shape)})";
}

/// <summary>
/// Wraps a tensor function as a layer (<c>keras.layers.Lambda(fn)</c>), e.g. to use raw tensor operations in the
/// functional API, where only layer calls are recorded. It has no parameters and is not saved with the architecture.
/// </summary>
public class Lambda : Module
{
    readonly Func<Tensor, Tensor> function;

    /// <summary>Creates the layer from <paramref name="function"/>.</summary>
    public Lambda(Func<Tensor, Tensor> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        this.function = function;
    }

    /// <summary>Applies the function.</summary>
    public override Tensor Forward(Tensor x) => function(x);
}
