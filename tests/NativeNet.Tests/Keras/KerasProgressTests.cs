using NativeNet.NN;

namespace NativeNet.Tests.KerasApi;

/// <summary>The progress output: a live bar redrawn in place on a terminal, one line per epoch otherwise.</summary>
public class KerasProgressTests
{
    static readonly KeyValuePair<string, double>[] Logs = [new("loss", 0.51234), new("accuracy", 0.8)];

    [Fact]
    public void Plain_OneLinePerEpoch()
    {
        var w = new StringWriter();
        var p = new ProgressPrinter(w, verbose: 1, epochs: 5, steps: 3, terminal: false);
        p.EpochBegin(0);
        for (int s = 1; s <= 3; s++) p.Update(s, () => throw new InvalidOperationException("plain output must not read running logs"));
        p.End([.. Logs, new("val_loss", 0.6), new("val_accuracy", 0.75)]);
        Assert.Matches(@"^Epoch 1/5 - \d+\.\ds - loss: 0\.5123 - accuracy: 0\.8000 - val_loss: 0\.6000 - val_accuracy: 0\.7500\n$", w.ToString());
    }

    [Fact]
    public void Live_BarWithEtaAndRunningLogs()
    {
        var w = new StringWriter();
        var p = new ProgressPrinter(w, verbose: 1, epochs: 2, steps: 4, terminal: true);
        p.EpochBegin(1);
        p.Update(1, () => Logs);
        p.Update(4, () => Logs);
        p.End(Logs);
        var text = w.ToString();
        Assert.StartsWith("Epoch 2/2\n", text);
        Assert.Matches(@"\r1/4 \[={7}>\.{22}\] - ETA: \d", text);     // 30 columns, a quarter done
        Assert.Contains(" - loss: 0.5123 - accuracy: 0.8000", text);
        Assert.Matches(@"\r4/4 \[=+\] - \d+\.\ds \d+ms/step - loss: 0\.5123 - accuracy: 0\.8000 *\n$", text);
    }

    [Fact]
    public void Verbose2_IsPlainEvenOnATerminal()
    {
        var w = new StringWriter();
        var p = new ProgressPrinter(w, verbose: 2, epochs: 1, steps: 2, terminal: true);
        p.EpochBegin(0);
        p.Update(1, () => Logs);
        p.End(Logs);
        Assert.DoesNotContain("\r", w.ToString());
        Assert.StartsWith("Epoch 1/1 - ", w.ToString());
    }
}
