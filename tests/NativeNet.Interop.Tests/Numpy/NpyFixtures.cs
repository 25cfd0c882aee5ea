using System.Text.Json;

namespace NativeNet.Interop.Tests.Numpy;

/// <summary>The numpy-written files under tests/fixtures/npy (tools/reference/npy_fixtures.py) and their manifest.</summary>
internal static class NpyFixtures
{
    static readonly Lazy<string> DirLazy = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "fixtures", "npy");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/npy not found above {AppContext.BaseDirectory}");
    });

    static readonly Lazy<JsonElement> ManifestLazy = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json"))).RootElement);

    public static string Dir => DirLazy.Value;

    public static string File_(string name) => Path.Combine(Dir, name);

    public static JsonElement Manifest => ManifestLazy.Value;

    /// <summary>The tensor dtype a numpy dtype string loads as (NativeNet has no int8/int16/uint16/uint32).</summary>
    public static DType ExpectedDType(string numpyDType) => numpyDType[1..] switch
    {
        "f4" => DType.Float32,
        "f8" => DType.Float64,
        "i8" or "u4" => DType.Int64,
        "i4" or "i2" or "i1" or "u2" => DType.Int32,
        "u1" => DType.UInt8,
        "b1" => DType.Bool,
        _ => throw new ArgumentException(numpyDType),
    };

    /// <summary>Asserts dtype, shape and every value of <paramref name="t"/> against a manifest entry.</summary>
    public static void AssertMatches(JsonElement entry, Tensor t, string what)
    {
        var dtype = ExpectedDType(entry.GetProperty("dtype").GetString()!);
        Assert.True(dtype == t.DType, $"{what}: dtype {t.DType}, expected {dtype}");
        Assert.Equal(entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), t.Shape.ToArray());
        var values = entry.GetProperty("values").EnumerateArray().ToArray();
        switch (t.DType)
        {
            case DType.Float32: Assert.Equal(values.Select(v => (float)v.GetDouble()), t.ToArray<float>()); break;
            case DType.Float64: Assert.Equal(values.Select(v => v.GetDouble()), t.ToArray<double>()); break;
            case DType.Int64: Assert.Equal(values.Select(v => v.GetInt64()), t.ToArray<long>()); break;
            case DType.Int32: Assert.Equal(values.Select(v => v.GetInt32()), t.ToArray<int>()); break;
            case DType.UInt8: Assert.Equal(values.Select(v => v.GetByte()), t.ToArray<byte>()); break;
            case DType.Bool: Assert.Equal(values.Select(v => v.GetBoolean()), t.ToArray<bool>()); break;
            default: throw new ArgumentException(t.DType.ToString());
        }
    }
}
