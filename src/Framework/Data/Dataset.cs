namespace NativeNet.Data;

/// <summary>
/// A map-style dataset of samples, each a fixed number of tensors (PyTorch <c>torch.utils.data.Dataset</c>).
/// Subclasses override <see cref="Count"/> (<c>__len__</c>) and <see cref="GetItem"/> (<c>__getitem__</c>); datasets whose
/// samples are not (input, target) pairs override <see cref="FieldCount"/> and <see cref="GetFields"/> instead.
/// Override <see cref="GetBatch"/> (PyTorch's <c>__getitems__</c>) when a whole batch can be gathered at once;
/// <see cref="TensorDataset"/> does so with one <c>IndexSelect</c> per tensor.
/// </summary>
public abstract class Dataset : IDisposable
{
    /// <summary>Number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>
    /// Sample <paramref name="index"/> as an (input, target) pair (<c>dataset[index]</c>). Sample tensors have no batch dimension.
    /// </summary>
    public abstract (Tensor X, Tensor Y) GetItem(int index);

    /// <summary>Number of tensors in one sample: 2 for (input, target) datasets.</summary>
    public virtual int FieldCount => 2;

    /// <summary>Sample <paramref name="index"/> as an array of <see cref="FieldCount"/> tensors (the tuple PyTorch's <c>__getitem__</c> returns).</summary>
    public virtual Tensor[] GetFields(int index)
    {
        var (x, y) = GetItem(index);
        return [x, y];
    }

    /// <summary>
    /// The samples at <paramref name="indices"/> (1-D Int64), collated: one tensor per field with a leading batch dimension
    /// (PyTorch <c>default_collate(dataset.__getitems__(indices))</c>). The default stacks <see cref="GetFields"/> sample by
    /// sample; tensors it creates and does not return are disposed when a <see cref="TensorScope"/> is open.
    /// </summary>
    public virtual Tensor[] GetBatch(Tensor indices)
    {
        var idx = indices.ToArray<long>();
        if (idx.Length == 0) throw new ArgumentException("Dataset.GetBatch: indices must not be empty");
        var samples = new Tensor[idx.Length][];
        for (int i = 0; i < idx.Length; i++)
        {
            samples[i] = GetFields(CheckIndex(idx[i]));
            if (samples[i].Length != samples[0].Length)
                throw new InvalidOperationException($"{GetType().Name}: sample {idx[i]} has {samples[i].Length} tensors, sample {idx[0]} has {samples[0].Length}");
        }
        var batch = new Tensor[samples[0].Length];
        for (int f = 0; f < batch.Length; f++) batch[f] = Tensor.Stack(samples.Select(s => s[f]).ToArray());
        return batch;
    }

    /// <summary>Checks <paramref name="index"/> against <see cref="Count"/> (negative counts from the end, like Python) and normalizes it.</summary>
    protected int CheckIndex(long index)
    {
        int n = Count;
        if (index < -n || index >= n)
            throw new IndexOutOfRangeException($"{GetType().Name}: index {index} is out of range for a dataset of {n} samples");
        return (int)(index < 0 ? index + n : index);
    }

    /// <summary>Releases tensors the dataset owns (a no-op unless a subclass owns some).</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// A dataset wrapping tensors whose first dimension indexes samples (PyTorch <c>torch.utils.data.TensorDataset</c>).
/// Batches are gathered with one <see cref="Tensor.IndexSelect"/> per tensor. The dataset references the given tensors;
/// it does not copy them, and it disposes them only when it was created by a loader such as <see cref="FashionMnist"/>.
/// </summary>
public sealed class TensorDataset : Dataset
{
    readonly Tensor[] tensors;
    readonly bool ownsTensors;

    /// <summary>Wraps <paramref name="tensors"/>, which must share their first dimension (<c>TensorDataset(*tensors)</c>).</summary>
    public TensorDataset(params Tensor[] tensors) : this(tensors, false) { }

    internal TensorDataset(Tensor[] tensors, bool ownsTensors)
    {
        if (tensors is null || tensors.Length == 0) throw new ArgumentException("TensorDataset: expected at least one tensor");
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            t.ThrowIfDisposed();
            if (t.Dim == 0) throw new ShapeMismatchException("TensorDataset", "tensors must have a sample dimension, got a 0-D tensor");
            if (t.Size(0) != tensors[0].Size(0))
                throw new ShapeMismatchException("TensorDataset", $"size mismatch between tensors: {ShapeUtil.Format(tensors[0].shape)} and {ShapeUtil.Format(t.shape)} differ in dimension 0");
        }
        this.tensors = (Tensor[])tensors.Clone();
        this.ownsTensors = ownsTensors;
    }

    /// <summary>The wrapped tensors (<c>dataset.tensors</c>).</summary>
    public IReadOnlyList<Tensor> Tensors => tensors;

    /// <summary>The first tensor: the inputs, e.g. images [N, 1, 28, 28].</summary>
    public Tensor X => tensors[0];

    /// <summary>The second tensor: the targets, e.g. class indices [N]. Throws when the dataset holds a single tensor.</summary>
    public Tensor Y => tensors.Length >= 2 ? tensors[1]
        : throw new InvalidOperationException("TensorDataset.Y: this dataset holds a single tensor");

    /// <inheritdoc/>
    public override int Count => tensors[0].Size(0);

    /// <inheritdoc/>
    public override int FieldCount => tensors.Length;

    /// <summary>Sample <paramref name="index"/> as views (<c>dataset[index]</c>); needs exactly two tensors (use <see cref="GetFields"/> otherwise).</summary>
    public override (Tensor X, Tensor Y) GetItem(int index)
    {
        if (tensors.Length != 2)
            throw new InvalidOperationException($"TensorDataset.GetItem: returns (X, Y) pairs but this dataset holds {tensors.Length} tensors; use GetFields");
        int i = CheckIndex(index);
        return (tensors[0].Select(0, i), tensors[1].Select(0, i));
    }

    /// <inheritdoc/>
    public override Tensor[] GetFields(int index)
    {
        int i = CheckIndex(index);
        return tensors.Select(t => t.Select(0, i)).ToArray();
    }

    /// <summary>Gathers the samples at <paramref name="indices"/> with one <see cref="Tensor.IndexSelect"/> per tensor.</summary>
    public override Tensor[] GetBatch(Tensor indices)
    {
        var batch = new Tensor[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            var idx = indices.To(tensors[i].Device);
            batch[i] = tensors[i].IndexSelect(0, idx);
            if (!ReferenceEquals(idx, indices)) idx.Dispose();
        }
        return batch;
    }

    /// <summary>Disposes the tensors when this dataset owns them (datasets returned by loaders); otherwise a no-op.</summary>
    public override void Dispose()
    {
        if (ownsTensors)
            foreach (var t in tensors) t.Dispose();
        base.Dispose();
    }
}
