using System.Globalization;

namespace NativeNet.NN;

/// <summary>
/// Streams epoch results to a CSV file (<c>keras.callbacks.CSVLogger(filename, separator, append)</c>): a header
/// "epoch" followed by the log keys in sorted order, then one row per epoch (epochs count from 0, as in Keras).
/// With <c>append</c> an existing file is continued without a second header.
/// </summary>
public class CsvLogger(string filename, string separator = ",", bool append = false) : Callback
{
    StreamWriter? writer;
    string[]? keys;

    /// <summary>The CSV file path.</summary>
    public string Filename { get; } = filename ?? throw new ArgumentNullException(nameof(filename));
    /// <summary>The field separator.</summary>
    public string Separator { get; } = separator;
    /// <summary>Whether rows are appended to an existing file.</summary>
    public bool Append { get; } = append;

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        bool hasContent = Append && File.Exists(Filename) && new FileInfo(Filename).Length > 0;
        var dir = Path.GetDirectoryName(Path.GetFullPath(Filename));
        if (dir != null) Directory.CreateDirectory(dir);
        keys = null;
        if (hasContent)
        {
            // Continue under the existing header's columns.
            var header = File.ReadLines(Filename).FirstOrDefault();
            if (!string.IsNullOrEmpty(header)) keys = header.Split(Separator).Skip(1).ToArray();
        }
        writer = new StreamWriter(Filename, Append) { NewLine = "\n" };
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (writer == null) return;
        if (keys == null)
        {
            keys = logs.Keys.Order(StringComparer.Ordinal).ToArray();
            writer.WriteLine(string.Join(Separator, keys.Prepend("epoch")));
        }
        var cells = keys.Select(k => logs.TryGetValue(k, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA");
        writer.WriteLine(string.Join(Separator, cells.Prepend(epoch.ToString(CultureInfo.InvariantCulture))));
        writer.Flush();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs)
    {
        writer?.Dispose();
        writer = null;
    }
}
