using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeNet.Backends.Cpu;

/// <summary>
/// Max pooling with a 2×2 window, stride 2, no padding or dilation (the common case), vectorized with AVX2. The
/// argmax of each window is kept as a one-byte code 0..3 (its row-major position in the window) instead of an Int64
/// flat index: an eighth of the bytes to write and read back. The scan order is PyTorch's: a later element replaces
/// the running maximum only when greater or NaN, so the first maximum wins ties and a NaN propagates (the last one's
/// position is kept). Windows never overlap, so the backward writes every input-gradient element exactly once.
/// </summary>
internal sealed unsafe partial class CpuBackend
{
    /// <summary>Tests set this to run the scalar loops that machines without AVX2 use (results are the same either way).</summary>
    internal static bool ScalarPool2x2ForTests;

    static bool VectorizePool2x2 => Avx2.IsSupported && !ScalarPool2x2ForTests;

    /// <summary>True when <paramref name="g"/> is a non-overlapping 2×2/2 window without padding or dilation, all windows inside the input.</summary>
    internal static bool IsMaxPool2x2(in Pool2dGeometry g)
        => g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0
           && g.DilationH == 1 && g.DilationW == 1 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;

    /// <summary>
    /// Forward of the 2×2/2 case: window maxima into <paramref name="y"/>; window codes (UInt8, y's shape) unless
    /// <paramref name="codes"/> is null. With <paramref name="markDead"/> a window whose maximum is not positive gets
    /// code bit 2 (4..7): its backward writes zeros only, which is ReLU's gradient rule when x is a ReLU's output.
    /// </summary>
    internal void MaxPool2x2(TensorView x, TensorView y, TensorView? codes, in Pool2dGeometry g, bool markDead = false)
    {
        byte* c = codes is { } cv ? P<byte>(cv) : null;
        if (x.DType == DType.Float32) Pool2x2(P<float>(x), P<float>(y), c, g, markDead);
        else if (x.DType == DType.Float64) Pool2x2(P<double>(x), P<double>(y), c, g, markDead);
        else throw new DTypeMismatchException("MaxPool2d", $"needs a floating-point input, got {x.DType.Name()}");
    }

    /// <summary>Backward of the 2×2/2 case: each window's gradient goes to the position its code names, zeros elsewhere.</summary>
    internal void MaxPool2x2Backward(TensorView gy, TensorView codes, TensorView gx, in Pool2dGeometry g)
    {
        if (gy.DType == DType.Float32) Unpool2x2(P<float>(gy), P<byte>(codes), P<float>(gx), g);
        else if (gy.DType == DType.Float64) Unpool2x2(P<double>(gy), P<byte>(codes), P<double>(gx), g);
        else throw new DTypeMismatchException("MaxPool2dBackward", $"needs a floating-point gradient, got {gy.DType.Name()}");
    }

    static void Pool2x2<T>(T* x, T* y, byte* codes, Pool2dGeometry g, bool markDead) where T : unmanaged, INumber<T>
    {
        int H = g.H, W = g.W, OH = g.OH, OW = g.OW;
        // Parallel over output rows: each reads two input rows and writes one output row.
        For(g.N * g.C * OH, 2L * W, (s, e) =>
        {
            if (VectorizePool2x2) PoolRowsAvx2(x, y, codes, H, W, OH, OW, s, e, markDead);
            else
                for (int r = s; r < e; r++)
                {
                    int plane = r / OH, oh = r - plane * OH;
                    T* r0 = x + (long)plane * H * W + 2L * oh * W;
                    PoolRowScalar(r0, r0 + W, y + (long)r * OW, codes == null ? null : codes + (long)r * OW, OW, markDead);
                }
        });
    }

    static void PoolRowScalar<T>(T* r0, T* r1, T* y, byte* codes, int n, bool markDead) where T : unmanaged, INumber<T>
    {
        for (int ow = 0; ow < n; ow++)
        {
            T best = r0[2 * ow];
            int code = 0;
            T v = r0[2 * ow + 1];
            if (v > best || T.IsNaN(v)) { best = v; code = 1; }
            v = r1[2 * ow];
            if (v > best || T.IsNaN(v)) { best = v; code = 2; }
            v = r1[2 * ow + 1];
            if (v > best || T.IsNaN(v)) { best = v; code = 3; }
            y[ow] = best;
            if (markDead && !(best > T.Zero)) code |= 4;
            if (codes != null) codes[ow] = (byte)code;
        }
    }

