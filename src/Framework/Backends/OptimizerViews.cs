namespace NativeNet;

/// <summary>The argument checks every backend's fused optimizer kernels share.</summary>
internal static class OptimizerViews
{
    // Fixed arity (no params array): optimizer steps run every iteration and should not allocate.
    /// <summary>Parameter floating point and contiguous; gradient and state buffers contiguous, of its dtype and size.</summary>
    internal static void Check(string op, TensorView p, TensorView g, TensorView? a, TensorView? b = null, TensorView? c = null)
    {
        if (!p.DType.IsFloatingPoint()) throw new DTypeMismatchException(op, $"parameters must be floating point, got {p.DType.Name()}");
        if (!p.IsContiguous) throw new ArgumentException($"{op}: the parameter must be contiguous");
        CheckState(op, p, g);
        if (a is TensorView va) CheckState(op, p, va);
        if (b is TensorView vb) CheckState(op, p, vb);
        if (c is TensorView vc) CheckState(op, p, vc);
    }

    static void CheckState(string op, TensorView p, TensorView v)
    {
        if (v.DType != p.DType || v.NumEl != p.NumEl || !v.IsContiguous)
            throw new ArgumentException($"{op}: state and gradient must be contiguous {p.DType.Name()} with {p.NumEl} elements");
    }
}
