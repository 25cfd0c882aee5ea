namespace NativeNet;

/// <summary>Shape arithmetic shared by ops and backends: element counts, strides, broadcasting, dim normalization.</summary>
internal static class ShapeUtil
{
    internal static readonly int[] Scalar = [];

    internal static int NumEl(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape {Format(shape)}");
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException($"shape {Format(shape)} has more than {int.MaxValue} elements");
        }
        return (int)n;
    }

    internal static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 0) return Scalar;
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }
        return s;
    }

    internal static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    internal static int NormalizeDim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor of rank {rank} (expected in [{-r}, {r - 1}])");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>Like <see cref="NormalizeDim"/> for ops that index the dimension itself: a 0-D tensor has none.</summary>
    internal static int NormalizeDimOf(int dim, int[] shape, string op)
    {
        if (shape.Length == 0)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} does not exist, the tensor is 0-D (shape [])");
        return NormalizeDim(dim, shape.Length, op);
    }

    internal static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>NumPy broadcasting of two shapes; throws naming the op and both shapes.</summary>
    internal static int[] Broadcast(int[] a, int[] b, string op)
    {
        if (a.AsSpan().SequenceEqual(b)) return a;
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da == db || db == 1) r[i] = da;
            else if (da == 1) r[i] = db;
            else throw new ShapeMismatchException(op, $"shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
        }
        return r;
    }

    /// <summary>Strides that read a tensor of <paramref name="shape"/>/<paramref name="strides"/> as <paramref name="target"/> (stride 0 on broadcast dims).</summary>
    internal static int[] BroadcastStrides(int[] shape, int[] strides, int[] target)
    {
        var r = new int[target.Length];
        int off = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            if (i < off) continue;
            r[i] = shape[i - off] == 1 && target[i] != 1 ? 0 : strides[i - off];
        }
        return r;
    }

    internal static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
