namespace NativeNet.NN;

/// <summary>Entry points of the Keras functional API (<c>keras.Input</c>).</summary>
public static class Keras
{
    static int inputCounter;

    /// <summary>
    /// A symbolic input for samples of <paramref name="shape"/> (without the batch dim), e.g. <c>[1, 28, 28]</c>
    /// (<c>keras.Input(shape, dtype, name)</c>). Calling layers on it records the graph that
    /// <see cref="Model(Tensor, Tensor, string?)"/> turns into a model.
    /// </summary>
    public static KerasTensor Input(int[] shape, DType dtype = DType.Float32, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d <= 0)) throw new ArgumentException($"Keras.Input: sizes must be positive, got {ShapeUtil.Format(shape)}");
        int id = Interlocked.Increment(ref inputCounter);
        using var example = Tensor.Zeros([1, .. shape], dtype);
        return new KerasTensor(example, null, name ?? (id == 1 ? "input_1" : $"input_{id}"));
    }
}

/// <summary>
/// A symbolic tensor of the Keras functional API (<c>keras.KerasTensor</c>): the output of <see cref="Keras.Input"/>
/// or of a layer called on symbolic tensors. It is a <see cref="Tensor"/> holding an example value with batch size 1
/// (so shapes are known); <see cref="SymbolicShape"/> has -1 (Keras's None) for the batch. Only
/// <see cref="Module.Call(Tensor)"/> on it is recorded: apply raw tensor operations through a <see cref="Lambda"/> layer.
/// </summary>
public sealed class KerasTensor : Tensor
{
    internal KerasTensor(Tensor example, KerasNode? node, string name) : base(example)
    {
        Node = node;
        Name = name;
        var s = example.Shape.ToArray();
        if (s.Length > 0) s[0] = -1;
        SymbolicShape = s;
    }

    /// <summary>The shape with -1 for the batch dim (Keras's <c>(None, 784)</c>).</summary>
    public IReadOnlyList<int> SymbolicShape { get; }

    /// <summary>The layer call that produced this tensor; null for a <see cref="Keras.Input"/>.</summary>
    internal KerasNode? Node { get; }

    /// <summary>True for tensors made by <see cref="Keras.Input"/>.</summary>
    public bool IsInput => Node == null;

    /// <summary>Runs <paramref name="layer"/> on the example values (eval mode, no grad) and records the call.</summary>
    internal static Tensor Record(Module layer, Tensor[] inputs)
    {
        var symbolic = new KerasTensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            symbolic[i] = inputs[i] as KerasTensor ?? throw new ArgumentException(
                $"{layer.GetType().Name}: cannot mix symbolic (Keras.Input-derived) and concrete tensors in one call (input {i} is concrete)");
        var modes = layer.Modules().Select(m => (m, m.IsTraining)).ToList();
        layer.Eval();
        try
        {
            using var scope = Tensor.Scope();
            using var _ = Autograd.NoGrad();
            // Plain aliases: nested module calls inside the layer then compute instead of recording again.
            var args = symbolic.Select(k => k.Alias(owned: true)).ToArray();
            var y = layer.Call(args);
            var node = new KerasNode(layer, symbolic);
            var output = new KerasTensor(y, node, $"{KerasNames.Snake(layer.GetType().Name)}_out");
            node.Output = output;
            return output;
        }
        finally
        {
            // Pre-order: each module's own mode is set after its ancestors', so the saved modes come back exactly.
            foreach (var (m, training) in modes) m.Train(training);
        }
    }
}

/// <summary>One recorded layer call of the functional API.</summary>
internal sealed class KerasNode(Module layer, KerasTensor[] inputs)
{
    internal Module Layer { get; } = layer;
    internal KerasTensor[] Inputs { get; } = inputs;
    internal KerasTensor Output { get; set; } = null!;
}

/// <summary>Keras-style layer names: "Dense" → "dense", "BatchNorm2d" → "batch_norm2d", then "dense_1", "dense_2", …</summary>
internal static class KerasNames
{
    internal static string Snake(string typeName)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < typeName.Length; i++)
        {
            char c = typeName[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(typeName[i - 1])) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>A name for <paramref name="m"/> unique within <paramref name="counts"/>: "dense", "dense_1", …</summary>
    internal static string Unique(Module m, Dictionary<string, int> counts)
    {
        string b = Snake(m.GetType().Name);
        counts.TryGetValue(b, out int k);
        counts[b] = k + 1;
        return k == 0 ? b : $"{b}_{k}";
    }
}
