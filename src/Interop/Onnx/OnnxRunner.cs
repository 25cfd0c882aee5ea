namespace NativeNet.Interop;

/// <summary>Runs a model file on .npy inputs and writes .npy outputs (<c>nativenet run</c>).</summary>
public static class OnnxRunner
{
    /// <summary>
    /// Loads <paramref name="modelPath"/>, feeds each "NAME=FILE.npy" of <paramref name="inputSpecs"/> to the graph input
    /// NAME, runs it under no-grad and writes every output to <paramref name="outDir"/>/NAME.npy (characters not allowed in
    /// file names become '_'). Returns (output name, file, tensor) per output.
    /// </summary>
    public static IReadOnlyList<(string Name, string Path, Tensor Tensor)> Run(string modelPath, IEnumerable<string> inputSpecs, string outDir)
    {
        var module = Onnx.Load(modelPath);
        var graph = module.Graph;
        var feeds = new Dictionary<string, Tensor>();
        foreach (var spec in inputSpecs)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0 || eq == spec.Length - 1) throw new ArgumentException($"--input '{spec}' must look like NAME=FILE.npy");
            string name = spec[..eq], file = spec[(eq + 1)..];
            if (!graph.Inputs.Any(v => v.Name == name))
                throw new ArgumentException($"the model has no input '{name}' (inputs: {string.Join(", ", graph.Inputs.Select(v => v.Name))})");
            if (feeds.ContainsKey(name)) throw new ArgumentException($"input '{name}' is given twice");
            feeds[name] = Npy.Load(file);
        }
        var missing = graph.Inputs.Where(v => !feeds.ContainsKey(v.Name)).Select(v => v.ToString()).ToList();
        if (missing.Count > 0) throw new ArgumentException($"missing --input for: {string.Join("; ", missing)}");
        IReadOnlyDictionary<string, Tensor> outputs;
        using (Autograd.NoGrad()) outputs = module.Run(feeds);
        Directory.CreateDirectory(outDir);
        var written = new List<(string, string, Tensor)>();
        var invalid = Path.GetInvalidFileNameChars().Append(':').Append('\\').ToHashSet();
        foreach (var v in graph.Outputs)
        {
            var t = outputs[v.Name];
            string safe = new string(v.Name.Select(c => invalid.Contains(c) ? '_' : c).ToArray());
            if (safe.Length == 0 || safe is "." or "..") safe = "output";
            string path = Path.Combine(outDir, safe + ".npy");
            Npy.Save(path, t);
            written.Add((v.Name, path, t));
        }
        return written;
    }
}
