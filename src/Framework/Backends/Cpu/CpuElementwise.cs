using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NativeNet.Backends.Cpu;

/// <summary>Elementwise kernels: one generic loop per arity, specialised by op functors (no per-element virtual calls).</summary>
internal sealed unsafe partial class CpuBackend
{
    public void Unary(UnaryOp op, TensorView x, TensorView y)
    {
        switch (x.DType)
        {
            case DType.Float32: UnaryFloat<float>(op, x, y); break;
            case DType.Float64: UnaryFloat<double>(op, x, y); break;
            case DType.Int64: UnaryInt<long>(op, x, y); break;
            case DType.Int32: UnaryInt<int>(op, x, y); break;
            default:
                if (op != UnaryOp.Not) throw new DTypeMismatchException(op.ToString(), $"not defined for {x.DType.Name()}");
                Chunked(x.NumEl, (s, e) => { var a = Span<byte>(x).Slice(s, e - s); var b = Span<byte>(y).Slice(s, e - s); for (int i = 0; i < a.Length; i++) b[i] = a[i] == 0 ? (byte)1 : (byte)0; });
                break;
        }
    }

    /// <summary>Splits a flat range across cores for large tensors.</summary>
    static void Chunked(int n, Action<int, int> body) => For(n, 1, body);

    static void UnaryFloat<T>(UnaryOp op, TensorView x, TensorView y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* px = P<T>(x), py = P<T>(y);
        int n = x.NumEl;
        if (n < ParallelThreshold) UnaryFloatSpan<T>(op, new ReadOnlySpan<T>(px, n), new Span<T>(py, n));
        else Chunked(n, (s, e) => UnaryFloatSpan<T>(op, new ReadOnlySpan<T>(px + s, e - s), new Span<T>(py + s, e - s)));
    }

