namespace NativeNet;

/// <summary>Element type of a tensor (PyTorch <c>torch.dtype</c>). The numeric values are part of the native ABI.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>torch.float32</c>), the default.</summary>
    Float32 = 0,
    /// <summary>64-bit IEEE float (<c>torch.float64</c>), used for gradient checks.</summary>
    Float64 = 1,
    /// <summary>64-bit signed integer (<c>torch.int64</c>), used for indices and class labels.</summary>
    Int64 = 2,
    /// <summary>32-bit signed integer (<c>torch.int32</c>).</summary>
    Int32 = 3,
    /// <summary>Boolean stored as one byte (<c>torch.bool</c>).</summary>
    Bool = 4,
    /// <summary>Unsigned byte (<c>torch.uint8</c>).</summary>
    UInt8 = 5,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeInfo
{
    /// <summary>Size of one element in bytes (<c>torch.dtype.itemsize</c>).</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.Bool or DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for Float32 and Float64 (<c>torch.is_floating_point</c>).</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>The lower-case name PyTorch prints, e.g. "float32".</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.Bool => "bool",
        DType.UInt8 => "uint8",
        _ => dtype.ToString(),
    };

    /// <summary>The dtype of the CLR element type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type (use float, double, long, int, bool or byte)");
    }

    /// <summary>The result dtype of a binary op between two dtypes (PyTorch type promotion, simplified).</summary>
    public static DType Promote(DType a, DType b)
    {
        if (a == b) return a;
        return Rank(a) >= Rank(b) ? a : b;
        static int Rank(DType d) => d switch
        {
            DType.Bool => 0, DType.UInt8 => 1, DType.Int32 => 2, DType.Int64 => 3, DType.Float32 => 4, DType.Float64 => 5, _ => 0,
        };
    }
}
