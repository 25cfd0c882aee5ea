using System.Runtime.CompilerServices;

namespace NativeNet;

/// <summary>
/// An n-dimensional array on a device with optional autograd (PyTorch <c>torch.Tensor</c>).
/// A tensor is a view: storage + shape/strides/offset + dtype. Images are NCHW.
/// Tensors are <see cref="IDisposable"/>: disposing returns the buffer early; <see cref="Scope"/> disposes
/// everything created inside it. Host tensors that are never disposed are collected by the GC.
/// </summary>
public partial class Tensor : IDisposable
{
    internal Storage storage;
    internal readonly int[] shape;
    internal readonly int[] strides;
    internal readonly int offset;
    internal readonly int numel;
    bool requiresGrad;
    bool disposed;
    internal BackwardNode? gradFn;
    internal AccumulateGrad? accumulator;
    internal TensorScope? owner;
    internal bool retainsGrad;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset, DType dtype, bool owned = true)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        numel = ShapeUtil.NumEl(shape);
        DType = dtype;
        if (owned) TensorScope.Register(this);
    }

    /// <summary>Copy-constructor used by <see cref="NN.Parameter"/>: takes over <paramref name="other"/>'s view and storage reference.</summary>
    private protected Tensor(Tensor other)
    {
        other.ThrowIfDisposed();
        storage = other.storage;
        storage.AddRef();
        shape = other.shape;
        strides = other.strides;
        offset = other.offset;
        numel = other.numel;
        DType = other.DType;
    }

    /// <summary>Allocates an uninitialized contiguous tensor (internal: ops fill it).</summary>
    internal static Tensor Empty(int[] shape, DType dtype, Device device)
    {
        int n = ShapeUtil.NumEl(shape);
        var storage = NativeNet.Backend.For(device).Allocate(Math.Max(n, 1) * dtype.ElementSize());
        var t = new Tensor(storage, shape, ShapeUtil.ContiguousStrides(shape), 0, dtype);
        if (GraphTracer.Current is { } tr) tr.Allocated(t);
        return t;
    }

    /// <summary>Element type (<c>tensor.dtype</c>).</summary>
    public DType DType { get; }

    /// <summary>The device holding the data (<c>tensor.device</c>).</summary>
    public Device Device => storage.Device;

    /// <summary>The shape (<c>tensor.shape</c>).</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Strides in elements (<c>tensor.stride()</c>).</summary>
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Offset of the first element in the storage, in elements (<c>tensor.storage_offset()</c>).</summary>
    public int StorageOffset => offset;

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements (<c>tensor.numel()</c>).</summary>
    public int NumEl => numel;

    /// <summary>Size of dimension <paramref name="dim"/>, negative counts from the end (<c>tensor.size(dim)</c>).</summary>
    public int Size(int dim) => shape[ShapeUtil.NormalizeDimOf(dim, shape, "Size")];

    /// <summary>True when elements are laid out densely in row-major order (<c>tensor.is_contiguous()</c>).</summary>
    public bool IsContiguous => ShapeUtil.IsContiguous(shape, strides);

    /// <summary>An optional name shown in errors.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether gradients are tracked (<c>tensor.requires_grad</c>). Setting it is allowed on leaves only,
    /// and only for floating-point tensors.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (value == requiresGrad) return;
            if (gradFn != null && !value)
                throw new InvalidOperationException("RequiresGrad can only be changed on leaf tensors; use Detach() on non-leaves");
            if (value && !DType.IsFloatingPoint())
                throw new DTypeMismatchException("RequiresGrad", $"only floating-point tensors can require gradients, got {DType.Name()}");
            requiresGrad = value;
        }
    }

    /// <summary>The gradient accumulated by <see cref="Backward"/> (<c>tensor.grad</c>); null until the first backward.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The backward node that produced this tensor, or null for leaves (<c>tensor.grad_fn</c>).</summary>
    public BackwardNode? GradFn => gradFn;

    /// <summary>True when the tensor was not produced by a recorded op (<c>tensor.is_leaf</c>).</summary>
    public bool IsLeaf => gradFn == null;

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => disposed;

    internal TensorView View
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (disposed) ThrowDisposed();
            return new TensorView(storage, shape, strides, offset, DType);
        }
    }

    internal void ThrowIfDisposed()
    {
        if (disposed) ThrowDisposed();
    }

    void ThrowDisposed() => throw new ObjectDisposedException(nameof(Tensor),
        $"tensor{(Name is null ? "" : " '" + Name + "'")} of shape {ShapeUtil.Format(shape)} ({DType.Name()}, {Device}) was disposed");

    /// <summary>Releases this tensor's reference to its storage. Idempotent. Views keep the storage alive.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        owner = null;
        storage.Release();
    }

    /// <summary>A new tensor object sharing this tensor's storage and view (internal: autograd saves these).</summary>
    internal Tensor Alias(bool owned = false)
    {
        ThrowIfDisposed();
        storage.AddRef();
        return new Tensor(storage, shape, strides, offset, DType, owned);
    }

    /// <summary>A view with another shape/strides on the same storage (no autograd; see the view ops).</summary>
    internal Tensor NewView(int[] newShape, int[] newStrides, int newOffset)
    {
        ThrowIfDisposed();
        storage.AddRef();
        return new Tensor(storage, newShape, newStrides, newOffset, DType);
    }

    /// <summary>Marks this tensor as not owned by any scope (parameters, gradients, optimizer state).</summary>
    internal Tensor Unown()
    {
        owner = null;
        return this;
    }

    /// <summary>Opens a scope that disposes every tensor created inside it on this thread, except those passed to <see cref="TensorScope.Keep"/>.</summary>
    public static TensorScope Scope() => TensorScope.Begin();
}

/// <summary>A tensor's bytes and layout as seen by a backend: no autograd, no ownership.</summary>
internal readonly record struct TensorView(Storage Storage, int[] Shape, int[] Strides, int Offset, DType DType)
{
    public int NumEl => ShapeUtil.NumEl(Shape);
    public bool IsContiguous => ShapeUtil.IsContiguous(Shape, Strides);
}
