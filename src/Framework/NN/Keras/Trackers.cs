namespace NativeNet.NN;

/// <summary>The running loss (total and per output) and metrics of one phase (training or validation).</summary>
internal sealed class Trackers(string[] outputLossNames, Metric[][] metrics)
{
    internal MeanTracker Loss { get; } = new();
    internal MeanTracker[] OutputLoss { get; } = outputLossNames.Select(_ => new MeanTracker()).ToArray();
    internal Metric[][] Metrics { get; } = metrics;

    internal IEnumerable<string> Names() => Logs(read: false).Select(kv => kv.Key);

    internal void Reset()
    {
        Loss.Reset();
        foreach (var l in OutputLoss) l.Reset();
        foreach (var ms in Metrics)
            foreach (var m in ms) m.Reset();
    }

    internal List<KeyValuePair<string, double>> Logs() => Logs(read: true);

    List<KeyValuePair<string, double>> Logs(bool read)
    {
        var r = new List<KeyValuePair<string, double>> { new("loss", read ? Loss.Result() : 0) };
        for (int i = 0; i < OutputLoss.Length; i++) r.Add(new(outputLossNames[i], read ? OutputLoss[i].Result() : 0));
        foreach (var ms in Metrics)
            foreach (var m in ms) r.Add(new(m.Name, read ? m.Result() : 0));
        return r;
    }
}

/// <summary>A sample-weighted running mean kept on the device (<c>keras.metrics.Mean</c> for the loss).</summary>
internal sealed class MeanTracker
{
    Tensor? total;
    long count;

    /// <summary>Adds <paramref name="n"/> samples whose mean is the scalar <paramref name="value"/> (call under no-grad).</summary>
    internal void Add(Tensor value, int n)
    {
        total ??= Tensor.Scalar(0, DType.Float64, value.Device).Unown();
        total.AddInPlace(value, n);
        count += n;
    }

    internal double Result() => count == 0 || total == null ? 0 : total.Item() / count;

    internal void Reset()
    {
        total?.Dispose();
        total = null;
        count = 0;
    }
}
