namespace NativeNet;

/// <summary>Layout ops: views over the same storage where possible (reshape, permute, slice, expand), plus cat/stack/split.</summary>
public partial class Tensor
{
    Tensor ViewOp(int[] newShape, int[] newStrides, int newOffset, string name, Func<Tensor, Tensor> backward)
    {
        var y = NewView(newShape, newStrides, newOffset);
        if (Autograd.Needs(this)) Autograd.Record(y, name, [this], g => [backward(g)]);
        return y;
    }

    int[] InferShape(int[] newShape, string op)
    {
        var s = (int[])newShape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) throw new ShapeMismatchException(op, $"only one dimension can be -1, got {ShapeUtil.Format(newShape)}");
                infer = i;
            }
            else if (s[i] < 0) throw new ShapeMismatchException(op, $"invalid dimension {s[i]} in {ShapeUtil.Format(newShape)}");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ShapeMismatchException(op, $"shape {ShapeUtil.Format(newShape)} is invalid for input of size {numel} (shape {ShapeUtil.Format(shape)})");
            s[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ShapeMismatchException(op, $"shape {ShapeUtil.Format(newShape)} is invalid for input of size {numel} (shape {ShapeUtil.Format(shape)})");
        return s;
    }

    /// <summary>Same data with a new shape; one dimension may be -1 (<c>tensor.reshape</c>). Copies only if not contiguous.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        ThrowIfDisposed();
        var s = InferShape(newShape, "Reshape");
        var tr = GraphTracer.Current;
        if (s.AsSpan().SequenceEqual(shape))
        {
            var same = ViewOp(shape, strides, offset, "Reshape", g => g);
            tr?.Alias(this, same);
            return same;
        }
        var src = Contiguous();
        int[] from = shape;
        var y = src.ViewOp(s, ShapeUtil.ContiguousStrides(s), src.offset, "Reshape", g => g.Reshape(from));
        DisposeIfTemp(src, this);
        tr?.Reshape(this, newShape, y);
        return y;
    }

    /// <summary>Like <see cref="Reshape"/> but never copies: throws on non-contiguous input (<c>tensor.view</c>).</summary>
    public Tensor View_(params int[] newShape)
    {
        if (!IsContiguous)
            throw new ShapeMismatchException("View", $"view size is not compatible with a non-contiguous tensor of shape {ShapeUtil.Format(shape)}; use Reshape");
        return Reshape(newShape);
    }

    /// <summary>Flattens dims startDim..endDim into one (<c>torch.flatten</c>).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (shape.Length == 0) return Reshape(1);
        int s = ShapeUtil.NormalizeDim(startDim, shape.Length, "Flatten"), e = ShapeUtil.NormalizeDim(endDim, shape.Length, "Flatten");
        var tr = GraphTracer.Current;
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim}");
        var ns = new List<int>();
        for (int i = 0; i < s; i++) ns.Add(shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= shape[i];
        ns.Add(m);
        for (int i = e + 1; i < shape.Length; i++) ns.Add(shape[i]);
        if (tr == null) return Reshape(ns.ToArray());
        int mark = tr.Mark;
        var y = Reshape(ns.ToArray());
        if (s == e) tr.Alias(this, y); // nothing merged: the same value
        else tr.Flatten(mark, this, s, e, y);
        return y;
    }

    /// <summary>Reorders dimensions (<c>tensor.permute</c>); a view.</summary>
    public Tensor Permute(params int[] dims)
    {
        ThrowIfDisposed();
        if (dims.Length != shape.Length)
            throw new ShapeMismatchException("Transpose", $"permutation {ShapeUtil.Format(dims)} does not match the rank of shape {ShapeUtil.Format(shape)}");
        var ns = new int[dims.Length];
        var st = new int[dims.Length];
        var inv = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = ShapeUtil.NormalizeDim(dims[i], shape.Length, "Permute");
            if (seen[d]) throw new ShapeMismatchException("Transpose", $"dimension {d} repeats in permutation {ShapeUtil.Format(dims)} of shape {ShapeUtil.Format(shape)}");
            seen[d] = true;
            ns[i] = shape[d];
            st[i] = strides[d];
            inv[d] = i;
        }
        var y = ViewOp(ns, st, offset, "Transpose", g => g.Permute(inv));
        if (GraphTracer.Current is { } tr)
        {
            var perm = new long[dims.Length];
            for (int i = 0; i < perm.Length; i++) perm[i] = Array.IndexOf(inv, i);
            tr.Node("Transpose", [tr.Name(this)], y, new AttributeBag().Set("perm", perm));
        }
        return y;
    }

    /// <summary>Swaps two dimensions (<c>tensor.transpose</c>); a view.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var p = Enumerable.Range(0, shape.Length).ToArray();
        if (p.Length == 0)
        {
            // PyTorch allows transpose(0, -1) of a 0-D tensor: a view of it.
            ShapeUtil.NormalizeDim(dim0, 0, "Transpose");
            ShapeUtil.NormalizeDim(dim1, 0, "Transpose");
            return Permute();
        }
        int a = ShapeUtil.NormalizeDim(dim0, shape.Length, "Transpose"), b = ShapeUtil.NormalizeDim(dim1, shape.Length, "Transpose");
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>Transpose of a 2-D tensor (<c>tensor.T</c>); for 0-D and 1-D tensors an unchanged view.</summary>
    /// <remarks>Always a new tensor object, so disposing <c>x.T</c> never disposes <c>x</c>.</remarks>
    public Tensor T => shape.Length < 2 ? Permute(Enumerable.Range(0, shape.Length).ToArray()) : Transpose(0, 1);

    /// <summary>Swaps the last two dimensions (<c>tensor.mT</c>).</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>Removes size-1 dimensions, or only <paramref name="dim"/> (<c>tensor.squeeze</c>).</summary>
    public Tensor Squeeze(int? dim = null)
    {
        ThrowIfDisposed();
        var keep = new List<int>();
        int d0 = dim is int d ? ShapeUtil.NormalizeDim(d, shape.Length, "Squeeze") : -1;
        for (int i = 0; i < shape.Length; i++)
            if (!(shape[i] == 1 && (dim == null || i == d0))) keep.Add(i);
        int[] from = shape;
        var y = ViewOp(keep.Select(i => shape[i]).ToArray(), keep.Select(i => strides[i]).ToArray(), offset, "Squeeze", g => g.Reshape(from));
        if (GraphTracer.Current is { } tr)
        {
            if (keep.Count == shape.Length) tr.Alias(this, y);
            else tr.Node("Squeeze", [tr.Name(this), tr.Ints(Enumerable.Range(0, shape.Length).Where(i => !keep.Contains(i)).Select(i => (long)i).ToArray())], y);
        }
        return y;
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/> (<c>tensor.unsqueeze</c>).</summary>
    public Tensor Unsqueeze(int dim)
    {
        ThrowIfDisposed();
        int d = ShapeUtil.NormalizeDim(dim, shape.Length + 1, "Unsqueeze");
        var ns = shape.ToList();
        var st = strides.ToList();
        ns.Insert(d, 1);
        st.Insert(d, d < strides.Length ? strides[d] * shape[d] : 1);
        int[] from = shape;
        var y = ViewOp(ns.ToArray(), st.ToArray(), offset, "Unsqueeze", g => g.Reshape(from));
        if (GraphTracer.Current is { } tr) tr.Node("Unsqueeze", [tr.Name(this), tr.Ints(d)], y);
        return y;
    }

    /// <summary>Broadcasts size-1 dims to <paramref name="newShape"/> without copying; -1 keeps a size (<c>tensor.expand</c>).</summary>
    public Tensor Expand(params int[] newShape)
    {
        ThrowIfDisposed();
        var target = (int[])newShape.Clone();
        int lead = target.Length - shape.Length;
        if (lead < 0) throw new ShapeMismatchException("Expand", $"cannot expand shape {ShapeUtil.Format(shape)} to fewer dimensions {ShapeUtil.Format(newShape)}");
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (i < lead) throw new ShapeMismatchException("Expand", "-1 is not allowed for new leading dimensions");
                target[i] = shape[i - lead];
            }
            else if (i >= lead && shape[i - lead] != 1 && shape[i - lead] != target[i])
                throw new ShapeMismatchException("Expand", $"cannot expand shape {ShapeUtil.Format(shape)} to {ShapeUtil.Format(newShape)} (dimension {i})");
        }
        int[] from = shape;
        var y = ViewOp(target, ShapeUtil.BroadcastStrides(shape, strides, target), offset, "Expand", g => g.SumTo(from));
        if (GraphTracer.Current is { } tr)
        {
            if (target.AsSpan().SequenceEqual(shape)) tr.Alias(this, y);
            else tr.Expand(this, target, y);
        }
        return y;
    }

    /// <summary>Alias of <see cref="Expand"/> (<c>torch.broadcast_to</c>).</summary>
    public Tensor BroadcastTo(params int[] newShape) => Expand(newShape);

    /// <summary>Elements start, start+step, … below end along <paramref name="dim"/> (<c>tensor[..., start:end:step]</c>); a view.</summary>
    public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
    {
        ThrowIfDisposed();
        if (step <= 0) throw new ArgumentException($"Slice: step must be positive, got {step}");
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "Slice");
        int n = shape[d];
        int s = Math.Clamp(start is int a ? (a < 0 ? a + n : a) : 0, 0, n);
        int e = Math.Clamp(end is int b ? (b < 0 ? b + n : b) : n, 0, n);
        int len = e > s ? (e - s + step - 1) / step : 0;
        var ns = (int[])shape.Clone();
        var st = (int[])strides.Clone();
        ns[d] = len;
        st[d] = strides[d] * step;
        int[] from = shape;
        var y = ViewOp(ns, st, offset + s * strides[d], "Slice", g => ScatterIntoView(from, g, t => t.Slice(d, s, e, step)));
        GraphTracer.Current?.Slice(this, d, start, end, step, y);
        return y;
    }

    /// <summary><paramref name="length"/> elements from <paramref name="start"/> along <paramref name="dim"/> (<c>tensor.narrow</c>).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "Narrow");
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: start {start} + length {length} exceeds dimension {d} of size {shape[d]}");
        return Slice(d, start, start + length);
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, removing that dim (<c>tensor.select</c>, <c>x[i]</c>).</summary>
    public Tensor Select(int dim, int index)
    {
        ThrowIfDisposed();
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "Select");
        int n = shape[d];
        if (index < -n || index >= n) throw new IndexOutOfRangeException($"Select: index {index} is out of bounds for dimension {d} with size {n}");
        long given = index; // a trace keeps an index from the end relative (x[^1] of a dynamic batch)
        if (index < 0) index += n;
        var ns = shape.Where((_, i) => i != d).ToArray();
        var st = strides.Where((_, i) => i != d).ToArray();
        int[] from = shape;
        int idx = index;
        var y = ViewOp(ns, st, offset + index * strides[d], "Gather", g => ScatterIntoView(from, g, t => t.Select(d, idx)));
        if (GraphTracer.Current is { } tr) tr.Node("Gather", [tr.Name(this), tr.ScalarInt(given)], y, new AttributeBag().Set("axis", (long)d));
        return y;
    }

    /// <summary>Backward of a view: zeros of the input shape with the gradient copied into the same view.</summary>
    static Tensor ScatterIntoView(int[] inputShape, Tensor g, Func<Tensor, Tensor> view)
    {
        var gx = Zeros(inputShape, g.DType, g.Device);
        using (Autograd.NoGrad())
        using (var v = view(gx)) v.CopyFrom(g);
        return gx;
    }

    /// <summary>Concatenates along <paramref name="dim"/> (<c>torch.cat</c>).</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors");
        var first = tensors[0];
        int d = ShapeUtil.NormalizeDimOf(dim, first.shape, "Concat");
        var dt = first.DType;
        int total = 0;
        foreach (var t in tensors)
        {
            t.ThrowIfDisposed();
            CheckSameDevice("Concat", first, t);
            dt = DTypeInfo.Promote(dt, t.DType);
            if (t.Dim != first.Dim) throw new ShapeMismatchException("Concat", $"tensors must have the same rank, got {ShapeUtil.Format(first.shape)} and {ShapeUtil.Format(t.shape)}");
            for (int i = 0; i < t.Dim; i++)
                if (i != d && t.shape[i] != first.shape[i])
                    throw new ShapeMismatchException("Concat", $"sizes must match except in dimension {d}, got {ShapeUtil.Format(first.shape)} and {ShapeUtil.Format(t.shape)}");
            total += t.shape[d];
        }
        var ns = (int[])first.shape.Clone();
        ns[d] = total;
        var y = Empty(ns, dt, first.Device);
        int off = 0;
        var offsets = new int[tensors.Count];
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            offsets[k] = off;
            var dst = new TensorView(y.storage, t.shape, y.strides, off * y.strides[d], dt);
            first.Backend.Copy(t.View, dst);
            off += t.shape[d];
        }
        GraphTracer.Current?.Concat(tensors, d, dt, y);
        var inputs = tensors.ToArray();
        if (Autograd.Needs(inputs))
        {
            var lens = inputs.Select(t => t.shape[d]).ToArray();
            Autograd.Record(y, "Concat", inputs, g => lens.Select((len, k) => (Tensor?)g.Narrow(d, offsets[k], len)).ToArray());
        }
        return y;
    }

    /// <summary>Stacks along a new dimension (<c>torch.stack</c>).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: expected a non-empty list of tensors");
        foreach (var t in tensors)
            if (!t.Shape.SequenceEqual(tensors[0].Shape))
                throw new ShapeMismatchException("Stack", $"all tensors must have the same shape, got {ShapeUtil.Format(tensors[0].shape)} and {ShapeUtil.Format(t.shape)}");
        int d = ShapeUtil.NormalizeDim(dim, tensors[0].Dim + 1, "Stack");
        var us = tensors.Select(t => t.Unsqueeze(d)).ToArray();
        var y = Cat(us, d);
        foreach (var u in us) u.Dispose();
        return y;
    }

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller) (<c>torch.split</c>).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        if (splitSize <= 0) throw new ArgumentException($"Split: splitSize must be positive, got {splitSize}");
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "Split");
        var parts = new List<Tensor>();
        for (int s = 0; s < shape[d]; s += splitSize) parts.Add(Narrow(d, s, Math.Min(splitSize, shape[d] - s)));
        return parts.ToArray();
    }

    /// <summary>Splits into pieces of the given sizes along <paramref name="dim"/> (<c>torch.split</c> with a list).</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "Split");
        if (sizes.Sum() != shape[d]) throw new ShapeMismatchException("Split", $"sizes {ShapeUtil.Format(sizes)} do not sum to dimension {d} of shape {ShapeUtil.Format(shape)}");
        var parts = new Tensor[sizes.Length];
        int s = 0;
        for (int i = 0; i < sizes.Length; i++) { parts[i] = Narrow(d, s, sizes[i]); s += sizes[i]; }
        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces (<c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}");
        int d = ShapeUtil.NormalizeDimOf(dim, shape, "Chunk");
        int size = (shape[d] + chunks - 1) / chunks;
        return Split(Math.Max(size, 1), d);
    }

    /// <summary>Repeats the tensor along each dimension (<c>tensor.repeat</c>).</summary>
    public Tensor Repeat(params int[] repeats)
    {
        if (repeats.Length < shape.Length) throw new ShapeMismatchException("Tile", $"repeats {ShapeUtil.Format(repeats)} has fewer dims than the tensor {ShapeUtil.Format(shape)}");
        var x = this;
        while (x.Dim < repeats.Length) x = x.Unsqueeze(0);
        // Interleave a new axis per dim, expand it, then merge: [r0, s0, r1, s1, ...].
        var expShape = new List<int>();
        var viewShape = new List<int>();
        for (int i = 0; i < repeats.Length; i++) { viewShape.Add(1); viewShape.Add(x.shape[i]); expShape.Add(repeats[i]); expShape.Add(x.shape[i]); }
        var final = repeats.Select((r, i) => r * x.shape[i]).ToArray();
        return x.Reshape(viewShape.ToArray()).Expand(expShape.ToArray()).Contiguous().Reshape(final);
    }
}