    /// <summary>
    /// Output rows [rs, re), a vector of outputs at a time (8 float / 4 double). A row at least a vector wide ends with
    /// a vector that overlaps the previous one (recomputing identical outputs, no masks); a shorter row is one masked
    /// vector, its masks built once. Even and odd columns are separated in-lane (shuffle/unpack) and put back in order
    /// with one 64-bit permute; the code bits come out of sign masks through a table that undoes the same lane order.
    /// </summary>
    static void PoolRowsAvx2<T>(T* x, T* y, byte* codes, int H, int W, int OH, int OW, int rs, int re, bool markDead) where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count;
        var inLo = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(2 * OW));
        var inHi = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(2 * OW - w));
        var outMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(OW));
        int plane = rs / OH, oh = rs - plane * OH;
        for (int r = rs; r < re; r++)
        {
            T* r0 = x + (long)plane * H * W + 2L * oh * W;
            T* yr = y + (long)r * OW;
            byte* cr = codes == null ? null : codes + (long)r * OW;
            if (OW >= w)
                for (int ow = 0; ; ow += w)
                {
                    if (ow > OW - w) ow = OW - w;
                    PoolVector(r0 + 2 * ow, r0 + W + 2 * ow, yr + ow, cr == null ? null : cr + ow, w, inLo, inHi, outMask, markDead);
                    if (ow == OW - w) break;
                }
            else PoolVector(r0, r0 + W, yr, cr, OW, inLo, inHi, outMask, markDead);
            if (++oh == OH) { oh = 0; plane++; }
        }
    }

    /// <summary>t outputs (a full vector, or t &lt; w with the masks for t): values, and codes unless null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PoolVector<T>(T* r0, T* r1, T* y, byte* codes, int t, Vector256<int> inLo, Vector256<int> inHi, Vector256<int> outMask, bool markDead)
        where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count;
        LoadPairs(r0, t, inLo, inHi, out var a, out var b);
        LoadPairs(r1, t, inLo, inHi, out var d, out var e);
        var m1 = Later(b, a);
        var best = Vector256.ConditionalSelect(m1, b, a);
        var m2 = Later(d, best);
        best = Vector256.ConditionalSelect(m2, d, best);
        var m3 = Later(e, best);
        best = Vector256.ConditionalSelect(m3, e, best);
        var ordered = Avx2.Permute4x64(best.AsDouble(), 0b11_01_10_00).As<double, T>();
        if (t == w) ordered.Store(y);
        else MaskStore(y, outMask, ordered);
        if (codes == null) return;
        // code = 3 if m3, else 2 if m2, else 1 if m1, else 0: bit 1 = m2 | m3, bit 0 = m3 | (m1 & ~m2).
        uint bit1 = Vector256.ExtractMostSignificantBits(m2 | m3);
        uint bit0 = Vector256.ExtractMostSignificantBits(m3 | Vector256.AndNot(m1, m2));
        ulong[] spread = typeof(T) == typeof(float) ? SpreadFloat : SpreadDouble;
        ulong packed = spread[bit0] | (spread[bit1] << 1);
        if (markDead) packed |= spread[~Vector256.GreaterThan(best, Vector256<T>.Zero).ExtractMostSignificantBits() & (uint)(spread.Length - 1)] << 2;
        if (t == 8) *(ulong*)codes = packed;
        else if (t == 4) *(uint*)codes = (uint)packed;
        else
        {
            if ((t & 4) != 0) { *(uint*)codes = (uint)packed; codes += 4; packed >>= 32; }
            if ((t & 2) != 0) { *(ushort*)codes = (ushort)packed; codes += 2; packed >>= 16; }
            if ((t & 1) != 0) *codes = (byte)packed;
        }
    }

    /// <summary>A lane takes the later element when it is greater than the running maximum or NaN (PyTorch's rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> Later<T>(Vector256<T> v, Vector256<T> best) where T : unmanaged
        => Vector256.GreaterThan(v, best) | ~Vector256.Equals(v, v);

    /// <summary>
    /// Loads 2t consecutive elements (t column pairs; masked by <paramref name="inLo"/>/<paramref name="inHi"/> when t is
    /// short, never touching memory past them) and splits them into even and odd columns, in the in-lane order the
    /// shuffles give (float windows 0,1,4,5,2,3,6,7; double 0,2,1,3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void LoadPairs<T>(T* p, int t, Vector256<int> inLo, Vector256<int> inHi, out Vector256<T> even, out Vector256<T> odd) where T : unmanaged
    {
        int w = Vector256<T>.Count;
        Vector256<T> lo, hi;
        if (t == w) { lo = Vector256.Load(p); hi = Vector256.Load(p + w); }
        else { lo = MaskLoad(p, inLo); hi = MaskLoad(p + w, inHi); }
        if (typeof(T) == typeof(float))
        {
            even = Avx.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b10_00_10_00).As<float, T>();
            odd = Avx.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b11_01_11_01).As<float, T>();
        }
        else
        {
            even = Avx.UnpackLow(lo.AsDouble(), hi.AsDouble()).As<double, T>();
            odd = Avx.UnpackHigh(lo.AsDouble(), hi.AsDouble()).As<double, T>();
        }
    }

    /// <summary>Masked load; <paramref name="lanes32"/> is a per-int32 lane mask, widened to int64 lanes for double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> MaskLoad<T>(T* p, Vector256<int> lanes32) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Avx.MaskLoad((float*)p, lanes32.AsSingle()).As<float, T>();
        return Avx.MaskLoad((double*)p, Widen(lanes32)).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MaskStore<T>(T* p, Vector256<int> lanes32, Vector256<T> v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Avx.MaskStore((float*)p, lanes32.AsSingle(), v.AsSingle());
        else Avx.MaskStore((double*)p, Widen(lanes32), v.AsDouble());
    }

    /// <summary>The low four int32 lane masks as four int64 lane masks (sign-extended).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Widen(Vector256<int> lanes32) => Avx2.ConvertToVector256Int64(lanes32.GetLower()).AsDouble();

    /// <summary>Byte k of entry m is bit k of m placed at the output position of lane k (lane orders of <see cref="LoadPairs"/>).</summary>
    static readonly ulong[] SpreadFloat = BuildSpread([0, 1, 4, 5, 2, 3, 6, 7]), SpreadDouble = BuildSpread([0, 2, 1, 3]);

    static ulong[] BuildSpread(int[] position)
    {
        var table = new ulong[1 << position.Length];
        for (int m = 0; m < table.Length; m++)
            for (int k = 0; k < position.Length; k++)
                if ((m >> k & 1) != 0) table[m] |= 1UL << (8 * position[k]);
        return table;
    }

    static void Unpool2x2<T>(T* gy, byte* codes, T* gx, Pool2dGeometry g) where T : unmanaged, INumber<T>
    {
        int H = g.H, W = g.W, OH = g.OH, OW = g.OW;
        For(g.N * g.C, (long)H * W, (s, e) =>
        {
            int w = Vector256<T>.Count;
            var inMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(OW));
            var outLo = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(2 * OW));
            var outHi = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(2 * OW - w));
            bool vectorize = VectorizePool2x2;
            for (int plane = s; plane < e; plane++)
            {
                T* dst = gx + (long)plane * H * W;
                for (int oh = 0; oh < OH; oh++)
                {
                    long r = (long)plane * OH + oh;
                    T* r0 = dst + 2 * oh * W;
                    T* gr = gy + r * OW;
                    byte* cr = codes + r * OW;
                    if (!vectorize) UnpoolRowScalar(gr, cr, r0, r0 + W, OW);
                    else if (OW >= w)
                        for (int ow = 0; ; ow += w)
                        {
                            // The last vector may overlap the previous one: it rewrites the same values.
                            if (ow > OW - w) ow = OW - w;
                            UnpoolVector(gr + ow, cr + ow, r0 + 2 * ow, r0 + W + 2 * ow, w, inMask, outLo, outHi);
                            if (ow == OW - w) break;
                        }
                    else UnpoolVector(gr, cr, r0, r0 + W, OW, inMask, outLo, outHi);
                    // An odd width leaves a last column no window covers.
                    for (int j = 2 * OW; j < W; j++) { r0[j] = T.Zero; r0[W + j] = T.Zero; }
                }
                new Span<T>(dst + 2L * OH * W, (H - 2 * OH) * W).Clear(); // rows below the last window
            }
        });
    }

    static void UnpoolRowScalar<T>(T* gy, byte* codes, T* r0, T* r1, int n) where T : unmanaged, INumber<T>
    {
        for (int ow = 0; ow < n; ow++)
        {
            T v = gy[ow];
            int c = codes[ow];
            r0[2 * ow] = c == 0 ? v : T.Zero;
            r0[2 * ow + 1] = c == 1 ? v : T.Zero;
            r1[2 * ow] = c == 2 ? v : T.Zero;
            r1[2 * ow + 1] = c == 3 ? v : T.Zero;
        }
    }

    /// <summary>
    /// t outputs' gradient (a full vector, or t &lt; w with the masks for t): codes widened to lanes, four masked copies
    /// of the gradient interleaved into the two input rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void UnpoolVector<T>(T* gy, byte* codes, T* r0, T* r1, int t, Vector256<int> inMask, Vector256<int> outLo, Vector256<int> outHi)
        where T : unmanaged, INumber<T>
    {
        int w = Vector256<T>.Count;
        Vector256<T> v, c;
        if (t == w)
        {
            v = Vector256.Load(gy);
            c = typeof(T) == typeof(float)
                ? Avx2.ConvertToVector256Int32(codes).As<int, T>()
                : Avx2.ConvertToVector256Int64(codes).As<long, T>();
        }
        else
        {
            v = MaskLoad(gy, inMask);
            ulong packed = 0;
            for (int i = 0; i < t; i++) packed |= (ulong)codes[i] << (8 * i);
            var bytes = Vector128.CreateScalar(packed).AsByte();
            c = typeof(T) == typeof(float)
                ? Avx2.ConvertToVector256Int32(bytes).As<int, T>()
                : Avx2.ConvertToVector256Int64(bytes).As<long, T>();
        }
        StorePairs(r0, t, v & CodeIs<T>(c, 0), v & CodeIs<T>(c, 1), outLo, outHi);
        StorePairs(r1, t, v & CodeIs<T>(c, 2), v & CodeIs<T>(c, 3), outLo, outHi);
    }

    /// <summary>All-ones lanes where the (integer) code equals <paramref name="k"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> CodeIs<T>(Vector256<T> codes, int k) where T : unmanaged
        => typeof(T) == typeof(float)
            ? Vector256.Equals(codes.AsInt32(), Vector256.Create(k)).As<int, T>()
            : Vector256.Equals(codes.AsInt64(), Vector256.Create((long)k)).As<long, T>();

    /// <summary>Interleaves even-column and odd-column values and stores the 2t elements in order (masked when t is short).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StorePairs<T>(T* p, int t, Vector256<T> even, Vector256<T> odd, Vector256<int> outLo, Vector256<int> outHi) where T : unmanaged
    {
        Vector256<T> lo, hi;
        if (typeof(T) == typeof(float))
        {
            lo = Avx.UnpackLow(even.AsSingle(), odd.AsSingle()).As<float, T>();
            hi = Avx.UnpackHigh(even.AsSingle(), odd.AsSingle()).As<float, T>();
        }
        else
        {
            lo = Avx.UnpackLow(even.AsDouble(), odd.AsDouble()).As<double, T>();
            hi = Avx.UnpackHigh(even.AsDouble(), odd.AsDouble()).As<double, T>();
        }
        var first = Avx.Permute2x128(lo.AsDouble(), hi.AsDouble(), 0x20).As<double, T>();
        var second = Avx.Permute2x128(lo.AsDouble(), hi.AsDouble(), 0x31).As<double, T>();
        int w = Vector256<T>.Count;
        if (t == w) { first.Store(p); second.Store(p + w); return; }
        MaskStore(p, outLo, first);
        if (2 * t > w) MaskStore(p + w, outHi, second);
    }
}
