using System.Text.Json.Nodes;

namespace NativeNet.NN;

/// <summary>
/// Architecture JSON for <see cref="Model.Save"/> (Keras's <c>get_config</c>/<c>from_config</c>): known layer types by
/// exact class name with their constructor arguments; Sequential and functional models nest. A subclassed model or a
/// layer type not listed here has no architecture: its checkpoint holds weights only.
/// </summary>
internal static class LayerConfig
{
    static JsonArray Arr(params int[] v) => new(v.Select(x => (JsonNode)x).ToArray());
    static JsonArray Pair((int, int) p) => Arr(p.Item1, p.Item2);
    static (int, int) Pair(JsonNode? n) => (n![0]!.GetValue<int>(), n[1]!.GetValue<int>());
    static int I(JsonObject c, string k) => c[k]!.GetValue<int>();
    static double D(JsonObject c, string k) => c[k]!.GetValue<double>();
    static bool B(JsonObject c, string k) => c[k]!.GetValue<bool>();

    /// <summary>The config of <paramref name="m"/>, or null with the offending type in <paramref name="unknown"/>.</summary>
    internal static JsonObject? ToJson(Module m, out string? unknown)
    {
        unknown = null;
        JsonObject? config = m switch
        {
            _ when m.GetType() == typeof(Sequential) => SequentialConfig((Sequential)m, out unknown),
            Model { IsFunctional: true } f when m.GetType() == typeof(Model) => FunctionalConfig(f, out unknown),
            Dense d when m.GetType() == typeof(Dense) => new() { ["units"] = d.Units, ["activation"] = d.Activation, ["useBias"] = d.HasBias, ["inputDim"] = d.InFeatures },
            Linear l when m.GetType() == typeof(Linear) => new() { ["inFeatures"] = l.InFeatures, ["outFeatures"] = l.OutFeatures, ["bias"] = l.HasBias },
            Flatten f when m.GetType() == typeof(Flatten) => new() { ["startDim"] = f.StartDim, ["endDim"] = f.EndDim },
            Dropout d when m.GetType() == typeof(Dropout) => new() { ["p"] = d.P },
            InputLayer i when m.GetType() == typeof(InputLayer) => new() { ["shape"] = Arr([.. i.Shape]), ["dtype"] = (int)i.DType },
            _ when m.GetType() == typeof(Relu) || m.GetType() == typeof(Sigmoid) || m.GetType() == typeof(Tanh)
                || m.GetType() == typeof(Silu) || m.GetType() == typeof(Identity) => new(),
            Gelu g when m.GetType() == typeof(Gelu) => new() { ["approximate"] = g.Approximate },
            LeakyRelu l when m.GetType() == typeof(LeakyRelu) => new() { ["negativeSlope"] = l.NegativeSlope },
            Elu e when m.GetType() == typeof(Elu) => new() { ["alpha"] = e.Alpha },
            Softplus s when m.GetType() == typeof(Softplus) => new() { ["beta"] = s.Beta, ["threshold"] = s.Threshold },
            Softmax s when m.GetType() == typeof(Softmax) => new() { ["dim"] = s.Dim },
            LogSoftmax s when m.GetType() == typeof(LogSoftmax) => new() { ["dim"] = s.Dim },
            Conv2d c when m.GetType() == typeof(Conv2d) => new()
            {
                ["inChannels"] = c.InChannels, ["outChannels"] = c.OutChannels, ["kernelSize"] = Pair(c.KernelSize), ["stride"] = Pair(c.Stride),
                ["padding"] = Pair(c.Padding), ["dilation"] = Pair(c.Dilation), ["groups"] = c.Groups, ["bias"] = c.Bias != null,
            },
            MaxPool2d p when m.GetType() == typeof(MaxPool2d) => new()
            {
                ["kernelSize"] = Pair(p.KernelSize), ["stride"] = Pair(p.Stride), ["padding"] = Pair(p.Padding), ["dilation"] = Pair(p.Dilation), ["ceilMode"] = p.CeilMode,
            },
            AvgPool2d p when m.GetType() == typeof(AvgPool2d) => new()
            {
                ["kernelSize"] = Pair(p.KernelSize), ["stride"] = Pair(p.Stride), ["padding"] = Pair(p.Padding), ["ceilMode"] = p.CeilMode, ["countIncludePad"] = p.CountIncludePad,
            },
            AdaptiveAvgPool2d p when m.GetType() == typeof(AdaptiveAvgPool2d) => new() { ["outputSize"] = Pair(p.OutputSize) },
            BatchNormBase b when m.GetType() == typeof(BatchNorm1d) || m.GetType() == typeof(BatchNorm2d) => new()
            {
                ["numFeatures"] = b.NumFeatures, ["eps"] = b.Eps, ["momentum"] = b.Momentum, ["affine"] = b.Affine, ["trackRunningStats"] = b.TrackRunningStats,
            },
            LayerNorm l when m.GetType() == typeof(LayerNorm) => new() { ["normalizedShape"] = Arr(l.NormalizedShape), ["eps"] = l.Eps, ["elementwiseAffine"] = l.Weight != null },
            Embedding e when m.GetType() == typeof(Embedding) => new() { ["numEmbeddings"] = e.NumEmbeddings, ["embeddingDim"] = e.EmbeddingDim, ["paddingIdx"] = e.PaddingIdx },
            _ => null,
        };
        if (config == null)
        {
            unknown ??= m.GetType().Name;
            return null;
        }
        return new JsonObject { ["class"] = m.GetType().Name, ["config"] = config };
    }

