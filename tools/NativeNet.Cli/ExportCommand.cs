using System.CommandLine;
using NativeNet.Interop;

namespace NativeNet.Cli;

/// <summary>
/// <c>nativenet export --model mlp|cnn --out PATH</c>: traces a reference model (in eval mode) on a 1×1×28×28 example and
/// writes it as ONNX (opset 17, symbolic batch). Weights are the seeded initial ones, or a state dict from
/// <c>--weights FILE.npz</c> (keys as in <c>StateDict()</c>, e.g. "0.weight"). <c>--from MODEL.onnx</c> instead re-exports an
/// imported model (a round trip through NativeNet's graph).
/// </summary>
internal static class ExportCommand
{
    internal static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model: mlp or cnn (the train command's architectures)", DefaultValueFactory = _ => "cnn" };
        model.AcceptOnlyFromAmong("mlp", "cnn");
        var output = new Option<string>("--out") { Description = "Output .onnx path", Required = true };
        var weights = new Option<string?>("--weights") { Description = "A .npz state dict to load before exporting" };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights", DefaultValueFactory = _ => 0 };
        var staticBatch = new Option<bool>("--static-batch") { Description = "Fix the batch size to 1 instead of the symbolic 'batch'" };
        var from = new Option<string?>("--from") { Description = "Re-export this .onnx model instead of a reference model" };
        var cmd = new Command("export", "Export a reference model to ONNX (traced with Graph.Trace)") { model, output, weights, seed, staticBatch, from };
        cmd.SetAction(r =>
        {
            try
            {
                if (r.GetValue(from) is { } source)
                {
                    var imported = Onnx.Load(source);
                    Onnx.Save(imported, r.GetValue(output)!);
                    Console.WriteLine($"wrote {r.GetValue(output)}: {imported.Graph.Nodes.Count} nodes from {source}");
                    return 0;
                }
                Tensor.ManualSeed(r.GetValue(seed));
                var net = TrainCommand.BuildModel(r.GetValue(model)!);
                if (r.GetValue(weights) is { } w) net.LoadStateDict(Npz.Load(w));
                net.Eval();
                string path = r.GetValue(output)!;
                var graph = Graph.Trace(net, Tensor.Zeros(1, 1, 28, 28), dynamicBatch: !r.GetValue(staticBatch));
                Onnx.Save(graph, path);
                Console.WriteLine($"wrote {path}: {graph.Nodes.Count} nodes ({string.Join(", ", graph.Nodes.Select(n => n.OpType))}), " +
                                  $"{graph.ParameterCount} parameters, input {graph.Inputs[0]}, output {graph.Outputs[0]}");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or FormatException
                                          or NotSupportedException)
            {
                Console.Error.WriteLine($"export: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
