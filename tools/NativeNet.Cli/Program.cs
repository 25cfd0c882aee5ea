using System.CommandLine;
using NativeNet.Cli;

// nativenet: the command-line entry point (train, info, check-onnx, run, inspect, export). Parsing is System.CommandLine's; the commands live beside this file.
var root = new RootCommand("NativeNet: deep learning for .NET (PyTorch-style tensors and autograd, Keras-style training)");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(CheckOnnxCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
return root.Parse(args).Invoke();
