using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace NativeNet.NN;

/// <summary>
/// Keras-style progress output. On a terminal (live mode): "Epoch 1/5", then a bar redrawn in place at most every
/// 100 ms with steps, ETA and the running loss and metrics, replaced at the end of the epoch by the final line with
/// the validation results. Otherwise (redirected output, or verbose 2): one plain line per epoch,
/// "Epoch 1/5 - 2.3s - loss: 0.5123 - accuracy: 0.8123 - val_loss: … - val_accuracy: …".
/// </summary>
internal sealed class ProgressPrinter
{
    readonly TextWriter output;
    readonly bool live;
    readonly int epochs, steps;
    readonly Stopwatch clock = new();
    long lastDraw = -1;
    int lastWidth;
    string prefix = "";

    internal ProgressPrinter(TextWriter output, int verbose, int epochs, int steps, bool terminal)
    {
        this.output = output;
        this.epochs = epochs;
        this.steps = steps;
        live = verbose == 1 && terminal;
    }

    internal void EpochBegin(int epoch)
    {
        prefix = $"Epoch {epoch + 1}/{epochs}";
        if (live) output.WriteLine(prefix);
        clock.Restart();
        lastDraw = -1;
    }

    internal void EvaluationBegin()
    {
        prefix = "";
        clock.Restart();
        lastDraw = -1;
    }

    /// <summary>After step <paramref name="step"/> (1-based); <paramref name="logs"/> is read only when the bar is redrawn.</summary>
    internal void Update(int step, Func<IEnumerable<KeyValuePair<string, double>>> logs)
    {
        if (!live) return;
        long now = clock.ElapsedMilliseconds;
        if (lastDraw >= 0 && now - lastDraw < 100 && step != steps) return;
        lastDraw = now;
        double eta = step > 0 ? clock.Elapsed.TotalSeconds / step * Math.Max(steps - step, 0) : 0;
        Draw($"{Counter(step)} {Bar(step)} - ETA: {FormatSeconds(eta)}{Logs(logs())}");
    }

    internal void End(IEnumerable<KeyValuePair<string, double>> logs)
    {
        double secs = clock.Elapsed.TotalSeconds;
        if (live)
        {
            double perStep = steps > 0 ? secs / steps * 1000 : 0;
            Draw($"{Counter(steps)} {Bar(steps)} - {FormatSeconds(secs)} {perStep.ToString("F0", CultureInfo.InvariantCulture)}ms/step{Logs(logs)}");
            output.WriteLine();
        }
        else
        {
            string time = secs.ToString("F1", CultureInfo.InvariantCulture) + "s";
            output.WriteLine(prefix.Length > 0 ? $"{prefix} - {time}{Logs(logs)}" : $"{steps}/{steps} - {time}{Logs(logs)}");
        }
        output.Flush();
    }

    void Draw(string line)
    {
        var pad = lastWidth > line.Length ? new string(' ', lastWidth - line.Length) : "";
        output.Write("\r" + line + pad);
        output.Flush();
        lastWidth = line.Length;
    }

    string Counter(int step)
    {
        int w = steps.ToString(CultureInfo.InvariantCulture).Length;
        return $"{step.ToString(CultureInfo.InvariantCulture).PadLeft(w)}/{steps}";
    }

    string Bar(int step)
    {
        const int width = 30;
        int filled = steps > 0 ? (int)((long)width * step / steps) : width;
        var sb = new StringBuilder("[");
        if (step >= steps) sb.Append('=', width);
        else sb.Append('=', filled).Append('>').Append('.', width - filled - 1);
        return sb.Append(']').ToString();
    }

    static string Logs(IEnumerable<KeyValuePair<string, double>> logs)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in logs) sb.Append(" - ").Append(k).Append(": ").Append(FormatValue(v));
        return sb.ToString();
    }

    internal static string FormatValue(double v) =>
        v != 0 && Math.Abs(v) < 1e-3 ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture) : v.ToString("F4", CultureInfo.InvariantCulture);

    static string FormatSeconds(double s) => s >= 60
        ? $"{(int)(s / 60)}:{((int)s % 60).ToString("D2", CultureInfo.InvariantCulture)}"
        : s.ToString(s < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + "s";
}
