using System.Text.Json;

namespace NativeNet.Tests.Ops;

/// <summary>
/// Forward results against PyTorch 1.13 (fixtures from tools/reference/op_fixtures.py): each case runs in float64
/// (tolerance 1e-10) and float32 (rtol 1e-5, atol 1e-6) on the same input values.
/// </summary>
public class TorchReferenceTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Manifest = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("ops", "manifest.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> Cases() => new(Manifest.Value.Keys);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTorch(string name)
    {
        var c = Manifest.Value[name];
        string op = c.GetProperty("op").GetString()!;
        var p = c.GetProperty("params");
        var archive = Fixtures.Path("ops", c.GetProperty("file").GetString()!);
        var outputs = c.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!).ToArray();
        using var scope = Tensor.Scope();
        if (op is "arange" or "linspace")
        {
            var dtype = ParseDType(p.GetProperty("dtype").GetString()!);
            var expected = Fixtures.ReadNpz(archive, $"{name}.y.npy")[0];
            var actual = op == "arange"
                ? Tensor.Arange(p.GetProperty("start").GetDouble(), p.GetProperty("end").GetDouble(), p.GetProperty("step").GetDouble(), dtype)
                : Tensor.Linspace(p.GetProperty("start").GetDouble(), p.GetProperty("end").GetDouble(), p.GetProperty("steps").GetInt32(), dtype);
            AssertClose(name, expected, actual, dtype == DType.Float64 ? 1e-10 : 1e-5, dtype == DType.Float64 ? 1e-10 : 1e-6);
            return;
        }
        var inputEntries = c.GetProperty("input_entries").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var inputs64 = Fixtures.ReadNpz(archive, inputEntries);
        foreach (var dt in c.GetProperty("dtypes").EnumerateArray().Select(d => d.GetString()!))
        {
            bool f64 = dt == "float64";
            var suffix = f64 ? "f64" : "f32";
            var inputs = inputs64.Select(t => t.To(f64 ? DType.Float64 : DType.Float32)).ToArray();
            var expected = Fixtures.ReadNpz(archive, outputs.Select(o => $"{name}.{o}.{suffix}.npy").ToArray());
            var actual = Run(op, p, inputs);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < actual.Length; i++)
                AssertClose($"{name} ({dt}) output '{outputs[i]}'", expected[i], actual[i], f64 ? 1e-10 : 1e-5, f64 ? 1e-10 : 1e-6);
        }
    }

    static DType ParseDType(string s) => s switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        _ => throw new ArgumentException(s),
    };

    static int[] Ints(JsonElement p, string key) => p.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    static int[]? IntsOrNull(JsonElement p, string key) => p.GetProperty(key).ValueKind == JsonValueKind.Null ? null : Ints(p, key);
    static double? DoubleOrNull(JsonElement p, string key) => p.GetProperty(key).ValueKind == JsonValueKind.Null ? null : p.GetProperty(key).GetDouble();
    static bool Bool(JsonElement p, string key) => p.GetProperty(key).GetBoolean();

    static Tensor[] Run(string op, JsonElement p, Tensor[] x)
    {
        switch (op)
        {
            case "conv2d":
                return [Tensor.Conv2d(x[0], x[1], x.Length > 2 ? x[2] : null, Ints(p, "stride"), Ints(p, "padding"), Ints(p, "dilation"), p.GetProperty("groups").GetInt32())];
            case "max_pool2d":
                return [Tensor.MaxPool2d(x[0], Ints(p, "kernel"), Ints(p, "stride"), Ints(p, "padding"), Ints(p, "dilation"), Bool(p, "ceil_mode"))];
            case "avg_pool2d":
                return [Tensor.AvgPool2d(x[0], Ints(p, "kernel"), Ints(p, "stride"), Ints(p, "padding"), Bool(p, "ceil_mode"), Bool(p, "count_include_pad"))];
            case "adaptive_avg_pool2d":
                return [Tensor.AdaptiveAvgPool2d(x[0], Ints(p, "output"))];
            case "softmax":
                return [x[0].Softmax(p.GetProperty("dim").GetInt32())];
            case "log_softmax":
                return [x[0].LogSoftmax(p.GetProperty("dim").GetInt32())];
            case "matmul":
                return [x[0].MatMul(x[1])];
            case "var":
                return [x[0].Var(IntsOrNull(p, "dims"), p.GetProperty("correction").GetInt32(), Bool(p, "keepdim"))];
            case "std":
                return [x[0].Std(IntsOrNull(p, "dims"), p.GetProperty("correction").GetInt32(), Bool(p, "keepdim"))];
            case "logsumexp":
                return [x[0].LogSumExp(Ints(p, "dims"), Bool(p, "keepdim"))];
            case "sum":
                return [x[0].Sum(Ints(p, "dims"), Bool(p, "keepdim"))];
            case "mean":
                return [x[0].Mean(Ints(p, "dims"), Bool(p, "keepdim"))];
            case "amax":
                return [x[0].Amax(Ints(p, "dims"), Bool(p, "keepdim"))];
            case "amin":
                return [x[0].Amin(Ints(p, "dims"), Bool(p, "keepdim"))];
            case "gelu":
                return [x[0].Gelu(p.GetProperty("approximate").GetString()!)];
            case "erf":
                return [x[0].Erf()];
            case "clamp":
                return [x[0].Clamp(DoubleOrNull(p, "min"), DoubleOrNull(p, "max"))];
            case "remainder":
                return [x[0].Remainder(p.GetProperty("s").GetDouble())];
            case "pow_scalar":
                return [x[0].Pow(p.GetProperty("p").GetDouble())];
            case "pow_tensor":
                return [x[0].Pow(x[1])];
            case "argmax" or "argmin":
            {
                bool max = op == "argmax";
                if (p.GetProperty("dim").ValueKind == JsonValueKind.Null) return [max ? x[0].ArgMax() : x[0].ArgMin()];
                int dim = p.GetProperty("dim").GetInt32();
                return [max ? x[0].ArgMax(dim, Bool(p, "keepdim")) : x[0].ArgMin(dim, Bool(p, "keepdim"))];
            }
            case "max_dim" or "min_dim":
            {
                var (v, i) = op == "max_dim" ? x[0].Max(p.GetProperty("dim").GetInt32(), Bool(p, "keepdim")) : x[0].Min(p.GetProperty("dim").GetInt32(), Bool(p, "keepdim"));
                return [v, i];
            }
            default:
                throw new InvalidOperationException($"fixture op '{op}' has no runner");
        }
    }

    /// <summary>Shape and dtype equal; values within atol + rtol·|expected| (NaNs and infinities must match exactly).</summary>
    internal static void AssertClose(string what, Tensor expected, Tensor actual, double rtol, double atol)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape),
            $"{what}: shape [{string.Join(", ", actual.Shape.ToArray())}], expected [{string.Join(", ", expected.Shape.ToArray())}]");
        Assert.True(expected.DType == actual.DType, $"{what}: dtype {actual.DType}, expected {expected.DType}");
        var e = ToDoubles(expected);
        var a = ToDoubles(actual);
        int bad = 0;
        var msg = new System.Text.StringBuilder();
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i])
                : double.IsInfinity(e[i]) ? e[i] == a[i]
                : Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]);
            if (!ok && bad++ < 6) msg.AppendLine($"  element {i}: got {a[i]:R}, torch {e[i]:R}");
        }
        Assert.True(bad == 0, $"{what}: {bad} of {e.Length} elements differ (rtol {rtol}, atol {atol}):\n{msg}");
    }

    /// <summary>Values as doubles without disposing the argument (To returns the same tensor when the dtype matches).</summary>
    internal static double[] ToDoubles(Tensor t)
    {
        var d = t.To(DType.Float64);
        try { return d.Contiguous().ToArray<double>(); }
        finally { if (!ReferenceEquals(d, t)) d.Dispose(); }
    }
}

