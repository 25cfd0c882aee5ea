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

    /// <summary>Wraps <paramref name="data"/> and disposes the temporary wrapper, so the parameter holds the only reference.</summary>
    internal static Parameter Adopt(Tensor data, bool requiresGrad = true)
    {
        var p = new Parameter(data, requiresGrad);
        data.Dispose();
        p.Unown();
        return p;
    }
}
