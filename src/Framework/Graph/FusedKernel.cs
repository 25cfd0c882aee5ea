using System.Numerics;
using System.Numerics.Tensors;
using NativeNet.Backends.Cpu;

namespace NativeNet;

/// <summary>How a side operand of a fused chain maps onto the chain's elements.</summary>
internal enum SideKind : byte
{
    /// <summary>One value for every element.</summary>
    Scalar,
    /// <summary>Same shape as the chain value, contiguous: element i.</summary>
    Full,
    /// <summary>Matches the trailing dims (a bias over [N, C]): element i % Mid.</summary>
    Trailing,
    /// <summary>Matches a middle run of dims (a [C, 1, 1] bias over NCHW): element (i / Inner) % Mid, constant over runs of Inner.</summary>
    Channel,
}

/// <summary>A side operand resolved for one run: raw pointer into contiguous data plus its broadcast pattern.</summary>
internal unsafe struct FusedSide<T> where T : unmanaged
{
    internal SideKind Kind;
    internal T Value;
    internal T* Data;
    internal T* Shift; // BatchNorm: per-channel shift (Data is the scale)
    internal int Mid, Inner;
}

/// <summary>
/// The fused elementwise kernel: a small interpreter over blocks of <see cref="Block"/> elements. Each instruction is one
/// vectorized TensorPrimitives call on a block that stays in L1, so a chain of k ops makes one pass over memory
/// instead of k. The first instruction reads the source, the rest work in place on the destination block (which may be
/// the source itself when the executor runs the chain in place).
/// </summary>
internal static unsafe class FusedKernel
{
    internal const int Block = 2048;

    internal static void Run<T>(FusedInstr[] program, FusedSide<T>[] sides, T* src, T* dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = (n + Block - 1) / Block;
        if (n < CpuBackend.ParallelThreshold)
        {
            for (int b = 0; b < blocks; b++) RunBlock(program, sides, src, dst, b * Block, Math.Min(Block, n - b * Block));
            return;
        }
        CpuBackend.For(blocks, Block * program.Length, (s, e) =>
        {
            for (int b = s; b < e; b++) RunBlock(program, sides, src, dst, b * Block, Math.Min(Block, n - b * Block));
        });
    }

