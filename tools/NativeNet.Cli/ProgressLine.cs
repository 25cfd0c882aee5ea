using System.Diagnostics;
using System.Globalization;

namespace NativeNet.Cli;

/// <summary>
/// Progress during an epoch, on stderr so stdout stays machine-readable: an in-place bar (steps, ETA, running loss
/// and accuracy) on a terminal, otherwise a plain line at each quarter of the epoch.
/// </summary>
internal sealed class ProgressLine(int total)
{
    readonly bool terminal = !Console.IsErrorRedirected;
    readonly Stopwatch clock = Stopwatch.StartNew();
    long lastDraw;
    int lastQuarter;

    internal void Report(int step, double loss, double acc)
    {
        var inv = CultureInfo.InvariantCulture;
        double eta = step > 0 ? clock.Elapsed.TotalSeconds / step * (total - step) : 0;
        if (!terminal)
        {
            int quarter = total > 0 ? 4 * step / total : 4;
            if (quarter > lastQuarter && quarter < 4)
            {
                lastQuarter = quarter;
                Console.Error.WriteLine(string.Format(inv, "  {0}/{1} steps  loss {2:F4}  acc {3:F4}  ETA {4:F0}s", step, total, loss, acc, eta));
            }
            return;
        }
        long now = clock.ElapsedMilliseconds;
        if (step != total && now - lastDraw < 100) return;
        lastDraw = now;
        int width = 24, filled = total > 0 ? width * step / total : width;
        var bar = new string('=', filled) + (filled < width ? ">" + new string('.', width - filled - 1) : "");
        Console.Error.Write(string.Format(inv, "\r{0,5}/{1} [{2}] ETA {3,4:F0}s  loss {4:F4}  acc {5:F4} ", step, total, bar, eta, loss, acc));
    }

    internal void Done()
    {
        if (terminal) Console.Error.Write("\r" + new string(' ', 90) + "\r");
        clock.Restart();
        lastDraw = 0;
        lastQuarter = 0;
    }
}
