using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeNet;

/// <summary>AVX2 rows of the float32 Conv+MaxPool training kernels: eight 2×2 windows per iteration.</summary>
public unsafe partial class Tensor
{
    /// <summary>
    /// Pools windows [0, n) of one row pair (n a multiple of 8 at most <paramref name="pw"/>) with the scalar loop's
    /// exact results: vmaxps is maxss lane by lane, and the flags are the same comparisons. Returns the number of
    /// windows done; <paramref name="nan"/> is set when a value is NaN (the caller then redoes the row).
    /// </summary>
    static int PoolRowAvx(float* r0, float* r1, float* o, byte* c, int pw, bool relu, ref bool nan)
    {
        if (!Avx2.IsSupported) return 0;
        var zero = Vector256<float>.Zero;
        var two = Vector256.Create(2);
        var passBit = Vector256.Create(PassBit);
        var always = relu ? Vector256<int>.Zero : passBit;
        var unordered = Vector256<float>.Zero;
        int j = 0;
        for (; j + 8 <= pw; j += 8)
        {
            int x = 2 * j;
            Vector256<float> v0 = Avx.LoadVector256(r0 + x), v1 = Avx.LoadVector256(r0 + x + 8);
            Vector256<float> w0 = Avx.LoadVector256(r1 + x), w1 = Avx.LoadVector256(r1 + x + 8);
            // Even and odd columns; lanes hold windows 0,1,4,5,2,3,6,7 (in-lane shuffles), put in order before storing.
            var a = Avx.Shuffle(v0, v1, 0b10_00_10_00);
            var b = Avx.Shuffle(v0, v1, 0b11_01_11_01);
            var d = Avx.Shuffle(w0, w1, 0b10_00_10_00);
            var e = Avx.Shuffle(w0, w1, 0b11_01_11_01);
            unordered = Avx.Or(unordered, Avx.Or(Avx.CompareUnordered(a, b), Avx.CompareUnordered(d, e)));
            var ib = Vector256<int>.Zero - Avx.CompareGreaterThan(b, a).AsInt32();
            var ie = Vector256<int>.Zero - Avx.CompareGreaterThan(e, d).AsInt32();
            Vector256<float> m01 = Avx.Max(a, b), m23 = Avx.Max(d, e);
            var second = Avx.CompareGreaterThan(m23, m01).AsInt32();
            var m = Avx.Max(m01, m23);
            var k = Vector256.ConditionalSelect(second, two + ie, ib);
            var code = k | (Avx.CompareGreaterThan(m, zero).AsInt32() & passBit) | always;
            Avx.Store(o + j, Avx2.Permute4x64(m.AsDouble(), 0b11_01_10_00).AsSingle());
            var ordered = Avx2.Permute4x64(code.AsInt64(), 0b11_01_10_00).AsUInt32();
            var bytes = Vector256.Narrow(Vector256.Narrow(ordered, ordered), Vector256<ushort>.Zero);
            *(ulong*)(c + j) = bytes.AsUInt64().ToScalar();
        }
        if (Avx.MoveMask(unordered) != 0) nan = true;
        return j;
    }

    /// <summary>
    /// Writes the gradient of one row pair for windows [0, n) (n a multiple of 8 at most <paramref name="pw"/>): each
    /// window's four values, the passed gradient at its maximum and zeros elsewhere. Returns the number of windows done.
    /// </summary>
    static int UnpoolRowAvx(float* g, byte* c, float* r0, float* r1, int pw)
    {
        if (!Avx2.IsSupported) return 0;
        var passBit = Vector256.Create(PassBit);
        var three = Vector256.Create(3);
        Vector256<int> k0 = Vector256<int>.Zero, k1 = Vector256.Create(1), k2 = Vector256.Create(2);
        int j = 0;
        for (; j + 8 <= pw; j += 8)
        {
            var code = Avx2.ConvertToVector256Int32(c + j);
            var pass = Avx2.CompareEqual(code & passBit, passBit).AsSingle();
            var gv = Avx.And(Avx.Add(Vector256<float>.Zero, Avx.LoadVector256(g + j)), pass); // 0 + g, as a scatter onto zeros
            var k = code & three;
            var e0 = Avx.And(gv, Avx2.CompareEqual(k, k0).AsSingle());
            var e1 = Avx.And(gv, Avx2.CompareEqual(k, k1).AsSingle());
            var e2 = Avx.And(gv, Avx2.CompareEqual(k, k2).AsSingle());
            var e3 = Avx.And(gv, Avx2.CompareEqual(k, three).AsSingle());
            int x = 2 * j;
            Interleave(e0, e1, r0 + x);
            Interleave(e2, e3, r1 + x);
        }
        return j;
    }

    /// <summary>Stores even[0], odd[0], even[1], odd[1], ... (16 floats).</summary>
    static void Interleave(Vector256<float> even, Vector256<float> odd, float* dst)
    {
        var lo = Avx.UnpackLow(even, odd);   // windows 0,1 | 4,5
        var hi = Avx.UnpackHigh(even, odd);  // windows 2,3 | 6,7
        Avx.Store(dst, Avx.Permute2x128(lo, hi, 0x20));
        Avx.Store(dst + 8, Avx.Permute2x128(lo, hi, 0x31));
    }
}
