using NativeNet.NN;

namespace NativeNet.Optim;

/// <summary>Gradient clipping (<c>torch.nn.utils.clip_grad_norm_</c> / <c>clip_grad_value_</c>), in place on <c>Grad</c>.</summary>
public static class ClipGrad
{
    /// <summary>
    /// Scales all gradients together so their combined <paramref name="normType"/>-norm is at most
    /// <paramref name="maxNorm"/> (<c>clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)</c>); as in
    /// PyTorch the factor is min(1, maxNorm / (norm + 1e-6)). Returns the total norm before clipping.
    /// Use <see cref="double.PositiveInfinity"/> for the max-norm.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        var grads = parameters.Select(p => p.Grad).Where(g => g is { IsDisposed: false }).Cast<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "ClipGradNorm: norm type must be positive");
        using var _ = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        double total;
        if (double.IsPositiveInfinity(normType))
            total = grads.Max(g => g.Abs().Max().Item());
        else
        {
            double acc = 0;
            foreach (var g in grads)
            {
                double n = g.To(DType.Float64).Abs().Pow(normType).Sum().Item();
                acc += n;
            }
            total = Math.Pow(acc, 1 / normType);
        }
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new ArithmeticException($"ClipGradNorm: the total norm of order {normType} of the gradients is non-finite ({total}); set errorIfNonfinite: false to ignore");
        double coef = Math.Min(maxNorm / (total + 1e-6), 1.0);
        foreach (var g in grads) g.MulInPlace(coef);
        return total;
    }

    /// <summary>Clamps every gradient element into [-clipValue, clipValue] (<c>clip_grad_value_(parameters, clip_value)</c>).</summary>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "ClipGradValue: clip value must be non-negative");
        using var _ = Autograd.NoGrad();
        foreach (var p in parameters)
        {
            var g = p.Grad;
            if (g == null || g.IsDisposed) continue;
            using var c = g.Clamp(-clipValue, clipValue);
            g.CopyFrom(c);
        }
    }
}