    static void UnaryFloatSpan<T>(UnaryOp op, ReadOnlySpan<T> a, Span<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(a, b); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(a, b); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(a, b); break;
            case UnaryOp.Log: TensorPrimitives.Log(a, b); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(a, b); break;
            case UnaryOp.Rsqrt: TensorPrimitives.ReciprocalSqrt(a, b); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(a, b); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(a, b); break;
            case UnaryOp.Relu: TensorPrimitives.Max(a, T.Zero, b); break;
            case UnaryOp.Sin: TensorPrimitives.Sin(a, b); break;
            case UnaryOp.Cos: TensorPrimitives.Cos(a, b); break;
            case UnaryOp.Floor: TensorPrimitives.Floor(a, b); break;
            case UnaryOp.Ceil: TensorPrimitives.Ceiling(a, b); break;
            case UnaryOp.Round: for (int i = 0; i < a.Length; i++) b[i] = T.Round(a[i], MidpointRounding.ToEven); break;
            case UnaryOp.Sign: for (int i = 0; i < a.Length; i++) b[i] = T.IsNaN(a[i]) ? a[i] : T.CreateTruncating(T.Sign(a[i])); break;
            case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(a, b); break;
            case UnaryOp.Log1p: TensorPrimitives.LogP1(a, b); break;
            case UnaryOp.Expm1: TensorPrimitives.ExpM1(a, b); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(a, a, b); break;
            case UnaryOp.Erf: for (int i = 0; i < a.Length; i++) b[i] = T.CreateTruncating(SpecialFunctions.Erf(double.CreateTruncating(a[i]))); break;
            default: throw new DTypeMismatchException(op.ToString(), $"not defined for {typeof(T).Name}");
        }
    }

    static void UnaryInt<T>(UnaryOp op, TensorView x, TensorView y) where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        var a = Span<T>(x);
        var b = Span<T>(y);
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate<T>(a, b); break;
            case UnaryOp.Abs: for (int i = 0; i < a.Length; i++) b[i] = T.Abs(a[i]); break;
            case UnaryOp.Sign: for (int i = 0; i < a.Length; i++) b[i] = T.CreateTruncating(T.Sign(a[i])); break;
            case UnaryOp.Square: TensorPrimitives.Multiply<T>(a, a, b); break;
            case UnaryOp.Relu: TensorPrimitives.Max<T>(a, T.Zero, b); break;
            case UnaryOp.Floor or UnaryOp.Ceil or UnaryOp.Round: a.CopyTo(b); break;
            default: throw new DTypeMismatchException(op.ToString(), $"not defined for integer tensors ({x.DType.Name()}); cast to a floating-point dtype first");
        }
    }

    public void Binary(BinaryOp op, TensorView a, TensorView b, TensorView y)
    {
        bool compare = op is BinaryOp.Eq or BinaryOp.Ne or BinaryOp.Lt or BinaryOp.Le or BinaryOp.Gt or BinaryOp.Ge;
        switch (a.DType)
        {
            case DType.Float32: if (compare) Compare<float>(op, a, b, y); else BinaryNum<float>(op, a, b, y); break;
            case DType.Float64: if (compare) Compare<double>(op, a, b, y); else BinaryNum<double>(op, a, b, y); break;
            case DType.Int64: if (compare) Compare<long>(op, a, b, y); else BinaryNum<long>(op, a, b, y); break;
            case DType.Int32: if (compare) Compare<int>(op, a, b, y); else BinaryNum<int>(op, a, b, y); break;
            case DType.UInt8: if (compare) Compare<byte>(op, a, b, y); else BinaryNum<byte>(op, a, b, y); break;
            default:
                if (compare) Compare<byte>(op, a, b, y);
                else if (op is BinaryOp.And or BinaryOp.Or or BinaryOp.Xor) BinaryNum<byte>(op, a, b, y);
                else throw new DTypeMismatchException(op.ToString(), "not defined for bool tensors (use And/Or/Xor or cast first)");
                break;
        }
    }

    static void BinaryNum<T>(BinaryOp op, TensorView a, TensorView b, TensorView y) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case BinaryOp.Add: Run<T, AddF<T>>(a, b, y); break;
            case BinaryOp.Sub: Run<T, SubF<T>>(a, b, y); break;
            case BinaryOp.Mul: Run<T, MulF<T>>(a, b, y); break;
            case BinaryOp.Div: Run<T, DivF<T>>(a, b, y); break;
            case BinaryOp.Maximum: Run<T, MaxF<T>>(a, b, y); break;
            case BinaryOp.Minimum: Run<T, MinF<T>>(a, b, y); break;
            case BinaryOp.Pow: Run<T, PowF<T>>(a, b, y); break;
            case BinaryOp.ReluGrad: Run<T, ReluGradF<T>>(a, b, y); break;
            case BinaryOp.Remainder: Run<T, RemF<T>>(a, b, y); break;
            case BinaryOp.And: Run<T, AndF<T>>(a, b, y); break;
            case BinaryOp.Or: Run<T, OrF<T>>(a, b, y); break;
            case BinaryOp.Xor: Run<T, XorF<T>>(a, b, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }

    /// <summary>The one broadcasting binary loop: dense rows vectorized, stride-0 operands splatted, anything else scalar.</summary>
    static void Run<T, F>(TensorView a, TensorView b, TensorView y) where T : unmanaged where F : IBinaryFn<T>
    {
        int total = y.NumEl;
        if (total < ParallelThreshold)
        {
            // Fast paths for small dense work: no layout analysis, no allocation (per-op overhead matters here).
            bool da = ReferenceEquals(a.Strides, y.Strides) || a.IsContiguous, db = ReferenceEquals(b.Strides, y.Strides) || b.IsContiguous;
            bool sa0 = IsAllZero(a.Strides), sb0 = IsAllZero(b.Strides);
            if ((da || sa0) && (db || sb0) && y.IsContiguous)
            {
                Row<T, F>(P<T>(a), sa0 ? 0 : 1, P<T>(b), sb0 ? 0 : 1, P<T>(y), total);
                return;
            }
        }
        var lay = new StridedLayout(y.Shape, a.Strides, b.Strides, y.Strides);
        T* pa = P<T>(a), pb = P<T>(b), py = P<T>(y);
        int n = lay.Inner, sa = lay.InnerStride[0], sb = lay.InnerStride[1];
        if (lay.Rows == 1)
        {
            Chunked(n, (s, e) => Row<T, F>(pa + (long)s * sa, sa, pb + (long)s * sb, sb, py + s, e - s));
            return;
        }
        For(lay.Rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                Row<T, F>(pa + lay.RowOffset(0, r), sa, pb + lay.RowOffset(1, r), sb, py + lay.RowOffset(2, r), n);
        });
    }

    static void Row<T, F>(T* a, int sa, T* b, int sb, T* y, int n) where T : unmanaged where F : IBinaryFn<T>
    {
        int i = 0;
        if (F.Vectorized && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= Vector256<T>.Count)
        {
            int w = Vector256<T>.Count;
            if (sa == 1 && sb == 1)
                for (; i <= n - w; i += w) F.Apply(Vector256.Load(a + i), Vector256.Load(b + i)).Store(y + i);
            else if (sa == 0 && sb == 1)
            {
                var va = Vector256.Create(*a);
                for (; i <= n - w; i += w) F.Apply(va, Vector256.Load(b + i)).Store(y + i);
            }
            else if (sa == 1 && sb == 0)
            {
                var vb = Vector256.Create(*b);
                for (; i <= n - w; i += w) F.Apply(Vector256.Load(a + i), vb).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = F.Apply(a[(long)i * sa], b[(long)i * sb]);
    }

    static bool IsAllZero(int[] strides)
    {
        foreach (var s in strides) if (s != 0) return false;
        return true;
    }

    static void Compare<T>(BinaryOp op, TensorView a, TensorView b, TensorView y) where T : unmanaged, INumber<T>
    {
        var lay = new StridedLayout(y.Shape, a.Strides, b.Strides, y.Strides);
        T* pa = P<T>(a), pb = P<T>(b);
        byte* py = P<byte>(y);
        int n = lay.Inner, sa = lay.InnerStride[0], sb = lay.InnerStride[1];
        For(lay.Rows, n, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                T* ra = pa + lay.RowOffset(0, r), rb = pb + lay.RowOffset(1, r);
                byte* ry = py + lay.RowOffset(2, r);
                for (int i = 0; i < n; i++)
                {
                    T u = ra[(long)i * sa], v = rb[(long)i * sb];
                    bool res = op switch
                    {
                        BinaryOp.Eq => u == v,
                        BinaryOp.Ne => u != v,
                        BinaryOp.Lt => u < v,
                        BinaryOp.Le => u <= v,
                        BinaryOp.Gt => u > v,
                        _ => u >= v,
                    };
                    ry[i] = res ? (byte)1 : (byte)0;
                }
            }
        });
    }

    public void BinaryScalar(BinaryOp op, TensorView x, double s, bool scalarFirst, TensorView y)
    {
        // A stride-0 one-element view lets the broadcasting loop handle scalars without a native allocation.
        var scalar = new CpuScalar(x.DType, s);
        var sv = new TensorView(scalar.Storage, x.Shape, new int[x.Shape.Length], 0, x.DType);
        if (scalarFirst) Binary(op, sv, x, y);
        else Binary(op, x, sv, y);
    }

    public void Clamp(TensorView x, double min, double max, TensorView y)
    {
        switch (x.DType)
        {
            case DType.Float32: ClampT(Span<float>(x), Span<float>(y), (float)min, (float)max); break;
            case DType.Float64: ClampT(Span<double>(x), Span<double>(y), min, max); break;
            case DType.Int64: ClampT(Span<long>(x), Span<long>(y), (long)Math.Max(min, long.MinValue), (long)Math.Min(max, long.MaxValue)); break;
            case DType.Int32: ClampT(Span<int>(x), Span<int>(y), (int)Math.Max(min, int.MinValue), (int)Math.Min(max, int.MaxValue)); break;
            default: throw new DTypeMismatchException("Clamp", $"not defined for {x.DType.Name()}");
        }
    }

    static void ClampT<T>(Span<T> x, Span<T> y, T min, T max) where T : unmanaged, INumber<T>
    {
        TensorPrimitives.Max<T>(x, min, y);
        TensorPrimitives.Min<T>(y, max, y);
    }

    public void Where(TensorView cond, TensorView a, TensorView b, TensorView y)
    {
        int es = a.DType.ElementSize();
        var lay = new StridedLayout(y.Shape, cond.Strides, a.Strides, b.Strides, y.Strides);
        byte* pc = P<byte>(cond);
        byte* pa = S(a).Pointer + (long)a.Offset * es, pb = S(b).Pointer + (long)b.Offset * es, py = S(y).Pointer + (long)y.Offset * es;
        for (int r = 0; r < lay.Rows; r++)
        {
            int oc = lay.RowOffset(0, r), oa = lay.RowOffset(1, r), ob = lay.RowOffset(2, r), oy = lay.RowOffset(3, r);
            for (int i = 0; i < lay.Inner; i++)
            {
                bool c = pc[oc + i * lay.InnerStride[0]] != 0;
                byte* src = c ? pa + (long)(oa + i * lay.InnerStride[1]) * es : pb + (long)(ob + i * lay.InnerStride[2]) * es;
                Buffer.MemoryCopy(src, py + (long)(oy + i * lay.InnerStride[3]) * es, es, es);
            }
        }
    }
}

/// <summary>A one-element host buffer holding a scalar operand in a tensor's dtype.</summary>
internal readonly unsafe struct CpuScalar
{
    internal readonly CpuStorage Storage;

    internal CpuScalar(DType dtype, double value)
    {
        Storage = ScalarCache.Get();
        var v = new TensorView(Storage, ShapeUtil.Scalar, ShapeUtil.Scalar, 0, dtype);
        CpuBackend.Instance.Fill(v, value);
    }
}

/// <summary>Per-thread scratch buffer for scalar operands (never shared across threads, never freed).</summary>
internal static class ScalarCache
{
    [ThreadStatic] static CpuStorage? storage;
    internal static CpuStorage Get() => storage ??= new CpuStorage(16);
}
