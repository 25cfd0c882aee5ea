using Xunit.Abstractions;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>The conformance runner over Debian's libonnx-testdata (skipped with a reason when it is not installed).</summary>
public sealed class OnnxConformanceTests(ITestOutputHelper output)
{
    internal const string Root = "/usr/share/libonnx-testdata/data";

    /// <summary>The node-suite pass count measured for this version (932 cases; ONNX Runtime 1.30 passes 859). It may only go up.</summary>
    internal const int NodeSuiteFloor = 864;

    static readonly Dictionary<string, IReadOnlyList<OnnxCaseResult>> Cache = new();

    static IReadOnlyList<OnnxCaseResult> Run(string suite)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(suite, out var r))
                Cache[suite] = r = OnnxConformance.RunCases(OnnxConformance.FindCases([Path.Combine(Root, suite)]));
            return r;
        }
    }

    static void SkipIfMissing(string suite) =>
        Skip.IfNot(Directory.Exists(Path.Combine(Root, suite)), $"{Root}/{suite} not found: libonnx-testdata is not installed (tools/setup.sh installs it)");

    /// <summary>True when a case's model reads or returns strings (NativeNet has no string tensors).</summary>
    static bool IsStringCase(OnnxCaseResult r)
    {
        var g = Onnx.LoadGraph(Path.Combine(r.Directory, "model.onnx"));
        return g.Inputs.Concat(g.Outputs).Any(v => v.ForeignType == "string");
    }

    [SkippableTheory]
    [InlineData("pytorch-converted")]
    [InlineData("pytorch-operator")]
    [InlineData("simple")]
    public void SuitePassesEveryNonStringCase(string suite)
    {
        SkipIfMissing(suite);
        var results = Run(suite);
        foreach (var r in results.Where(r => r.Status != OnnxCaseStatus.Pass)) output.WriteLine(r.ToString());
        Assert.NotEmpty(results);
        Assert.Empty(results.Where(r => r.Status == OnnxCaseStatus.Fail).Select(r => r.ToString()));
        Assert.Empty(results.Where(r => r.Status == OnnxCaseStatus.Unsupported && !IsStringCase(r)).Select(r => r.ToString()));
    }

    [SkippableFact]
    public void NodeSuitePassCountStaysAtTheFloor()
    {
        SkipIfMissing("node");
        var results = Run("node");
        int passed = results.Count(r => r.Status == OnnxCaseStatus.Pass);
        output.WriteLine(OnnxConformance.Summary(results));
        foreach (var r in results.Where(r => r.Status != OnnxCaseStatus.Pass)) output.WriteLine(r.ToString());
        Assert.Equal(932, results.Count);
        Assert.True(passed >= NodeSuiteFloor, $"node suite: {passed} passed, the floor is {NodeSuiteFloor}");
    }

    [SkippableFact]
    public void SummaryLineHasTheFixedFormat()
    {
        SkipIfMissing("simple");
        var line = OnnxConformance.Summary(Run("simple"));
        Assert.Matches(@"^\d+ passed, \d+ failed, \d+ skipped$", line);
    }

    [Fact]
    public void ComparisonFollowsTheOnnxRunner()
    {
        using var a = Tensor.FromArray([1f, float.NaN, 100f, 0f]);
        using var same = Tensor.FromArray([1.0005f, float.NaN, 100.09f, 9e-6f]);
        using var off = Tensor.FromArray([1.01f, float.NaN, 100f, 0f]);
        using var nanMismatch = Tensor.FromArray([1f, 0f, 100f, 0f]);
        Assert.Null(OnnxConformance.Compare(a, same, 1e-3, 1e-5));
        Assert.NotNull(OnnxConformance.Compare(a, off, 1e-3, 1e-5));
        Assert.NotNull(OnnxConformance.Compare(a, nanMismatch, 1e-3, 1e-5));
        using var d = a.To(DType.Float64);
        Assert.Contains("dtype", OnnxConformance.Compare(d, a, 1e-3, 1e-5));
        using var r = a.Reshape(2, 2);
        Assert.Contains("shape", OnnxConformance.Compare(r, a, 1e-3, 1e-5));
    }
}
