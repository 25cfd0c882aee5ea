using System.Globalization;
using System.Text;

namespace NativeNet.NN;

public partial class Model
{
    /// <summary>
    /// Prints a Keras-style table of the layers (<c>model.summary()</c>): "name (Type)", output shape with <c>None</c>
    /// for the batch, parameter count, then total, trainable and non-trainable counts (buffers such as BatchNorm's
    /// running statistics count as non-trainable, as in Keras). Output shapes come from the functional graph, or from a
    /// one-sample forward pass in eval mode when the input shape is known (a leading <see cref="InputLayer"/>,
    /// <see cref="Build"/>, or an earlier Fit/Evaluate/Predict); otherwise they show "?", and lazy layers that have not
    /// seen an input show "0 (unbuilt)", as Keras prints for unbuilt models.
    /// </summary>
    public void Summary(TextWriter? output = null)
    {
        var w = output ?? Console.Out;
        w.Write(SummaryText());
        w.Flush();
    }

    /// <summary>The text <see cref="Summary"/> prints.</summary>
    public string SummaryText()
    {
        var rows = new List<(string Name, string Shape, string Params, string Connected)>();
        bool connected = false;
        if (graph != null) connected = FunctionalRows(rows);
        else
        {
            var shapes = ProbeShapes();
            var counts = new Dictionary<string, int>();
            foreach (var (name, m) in NamedChildren())
            {
                string shown = this is Sequential ? KerasNames.Unique(m, counts) : name;
                string shape = shapes == null ? "?" : shapes.TryGetValue(m, out var s) ? s : "?";
                rows.Add(($"{shown} ({m.GetType().Name})", shape, ParamText(m), ""));
            }
        }

        int c1 = Math.Max(29, rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max() + 2), c2 = Math.Max(26, rows.Select(r => r.Shape.Length).DefaultIfEmpty(0).Max() + 2), c3 = 14;
        int c4 = connected ? Math.Max(24, rows.Select(r => r.Connected.Length).DefaultIfEmpty(0).Max() + 2) : 0;
        int total = c1 + c2 + c3 + c4;
        var sb = new StringBuilder();
        sb.Append($"Model: \"{Name}\"\n");
        sb.Append(new string('_', total)).Append('\n');
        sb.Append(Cell(" Layer (type)", c1)).Append(Cell("Output Shape", c2)).Append(Cell("Param #", c3));
        if (connected) sb.Append(Cell("Connected to", c4));
        sb.Append('\n').Append(new string('=', total)).Append('\n');
        foreach (var r in rows)
        {
            sb.Append(Cell(" " + r.Name, c1)).Append(Cell(r.Shape, c2)).Append(Cell(r.Params, c3));
            if (connected) sb.Append(Cell(r.Connected, c4));
            sb.Append('\n');
        }
        sb.Append(new string('=', total)).Append('\n');
        var (trainable, frozen, tBytes, fBytes, unbuilt) = Counts(this);
        string note = unbuilt ? " (+ unbuilt layers)" : "";
        sb.Append($"Total params: {N(trainable + frozen)} ({Bytes(tBytes + fBytes)}){note}\n");
        sb.Append($"Trainable params: {N(trainable)} ({Bytes(tBytes)})\n");
        sb.Append($"Non-trainable params: {N(frozen)} ({Bytes(fBytes)})\n");
        sb.Append(new string('_', total)).Append('\n');
        if (unbuilt)
            sb.Append("Some layers are not built yet (their input size is inferred on the first call): pass an InputLayer, call Build(shape) or Fit first.\n");
        return sb.ToString();
    }

    bool FunctionalRows(List<(string, string, string, string)> rows)
    {
        var g = graph!;
        var names = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in NamedChildren()) names[m] = n;
        var uses = new Dictionary<Module, int>(ReferenceEqualityComparer.Instance);
        foreach (var n in g.Nodes) uses[n.Layer] = uses.GetValueOrDefault(n.Layer) + 1;
        bool connected = g.Inputs.Length > 1 || g.Outputs.Length > 1 || g.Nodes.Any(n => n.Inputs.Length > 1) || uses.Values.Any(c => c > 1);
        string Source(KerasTensor t) => t.Node == null ? t.Name ?? "input" : names[t.Node.Layer];
        foreach (var i in g.Inputs) rows.Add(($"{i.Name} (InputLayer)", ShapeText(i.SymbolicShape), "0", ""));
        var shown = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var node in g.Nodes)
        {
            if (!shown.Add(node.Layer)) continue;
            string shape = uses[node.Layer] > 1 ? "multiple" : ShapeText(node.Output.SymbolicShape);
            var inputs = g.Nodes.Where(n => ReferenceEquals(n.Layer, node.Layer)).SelectMany(n => n.Inputs).Select(Source).Distinct();
            rows.Add(($"{names[node.Layer]} ({node.Layer.GetType().Name})", shape, ParamText(node.Layer), string.Join(", ", inputs)));
        }
        return connected;
    }

    /// <summary>Output shape per module from a one-sample forward pass, or null when the input shape is unknown or the pass fails.</summary>
    Dictionary<Module, string>? ProbeShapes()
    {
        if (InputShapes is not { } shapes) return null;
        var seen = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        var multiple = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        try
        {
            using var hook = RegisterGlobalForwardHook((m, _, y) =>
            {
                var s = ShapeText(y.Shape.ToArray().Select((d, i) => i == 0 ? -1 : d).ToArray());
                if (seen.TryGetValue(m, out var old) && old != s) multiple.Add(m);
                seen[m] = s;
                return null;
            });
            BuildFor(shapes.Select(s => s.ToArray()).ToArray());
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return null;
        }
        foreach (var m in multiple) seen[m] = "multiple";
        return seen;
    }

    static string ParamText(Module m)
    {
        var (t, f, _, _, unbuilt) = Counts(m);
        return unbuilt && t + f == 0 ? "0 (unbuilt)" : N(t + f);
    }

    static (long Trainable, long Frozen, long TrainableBytes, long FrozenBytes, bool Unbuilt) Counts(Module m)
    {
        long t = 0, f = 0, tb = 0, fb = 0;
        foreach (var p in m.Parameters())
        {
            long bytes = (long)p.NumEl * p.DType.ElementSize();
            if (p.RequiresGrad) { t += p.NumEl; tb += bytes; }
            else { f += p.NumEl; fb += bytes; }
        }
        foreach (var b in m.Buffers())
            if (b.DType.IsFloatingPoint()) { f += b.NumEl; fb += (long)b.NumEl * b.DType.ElementSize(); }
        bool unbuilt = m.Modules().Any(x => x is Linear { IsBuilt: false });
        return (t, f, tb, fb, unbuilt);
    }

    static string ShapeText(IReadOnlyList<int> shape) =>
        "(" + string.Join(", ", shape.Select(d => d < 0 ? "None" : d.ToString(CultureInfo.InvariantCulture))) + (shape.Count == 1 ? ",)" : ")");

    static string Cell(string s, int width) => s.Length >= width ? s + " " : s.PadRight(width);

    static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    static string Bytes(long b) => b switch
    {
        < 1024 => $"{b}.00 B",
        < 1024 * 1024 => (b / 1024.0).ToString("F2", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (b / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MB",
        _ => (b / 1073741824.0).ToString("F2", CultureInfo.InvariantCulture) + " GB",
    };
}
