using System.Diagnostics;
using static NativeNet.Interop.Tests.OnnxFormat.OnnxModels;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>
/// Hostile input: thousands of byte-level mutations of small valid models (truncations, bit flips, byte overwrites,
/// corrupted length fields, spliced garbage). Each must load and run, or fail with a typed error, within a time limit.
/// </summary>
public sealed class OnnxFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly (string Name, byte[] Bytes)[] Seeds =
        [("mlp", Bytes(Mlp())), ("cnn", Bytes(Cnn())), ("if", Bytes(WithIf())), ("datashapes", Bytes(DataShapes()))];

    [Fact]
    public void SeedsAreValid()
    {
        foreach (var (name, bytes) in Seeds) Assert.Null(Attempt(bytes, name));
    }

    [Fact]
    public async Task MutatedModelsGiveTypedErrorsOrResults()
    {
        var rng = new Random(20240611);
        int variants = 0;
        var failures = new List<string>();
        var sw = Stopwatch.StartNew();
        foreach (var (name, seed) in Seeds)
        {
            foreach (var (kind, bytes) in Mutations(seed, rng))
            {
                variants++;
                var watch = Stopwatch.StartNew();
                var task = Task.Run(() => Attempt(bytes, $"{name}/{kind}"));
                if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10))) != task) { failures.Add($"{name}/{kind}: no result after 10 s (hang)"); continue; }
                if (await task is { } bad) failures.Add(bad);
                if (watch.Elapsed > TimeSpan.FromSeconds(2)) failures.Add($"{name}/{kind}: took {watch.Elapsed.TotalSeconds:F1} s");
            }
        }
        output.WriteLine($"{variants} variants, {ran} loaded and ran, the rest failed with typed errors; {sw.Elapsed.TotalSeconds:F1} s");
        Assert.True(variants >= 3000, $"only {variants} variants");
        Assert.True(failures.Count == 0, $"{failures.Count} of {variants} variants misbehaved:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"fuzzing took {sw.Elapsed}");
    }

    /// <summary>Null when the model loaded (and ran) or failed with a typed error; otherwise what went wrong.</summary>
    static int ran;

    static string? Attempt(byte[] bytes, string name)
    {
        try
        {
            using var scope = Tensor.Scope();
            var graph = Onnx.LoadGraph(bytes, name + ".onnx");
            var plan = graph.Compile();
            var inputs = new Tensor[graph.Inputs.Count];
            for (int i = 0; i < inputs.Length; i++)
            {
                var v = graph.Inputs[i];
                var shape = v.StaticShape;
                if (v.Kind != GraphValueKind.Tensor || v.DType == null || shape == null || shape.Aggregate(1L, (p, d) => p * d) > 1 << 20) return null;
                inputs[i] = v.DType == DType.Bool ? Tensor.Full(shape, 1, DType.Bool) : Tensor.Rand(shape).To(v.DType.Value);
            }
            using (Autograd.NoGrad()) plan.Run(inputs);
            Interlocked.Increment(ref ran);
            return null;
        }
        catch (Exception e) when (IsTyped(e)) { return null; }
        catch (Exception e) { return $"{name}: {e.GetType().Name}: {e.Message}"; }
    }

    static bool IsTyped(Exception e) => e switch
    {
        OnnxFormatException or UnsupportedOperatorException or UnsupportedDataTypeException or GraphValidationException => true,
        GraphExecutionException g => g.InnerException is null or not (NullReferenceException or InvalidCastException),
        ShapeMismatchException or DTypeMismatchException or GraphAttributeException => true,
        _ => false,
    };

    static IEnumerable<(string Kind, byte[] Bytes)> Mutations(byte[] seed, Random rng)
    {
        // Truncations at many lengths.
        for (int len = 0; len < seed.Length; len += Math.Max(1, seed.Length / 150)) yield return ($"truncate{len}", seed[..len]);
        // Random bit flips (1 to 3 bits).
        for (int i = 0; i < 300; i++)
        {
            var b = (byte[])seed.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
            yield return ($"flip{i}", b);
        }
        // Bytes overwritten with extreme values.
        for (int i = 0; i < 150; i++)
        {
            var b = (byte[])seed.Clone();
            b[rng.Next(b.Length)] = (byte)(i % 3 == 0 ? 0xFF : i % 3 == 1 ? 0x00 : 0x7F);
            yield return ($"overwrite{i}", b);
        }
        // Length prefixes of length-delimited fields made huge, zero, or off by a few bytes.
        var lengths = LengthFields(seed).ToList();
        for (int i = 0; i < Math.Min(lengths.Count * 3, 180); i++)
        {
            var (at, size) = lengths[i % lengths.Count];
            byte[] replacement = (i / lengths.Count) switch
            {
                0 => [0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
                1 => [0x00],
                _ => Varint((ulong)Math.Max(0, (int)ReadVarint(seed, at) + rng.Next(-3, 4))),
            };
            yield return ($"length{i}", [.. seed[..at], .. replacement, .. seed[(at + size)..]]);
        }
        // Garbage spliced in.
        for (int i = 0; i < 100; i++)
        {
            int at = rng.Next(seed.Length);
            var junk = new byte[rng.Next(1, 16)];
            rng.NextBytes(junk);
            yield return ($"splice{i}", [.. seed[..at], .. junk, .. seed[at..]]);
        }
    }

    /// <summary>Offsets and sizes of the length varints of wire-type-2 fields, found by walking the protobuf encoding (test-only).</summary>
    static IEnumerable<(int At, int Size)> LengthFields(byte[] data)
    {
        var found = new List<(int, int)>();
        void Walk(int start, int end, int depth)
        {
            int p = start;
            while (p < end && depth < 12)
            {
                ulong key = ReadVarint(data, p, out int kl);
                if (kl == 0) return;
                p += kl;
                switch ((int)(key & 7))
                {
                    case 0: ReadVarint(data, p, out int vl); if (vl == 0) return; p += vl; break;
                    case 1: p += 8; break;
                    case 5: p += 4; break;
                    case 2:
                        ulong len = ReadVarint(data, p, out int ll);
                        if (ll == 0 || p + ll + (long)len > end) return;
                        found.Add((p, ll));
                        Walk(p + ll, p + ll + (int)len, depth + 1);
                        p += ll + (int)len;
                        break;
                    default: return;
                }
            }
        }
        Walk(0, data.Length, 0);
        return found;
    }

    static ulong ReadVarint(byte[] d, int p) => ReadVarint(d, p, out _);

    static ulong ReadVarint(byte[] d, int p, out int len)
    {
        ulong v = 0;
        for (int i = 0; i < 10 && p + i < d.Length; i++)
        {
            v |= (ulong)(d[p + i] & 0x7F) << (7 * i);
            if ((d[p + i] & 0x80) == 0) { len = i + 1; return v; }
        }
        len = 0;
        return 0;
    }

    static byte[] Varint(ulong v)
    {
        var r = new List<byte>();
        do { byte b = (byte)(v & 0x7F); v >>= 7; r.Add(v != 0 ? (byte)(b | 0x80) : b); } while (v != 0);
        return r.ToArray();
    }
}
