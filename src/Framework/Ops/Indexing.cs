namespace NativeNet;

/// <summary>One entry of a tensor indexer: an integer, a range, a 1-D Int64 index tensor, <see cref="Ellipsis"/> or <see cref="NewAxis"/>.</summary>
public readonly struct TensorIndex
{
    internal enum Kind { Int, Range, Tensor, Ellipsis, NewAxis }
    internal readonly Kind K;
    internal readonly Index IntIndex;
    internal readonly Range RangeIndex;
    internal readonly Tensor? TensorIndexValue;

    TensorIndex(Kind k, Index i = default, Range r = default, Tensor? t = null)
    {
        K = k;
        IntIndex = i;
        RangeIndex = r;
        TensorIndexValue = t;
    }

    /// <summary>Python's <c>...</c>: as many full slices as needed.</summary>
    public static TensorIndex Ellipsis { get; } = new(Kind.Ellipsis);

    /// <summary>Python's <c>None</c>: inserts a size-1 dimension.</summary>
    public static TensorIndex NewAxis { get; } = new(Kind.NewAxis);

    /// <summary>An integer index (negative counts from the end).</summary>
    public static implicit operator TensorIndex(int i) => new(Kind.Int, i < 0 ? Index.FromEnd(-i) : Index.FromStart(i));

    /// <summary>A C# index such as <c>^1</c>.</summary>
    public static implicit operator TensorIndex(Index i) => new(Kind.Int, i);

    /// <summary>A C# range such as <c>1..3</c> or <c>..</c>.</summary>
    public static implicit operator TensorIndex(Range r) => new(Kind.Range, r: r);

    /// <summary>A 1-D Int64 tensor of indices (<c>x[idx]</c>, an index_select).</summary>
    public static implicit operator TensorIndex(Tensor t) => new(Kind.Tensor, t: t);
}

