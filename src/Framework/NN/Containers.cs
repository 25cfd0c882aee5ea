using System.Collections;

namespace NativeNet.NN;

/// <summary>
/// Runs submodules in order, each on the previous one's output (<c>torch.nn.Sequential</c>). Children are named
/// "0", "1", … so state-dict keys match PyTorch ("0.weight"). Supports <see cref="Add"/>, an indexer and collection
/// initializers. It is also a Keras model (<c>keras.Sequential</c>): <see cref="Model.Compile(Optim.Optimizer, string, Metric[])"/>,
/// <see cref="Model.Fit(Tensor, Tensor, int, int, ValueTuple{Tensor, Tensor}?, double, bool, IEnumerable{Callback}?, int, int)"/>,
/// <see cref="Model.Summary"/> work on it unchanged.
/// </summary>
public class Sequential : Model, IEnumerable<Module>
{
    /// <summary>Creates the container from <paramref name="modules"/> (<c>nn.Sequential(*modules)</c>).</summary>
    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Creates the container with explicit child names (<c>nn.Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(IEnumerable<(string Name, Module Module)> modules)
    {
        foreach (var (n, m) in modules) RegisterModule(n, m);
    }

    /// <summary>Appends <paramref name="module"/> under the next index (<c>sequential.append</c>, Keras <c>add</c>); returns this container.</summary>
    public Sequential Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(ModuleSlotCount.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        return this;
    }

    /// <summary>Number of children (<c>len(sequential)</c>).</summary>
    public int Count => ModuleSlotCount;

    /// <summary>The child at <paramref name="index"/>; negative counts from the end (<c>sequential[i]</c>).</summary>
    public Module this[int index]
    {
        get
        {
            int n = Count;
            int i = index < 0 ? index + n : index;
            if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(index), $"Sequential: index {index} is out of range for {n} modules");
            return ModuleAt(i);
        }
    }

    /// <summary>
    /// Runs the children in order. A built-in <see cref="Conv2d"/> directly followed by a built-in <see cref="Relu"/>,
    /// neither with hooks, runs as one op: ReLU applied in the convolution's output pass, one backward node for both
    /// (the same values and gradients, one pass over the activation fewer, as PyTorch's fused conv-relu modules).
    /// </summary>
    public override Tensor Forward(Tensor x)
    {
        int n = Count;
        for (int i = 0; i < n; i++)
        {
            var m = ModuleAt(i);
            if (i + 1 < n && m.GetType() == typeof(Conv2d) && ModuleAt(i + 1) is var next && next.GetType() == typeof(Relu)
                && m.HasNoForwardHooks && next.HasNoForwardHooks && x is not KerasTensor)
            {
                var c = (Conv2d)m;
                x = Tensor.Conv2dCore(x, c.Weight, c.Bias, [c.Stride.Item1, c.Stride.Item2], [c.Padding.Item1, c.Padding.Item2],
                    [c.Dilation.Item1, c.Dilation.Item2], c.Groups, relu: true);
                i++;
                continue;
            }
            x = m.Call(x);
        }
        return x;
    }

    /// <summary>Enumerates the children in order.</summary>
    public IEnumerator<Module> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return ModuleAt(i);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A list of registered submodules (<c>torch.nn.ModuleList</c>): use it instead of a plain <c>List&lt;Module&gt;</c>
/// field so the modules are trained, saved and moved. It has no forward of its own.
/// </summary>
public class ModuleList : Module, IEnumerable<Module>
{
    /// <summary>Creates the list (<c>nn.ModuleList(modules)</c>).</summary>
    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends <paramref name="module"/> (<c>module_list.append</c>); returns this list.</summary>
    public ModuleList Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(ModuleSlotCount.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        return this;
    }

    /// <summary>Number of modules.</summary>
    public int Count => ModuleSlotCount;

    /// <summary>The module at <paramref name="index"/>; negative counts from the end.</summary>
    public Module this[int index]
    {
        get
        {
            int n = Count;
            int i = index < 0 ? index + n : index;
            if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(index), $"ModuleList: index {index} is out of range for {n} modules");
            return ModuleAt(i);
        }
    }

    /// <summary>Enumerates the modules in order.</summary>
    public IEnumerator<Module> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return ModuleAt(i);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
