using System.Collections;

namespace NativeNet.NN;

/// <summary>
/// Per-epoch results of <c>Fit</c> (<c>keras.callbacks.History</c>, <c>history.history</c>): <c>h["loss"]</c>,
/// <c>h["val_accuracy"]</c>, … each a list with one value per epoch run; <see cref="Epoch"/> lists the epoch indices.
/// A key that is missing in some epoch holds NaN there.
/// </summary>
public sealed class History : IReadOnlyDictionary<string, IReadOnlyList<double>>
{
    readonly Dictionary<string, List<double>> values = new(StringComparer.Ordinal);
    readonly List<string> order = new();
    readonly List<int> epochs = new();

    /// <summary>The epoch indices (0-based) that ran (<c>history.epoch</c>).</summary>
    public IReadOnlyList<int> Epoch => epochs;

    /// <summary>Seconds each epoch spent in training steps (validation excluded), for benchmarks and the CLI.</summary>
    internal List<double> TrainSeconds { get; } = new();

    /// <summary>The values of <paramref name="key"/>, one per epoch (<c>history.history[key]</c>).</summary>
    public IReadOnlyList<double> this[string key] => values.TryGetValue(key, out var v) ? v
        : throw new KeyNotFoundException($"History: no key '{key}'; recorded: {string.Join(", ", order)}");

    /// <summary>The recorded keys in first-seen order.</summary>
    public IEnumerable<string> Keys => order;

    /// <summary>The value lists in key order.</summary>
    public IEnumerable<IReadOnlyList<double>> Values => order.Select(k => (IReadOnlyList<double>)values[k]);

    /// <summary>Number of keys.</summary>
    public int Count => order.Count;

    /// <summary>Whether <paramref name="key"/> was recorded.</summary>
    public bool ContainsKey(string key) => values.ContainsKey(key);

    /// <summary>Looks up <paramref name="key"/> without throwing.</summary>
    public bool TryGetValue(string key, out IReadOnlyList<double> value)
    {
        bool ok = values.TryGetValue(key, out var v);
        value = v ?? (IReadOnlyList<double>)Array.Empty<double>();
        return ok;
    }

    /// <summary>Enumerates (key, values) pairs in key order.</summary>
    public IEnumerator<KeyValuePair<string, IReadOnlyList<double>>> GetEnumerator() =>
        order.Select(k => new KeyValuePair<string, IReadOnlyList<double>>(k, values[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(int epoch, IDictionary<string, double> logs)
    {
        foreach (var k in logs.Keys)
            if (!values.ContainsKey(k))
            {
                values[k] = Enumerable.Repeat(double.NaN, epochs.Count).ToList();
                order.Add(k);
            }
        epochs.Add(epoch);
        foreach (var (k, list) in values) list.Add(logs.TryGetValue(k, out var v) ? v : double.NaN);
    }

    /// <summary>
    /// Draws loss and metric curves per epoch (training solid, validation dashed) with axes, ticks, labels and a legend:
    /// "history.svg" is written as SVG; "history.png" writes the SVG beside it and renders the PNG with
    /// <c>rsvg-convert</c> (Debian package librsvg2-bin), failing with a clear message when that tool is missing.
    /// </summary>
    public void Plot(string path, string? title = null) => HistoryPlot.Write(this, path, title);
}

/// <summary>
/// What <c>Evaluate</c> returns: the loss and each metric by name (Keras returns <c>[loss, *metrics]</c>).
/// Deconstructs as <c>var (loss, accuracy) = model.Evaluate(x, y)</c>, in the order the metrics were compiled.
/// </summary>
public sealed class EvaluationResult : IReadOnlyDictionary<string, double>
{
    readonly List<KeyValuePair<string, double>> items;

    internal EvaluationResult(IEnumerable<KeyValuePair<string, double>> items) => this.items = items.ToList();

    /// <summary>The mean loss.</summary>
    public double Loss => this["loss"];

    /// <summary>The value named <paramref name="key"/>: "loss" or a metric name.</summary>
    public double this[string key] => TryGetValue(key, out var v) ? v
        : throw new KeyNotFoundException($"EvaluationResult: no key '{key}'; available: {string.Join(", ", Keys)}");

    /// <summary>The names, loss first.</summary>
    public IEnumerable<string> Keys => items.Select(i => i.Key);

    /// <summary>The values, loss first.</summary>
    public IEnumerable<double> Values => items.Select(i => i.Value);

    /// <summary>Number of values (1 + number of metrics).</summary>
    public int Count => items.Count;

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool ContainsKey(string key) => items.Any(i => i.Key == key);

    /// <summary>Looks up <paramref name="key"/> without throwing.</summary>
    public bool TryGetValue(string key, out double value)
    {
        foreach (var (k, v) in items)
            if (k == key) { value = v; return true; }
        value = double.NaN;
        return false;
    }

    /// <summary>Loss and the first metric: <c>var (testLoss, testAcc) = model.Evaluate(x, y)</c>.</summary>
    public void Deconstruct(out double loss, out double metric)
    {
        Need(2);
        (loss, metric) = (items[0].Value, items[1].Value);
    }

    /// <summary>Loss and the first two metrics.</summary>
    public void Deconstruct(out double loss, out double metric1, out double metric2)
    {
        Need(3);
        (loss, metric1, metric2) = (items[0].Value, items[1].Value, items[2].Value);
    }

    void Need(int n)
    {
        if (items.Count < n)
            throw new InvalidOperationException($"EvaluationResult: deconstructing into {n} values needs {n - 1} compiled metric(s), the model has {items.Count - 1} ({string.Join(", ", Keys)})");
    }

    /// <summary>Enumerates (name, value) pairs, loss first.</summary>
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() => string.Join(" - ", items.Select(i => $"{i.Key}: {ProgressPrinter.FormatValue(i.Value)}"));
}