/// <summary>The comparison helper must not be vacuous.</summary>
public class AssertCloseSelfTests
{
    [Fact]
    public void RejectsMismatchesShapesDtypesAndNaNs()
    {
        using var a = Tensor.FromArray(new[] { 1.0, double.NaN, double.PositiveInfinity });
        using var same = Tensor.FromArray(new[] { 1.0 + 1e-12, double.NaN, double.PositiveInfinity });
        TorchReferenceTests.AssertClose("same", a, same, 1e-10, 1e-10);
        using var off = Tensor.FromArray(new[] { 1.001, double.NaN, double.PositiveInfinity });
        Assert.ThrowsAny<Exception>(() => TorchReferenceTests.AssertClose("off", a, off, 1e-10, 1e-10));
        using var nan = Tensor.FromArray(new[] { 1.0, 2.0, double.PositiveInfinity });
        Assert.ThrowsAny<Exception>(() => TorchReferenceTests.AssertClose("nan", a, nan, 1e-10, 1e-10));
        using var f32 = a.To(DType.Float32);
        Assert.ThrowsAny<Exception>(() => TorchReferenceTests.AssertClose("dtype", a, f32, 1e-10, 1e-10));
        using var r = a.Reshape(3, 1);
        Assert.ThrowsAny<Exception>(() => TorchReferenceTests.AssertClose("shape", a, r, 1e-10, 1e-10));
    }
}
