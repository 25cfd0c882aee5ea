using System.Text.Json.Nodes;

namespace NativeNet.NN;

public partial class Model
{
    const string FormatTag = "nativenet.keras/1";

    internal FunctionalGraph? Graph => graph;

    /// <summary>
    /// Saves weights and, for Sequential and functional models made of known layers, the architecture
    /// (<c>model.save(path)</c>) in one safetensors file (see <see cref="SaveWeights"/>); the architecture JSON is in the
    /// header's <c>__metadata__</c>. Subclassed models (or unknown layers) are saved with weights only; load those with
    /// <see cref="LoadWeights"/> into a model built in code. The file is replaced atomically.
    /// </summary>
    public void Save(string path)
    {
        var meta = new Dictionary<string, string> { ["format"] = FormatTag, ["model"] = Name };
        var arch = LayerConfig.ToJson(this, out var unknown);
        if (arch != null) meta["architecture"] = arch.ToJsonString();
        else meta["architecture_missing"] = unknown ?? GetType().Name;
        if (InputShapes is { } shapes)
            meta["input_shapes"] = new JsonArray(shapes.Select(s => (JsonNode)new JsonArray(s.Select(d => (JsonNode)d).ToArray())).ToArray()).ToJsonString();
        WriteState(path, meta);
    }

    /// <summary>
    /// Saves parameters and buffers by state-dict key ("0.weight", "dense_1.bias", …) in a safetensors file
    /// (<c>model.save_weights(path)</c>), written to a temporary file and renamed over <paramref name="path"/>.
    /// </summary>
    public void SaveWeights(string path) => WriteState(path, new Dictionary<string, string> { ["format"] = FormatTag, ["model"] = Name });

    void WriteState(string path, Dictionary<string, string> meta)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var sd = StateDict();
        try
        {
            SafeTensors.Write(path, sd.Select(kv => (kv.Key, kv.Value)), meta);
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Loads weights saved by <see cref="Save"/> or <see cref="SaveWeights"/> into this model (<c>model.load_weights</c>);
    /// keys and shapes must match (<see cref="StateDictMismatchException"/> lists any that do not). Lazy layers are
    /// created from the saved shapes.
    /// </summary>
    public void LoadWeights(string path)
    {
        var (sd, _) = SafeTensors.Read(path);
        try
        {
            LoadStateDict(sd);
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Rebuilds a model saved by <see cref="Save"/> and loads its weights (<c>keras.models.load_model</c>). The result is
    /// a <see cref="Sequential"/> or functional <see cref="Model"/>, not compiled. Throws
    /// <see cref="InvalidDataException"/> when the file holds weights only (a subclassed model): build the model in code
    /// and call <see cref="LoadWeights"/>.
    /// </summary>
    public static Model Load(string path)
    {
        var (sd, meta) = SafeTensors.Read(path);
        try
        {
            if (!meta.TryGetValue("architecture", out var arch))
                throw new InvalidDataException($"{path}: the checkpoint holds weights only" +
                    (meta.TryGetValue("architecture_missing", out var u) ? $" (its model contains {u}, which has no saved architecture)" : "") +
                    "; construct the model in code and call LoadWeights");
            var module = LayerConfig.FromJson(JsonNode.Parse(arch)!.AsObject());
            var model = module as Model ?? throw new InvalidDataException($"{path}: the saved architecture is a {module.GetType().Name}, not a model");
            model.LoadStateDict(sd);
            if (meta.TryGetValue("input_shapes", out var shapes))
                model.inputShapes ??= JsonNode.Parse(shapes)!.AsArray().Select(s => s!.AsArray().Select(d => d!.GetValue<int>()).ToArray()).ToArray();
            return model;
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }
}
