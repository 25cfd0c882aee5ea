using System.Numerics;
using System.Runtime.Intrinsics;

namespace NativeNet.Backends.Cpu;

/// <summary>A binary elementwise op as a static functor: scalar form and, when <see cref="Vectorized"/>, a Vector256 form.</summary>
internal interface IBinaryFn<T> where T : unmanaged
{
    static abstract bool Vectorized { get; }
    static abstract T Apply(T a, T b);
    static abstract Vector256<T> Apply(Vector256<T> a, Vector256<T> b);
}

internal readonly struct AddF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => true;
    public static T Apply(T a, T b) => a + b;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a + b;
}

internal readonly struct SubF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => true;
    public static T Apply(T a, T b) => a - b;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a - b;
}

internal readonly struct MulF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => true;
    public static T Apply(T a, T b) => a * b;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a * b;
}

internal readonly struct DivF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => typeof(T) == typeof(float) || typeof(T) == typeof(double);
    public static T Apply(T a, T b)
    {
        if (typeof(T) == typeof(float) || typeof(T) == typeof(double)) return a / b;
        if (b == T.Zero) throw new DivideByZeroException("Div: integer division by zero");
        // Integer division floors like Python's // would truncate; PyTorch's div on ints returns float, the op layer casts first.
        return a / b;
    }
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a / b;
}

internal readonly struct MaxF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => true;
    public static T Apply(T a, T b) => T.IsNaN(a) || T.IsNaN(b) ? a + b : (a > b ? a : b);
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
}

internal readonly struct MinF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => true;
    public static T Apply(T a, T b) => T.IsNaN(a) || T.IsNaN(b) ? a + b : (a < b ? a : b);
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
}

internal readonly struct PowF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => false;
    public static T Apply(T a, T b)
    {
        if (typeof(T) == typeof(float)) return (T)(object)MathF.Pow((float)(object)a, (float)(object)b);
        if (typeof(T) == typeof(double)) return (T)(object)Math.Pow((double)(object)a, (double)(object)b);
        // Integer power by squaring; negative exponents are rejected by the op layer.
        T r = T.One, x = a;
        long e = long.CreateTruncating(b);
        while (e > 0) { if ((e & 1) != 0) r *= x; x *= x; e >>= 1; }
        return r;
    }
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => throw new InvalidOperationException();
}

internal readonly struct RemF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => false;
    // Python/PyTorch remainder: the result has the sign of the divisor.
    public static T Apply(T a, T b)
    {
        T r = a % b;
        return r != T.Zero && (r < T.Zero) != (b < T.Zero) ? r + b : r;
    }
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => throw new InvalidOperationException();
}

internal readonly struct ReluGradF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => true;
    public static T Apply(T g, T x) => x > T.Zero ? g : T.Zero;
    public static Vector256<T> Apply(Vector256<T> g, Vector256<T> x)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), g, Vector256<T>.Zero);
}

internal readonly struct AndF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => false;
    public static T Apply(T a, T b) => a != T.Zero && b != T.Zero ? T.One : T.Zero;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => throw new InvalidOperationException();
}

internal readonly struct OrF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => false;
    public static T Apply(T a, T b) => a != T.Zero || b != T.Zero ? T.One : T.Zero;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => throw new InvalidOperationException();
}

internal readonly struct XorF<T> : IBinaryFn<T> where T : unmanaged, INumber<T>
{
    public static bool Vectorized => false;
    public static T Apply(T a, T b) => (a != T.Zero) != (b != T.Zero) ? T.One : T.Zero;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => throw new InvalidOperationException();
}
