using NativeNet.Interop;

namespace NativeNet.Tests.NN;

/// <summary>Loads the PyTorch references written by tools/reference/nn_fixtures.py and compares tensors against them.</summary>
internal static class NnFixtures
{
    static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "nn");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/nn not found above " + AppContext.BaseDirectory + "; run /usr/bin/python3 tools/reference/nn_fixtures.py");
    });

    /// <summary>Loads tests/fixtures/nn/{case}/{name}.npy.</summary>
    public static Tensor Load(string @case, string name) => Npy.Load(Path.Combine(Root.Value, @case, name + ".npy"));

    /// <summary>The folder of a shared fixture case written by tools/reference/make_fixtures.py (tests/fixtures/{case}).</summary>
    public static string SharedCase(string @case) => Path.Combine(Root.Value, "..", @case);

    /// <summary>Loads tests/fixtures/{case}/{file} (a shared fixture).</summary>
    public static Tensor LoadShared(string @case, string file) => Npy.Load(Path.Combine(SharedCase(@case), file));

    /// <summary>Parses tests/fixtures/{case}/case.json.</summary>
    public static System.Text.Json.JsonElement SharedCaseJson(string @case) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedCase(@case), "case.json"))).RootElement;

    public static double[] F64(Tensor t)
    {
        if (t.DType == DType.Float64) return t.ToArray<double>();
        using var d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    /// <summary>Asserts equal shapes and |a - e| ≤ atol + rtol·|e| elementwise, naming the worst element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double rtol = 1e-6, double atol = 1e-8, string what = "")
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape),
            $"{what}: shape {ShapeUtil.Format(actual.Shape.ToArray())} != expected {ShapeUtil.Format(expected.Shape.ToArray())}");
        var e = F64(expected);
        var a = F64(actual);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double excess = Math.Abs(a[i] - e[i]) - (atol + rtol * Math.Abs(e[i]));
            if (double.IsNaN(a[i]) != double.IsNaN(e[i]) || excess > worstExcess) { worst = i; worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess; }
        }
        Assert.True(worst < 0, worst < 0 ? "" : $"{what}: element {worst} is {a[worst]:R}, expected {e[worst]:R} (rtol {rtol}, atol {atol})");
    }
}
