using NativeNet;
using NativeNet.Examples;
using NativeNet.Interop;

// Runs the seed examples. They read "bias.npy" from the working directory: write one if it is missing.
if (!File.Exists("bias.npy")) Npy.Save("bias.npy", Tensor.FromArray(new[] { 0.1f, -0.2f, 0.3f }));
SeedProgram.Run();
Console.WriteLine("wrote logits.npy");