    static void RunBlock<T>(FusedInstr[] program, FusedSide<T>[] sides, T* src, T* dst, int start, int len) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var acc = new Span<T>(dst + start, len);
        ReadOnlySpan<T> a = new(src + start, len);
        foreach (var ins in program)
        {
            Apply(ins, sides, a, acc, start);
            a = acc;
        }
        if (program.Length == 0 && src != dst) a.CopyTo(acc); // e.g. a Clip without bounds
    }

    static void Apply<T>(in FusedInstr ins, FusedSide<T>[] sides, ReadOnlySpan<T> a, Span<T> y, int start) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (ins.Op)
        {
            case FusedOp.Relu: TensorPrimitives.Max(a, T.Zero, y); return;
            case FusedOp.Sigmoid: TensorPrimitives.Sigmoid(a, y); return;
            case FusedOp.Tanh: TensorPrimitives.Tanh(a, y); return;
            case FusedOp.Exp: TensorPrimitives.Exp(a, y); return;
            case FusedOp.Log: TensorPrimitives.Log(a, y); return;
            case FusedOp.Sqrt: TensorPrimitives.Sqrt(a, y); return;
            case FusedOp.Neg: TensorPrimitives.Negate(a, y); return;
            case FusedOp.Abs: TensorPrimitives.Abs(a, y); return;
            case FusedOp.Reciprocal: TensorPrimitives.Reciprocal(a, y); return;
            case FusedOp.Floor: TensorPrimitives.Floor(a, y); return;
            case FusedOp.Ceil: TensorPrimitives.Ceiling(a, y); return;
            case FusedOp.Sin: TensorPrimitives.Sin(a, y); return;
            case FusedOp.Cos: TensorPrimitives.Cos(a, y); return;
            case FusedOp.Erf:
                for (int i = 0; i < a.Length; i++) y[i] = T.CreateTruncating(SpecialFunctions.Erf(double.CreateTruncating(a[i])));
                return;
            case FusedOp.LeakyRelu:
                {
                    T alpha = T.CreateTruncating(ins.Scalar);
                    for (int i = 0; i < a.Length; i++) y[i] = a[i] < T.Zero ? a[i] * alpha : a[i];
                    return;
                }
            case FusedOp.ClipMin: TensorPrimitives.Max(a, T.CreateTruncating(ins.Scalar), y); return;
            case FusedOp.ClipMax: TensorPrimitives.Min(a, T.CreateTruncating(ins.Scalar), y); return;
            case FusedOp.BatchNorm:
                {
                    var s = sides[ins.Side];
                    int k = 0, len = a.Length;
                    long i = start;
                    while (k < len)
                    {
                        int c = (int)(i / s.Inner % s.Mid);
                        int seg = (int)Math.Min(len - k, s.Inner - i % s.Inner);
                        TensorPrimitives.Multiply(a.Slice(k, seg), s.Data[c], y.Slice(k, seg));
                        TensorPrimitives.Add(y.Slice(k, seg), s.Shift[c], y.Slice(k, seg));
                        k += seg;
                        i += seg;
                    }
                    return;
                }
        }
        if (ins.Side == FusedInstr.Self)
        {
            Binary(ins.Op, a, a, y);
            return;
        }
        var side = sides[ins.Side];
        switch (side.Kind)
        {
            case SideKind.Scalar:
                BinaryScalar(ins.Op, a, side.Value, ins.SideFirst, y);
                return;
            case SideKind.Full:
                {
                    var b = new ReadOnlySpan<T>(side.Data + start, a.Length);
                    if (ins.SideFirst) Binary(ins.Op, b, a, y);
                    else Binary(ins.Op, a, b, y);
                    return;
                }
            case SideKind.Trailing:
                {
                    int k = 0, len = a.Length, pos = (int)((long)start % side.Mid);
                    while (k < len)
                    {
                        int seg = Math.Min(len - k, side.Mid - pos);
                        var b = new ReadOnlySpan<T>(side.Data + pos, seg);
                        if (ins.SideFirst) Binary(ins.Op, b, a.Slice(k, seg), y.Slice(k, seg));
                        else Binary(ins.Op, a.Slice(k, seg), b, y.Slice(k, seg));
                        k += seg;
                        pos = 0;
                    }
                    return;
                }
            default:
                {
                    int k = 0, len = a.Length;
                    long i = start;
                    while (k < len)
                    {
                        int c = (int)(i / side.Inner % side.Mid);
                        int seg = (int)Math.Min(len - k, side.Inner - i % side.Inner);
                        BinaryScalar(ins.Op, a.Slice(k, seg), side.Data[c], ins.SideFirst, y.Slice(k, seg));
                        k += seg;
                        i += seg;
                    }
                    return;
                }
        }
    }

    static void Binary<T>(FusedOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case FusedOp.Add: TensorPrimitives.Add(a, b, y); break;
            case FusedOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case FusedOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case FusedOp.Div: TensorPrimitives.Divide(a, b, y); break;
            case FusedOp.Max: TensorPrimitives.Max(a, b, y); break;
            case FusedOp.Min: TensorPrimitives.Min(a, b, y); break;
            default: TensorPrimitives.Pow(a, b, y); break;
        }
    }

    static void BinaryScalar<T>(FusedOp op, ReadOnlySpan<T> a, T s, bool scalarFirst, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case FusedOp.Add: TensorPrimitives.Add(a, s, y); break;
            case FusedOp.Mul: TensorPrimitives.Multiply(a, s, y); break;
            case FusedOp.Max: TensorPrimitives.Max(a, s, y); break;
            case FusedOp.Min: TensorPrimitives.Min(a, s, y); break;
            case FusedOp.Sub:
                if (scalarFirst) TensorPrimitives.Subtract(s, a, y);
                else TensorPrimitives.Subtract(a, s, y);
                break;
            case FusedOp.Div:
                if (scalarFirst) TensorPrimitives.Divide(s, a, y);
                else TensorPrimitives.Divide(a, s, y);
                break;
            default:
                if (scalarFirst) TensorPrimitives.Pow(s, a, y);
                else TensorPrimitives.Pow(a, s, y);
                break;
        }
    }
}
