namespace NativeNet;

/// <summary>
/// Disposes every tensor created on this thread while it is the innermost scope (TorchSharp's DisposeScope,
/// simplified): <c>using var scope = Tensor.Scope();</c>. <see cref="Keep"/> moves a tensor to the enclosing
/// scope (or unowns it when there is none). Parameters, gradients and optimizer state are never scope-owned.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] static TensorScope? current;
    readonly TensorScope? parent;
    readonly List<Tensor> owned = new();
    bool disposed;

    TensorScope(TensorScope? parent) => this.parent = parent;

    internal static TensorScope Begin() => current = new TensorScope(current);

    /// <summary>The innermost scope on this thread, or null.</summary>
    public static TensorScope? Current => current;

    /// <summary>Number of tensors this scope currently owns.</summary>
    public int Count => owned.Count(t => t.owner == this && !t.IsDisposed);

    internal static void Register(Tensor t)
    {
        var s = current;
        if (s == null) return;
        t.owner = s;
        s.owned.Add(t);
    }

    /// <summary>Keeps <paramref name="tensor"/> alive past this scope: it moves to the enclosing scope, or is unowned.</summary>
    public T Keep<T>(T tensor) where T : Tensor
    {
        if (tensor.owner != this) return tensor;
        var target = parent;
        while (target != null && target.disposed) target = target.parent;
        tensor.owner = target;
        target?.owned.Add(tensor);
        return tensor;
    }

    /// <summary>Keeps several tensors (see <see cref="Keep{T}"/>).</summary>
    /// <remarks>Two fixed parameters so that <c>scope.Keep(t)</c> binds to the generic overload and returns the tensor
    /// (C# prefers a non-generic <c>params</c> method, which made <c>var y = scope.Keep(x)</c> a compile error).</remarks>
    public void Keep(Tensor first, Tensor second, params Tensor[] more)
    {
        Keep(first);
        Keep(second);
        foreach (var t in more) Keep(t);
    }

    /// <summary>Keeps every tensor of a collection (see <see cref="Keep{T}"/>).</summary>
    public void KeepAll(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) Keep(t);
    }

    /// <summary>Disposes the tensors this scope still owns. Disposing twice or out of order is a no-op for the extra call.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in owned)
            if (t.owner == this) t.Dispose();
        owned.Clear();
        // Out of order (an outer scope disposed first): the innermost live scope stays current, dead ones are skipped,
        // so no tensor is ever registered with a disposed scope (it would never be freed and the list would grow).
        while (current != null && current.disposed) current = current.parent;
    }
}
