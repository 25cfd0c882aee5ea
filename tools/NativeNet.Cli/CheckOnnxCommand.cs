using System.CommandLine;
using System.Text.Json;
using NativeNet.Interop;

namespace NativeNet.Cli;

/// <summary><c>nativenet check-onnx PATH... [--json]</c>: runs ONNX backend-test cases and compares with their references.</summary>
internal static class CheckOnnxCommand
{
    internal static Command Create()
    {
        var paths = new Argument<string[]>("PATH") { Description = "A case directory (model.onnx + test_data_set_*) or a folder of cases", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per case and a JSON summary instead of text" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cases run in parallel (default: one per core)" };
        var cmd = new Command("check-onnx", "Run ONNX conformance cases (ONNX backend-test layout) and compare outputs at rtol 1e-3, atol 1e-5");
        cmd.Arguments.Add(paths);
        cmd.Options.Add(json);
        cmd.Options.Add(jobs);
        cmd.SetAction(parse =>
        {
            IReadOnlyList<string> cases;
            try
            {
                cases = OnnxConformance.FindCases(parse.GetValue(paths) ?? []);
            }
            catch (DirectoryNotFoundException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            var results = OnnxConformance.RunCases(cases, parse.GetValue(jobs));
            bool asJson = parse.GetValue(json);
            foreach (var r in results)
            {
                if (asJson)
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["name"] = r.Name, ["path"] = r.Directory, ["status"] = r.Status.ToString().ToUpperInvariant(),
                        ["reason"] = r.Reason, ["seconds"] = Math.Round(r.Seconds, 4),
                    }));
                else Console.WriteLine(r.ToString());
            }
            int passed = results.Count(r => r.Status == OnnxCaseStatus.Pass), failed = results.Count(r => r.Status == OnnxCaseStatus.Fail);
            if (asJson)
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, int>
                {
                    ["passed"] = passed, ["failed"] = failed, ["skipped"] = results.Count - passed - failed,
                }));
            Console.WriteLine(OnnxConformance.Summary(results));
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
