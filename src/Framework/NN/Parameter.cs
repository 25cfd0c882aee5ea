namespace NativeNet.NN;

/// <summary>
/// A trainable tensor owned by a <c>Module</c> (<c>torch.nn.Parameter</c>): a leaf that requires grad
/// by default and is never owned by a <see cref="TensorScope"/>.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/>'s storage as a parameter (the data is shared, not copied).</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(data)
    {
        if (requiresGrad) RequiresGrad = true;
    }
}
