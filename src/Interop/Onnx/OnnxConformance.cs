using System.Diagnostics;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop;

/// <summary>Outcome of one ONNX backend-test case.</summary>
public enum OnnxCaseStatus
{
    /// <summary>Every output matched the reference.</summary>
    Pass,
    /// <summary>An output differed, or the model failed to load or run.</summary>
    Fail,
    /// <summary>The case needs an operator or data type NativeNet does not have (counted as skipped).</summary>
    Unsupported,
}

/// <summary>The result of one case: its name, status and the reason (empty on pass).</summary>
/// <param name="Name">The case directory's name, e.g. "test_relu".</param>
/// <param name="Directory">The case directory.</param>
/// <param name="Status">Pass, fail or unsupported.</param>
/// <param name="Reason">Why it failed or was skipped.</param>
/// <param name="Seconds">Wall time of the case.</param>
public sealed record OnnxCaseResult(string Name, string Directory, OnnxCaseStatus Status, string Reason, double Seconds)
{
    /// <summary>"PASS name", "FAIL name (reason)" or "UNSUPPORTED name (reason)".</summary>
    public override string ToString() => Status switch
    {
        OnnxCaseStatus.Pass => $"PASS {Name}",
        OnnxCaseStatus.Fail => $"FAIL {Name} ({Reason})",
        _ => $"UNSUPPORTED {Name} ({Reason})",
    };
}

/// <summary>
/// Runs cases in the ONNX backend-test layout (<c>model.onnx</c> + <c>test_data_set_N/input_K.pb</c>, <c>output_K.pb</c>)
/// and compares with the references the way ONNX's runner does: same dtype and shape, |actual - expected| ≤
/// atol + rtol·|expected|, NaN equal to NaN.
/// </summary>
public static class OnnxConformance
{
    /// <summary>Relative tolerance of ONNX's backend test runner.</summary>
    public const double DefaultRtol = 1e-3;

    /// <summary>Absolute tolerance of ONNX's backend test runner.</summary>
    public const double DefaultAtol = 1e-5;

