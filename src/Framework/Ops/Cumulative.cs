namespace NativeNet;

/// <summary>Cumulative (scan) ops as log-step composites, so they differentiate and run on every backend.</summary>
public partial class Tensor
{
    /// <summary>
    /// Cumulative sum along <paramref name="dim"/> (<c>torch.cumsum</c>); <paramref name="exclusive"/> leaves out the
    /// current element and <paramref name="reverse"/> sums from the end (ONNX CumSum's attributes). Bool and UInt8 sum as Int64.
    /// </summary>
    public Tensor CumSum(int dim, bool exclusive = false, bool reverse = false)
    {
        ThrowIfDisposed();
        if (Dim == 0) return exclusive ? ZerosLike(this) : Clone();
        int d = ShapeUtil.NormalizeDim(dim, Dim, "CumSum");
        int n = shape[d];
        Tensor y = DType is DType.Bool or DType.UInt8 ? To(DType.Int64) : this;
        if (reverse) y = y.Flip(d);
        // Hillis-Steele scan: after the step with offset k every element holds the sum of the 2k elements ending at it.
        for (int k = 1; k < n; k *= 2)
        {
            using var zeros = Zeros(WithDim(y.shape, d, k), y.DType, y.Device);
            using var head = y.Narrow(d, 0, n - k);
            using var shifted = Cat([zeros, head], d);
            y = y.Add(shifted);
        }
        if (exclusive && n > 0)
        {
            using var zeros = Zeros(WithDim(y.shape, d, 1), y.DType, y.Device);
            using var head = y.Narrow(d, 0, n - 1);
            y = Cat([zeros, head], d);
        }
        if (reverse) y = y.Flip(d);
        return ReferenceEquals(y, this) ? Clone() : y;
    }
}
