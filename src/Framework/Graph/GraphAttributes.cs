using System.Collections;

namespace NativeNet;

/// <summary>The type of a node attribute (ONNX <c>AttributeProto.AttributeType</c>).</summary>
public enum AttributeKind
{
    /// <summary>One float.</summary>
    Float,
    /// <summary>One 64-bit integer.</summary>
    Int,
    /// <summary>One string.</summary>
    String,
    /// <summary>One tensor.</summary>
    Tensor,
    /// <summary>A subgraph (If/Loop/Scan bodies).</summary>
    Graph,
    /// <summary>A list of floats.</summary>
    Floats,
    /// <summary>A list of 64-bit integers.</summary>
    Ints,
    /// <summary>A list of strings.</summary>
    Strings,
    /// <summary>A list of tensors.</summary>
    Tensors,
    /// <summary>A list of subgraphs.</summary>
    Graphs,
}

/// <summary>One named, typed node attribute.</summary>
public sealed class GraphAttribute
{
    internal GraphAttribute(string name, AttributeKind kind, object value)
    {
        Name = name;
        Kind = kind;
        Value = value;
    }

    /// <summary>The attribute name, e.g. "strides".</summary>
    public string Name { get; }

    /// <summary>The attribute's type.</summary>
    public AttributeKind Kind { get; }

    /// <summary>The value: float, long, string, Tensor, Graph, float[], long[], string[], Tensor[] or Graph[].</summary>
    public object Value { get; }

    /// <summary>"name=value".</summary>
    public override string ToString() => Value switch
    {
        float[] f => $"{Name}=[{string.Join(", ", f)}]",
        long[] l => $"{Name}=[{string.Join(", ", l)}]",
        string[] s => $"{Name}=[{string.Join(", ", s)}]",
        Tensor t => $"{Name}=tensor{ShapeUtil.Format(t.Shape)}",
        Graph g => $"{Name}=graph({g.Nodes.Count} nodes)",
        _ => $"{Name}={Value}",
    };
}

/// <summary>
/// A node's attributes by name, with typed getters that throw <see cref="GraphAttributeException"/> naming the node
/// on a missing attribute or a wrong type (the importer never trusts the file).
/// </summary>
public sealed class AttributeBag : IEnumerable<GraphAttribute>
{
    readonly Dictionary<string, GraphAttribute> items = new();

    /// <summary>Used in error messages: "Conv node 'conv1'".</summary>
    internal string Owner { get; set; } = "node";

    /// <summary>Number of attributes.</summary>
    public int Count => items.Count;

    /// <summary>True when the attribute is present.</summary>
    public bool Has(string name) => items.ContainsKey(name);

    /// <summary>The attribute, or null.</summary>
    public GraphAttribute? Get(string name) => items.GetValueOrDefault(name);

    /// <summary>Adds or replaces a float attribute.</summary>
    public AttributeBag Set(string name, float value) => Put(name, AttributeKind.Float, value);
    /// <summary>Adds or replaces an integer attribute.</summary>
    public AttributeBag Set(string name, long value) => Put(name, AttributeKind.Int, value);
    /// <summary>Adds or replaces a string attribute.</summary>
    public AttributeBag Set(string name, string value) => Put(name, AttributeKind.String, value);
    /// <summary>Adds or replaces a tensor attribute.</summary>
    public AttributeBag Set(string name, Tensor value) => Put(name, AttributeKind.Tensor, value);
    /// <summary>Adds or replaces a subgraph attribute.</summary>
    public AttributeBag Set(string name, Graph value) => Put(name, AttributeKind.Graph, value);
    /// <summary>Adds or replaces a float-list attribute.</summary>
    public AttributeBag Set(string name, float[] value) => Put(name, AttributeKind.Floats, value);
    /// <summary>Adds or replaces an integer-list attribute.</summary>
    public AttributeBag Set(string name, long[] value) => Put(name, AttributeKind.Ints, value);
    /// <summary>Adds or replaces a string-list attribute.</summary>
    public AttributeBag Set(string name, string[] value) => Put(name, AttributeKind.Strings, value);
    /// <summary>Adds or replaces a tensor-list attribute.</summary>
    public AttributeBag Set(string name, Tensor[] value) => Put(name, AttributeKind.Tensors, value);
    /// <summary>Adds or replaces a subgraph-list attribute.</summary>
    public AttributeBag Set(string name, Graph[] value) => Put(name, AttributeKind.Graphs, value);

    AttributeBag Put(string name, AttributeKind kind, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        items[name] = new GraphAttribute(name, kind, value);
        return this;
    }

    T Typed<T>(string name, AttributeKind kind)
    {
        if (!items.TryGetValue(name, out var a))
            throw new GraphAttributeException($"{Owner}: required attribute '{name}' is missing");
        if (a.Kind != kind)
            throw new GraphAttributeException($"{Owner}: attribute '{name}' must be {kind}, got {a.Kind}");
        return (T)a.Value;
    }

    /// <summary>An integer attribute; <paramref name="fallback"/> when absent (required when null).</summary>
    public long GetInt(string name, long? fallback = null) => !Has(name) && fallback is long f ? f : Typed<long>(name, AttributeKind.Int);

    /// <summary>An integer attribute that must fit in an int (sizes, axes).</summary>
    public int GetInt32(string name, int? fallback = null)
    {
        long v = GetInt(name, fallback);
        if (v < int.MinValue || v > int.MaxValue) throw new GraphAttributeException($"{Owner}: attribute '{name}' = {v} is out of range");
        return (int)v;
    }

    /// <summary>A float attribute; <paramref name="fallback"/> when absent (required when null).</summary>
    public float GetFloat(string name, float? fallback = null) => !Has(name) && fallback is float f ? f : Typed<float>(name, AttributeKind.Float);

    /// <summary>A string attribute; <paramref name="fallback"/> when absent (required when null).</summary>
    public string GetString(string name, string? fallback = null) => !Has(name) && fallback != null ? fallback : Typed<string>(name, AttributeKind.String);

    /// <summary>An integer-list attribute, or <paramref name="fallback"/> (null when absent and no fallback).</summary>
    public long[]? GetInts(string name, long[]? fallback = null) => Has(name) ? Typed<long[]>(name, AttributeKind.Ints) : fallback;

    /// <summary>An integer-list attribute whose entries must fit in an int.</summary>
    public int[]? GetInts32(string name, int[]? fallback = null)
    {
        var v = GetInts(name);
        if (v == null) return fallback;
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] < int.MinValue || v[i] > int.MaxValue) throw new GraphAttributeException($"{Owner}: attribute '{name}'[{i}] = {v[i]} is out of range");
            r[i] = (int)v[i];
        }
        return r;
    }

    /// <summary>A float-list attribute, or <paramref name="fallback"/>.</summary>
    public float[]? GetFloats(string name, float[]? fallback = null) => Has(name) ? Typed<float[]>(name, AttributeKind.Floats) : fallback;

    /// <summary>A string-list attribute, or <paramref name="fallback"/>.</summary>
    public string[]? GetStrings(string name, string[]? fallback = null) => Has(name) ? Typed<string[]>(name, AttributeKind.Strings) : fallback;

    /// <summary>A tensor attribute, or null when absent.</summary>
    public Tensor? GetTensor(string name) => Has(name) ? Typed<Tensor>(name, AttributeKind.Tensor) : null;

    /// <summary>A subgraph attribute (required).</summary>
    public Graph GetGraph(string name) => Typed<Graph>(name, AttributeKind.Graph);

    /// <inheritdoc/>
    public IEnumerator<GraphAttribute> GetEnumerator() => items.Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
