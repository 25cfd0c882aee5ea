namespace NativeNet;

/// <summary>One dimension of a graph value's shape: a known size, or a symbol such as "batch" (or neither: unknown).</summary>
/// <param name="Size">The size when it is fixed.</param>
/// <param name="Symbol">The symbolic name of a dynamic dimension, e.g. "batch"; null when fixed or anonymous.</param>
public readonly record struct GraphDim(int? Size, string? Symbol = null)
{
    /// <summary>A fixed size.</summary>
    public static GraphDim Of(int size) => new(size);

    /// <summary>A symbolic (dynamic) dimension.</summary>
    public static GraphDim Sym(string symbol) => new(null, symbol);

    /// <summary>True when the size is fixed.</summary>
    public bool IsStatic => Size.HasValue;

    /// <summary>The size, the symbol, or "?".</summary>
    public override string ToString() => Size?.ToString() ?? Symbol ?? "?";
}

/// <summary>What a graph value holds: a tensor (almost always), a sequence of tensors, or an optional tensor.</summary>
public enum GraphValueKind
{
    /// <summary>A tensor.</summary>
    Tensor,
    /// <summary>An ordered list of tensors of one dtype (ONNX <c>seq(tensor)</c>).</summary>
    Sequence,
    /// <summary>A tensor or nothing (ONNX <c>optional(tensor)</c>).</summary>
    Optional,
}

/// <summary>
/// A named value of a <see cref="Graph"/> with its dtype and shape when known (ONNX <c>ValueInfoProto</c>).
/// A null <see cref="Shape"/> means the rank is unknown; dims may be symbolic.
/// </summary>
public sealed class GraphValue
{
    /// <summary>Creates a value description.</summary>
    public GraphValue(string name, DType? dtype = null, GraphDim[]? shape = null, GraphValueKind kind = GraphValueKind.Tensor)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Kind = kind;
    }

    /// <summary>The value's unique name in its graph.</summary>
    public string Name { get; }

    /// <summary>Element type (of the tensor, or of the sequence's tensors), when known.</summary>
    public DType? DType { get; set; }

    /// <summary>Shape when the rank is known; dims may be symbolic or unknown.</summary>
    public GraphDim[]? Shape { get; set; }

    /// <summary>Tensor, sequence or optional.</summary>
    public GraphValueKind Kind { get; set; }

    /// <summary>
    /// The type exactly as an imported file declared it (an ONNX TypeProto, kept by the importer so an export writes it back
    /// unchanged, e.g. an int8 input NativeNet feeds as int32); null for values made in NativeNet.
    /// </summary>
    internal object? DeclaredType { get; set; }

    /// <summary>The declared type when NativeNet cannot represent it (e.g. "float16", "string", "map"), else null.</summary>
    public string? ForeignType { get; set; }

    /// <summary>The shape as sizes when every dim is fixed, else null.</summary>
    public int[]? StaticShape => Shape is { } s && s.All(d => d.IsStatic) ? s.Select(d => d.Size!.Value).ToArray() : null;

    /// <summary>"name: float32[batch, 3, 224, 224]".</summary>
    public override string ToString()
    {
        string t = ForeignType ?? DType?.Name() ?? "?";
        string s = Shape == null ? "[...]" : "[" + string.Join(", ", Shape.Select(d => d.ToString())) + "]";
        return Kind switch
        {
            GraphValueKind.Sequence => $"{Name}: seq({t}{s})",
            GraphValueKind.Optional => $"{Name}: optional({t}{s})",
            _ => $"{Name}: {t}{s}",
        };
    }
}

/// <summary>A runtime sequence of tensors (ONNX <c>seq(tensor)</c>), as passed between graph nodes.</summary>
public sealed class TensorSequence
{
    /// <summary>Creates a sequence of <paramref name="dtype"/> tensors.</summary>
    public TensorSequence(DType dtype, IEnumerable<Tensor>? items = null)
    {
        DType = dtype;
        Items = items?.ToList() ?? new List<Tensor>();
    }

    /// <summary>The element type every tensor of the sequence has.</summary>
    public DType DType { get; }

    /// <summary>The tensors in order.</summary>
    public List<Tensor> Items { get; }
}
