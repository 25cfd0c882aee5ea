using System.CommandLine;
using NativeNet.Cli;

// nativenet: the command-line entry point (train, info). Parsing is System.CommandLine's; the commands live beside this file.
var root = new RootCommand("NativeNet: deep learning for .NET (PyTorch-style tensors and autograd, Keras-style training)");
// TRAIN_PENDING
root.Subcommands.Add(InfoCommand.Create());
return root.Parse(args).Invoke();