    /// <summary>Case directories under the given paths (a case directory itself, or folders searched recursively), sorted.</summary>
    public static IReadOnlyList<string> FindCases(IEnumerable<string> paths)
    {
        var cases = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            if (File.Exists(Path.Combine(p, "model.onnx"))) { cases.Add(Path.GetFullPath(p)); continue; }
            if (!System.IO.Directory.Exists(p)) throw new DirectoryNotFoundException($"check-onnx: no such case or folder: {p}");
            foreach (var m in System.IO.Directory.EnumerateFiles(p, "model.onnx", SearchOption.AllDirectories))
                cases.Add(Path.GetDirectoryName(Path.GetFullPath(m))!);
        }
        return cases.ToList();
    }

    /// <summary>Runs cases in parallel (order of the result follows the input).</summary>
    public static IReadOnlyList<OnnxCaseResult> RunCases(IReadOnlyList<string> caseDirs, int maxParallelism = 0, double rtol = DefaultRtol, double atol = DefaultAtol)
        => RunCases(caseDirs, maxParallelism, rtol, atol, null);

    /// <summary>Runs cases, each graph passed through <paramref name="transform"/> (e.g. an export/re-import round trip) first.</summary>
    internal static IReadOnlyList<OnnxCaseResult> RunCases(IReadOnlyList<string> caseDirs, int maxParallelism, double rtol, double atol, Func<Graph, string, Graph>? transform)
    {
        var results = new OnnxCaseResult[caseDirs.Count];
        var opts = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount };
        Parallel.For(0, caseDirs.Count, opts, i => results[i] = RunCase(caseDirs[i], rtol, atol, transform));
        return results;
    }

    /// <summary>"N passed, N failed, N skipped" (unsupported cases count as skipped).</summary>
    public static string Summary(IEnumerable<OnnxCaseResult> results)
    {
        var list = results.ToList();
        return $"{list.Count(r => r.Status == OnnxCaseStatus.Pass)} passed, {list.Count(r => r.Status == OnnxCaseStatus.Fail)} failed, {list.Count(r => r.Status == OnnxCaseStatus.Unsupported)} skipped";
    }

    /// <summary>Runs one case directory.</summary>
    public static OnnxCaseResult RunCase(string dir, double rtol = DefaultRtol, double atol = DefaultAtol) => RunCase(dir, rtol, atol, null);

    internal static OnnxCaseResult RunCase(string dir, double rtol, double atol, Func<Graph, string, Graph>? transform)
    {
        var sw = Stopwatch.StartNew();
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        OnnxCaseResult Done(OnnxCaseStatus s, string reason) => new(name, dir, s, reason, sw.Elapsed.TotalSeconds);
        try
        {
            using var scope = Tensor.Scope();
            var graph = Onnx.LoadGraph(Path.Combine(dir, "model.onnx"));
            if (transform != null) graph = transform(graph, Path.Combine(dir, "model.onnx"));
            var plan = graph.Compile();
            var sets = System.IO.Directory.EnumerateDirectories(dir, "test_data_set_*").OrderBy(s => s, StringComparer.Ordinal).ToList();
            if (sets.Count == 0) return Done(OnnxCaseStatus.Fail, "no test_data_set_* folder");
            foreach (var set in sets)
            {
                var inputs = new object?[graph.Inputs.Count];
                for (int k = 0; k < inputs.Length; k++)
                {
                    string f = Path.Combine(set, $"input_{k}.pb");
                    if (!File.Exists(f))
                    {
                        if (graph.Inputs[k].Kind == GraphValueKind.Optional) continue;
                        return Done(OnnxCaseStatus.Fail, $"{Path.GetFileName(set)}/input_{k}.pb is missing for input '{graph.Inputs[k].Name}'");
                    }
                    inputs[k] = LoadValue(f, graph.Inputs[k].Kind);
                }
                object?[] outputs;
                using (Autograd.NoGrad()) outputs = plan.RunValues(inputs, null);
                for (int k = 0; k < graph.Outputs.Count; k++)
                {
                    string f = Path.Combine(set, $"output_{k}.pb");
                    if (!File.Exists(f)) return Done(OnnxCaseStatus.Fail, $"{Path.GetFileName(set)}/output_{k}.pb is missing");
                    var expected = LoadValue(f, graph.Outputs[k].Kind);
                    var why = Compare(outputs[k], expected, rtol, atol);
                    if (why != null) return Done(OnnxCaseStatus.Fail, $"output '{graph.Outputs[k].Name}': {why}");
                }
            }
            return Done(OnnxCaseStatus.Pass, "");
        }
        catch (UnsupportedOperatorException e) { return Done(OnnxCaseStatus.Unsupported, e.Message); }
        catch (UnsupportedDataTypeException e) { return Done(OnnxCaseStatus.Unsupported, e.Message); }
        catch (Exception e)
        {
            var inner = e is GraphExecutionException { InnerException: { } ie } ? $" [{ie.GetType().Name}]" : "";
            return Done(OnnxCaseStatus.Fail, $"{e.GetType().Name}: {e.Message}{inner}");
        }
    }

    static object? LoadValue(string path, GraphValueKind kind) => kind switch
    {
        GraphValueKind.Sequence => ToSequence(Onnx.Parse(path, P.SequenceProto.Parser), path),
        GraphValueKind.Optional => ToOptional(Onnx.Parse(path, P.OptionalProto.Parser), path),
        _ => Onnx.LoadTensor(path),
    };

    static TensorSequence ToSequence(P.SequenceProto s, string path)
    {
        if (s.ElemType != (int)P.SequenceProto.Types.DataType.Tensor && s.TensorValues.Count == 0 && s.ElemType != 0)
            throw new UnsupportedDataTypeException([$"{path}: sequence of non-tensors"]);
        var items = s.TensorValues.Select(t => OnnxTensors.ToTensor(t, null, path)).ToList();
        return new TensorSequence(items.Count > 0 ? items[0].DType : DType.Float32, items);
    }

    static object? ToOptional(P.OptionalProto o, string path)
    {
        if (o.TensorValue != null) return OnnxTensors.ToTensor(o.TensorValue, null, path);
        if (o.SequenceValue != null) return ToSequence(o.SequenceValue, path);
        return null;
    }

    /// <summary>Null when equal within tolerance, else what differs.</summary>
    internal static string? Compare(object? actual, object? expected, double rtol, double atol)
    {
        switch (expected)
        {
            case null: return actual == null ? null : "expected an empty optional, got a value";
            case TensorSequence es:
                if (actual is not TensorSequence seq) return $"expected a sequence, got {(actual == null ? "nothing" : "a tensor")}";
                if (seq.Items.Count != es.Items.Count) return $"expected a sequence of {es.Items.Count}, got {seq.Items.Count}";
                for (int i = 0; i < es.Items.Count; i++)
                    if (Compare(seq.Items[i], es.Items[i], rtol, atol) is { } w) return $"sequence item {i}: {w}";
                return null;
            case Tensor e:
                if (actual is not Tensor a) return $"expected a tensor, got {(actual == null ? "nothing" : "a sequence")}";
                if (a.DType != e.DType) return $"dtype {a.DType.Name()}, expected {e.DType.Name()}";
                if (!a.Shape.SequenceEqual(e.Shape)) return $"shape {ShapeUtil.Format(a.Shape)}, expected {ShapeUtil.Format(e.Shape)}";
                return CompareValues(a, e, rtol, atol);
            default: return "unknown expected value";
        }
    }

    static string? CompareValues(Tensor a, Tensor e, double rtol, double atol)
    {
        if (e.DType.IsFloatingPoint())
        {
            using var ad = a.To(DType.Float64);
            using var ed = e.To(DType.Float64);
            var av = ad.ToArray<double>();
            var ev = ed.ToArray<double>();
            int bad = 0, first = -1;
            double worst = 0;
            for (int i = 0; i < av.Length; i++)
            {
                double x = av[i], y = ev[i];
                bool ok = double.IsNaN(y) ? double.IsNaN(x) : double.IsInfinity(y) ? x == y : Math.Abs(x - y) <= atol + rtol * Math.Abs(y);
                if (ok) continue;
                if (first < 0) first = i;
                bad++;
                worst = Math.Max(worst, double.IsNaN(x) ? double.PositiveInfinity : Math.Abs(x - y));
            }
            return bad == 0 ? null : $"{bad} of {av.Length} values differ (max |diff| {worst:G4}; first at {first}: {av[first]:G7} vs {ev[first]:G7})";
        }
        using var al = a.To(DType.Int64);
        using var el = e.To(DType.Int64);
        var ai = al.ToArray<long>();
        var ei = el.ToArray<long>();
        for (int i = 0; i < ai.Length; i++)
            if (ai[i] != ei[i]) return $"{ai.Zip(ei).Count(p => p.First != p.Second)} of {ai.Length} values differ (first at {i}: {ai[i]} vs {ei[i]})";
        return null;
    }
}
