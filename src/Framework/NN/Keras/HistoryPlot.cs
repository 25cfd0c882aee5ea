using System.Diagnostics;
using System.Globalization;
using System.Security;
using System.Text;

namespace NativeNet.NN;

/// <summary>
/// Training curves as a hand-written SVG: a loss panel and a metrics panel, each with axes, nice ticks, grid, axis
/// labels, one line per series (training solid, validation dashed, points marked) and a legend. PNG output goes
/// through Debian's <c>rsvg-convert</c>.
/// </summary>
internal static class HistoryPlot
{
    const int PanelW = 540, PanelH = 400, Left = 72, Right = 18, Top = 46, Bottom = 58, TitleH = 34;
    static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal static void Write(History h, string path, string? title)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (h.Count == 0 || h.Epoch.Count == 0) throw new InvalidOperationException("History.Plot: the history is empty (no epoch ran)");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".png" or ".svg")) throw new ArgumentException($"History.Plot: '{path}' must end in .png or .svg", nameof(path));
        var svg = Svg(h, title);
        string svgPath = ext == ".svg" ? path : Path.ChangeExtension(path, ".svg");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        File.WriteAllText(svgPath, svg);
        if (ext == ".png") Render(svgPath, path);
    }

    static void Render(string svgPath, string pngPath)
    {
        var exe = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "rsvg-convert")).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"History.Plot: writing a PNG needs rsvg-convert (Debian package librsvg2-bin: apt-get install librsvg2-bin); the SVG was written to {svgPath}", "rsvg-convert");
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-f", "png", "-b", "white", "-o", pngPath, svgPath }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"History.Plot: rsvg-convert failed with exit code {p.ExitCode}: {err.Trim()}");
    }

    internal static string Svg(History h, string? title)
    {
        var keys = h.Keys.Where(k => k != "learning_rate").ToList();
        var lossKeys = keys.Where(k => k.EndsWith("loss", StringComparison.Ordinal)).ToList();
        var metricKeys = keys.Except(lossKeys).ToList();
        var panels = new List<(string Title, string YLabel, List<string> Keys)>();
        if (lossKeys.Count > 0) panels.Add(("Loss", "loss", lossKeys));
        if (metricKeys.Count > 0)
        {
            var bases = metricKeys.Select(k => k.StartsWith("val_", StringComparison.Ordinal) ? k[4..] : k).Distinct().ToList();
            string name = bases.Count == 1 ? bases[0] : "metrics";
            panels.Add((char.ToUpperInvariant(name[0]) + name[1..].Replace('_', ' '), name.Replace('_', ' '), metricKeys));
        }
        int width = PanelW * panels.Count, height = PanelH + (title != null ? TitleH : 0);
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\">\n");
        sb.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        int y0 = 0;
        if (title != null)
        {
            sb.Append($"<text x=\"{width / 2}\" y=\"24\" font-size=\"18\" font-weight=\"bold\" text-anchor=\"middle\">{Esc(title)}</text>\n");
            y0 = TitleH;
        }
        for (int i = 0; i < panels.Count; i++) Panel(sb, h, i * PanelW, y0, panels[i]);
        return sb.Append("</svg>\n").ToString();
    }

    static void Panel(StringBuilder sb, History h, int ox, int oy, (string Title, string YLabel, List<string> Keys) panel)
    {
        int px = ox + Left, py = oy + Top, pw = PanelW - Left - Right, ph = PanelH - Top - Bottom;
        var epochs = h.Epoch.Select(e => e + 1).ToArray();
        var finite = panel.Keys.SelectMany(k => h[k]).Where(double.IsFinite).ToList();
        double lo = finite.Count > 0 ? finite.Min() : 0, hi = finite.Count > 0 ? finite.Max() : 1;
        var yTicks = NiceTicks(lo, hi, 6);
        double yMin = yTicks[0], yMax = yTicks[^1];
        double xMin = epochs[0], xMax = Math.Max(epochs[^1], epochs[0] + 1), xPad = (xMax - xMin) * 0.03;
        double X(double e) => px + (e - xMin + xPad) / (xMax - xMin + 2 * xPad) * pw;
        double Y(double v) => py + ph - (v - yMin) / (yMax - yMin) * ph;

        sb.Append($"<text x=\"{ox + PanelW / 2}\" y=\"{oy + 28}\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\">{Esc(panel.Title)}</text>\n");
        // Grid and y ticks.
        foreach (var t in yTicks)
        {
            string yy = F(Y(t));
            sb.Append($"<line x1=\"{px}\" y1=\"{yy}\" x2=\"{px + pw}\" y2=\"{yy}\" stroke=\"#e5e5e5\" stroke-width=\"1\"/>\n");
            sb.Append($"<line x1=\"{px - 5}\" y1=\"{yy}\" x2=\"{px}\" y2=\"{yy}\" stroke=\"black\"/>\n");
            sb.Append($"<text x=\"{px - 8}\" y=\"{F(Y(t) + 4)}\" font-size=\"12\" text-anchor=\"end\">{Tick(t, yTicks)}</text>\n");
        }
        // X ticks at whole epochs.
        int step = Math.Max(1, (int)NiceStep((xMax - xMin) / 8.0));
        for (int e = (int)xMin; e <= (int)xMax; e += step)
        {
            string xx = F(X(e));
            sb.Append($"<line x1=\"{xx}\" y1=\"{py}\" x2=\"{xx}\" y2=\"{py + ph}\" stroke=\"#f0f0f0\" stroke-width=\"1\"/>\n");
            sb.Append($"<line x1=\"{xx}\" y1=\"{py + ph}\" x2=\"{xx}\" y2=\"{py + ph + 5}\" stroke=\"black\"/>\n");
            sb.Append($"<text x=\"{xx}\" y=\"{py + ph + 20}\" font-size=\"12\" text-anchor=\"middle\">{e}</text>\n");
        }
        // Axes and labels.
        sb.Append($"<rect x=\"{px}\" y=\"{py}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"black\" stroke-width=\"1\"/>\n");
        sb.Append($"<text x=\"{px + pw / 2}\" y=\"{py + ph + 44}\" font-size=\"13\" text-anchor=\"middle\">epoch</text>\n");
        sb.Append($"<text transform=\"translate({ox + 18},{py + ph / 2}) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\">{Esc(panel.YLabel)}</text>\n");
        // Series: one colour each; validation is dashed with hollow markers.
        string ColorOf(string key) => Colors[panel.Keys.IndexOf(key) % Colors.Length];
        foreach (var key in panel.Keys)
        {
            string color = ColorOf(key);
            bool val = key.StartsWith("val_", StringComparison.Ordinal);
            var v = h[key];
            var path = new StringBuilder();
            bool pen = false;
            for (int i = 0; i < v.Count; i++)
            {
                if (!double.IsFinite(v[i])) { pen = false; continue; }
                path.Append(pen ? " L " : (path.Length > 0 ? " M " : "M ")).Append(F(X(epochs[i]))).Append(' ').Append(F(Y(v[i])));
                pen = true;
            }
            if (path.Length > 0)
                sb.Append($"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2.2\"{(val ? " stroke-dasharray=\"7,4\"" : "")}/>\n");
            for (int i = 0; i < v.Count; i++)
                if (double.IsFinite(v[i]))
                    sb.Append($"<circle cx=\"{F(X(epochs[i]))}\" cy=\"{F(Y(v[i]))}\" r=\"3.5\" fill=\"{(val ? "white" : color)}\" stroke=\"{color}\" stroke-width=\"1.5\"/>\n");
        }
        // Legend in the corner of the plot area that covers the fewest points.
        int lw = 30 + 8 * panel.Keys.Max(k => k.Length) + 12, lh = 10 + 20 * panel.Keys.Count;
        var points = panel.Keys.SelectMany(k => h[k].Select((v, i) => (X: X(epochs[i]), Y: double.IsFinite(v) ? Y(v) : double.NaN))).ToList();
        (int, int)[] corners = [(px + pw - lw - 8, py + 8), (px + pw - lw - 8, py + ph - lh - 8), (px + 8, py + 8), (px + 8, py + ph - lh - 8)];
        var (lx, ly) = corners.MinBy(c => points.Count(p => p.X >= c.Item1 - 6 && p.X <= c.Item1 + lw + 6 && p.Y >= c.Item2 - 6 && p.Y <= c.Item2 + lh + 6));
        sb.Append($"<rect x=\"{lx}\" y=\"{ly}\" width=\"{lw}\" height=\"{lh}\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999\" rx=\"3\"/>\n");
        for (int i = 0; i < panel.Keys.Count; i++)
        {
            var key = panel.Keys[i];
            string color = ColorOf(key);
            bool val = key.StartsWith("val_", StringComparison.Ordinal);
            int yy = ly + 16 + 20 * i;
            sb.Append($"<line x1=\"{lx + 8}\" y1=\"{yy - 4}\" x2=\"{lx + 30}\" y2=\"{yy - 4}\" stroke=\"{color}\" stroke-width=\"2.2\"{(val ? " stroke-dasharray=\"7,4\"" : "")}/>\n");
            sb.Append($"<text x=\"{lx + 36}\" y=\"{yy}\" font-size=\"12\">{Esc(key)}</text>\n");
        }
    }

    /// <summary>Evenly spaced round tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering [lo, hi].</summary>
    internal static double[] NiceTicks(double lo, double hi, int target)
    {
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi)))
        {
            double pad = Math.Abs(hi) > 0 ? Math.Abs(hi) * 0.05 : 0.5;
            lo -= pad;
            hi += pad;
        }
        double step = NiceStep((hi - lo) / target);
        double start = Math.Floor(lo / step) * step, end = Math.Ceiling(hi / step) * step;
        int n = (int)Math.Round((end - start) / step);
        return Enumerable.Range(0, n + 1).Select(i => start + i * step).ToArray();
    }

    static double NiceStep(double raw)
    {
        if (raw <= 0) return 1;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
            if (m * mag >= raw - 1e-12 * mag) return m * mag;
        return 10 * mag;
    }

    static string Tick(double v, double[] ticks)
    {
        double step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) + 1e-9));
        double scaled = step * Math.Pow(10, decimals);
        if (Math.Abs(scaled - Math.Round(scaled)) > 1e-6) decimals++;
        return Math.Round(v, decimals).ToString("F" + Math.Min(decimals, 6), Inv);
    }

    static string F(double v) => v.ToString("0.##", Inv);

    static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