/// <summary>Indexing: indexers, gather/scatter, index_select.</summary>
public partial class Tensor
{
    /// <summary>
    /// NumPy-style indexing (<c>x[0]</c>, <c>x[.., 1..3]</c>, <c>x[^1]</c>, <c>x[idx]</c>): integers remove a dim, ranges slice,
    /// index tensors select. Reading gives views where possible; assigning copies into the indexed region.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => ApplyIndices(indices);
        set
        {
            using (var v = ApplyIndices(indices))
            {
                if (v.storage != storage) throw new ArgumentException("Indexer assignment: index tensors produce copies; use IndexAdd/ScatterAdd instead");
                v.CheckInPlace("IndexAssign");
                CheckInPlace("IndexAssign");
                v.CopyFrom(value);
            }
        }
    }

    Tensor ApplyIndices(TensorIndex[] indices)
    {
        ThrowIfDisposed();
        int explicitDims = indices.Count(i => i.K is TensorIndex.Kind.Int or TensorIndex.Kind.Range or TensorIndex.Kind.Tensor);
        if (explicitDims > shape.Length)
            throw new IndexOutOfRangeException($"Index: too many indices ({explicitDims}) for a tensor of rank {shape.Length}");
        Tensor cur = this;
        int d = 0;
        foreach (var ix in indices)
        {
            Tensor next;
            switch (ix.K)
            {
                case TensorIndex.Kind.Int:
                    int n = cur.shape[d];
                    next = cur.Select(d, ix.IntIndex.IsFromEnd ? (ix.IntIndex.Value == 0 ? n : -ix.IntIndex.Value) : ix.IntIndex.Value);
                    break;
                case TensorIndex.Kind.Range:
                    // NumPy/PyTorch slicing clamps out-of-range bounds (x[:, 1:10] of a 4-wide tensor is x[:, 1:4]);
                    // Range.GetOffsetAndLength would throw an ArgumentOutOfRangeException naming no op.
                    // Slice clamps like Python; bounds from the end stay negative (and ^0 open) so a trace keeps them relative.
                    var r = ix.RangeIndex;
                    int? start = r.Start.IsFromEnd ? (r.Start.Value == 0 ? int.MaxValue : -r.Start.Value) : r.Start.Value;
                    int? end = r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value;
                    next = cur.Slice(d, start, end);
                    d++;
                    break;
                case TensorIndex.Kind.Tensor:
                    next = cur.IndexSelect(d, ix.TensorIndexValue!);
                    d++;
                    break;
                case TensorIndex.Kind.NewAxis:
                    next = cur.Unsqueeze(d);
                    d++;
                    break;
                default:
                    d += cur.shape.Length - d - (explicitDims - indices.TakeWhile(i => i.K != TensorIndex.Kind.Ellipsis).Count(i => i.K is TensorIndex.Kind.Int or TensorIndex.Kind.Range or TensorIndex.Kind.Tensor));
                    continue;
            }
            if (!ReferenceEquals(cur, this)) cur.Dispose();
            cur = next;
        }
        return ReferenceEquals(cur, this) ? Slice(0) : cur;
    }

    static void CheckIndexTensor(string op, Tensor index)
    {
        if (index.DType is not (DType.Int64 or DType.Int32))
            throw new DTypeMismatchException(op, $"index must be Int64, got {index.DType.Name()}");
    }

    /// <summary>Rows along <paramref name="dim"/> picked by a 1-D index (<c>torch.index_select</c>); backward is an index-add.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ThrowIfDisposed();
        CheckIndexTensor("IndexSelect", index);
        if (index.Dim > 1) throw new ShapeMismatchException("IndexSelect", $"index must be 0-D or 1-D, got {ShapeUtil.Format(index.shape)}");
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "IndexSelect");
        var idx = index.To(DType.Int64).Contiguous();
        var x = Contiguous();
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        var ns = (int[])shape.Clone();
        ns[d] = idx.NumEl;
        var y = Empty(ns, DType, Device);
        Backend.IndexSelect(x.View, outer, shape[d], inner, idx.View, y.View);
        DisposeIfTemp(x, this);
        if (GraphTracer.Current is { } tr)
        {
            // ONNX Gather drops the axis for a 0-D index; index_select keeps it.
            string ix = index.Dim == 0 ? tr.Intermediate("Reshape", [tr.Name(index), tr.Ints(1)]) : tr.Name(index);
            tr.Node("Gather", [tr.Name(this), ix], y, new AttributeBag().Set("axis", (long)d));
        }
        if (Autograd.Needs(this))
        {
            int[] from = shape;
            int n = shape[d];
            var saved = ReferenceEquals(idx, index) ? idx.Alias() : idx.Unown();
            Autograd.Record(y, "Gather", [this], g =>
            {
                var gx = Zeros(from, g.DType, g.Device);
                var gc = g.Contiguous();
                g.Backend.IndexAdd(gx.View, outer, n, inner, saved.View, gc.View);
                DisposeIfTemp(gc, g);
                return [gx];
            }, saved);
        }
        else DisposeIfTemp(idx, index);
        return y;
    }

    /// <summary>Gathers values along <paramref name="dim"/> at <paramref name="index"/> (<c>torch.gather</c>).</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ThrowIfDisposed();
        CheckIndexTensor("GatherElements", index);
        int d = ShapeUtil.NormalizeDim(dim, shape.Length, "GatherElements");
        if (index.Dim != Dim) throw new ShapeMismatchException("GatherElements", $"index rank {index.Dim} (shape {ShapeUtil.Format(index.shape)}) must equal input rank {Dim} (shape {ShapeUtil.Format(shape)})");
        for (int i = 0; i < Dim; i++)
            if (i != d && index.shape[i] > shape[i])
                throw new ShapeMismatchException("GatherElements", $"index shape {ShapeUtil.Format(index.shape)} exceeds input shape {ShapeUtil.Format(shape)} at dimension {i}");
        var idx = index.To(DType.Int64).Contiguous();
        var x = Contiguous();
        var y = Empty(index.shape, DType, Device);
        Backend.Gather(x.View, d, idx.View, y.View);
        DisposeIfTemp(x, this);
        if (GraphTracer.Current is { } tr) tr.Node("GatherElements", [tr.Name(this), tr.Name(index)], y, new AttributeBag().Set("axis", (long)d));
        if (Autograd.Needs(this))
        {
            int[] from = shape;
            var saved = ReferenceEquals(idx, index) ? idx.Alias() : idx.Unown();
            Autograd.Record(y, "GatherElements", [this], g =>
            {
                var gx = Zeros(from, g.DType, g.Device);
                var gc = g.Contiguous();
                g.Backend.ScatterAdd(gx.View, d, saved.View, gc.View);
                DisposeIfTemp(gc, g);
                return [gx];
            }, saved);
        }
        else DisposeIfTemp(idx, index);
        return y;
    }

    /// <summary>Returns a copy of this tensor with <paramref name="source"/> added at <paramref name="index"/> along <paramref name="dim"/> (<c>torch.scatter_add</c>).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source)
    {
        ThrowIfDisposed();
        source.ThrowIfDisposed();
        CheckIndexTensor("ScatterElements", index);
        int d = ShapeUtil.NormalizeDim(dim, shape.Length, "ScatterElements");
        if (!index.Shape.SequenceEqual(source.Shape))
            throw new ShapeMismatchException("ScatterElements", $"index shape {ShapeUtil.Format(index.shape)} must equal source shape {ShapeUtil.Format(source.shape)}");
        // The kernel addresses self with index positions: a larger index would write outside self's buffer.
        if (index.Dim != Dim)
            throw new ShapeMismatchException("ScatterElements", $"index rank {index.Dim} (shape {ShapeUtil.Format(index.shape)}) must equal self rank {Dim} (shape {ShapeUtil.Format(shape)})");
        for (int i = 0; i < Dim; i++)
            if (i != d && index.shape[i] > shape[i])
                throw new ShapeMismatchException("ScatterElements", $"index shape {ShapeUtil.Format(index.shape)} exceeds self shape {ShapeUtil.Format(shape)} at dimension {i}");
        Tensor y;
        var tr = GraphTracer.Current;
        int mark = tr?.Mark ?? 0;
        using (Autograd.NoGrad()) y = Clone();
        using var idx = index.To(DType.Int64).Contiguous().Clone();
        using var src = source.CastIfNeeded(DType).Contiguous().Clone();
        Backend.ScatterAdd(y.View, d, idx.View, src.View);
        if (tr != null)
        {
            tr.Drop(mark);
            tr.Node("ScatterElements", [tr.Name(this), tr.Name(index), tr.As(source, DType)], y,
                new AttributeBag().Set("axis", (long)d).Set("reduction", "add"));
        }
        if (Autograd.Needs(this, source))
        {
            var saved = idx.Alias();
            Autograd.Record(y, "ScatterElements", [this, source], g => [g, g.Gather(d, saved)], saved);
        }
        return y;
    }
}
