namespace NativeNet;

/// <summary>Upper and lower triangles of (batches of) matrices.</summary>
public partial class Tensor
{
    /// <summary>Keeps elements on and above the <paramref name="diagonal"/>-th diagonal of the last two dims, zeros the rest (<c>torch.triu</c>).</summary>
    public Tensor Triu(int diagonal = 0) => Triangle(diagonal, upper: true);

    /// <summary>Keeps elements on and below the <paramref name="diagonal"/>-th diagonal of the last two dims, zeros the rest (<c>torch.tril</c>).</summary>
    public Tensor Tril(int diagonal = 0) => Triangle(diagonal, upper: false);

    Tensor Triangle(int k, bool upper)
    {
        ThrowIfDisposed();
        string op = upper ? "Triu" : "Tril";
        if (Dim < 2) throw new ShapeMismatchException(op, $"needs at least 2 dimensions, got {ShapeUtil.Format(shape)}");
        int rows = shape[^2], cols = shape[^1];
        var mask = new bool[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                mask[r * cols + c] = upper ? c - r >= k : c - r <= k;
        using var m = FromArray(mask, [rows, cols]).To(Device);
        using var zero = Scalar(0, DType, Device);
        return Where(m, this, zero);
    }
}
