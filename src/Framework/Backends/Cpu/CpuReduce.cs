using System.Numerics;
using System.Numerics.Tensors;

namespace NativeNet.Backends.Cpu;

/// <summary>Reductions over the middle axis of [outer, reduce, inner], and softmax along such an axis.</summary>
internal sealed unsafe partial class CpuBackend
{
    public void Reduce(ReduceOp op, TensorView x, int outer, int reduce, int inner, TensorView y)
    {
        switch (x.DType)
        {
            case DType.Float32: ReduceT<float>(op, x, outer, reduce, inner, y); break;
            case DType.Float64: ReduceT<double>(op, x, outer, reduce, inner, y); break;
            case DType.Int64: ReduceT<long>(op, x, outer, reduce, inner, y); break;
            case DType.Int32: ReduceT<int>(op, x, outer, reduce, inner, y); break;
            default: ReduceT<byte>(op, x, outer, reduce, inner, y); break;
        }
    }

    static void ReduceT<T>(ReduceOp op, TensorView x, int outer, int reduce, int inner, TensorView y)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        T* px = P<T>(x);
        if (op is ReduceOp.ArgMax or ReduceOp.ArgMin)
        {
            long* pi = P<long>(y);
            bool max = op == ReduceOp.ArgMax;
            For(outer * inner, reduce, (s, e) =>
            {
                for (int oi = s; oi < e; oi++)
                {
                    int o = oi / inner, i = oi % inner;
                    T* row = px + (long)o * reduce * inner + i;
                    if (inner == 1)
                    {
                        var span = new ReadOnlySpan<T>(row, reduce);
                        pi[oi] = max ? ArgBest(span, true) : ArgBest(span, false);
                        continue;
                    }
                    int best = 0;
                    T bv = row[0];
                    for (int r = 1; r < reduce; r++)
                    {
                        T v = row[(long)r * inner];
                        if (T.IsNaN(bv)) break;
                        if (T.IsNaN(v) || (max ? v > bv : v < bv)) { bv = v; best = r; }
                    }
                    pi[oi] = best;
                }
            });
            return;
        }
        T* py = P<T>(y);
        if (inner == 1)
        {
            For(outer, reduce, (s, e) =>
            {
                for (int o = s; o < e; o++)
                {
                    var row = new ReadOnlySpan<T>(px + (long)o * reduce, reduce);
                    py[o] = op switch
                    {
                        ReduceOp.Sum => reduce == 0 ? T.Zero : TensorPrimitives.Sum(row),
                        ReduceOp.Prod => reduce == 0 ? T.One : TensorPrimitives.Product(row),
                        ReduceOp.Max => TensorPrimitives.Max(row),
                        _ => TensorPrimitives.Min(row),
                    };
                }
            });
            return;
        }
        // Accumulate whole rows of length `inner`: vectorized and cache-friendly.
        For(outer, (long)reduce * inner, (s, e) =>
        {
            for (int o = s; o < e; o++)
            {
                var acc = new Span<T>(py + (long)o * inner, inner);
                T* block = px + (long)o * reduce * inner;
                // An empty reduced axis has no first row to copy: start from the identity instead of reading past the buffer.
                if (reduce == 0) { acc.Fill(op == ReduceOp.Prod ? T.One : T.Zero); continue; }
                new ReadOnlySpan<T>(block, inner).CopyTo(acc);
                for (int r = 1; r < reduce; r++)
                {
                    var row = new ReadOnlySpan<T>(block + (long)r * inner, inner);
                    switch (op)
                    {
                        case ReduceOp.Sum: TensorPrimitives.Add(acc, row, acc); break;
                        case ReduceOp.Prod: TensorPrimitives.Multiply(acc, row, acc); break;
                        case ReduceOp.Max: TensorPrimitives.Max(acc, row, acc); break;
                        default: TensorPrimitives.Min(acc, row, acc); break;
                    }
                }
            }
        });
    }

    static int ArgBest<T>(ReadOnlySpan<T> s, bool max) where T : unmanaged, INumber<T>
    {
        int best = 0;
        for (int i = 1; i < s.Length; i++)
        {
            if (T.IsNaN(s[best])) return best;
            if (T.IsNaN(s[i]) || (max ? s[i] > s[best] : s[i] < s[best])) best = i;
        }
        return best;
    }

    public void Softmax(TensorView x, int outer, int dim, int inner, bool log, TensorView y)
    {
        if (x.DType == DType.Float32) SoftmaxT<float>(x, outer, dim, inner, log, y);
        else if (x.DType == DType.Float64) SoftmaxT<double>(x, outer, dim, inner, log, y);
        else throw new DTypeMismatchException(log ? "LogSoftmax" : "Softmax", $"needs a floating-point tensor, got {x.DType.Name()}");
    }

    static void SoftmaxT<T>(TensorView x, int outer, int dim, int inner, bool log, TensorView y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* px = P<T>(x), py = P<T>(y);
        if (inner == 1)
        {
            For(outer, dim * 4L, (s, e) =>
            {
                for (int o = s; o < e; o++)
                {
                    var a = new ReadOnlySpan<T>(px + (long)o * dim, dim);
                    var b = new Span<T>(py + (long)o * dim, dim);
                    T m = TensorPrimitives.Max(a);
                    if (T.IsInfinity(m) && m < T.Zero) m = T.Zero;
                    TensorPrimitives.Subtract(a, m, b);
                    if (log)
                    {
                        // log_softmax = (x - m) - log(sum(exp(x - m))); keep exp values out of the output.
                        T sum = T.Zero;
                        for (int i = 0; i < dim; i++) sum += T.Exp(b[i]);
                        TensorPrimitives.Subtract(b, T.Log(sum), b);
                    }
                    else
                    {
                        TensorPrimitives.Exp(b, b);
                        T sum = TensorPrimitives.Sum<T>(b);
                        TensorPrimitives.Divide(b, sum, b);
                    }
                }
            });
            return;
        }
        For(outer * inner, dim * 4L, (s, e) =>
        {
            for (int oi = s; oi < e; oi++)
            {
                int o = oi / inner, i = oi % inner;
                T* a = px + (long)o * dim * inner + i, b = py + (long)o * dim * inner + i;
                T m = T.NegativeInfinity;
                for (int d = 0; d < dim; d++) if (a[(long)d * inner] > m) m = a[(long)d * inner];
                if (T.IsInfinity(m)) m = T.Zero;
                T sum = T.Zero;
                for (int d = 0; d < dim; d++) sum += T.Exp(a[(long)d * inner] - m);
                if (log)
                {
                    T ls = T.Log(sum);
                    for (int d = 0; d < dim; d++) b[(long)d * inner] = a[(long)d * inner] - m - ls;
                }
                else
                {
                    for (int d = 0; d < dim; d++) b[(long)d * inner] = T.Exp(a[(long)d * inner] - m) / sum;
                }
            }
        });
    }
}
