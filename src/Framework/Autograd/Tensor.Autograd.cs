namespace NativeNet;

public partial class Tensor
{
    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires grad and accumulates it
    /// into their <see cref="Grad"/> (<c>tensor.backward(gradient, retain_graph)</c>). Without
    /// <paramref name="gradient"/> the tensor must hold one element.
    /// </summary>
    /// <param name="gradient">The upstream gradient, shaped like this tensor.</param>
    /// <param name="retainGraph">Keep saved tensors so the graph can be walked again.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Autograd.Backward(this, gradient, retainGraph);

    /// <summary>A tensor sharing this one's data but cut from the graph (<c>tensor.detach()</c>).</summary>
    public Tensor Detach()
    {
        ThrowIfDisposed();
        storage.AddRef();
        var y = new Tensor(storage, shape, strides, offset, DType);
        if (GraphTracer.Current is { } tr) tr.Alias(this, y);
        return y;
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (<c>tensor.requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    internal void SetGradFn(BackwardNode node)
    {
        gradFn = node;
        requiresGrad = true;
    }

    internal AccumulateGrad GetAccumulator() => accumulator ??= new AccumulateGrad(this);

    /// <summary>Throws if an in-place op would corrupt autograd (PyTorch's leaf-in-place check).</summary>
    internal void CheckInPlace(string op)
    {
        ThrowIfDisposed();
        if (GraphTracer.Current is { } tr) tr.InPlace(this, op);
        if (Autograd.IsGradEnabled && requiresGrad)
            throw new InvalidOperationException($"{op}: a tensor that requires grad cannot be modified in place while grad mode is on (use Autograd.NoGrad())");
    }
}
