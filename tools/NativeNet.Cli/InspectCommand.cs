using System.CommandLine;
using NativeNet.Interop;

namespace NativeNet.Cli;

/// <summary><c>nativenet inspect MODEL.onnx</c>: inputs, outputs, opsets, op histogram, parameter count, unsupported ops.</summary>
internal static class InspectCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "An .onnx model file" };
        var cmd = new Command("inspect", "Print a model's inputs, outputs, opset imports, op histogram and parameter count");
        cmd.Arguments.Add(model);
        cmd.SetAction(parse =>
        {
            try
            {
                Console.Write(OnnxInspector.Describe(Onnx.LoadGraph(parse.GetValue(model)!)));
                return 0;
            }
            catch (Exception e) when (e is OnnxFormatException or FileNotFoundException or UnsupportedDataTypeException)
            {
                Console.Error.WriteLine($"inspect: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
