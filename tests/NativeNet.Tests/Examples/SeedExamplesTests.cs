using NativeNet.Examples;
using NativeNet.Interop;

namespace NativeNet.Tests.Examples;

/// <summary>Runs the fixed program (docs/examples/SeedExamples) unchanged and checks what it prints and writes.</summary>
[Collection("Console")]
public class SeedExamplesTests
{
    [Fact]
    public void SeedProgram_RunsUnchanged_AndPrintsPyTorchsValues()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-seed-");
        var oldDir = Environment.CurrentDirectory;
        var oldOut = Console.Out;
        var output = new StringWriter();
        try
        {
            Environment.CurrentDirectory = dir.FullName;
            Npy.Save("bias.npy", Tensor.FromArray(new[] { 0.5f, -0.25f, 0.125f }));
            Console.SetOut(output);
            SeedProgram.Run();
        }
        finally
        {
            Console.SetOut(oldOut);
            Environment.CurrentDirectory = oldDir;
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("tensor([1, 2, 3])", lines[0]);
        Assert.Equal("tensor([0.6667, 1.3333, 2.0000])", lines[1]);
        var epochLines = lines.Where(l => l.StartsWith("Epoch [")).ToArray();
        Assert.Equal(10, epochLines.Length);
        Assert.StartsWith("Epoch [1000/1000], Loss: ", epochLines[^1]);
        // y = 4 + 3x + 0.1·noise: SGD at lr 0.01 for 1000 steps ends near the noise floor (PyTorch's run: 0.0074).
        double finalLoss = double.Parse(epochLines[^1].Split("Loss: ")[1], System.Globalization.CultureInfo.InvariantCulture);
        double firstLoss = double.Parse(epochLines[0].Split("Loss: ")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(finalLoss, 0.005, 0.03);
        Assert.True(finalLoss < firstLoss);
        using var logits = Npy.Load(Path.Combine(dir.FullName, "logits.npy"));
        Assert.Equal(new[] { 8, 3 }, logits.Shape.ToArray());
        Assert.All(logits.ToArray<float>(), v => Assert.True(float.IsFinite(v)));
        dir.Delete(recursive: true);
    }
}

/// <summary>Tests that redirect Console or change the working directory run alone.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;
