namespace NativeNet;

/// <summary>Padding and flipping: constant, reflect, replicate and circular padding as composites of slices and concatenation.</summary>
public partial class Tensor
{
    /// <summary>
    /// Pads (or, with negative amounts, crops) the trailing dimensions (<c>torch.nn.functional.pad</c>). <paramref name="pad"/>
    /// lists (before, after) pairs starting from the LAST dimension, as in PyTorch. <paramref name="mode"/> is "constant",
    /// "reflect" (mirror without repeating the edge), "replicate" (repeat the edge) or "circular" (wrap around).
    /// </summary>
    public Tensor Pad(int[] pad, string mode = "constant", double value = 0)
    {
        ThrowIfDisposed();
        if (pad.Length % 2 != 0 || pad.Length / 2 > Dim)
            throw new ShapeMismatchException("Pad", $"pad must hold (before, after) pairs for at most {Dim} dimensions, got {pad.Length} values");
        if (mode is not ("constant" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"Pad: mode must be constant, reflect, replicate or circular, got '{mode}'");
        Tensor x = this;
        for (int p = 0; p < pad.Length / 2; p++)
        {
            int d = Dim - 1 - p, b = pad[2 * p], e = pad[2 * p + 1];
            int n = x.shape[d];
            if (b < 0 || e < 0)
            {
                int start = Math.Max(-b, 0), len = n - start - Math.Max(-e, 0);
                if (len < 0) throw new ShapeMismatchException("Pad", $"cropping ({b}, {e}) exceeds dimension {d} of size {n}");
                x = x.Narrow(d, start, len);
                n = len;
                b = Math.Max(b, 0);
                e = Math.Max(e, 0);
            }
            if (b == 0 && e == 0) continue;
            Tensor? lo, hi;
            switch (mode)
            {
                case "constant":
                    lo = b > 0 ? Full(WithDim(x.shape, d, b), value, x.DType, x.Device) : null;
                    hi = e > 0 ? Full(WithDim(x.shape, d, e), value, x.DType, x.Device) : null;
                    break;
                case "reflect":
                    if (b >= n || e >= n)
                        throw new ShapeMismatchException("Pad", $"reflect padding ({b}, {e}) must be smaller than dimension {d} of size {n}");
                    lo = b > 0 ? x.Narrow(d, 1, b).Flip(d) : null;
                    hi = e > 0 ? x.Narrow(d, n - 1 - e, e).Flip(d) : null;
                    break;
                case "replicate":
                    if (n == 0) throw new ShapeMismatchException("Pad", $"cannot replicate-pad an empty dimension {d}");
                    lo = b > 0 ? x.Narrow(d, 0, 1).Expand(WithDim(x.shape, d, b)) : null;
                    hi = e > 0 ? x.Narrow(d, n - 1, 1).Expand(WithDim(x.shape, d, e)) : null;
                    break;
                default:
                    if (b > n || e > n)
                        throw new ShapeMismatchException("Pad", $"circular padding ({b}, {e}) must not exceed dimension {d} of size {n}");
                    lo = b > 0 ? x.Narrow(d, n - b, b) : null;
                    hi = e > 0 ? x.Narrow(d, 0, e) : null;
                    break;
            }
            var parts = new List<Tensor>(3);
            if (lo != null) parts.Add(lo);
            parts.Add(x);
            if (hi != null) parts.Add(hi);
            x = Cat(parts, d);
        }
        return ReferenceEquals(x, this) ? Reshape(shape) : x;
    }

    static int[] WithDim(int[] shape, int d, int size)
    {
        var s = (int[])shape.Clone();
        s[d] = size;
        return s;
    }

    /// <summary>Reverses the order of elements along <paramref name="dims"/> (<c>torch.flip</c>); a copy.</summary>
    public Tensor Flip(params int[] dims)
    {
        ThrowIfDisposed();
        Tensor x = this;
        foreach (var dim in dims)
        {
            int d = ShapeUtil.NormalizeDim(dim, Dim, "Flip");
            int n = x.shape[d];
            var idx = new long[n];
            for (int i = 0; i < n; i++) idx[i] = n - 1 - i;
            using var it = FromArray(idx);
            x = x.IndexSelect(d, it);
        }
        return ReferenceEquals(x, this) ? Clone() : x;
    }
}
