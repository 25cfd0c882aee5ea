namespace NativeNet.Backends.Cpu;

/// <summary>
/// Philox4x32-10 counter-based generator: element i of a draw uses counter (offset + i), so results do not
/// depend on thread count and a GPU kernel can reproduce the same streams.
/// </summary>
internal sealed unsafe partial class CpuBackend
{
    public void Random(TensorView y, bool normal, double a, double b, ulong seed, ulong offset)
    {
        int n = y.NumEl;
        if (y.DType == DType.Float32)
        {
            float* p = P<float>(y);
            float hi = (float)b;
            For(n, 16, (s, e) =>
            {
                for (int i = s; i < e; i++)
                {
                    float v = (float)Draw(seed, offset + (ulong)i, normal, a, b);
                    // A double just below b can round up to b in float32: keep uniform draws in [a, b).
                    if (!normal && v >= hi && b > a) v = MathF.BitDecrement(hi);
                    p[i] = v;
                }
            });
        }
        else if (y.DType == DType.Float64)
        {
            double* p = P<double>(y);
            For(n, 16, (s, e) => { for (int i = s; i < e; i++) p[i] = Draw(seed, offset + (ulong)i, normal, a, b); });
        }
        else throw new DTypeMismatchException("Random", $"draws floating-point values, got {y.DType.Name()}");
    }

    static double Draw(ulong seed, ulong counter, bool normal, double a, double b)
    {
        Philox.Generate(seed, counter, out uint r0, out uint r1, out uint r2, out uint r3);
        double u1 = ((((ulong)r0 << 21) ^ r1) & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));
        if (!normal) return a + (b - a) * u1;
        double u2 = ((((ulong)r2 << 21) ^ r3) & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));
        // Box-Muller; 1 - u1 is in (0, 1] so the log is finite.
        return a + b * Math.Sqrt(-2.0 * Math.Log(1.0 - u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>Philox4x32 with 10 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").</summary>
internal static class Philox
{
    internal static void Generate(ulong key, ulong counter, out uint o0, out uint o1, out uint o2, out uint o3)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = 0xD2511F53UL * c0, p1 = 0xCD9E8D57UL * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0, n1 = (uint)p1, n2 = (uint)(p0 >> 32) ^ c3 ^ k1, n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += 0x9E3779B9; k1 += 0xBB67AE85;
        }
        o0 = c0; o1 = c1; o2 = c2; o3 = c3;
    }
}