    static JsonObject? SequentialConfig(Sequential s, out string? unknown)
    {
        unknown = null;
        var layers = new JsonArray();
        foreach (var (name, child) in s.NamedChildren())
        {
            var c = ToJson(child, out unknown);
            if (c == null) return null;
            c["name"] = name;
            layers.Add(c);
        }
        return new JsonObject { ["name"] = s.Name, ["layers"] = layers };
    }

    static JsonObject? FunctionalConfig(Model f, out string? unknown)
    {
        unknown = null;
        var layerIds = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        var layers = new JsonArray();
        foreach (var (name, child) in f.NamedChildren())
        {
            var c = ToJson(child, out unknown);
            if (c == null) return null;
            c["name"] = name;
            layers.Add(c);
            layerIds[child] = name;
        }
        var refs = new Dictionary<KerasTensor, string>(ReferenceEqualityComparer.Instance);
        var inputs = new JsonArray();
        for (int i = 0; i < f.Inputs.Count; i++)
        {
            var k = f.Inputs[i];
            refs[k] = $"input:{i}";
            inputs.Add(new JsonObject { ["name"] = k.Name, ["shape"] = Arr([.. k.SymbolicShape.Skip(1)]), ["dtype"] = (int)k.DType });
        }
        var nodes = new JsonArray();
        var graph = f.Graph!;
        for (int n = 0; n < graph.Nodes.Length; n++)
        {
            var node = graph.Nodes[n];
            refs[node.Output] = $"node:{n}";
            nodes.Add(new JsonObject { ["layer"] = layerIds[node.Layer], ["inputs"] = new JsonArray(node.Inputs.Select(t => (JsonNode)refs[t]).ToArray()) });
        }
        return new JsonObject
        {
            ["name"] = f.Name, ["layers"] = layers, ["inputs"] = inputs, ["nodes"] = nodes,
            ["outputs"] = new JsonArray(f.Outputs.Select(o => (JsonNode)refs[o]).ToArray()),
        };
    }

