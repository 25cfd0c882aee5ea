using System.Diagnostics;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>Runs Debian's onnx checker (<c>onnx.checker.check_model(..., full_check=True)</c>) over model files in one python process.</summary>
internal static class OnnxChecker
{
    const string Python = "/usr/bin/python3";

    const string Script = """
        import sys, onnx
        bad = []
        for p in sys.argv[1:]:
            try:
                onnx.checker.check_model(onnx.load(p), full_check=True)
            except Exception as e:
                bad.append(p + ": " + type(e).__name__ + ": " + str(e).replace("\n", " ")[:400])
        print("\n".join(bad))
        """;

    static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} not found";
        var (code, output) = Run(["-c", "import onnx"]);
        return code == 0 ? null : $"python3-onnx is not installed ({output.Trim()})";
    });

    /// <summary>Why the checker cannot run here, or null.</summary>
    internal static string? Unavailable => Missing.Value;

    /// <summary>Checks every file; returns one "path: error" line per rejected model.</summary>
    internal static IReadOnlyList<string> Check(IEnumerable<string> paths)
    {
        var list = paths.ToList();
        var bad = new List<string>();
        for (int i = 0; i < list.Count; i += 400)
        {
            var (code, output) = Run(["-c", Script, .. list.Skip(i).Take(400)]);
            if (code != 0) throw new InvalidOperationException($"the onnx checker script failed: {output}");
            bad.AddRange(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        return bad;
    }

    static (int Code, string Output) Run(string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
