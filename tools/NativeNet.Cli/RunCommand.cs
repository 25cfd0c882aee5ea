using System.CommandLine;
using NativeNet.Interop;

namespace NativeNet.Cli;

/// <summary><c>nativenet run MODEL.onnx --input NAME=FILE.npy ... --out DIR</c>: runs a model on .npy inputs, writes NAME.npy outputs.</summary>
internal static class RunCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "An .onnx model file" };
        var inputs = new Option<string[]>("--input", "-i") { Description = "NAME=FILE.npy for each graph input", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string>("--out", "-o") { Description = "Folder for the outputs (one NAME.npy each)", Required = true };
        var cmd = new Command("run", "Run an ONNX model on .npy inputs and write each output as .npy");
        cmd.Arguments.Add(model);
        cmd.Options.Add(inputs);
        cmd.Options.Add(outDir);
        cmd.SetAction(parse =>
        {
            try
            {
                var written = OnnxRunner.Run(parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(outDir)!);
                foreach (var (name, path, tensor) in written)
                    Console.WriteLine($"{name}: {tensor.DType.Name()}{ShapeUtil.Format(tensor.Shape)} -> {path}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or OnnxFormatException or NpyFormatException or FileNotFoundException
                or UnsupportedOperatorException or UnsupportedDataTypeException or GraphExecutionException)
            {
                Console.Error.WriteLine($"run: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