    /// <summary>Rebuilds a layer or model from <see cref="ToJson"/>'s output (weights are loaded separately).</summary>
    internal static Module FromJson(JsonObject o)
    {
        string cls = o["class"]!.GetValue<string>();
        var c = o["config"]!.AsObject();
        int? OptInt(string k) => c[k]?.GetValue<int>();
        return cls switch
        {
            "Sequential" => BuildSequential(c),
            "Model" => BuildFunctional(c),
            "Dense" => new Dense(I(c, "units"), c["activation"]?.GetValue<string>(), B(c, "useBias"), OptInt("inputDim")),
            "Linear" => OptInt("inFeatures") is int inF ? new Linear(inF, I(c, "outFeatures"), B(c, "bias")) : new Linear(I(c, "outFeatures"), B(c, "bias")),
            "Flatten" => new Flatten(I(c, "startDim"), I(c, "endDim")),
            "Dropout" => new Dropout(D(c, "p")),
            "InputLayer" => new InputLayer(c["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray(), (DType)I(c, "dtype")),
            "Relu" => new Relu(),
            "Sigmoid" => new Sigmoid(),
            "Tanh" => new Tanh(),
            "Silu" => new Silu(),
            "Identity" => new Identity(),
            "Gelu" => new Gelu(c["approximate"]!.GetValue<string>()),
            "LeakyRelu" => new LeakyRelu(D(c, "negativeSlope")),
            "Elu" => new Elu(D(c, "alpha")),
            "Softplus" => new Softplus(D(c, "beta"), D(c, "threshold")),
            "Softmax" => new Softmax(I(c, "dim")),
            "LogSoftmax" => new LogSoftmax(I(c, "dim")),
            "Conv2d" => new Conv2d(I(c, "inChannels"), I(c, "outChannels"), Pair(c["kernelSize"]), Pair(c["stride"]), Pair(c["padding"]), Pair(c["dilation"]),
                I(c, "groups"), B(c, "bias")),
            "MaxPool2d" => new MaxPool2d(Pair(c["kernelSize"]), Pair(c["stride"]), Pair(c["padding"]), Pair(c["dilation"]), B(c, "ceilMode")),
            "AvgPool2d" => new AvgPool2d(Pair(c["kernelSize"]), Pair(c["stride"]), Pair(c["padding"]), B(c, "ceilMode"), B(c, "countIncludePad")),
            "AdaptiveAvgPool2d" => new AdaptiveAvgPool2d(Pair(c["outputSize"])),
            "BatchNorm1d" => new BatchNorm1d(I(c, "numFeatures"), D(c, "eps"), c["momentum"]?.GetValue<double>(), B(c, "affine"), B(c, "trackRunningStats")),
            "BatchNorm2d" => new BatchNorm2d(I(c, "numFeatures"), D(c, "eps"), c["momentum"]?.GetValue<double>(), B(c, "affine"), B(c, "trackRunningStats")),
            "LayerNorm" => new LayerNorm(c["normalizedShape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray(), D(c, "eps"), B(c, "elementwiseAffine")),
            "Embedding" => new Embedding(I(c, "numEmbeddings"), I(c, "embeddingDim"), OptInt("paddingIdx")),
            _ => throw new InvalidDataException($"Model.Load: unknown layer class '{cls}' in the saved architecture"),
        };
    }

    static Sequential BuildSequential(JsonObject c)
    {
        var s = new Sequential(c["layers"]!.AsArray().Select(l => (l!["name"]!.GetValue<string>(), FromJson(l.AsObject()))));
        s.Name = c["name"]!.GetValue<string>();
        return s;
    }

    static Model BuildFunctional(JsonObject c)
    {
        var layers = c["layers"]!.AsArray().ToDictionary(l => l!["name"]!.GetValue<string>(), l => FromJson(l!.AsObject()));
        var inputs = c["inputs"]!.AsArray().Select(i => Keras.Input(i!["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray(),
            (DType)i["dtype"]!.GetValue<int>(), i["name"]!.GetValue<string>())).ToArray();
        var outs = new List<Tensor>();
        Tensor Resolve(string r) => r.StartsWith("input:", StringComparison.Ordinal) ? inputs[int.Parse(r[6..])] : outs[int.Parse(r[5..])];
        foreach (var n in c["nodes"]!.AsArray())
        {
            var args = n!["inputs"]!.AsArray().Select(a => Resolve(a!.GetValue<string>())).ToArray();
            outs.Add(layers[n["layer"]!.GetValue<string>()].Call(args));
        }
        return new Model(inputs, c["outputs"]!.AsArray().Select(o => Resolve(o!.GetValue<string>())).ToArray(), c["name"]!.GetValue<string>());
    }
}
