using System.Globalization;
using System.Text.RegularExpressions;

namespace NativeNet.NN;

/// <summary>
/// Saves the model during Fit (<c>keras.callbacks.ModelCheckpoint(filepath, monitor, save_best_only, save_weights_only,
/// mode)</c>) with <see cref="Model.Save"/> (or <see cref="Model.SaveWeights"/>), atomically. The path may hold Keras
/// placeholders such as "ckpt-{epoch:02d}-{val_loss:.2f}.safetensors" (epoch counts from 1 there, as in Keras). With
/// <c>saveBestOnly</c> a file is written only when the monitored value improves.
/// </summary>
public partial class ModelCheckpoint : Callback
{
    readonly MonitorRule rule;

    /// <summary>Creates the callback.</summary>
    public ModelCheckpoint(string filepath, string monitor = "val_loss", bool saveBestOnly = false, bool saveWeightsOnly = false,
        string mode = "auto", int verbose = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(filepath);
        Filepath = filepath;
        Monitor = monitor;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        Verbose = verbose;
        rule = new MonitorRule("ModelCheckpoint", monitor, mode, 0);
        Best = rule.Worst;
    }

    /// <summary>The path pattern.</summary>
    public string Filepath { get; }
    /// <summary>The log key compared with <c>saveBestOnly</c>.</summary>
    public string Monitor { get; }
    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }
    /// <summary>Whether only weights are saved (no architecture).</summary>
    public bool SaveWeightsOnly { get; }
    /// <summary>1 prints a line per save.</summary>
    public int Verbose { get; }
    /// <summary>The best monitored value so far (<c>best</c>).</summary>
    public double Best { get; private set; }
    /// <summary>Paths written so far, in order.</summary>
    public IReadOnlyList<string> SavedPaths => saved;
    readonly List<string> saved = new();

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        if (SaveBestOnly) RequireLogKey(Monitor);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (SaveBestOnly)
        {
            if (!logs.TryGetValue(Monitor, out var current) || !rule.Improved(current, Best)) return;
            if (Verbose > 0) Console.WriteLine($"Epoch {epoch + 1}: {Monitor} improved from {Best:F5} to {current:F5}, saving model");
            Best = current;
        }
        var path = Format(Filepath, epoch + 1, logs);
        if (SaveWeightsOnly) Model.SaveWeights(path); else Model.Save(path);
        saved.Add(path);
    }

    [GeneratedRegex(@"\{(\w+)(?::([^}]*))?\}")]
    private static partial Regex Placeholder();

    /// <summary>Python's <c>filepath.format(epoch=..., **logs)</c> for "{name}", "{name:02d}" and "{name:.4f}".</summary>
    internal static string Format(string pattern, int epoch, IDictionary<string, double> logs) => Placeholder().Replace(pattern, m =>
    {
        string key = m.Groups[1].Value, spec = m.Groups[2].Value;
        double v = key == "epoch" ? epoch : logs.TryGetValue(key, out var x) ? x
            : throw new ArgumentException($"ModelCheckpoint: placeholder '{{{key}}}' in '{pattern}' is not a log key");
        var inv = CultureInfo.InvariantCulture;
        if (spec.EndsWith('d')) return ((long)v).ToString("D" + (spec.Length > 1 ? int.Parse(spec[..^1], inv) : 0), inv);
        if (spec.StartsWith('.') && spec.EndsWith('f')) return v.ToString("F" + spec[1..^1], inv);
        return key == "epoch" ? epoch.ToString(inv) : v.ToString(inv);
    });
}
