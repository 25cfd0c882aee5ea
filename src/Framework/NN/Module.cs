using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace NativeNet.NN;

/// <summary>
/// Base class of every layer and model (<c>torch.nn.Module</c>). Subclasses register their parameters, buffers and
/// submodules in the constructor (<see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/>,
/// <see cref="RegisterModule{T}"/>) and override <see cref="Forward(Tensor)"/>; users run a module with
/// <see cref="Call(Tensor)"/>, which also runs the forward hooks. A Module or Parameter field that was not registered
/// is reported on the first call instead of silently not being trained.
/// </summary>
public abstract partial class Module
{
    readonly OrderedDictionary<string, Parameter?> parameterSlots = new();
    readonly OrderedDictionary<string, Tensor?> bufferSlots = new();
    readonly HashSet<string> nonPersistent = new();
    readonly OrderedDictionary<string, Module?> moduleSlots = new();
    List<Func<Module, Tensor[], Tensor[]?>>? preHooks;
    List<Func<Module, Tensor[], Tensor, Tensor?>>? postHooks;
    [ThreadStatic] static List<Func<Module, Tensor[], Tensor, Tensor?>>? globalPostHooks;
    bool fieldsChecked;

    /// <summary>True in training mode, false after <see cref="Eval"/> (<c>module.training</c>).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Runs the module on one input: forward pre-hooks, <see cref="Forward(Tensor)"/>, forward hooks (<c>module(x)</c>).</summary>
    public Tensor Call(Tensor x) => Invoke([x]);

    /// <summary>Runs the module on several inputs (<c>module(*inputs)</c>); the module overrides <see cref="Forward(Tensor[])"/>.</summary>
    public Tensor Call(params Tensor[] inputs) => Invoke(inputs);

    Tensor Invoke(Tensor[] inputs)
    {
        if (!fieldsChecked) CheckRegistered();
        // Keras functional API: a call on Keras.Input-derived tensors records a graph node instead of computing.
        if (inputs.Length > 0 && inputs[0] is KerasTensor) return KerasTensor.Record(this, inputs);
        var globals = globalPostHooks;
        if (preHooks == null && postHooks == null && globals == null) return Forward(inputs);
        if (preHooks != null)
            foreach (var h in preHooks.ToArray())
                inputs = h(this, inputs) ?? inputs;
        var y = Forward(inputs);
        if (postHooks != null)
            foreach (var h in postHooks.ToArray())
                y = h(this, inputs, y) ?? y;
        if (globals != null)
            foreach (var h in globals.ToArray()) y = h(this, inputs, y) ?? y;
        return y;
    }

    /// <summary>True when no forward pre-hook, forward hook or global forward hook would observe a call of this module.</summary>
    internal bool HasNoForwardHooks => preHooks == null && postHooks == null && globalPostHooks == null;

    /// <summary>The computation of a one-input module (<c>module.forward(x)</c>). Call the module with <see cref="Call(Tensor)"/> instead.</summary>
    public virtual Tensor Forward(Tensor x) =>
        throw new InvalidOperationException($"{GetType().Name} does not override Forward(Tensor); it cannot be called with one input");

    /// <summary>The computation of a module with several inputs (<c>module.forward(*inputs)</c>); by default forwards a single input to <see cref="Forward(Tensor)"/>.</summary>
    public virtual Tensor Forward(params Tensor[] inputs) => inputs.Length == 1
        ? Forward(inputs[0])
        : throw new ArgumentException($"{GetType().Name} takes one input, got {inputs.Length}; override Forward(params Tensor[]) to take several");

    /// <summary>
    /// Adds a hook run before <see cref="Forward(Tensor)"/> that may replace the inputs by returning a new array
    /// (<c>module.register_forward_pre_hook</c>). Dispose the handle to remove it.
    /// </summary>
    public HookHandle RegisterForwardPreHook(Func<Module, Tensor[], Tensor[]?> hook)
    {
        (preHooks ??= new()).Add(hook);
        return new HookHandle(() => { preHooks?.Remove(hook); if (preHooks?.Count == 0) preHooks = null; });
    }

    /// <summary>
    /// Adds a hook run after <see cref="Forward(Tensor)"/> with the inputs and the output; returning a tensor replaces the
    /// output (<c>module.register_forward_hook</c>). Dispose the handle to remove it.
    /// </summary>
    public HookHandle RegisterForwardHook(Func<Module, Tensor[], Tensor, Tensor?> hook)
    {
        (postHooks ??= new()).Add(hook);
        return new HookHandle(() => { postHooks?.Remove(hook); if (postHooks?.Count == 0) postHooks = null; });
    }

    /// <summary>
    /// Adds a forward hook run after every module's forward on the calling thread
    /// (<c>torch.nn.modules.module.register_module_forward_hook</c>); tracers attach here. Dispose the handle on the
    /// same thread to remove it.
    /// </summary>
    public static HookHandle RegisterGlobalForwardHook(Func<Module, Tensor[], Tensor, Tensor?> hook)
    {
        var list = globalPostHooks ??= new();
        list.Add(hook);
        return new HookHandle(() =>
        {
            list.Remove(hook);
            if (list.Count == 0 && ReferenceEquals(globalPostHooks, list)) globalPostHooks = null;
        });
    }

    static void CheckName(string name, string what, Module owner)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{owner.GetType().Name}: {what} name cannot be empty");
        if (name.Contains('.')) throw new ArgumentException($"{owner.GetType().Name}: {what} name '{name}' cannot contain '.'");
    }

    /// <summary>
    /// Registers (or replaces) a parameter under <paramref name="name"/> (<c>module.register_parameter</c>); null keeps the
    /// slot empty (e.g. no bias). Returns the parameter. Parameters are never owned by a <see cref="TensorScope"/>.
    /// </summary>
    [return: NotNullIfNotNull(nameof(parameter))]
    public Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name, "parameter", this);
        if (bufferSlots.ContainsKey(name) || moduleSlots.ContainsKey(name))
            throw new ArgumentException($"{GetType().Name}: '{name}' is already a buffer or submodule");
        parameter?.Unown();
        parameterSlots[name] = parameter;
        return parameter;
    }

    /// <summary>
    /// Registers (or replaces) a buffer: state that is not trained but is saved and moved with the module, such as
    /// BatchNorm's running mean (<c>module.register_buffer(name, tensor, persistent)</c>). Non-persistent buffers are
    /// left out of <see cref="StateDict"/>. Returns the tensor.
    /// </summary>
    [return: NotNullIfNotNull(nameof(tensor))]
    public Tensor? RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        CheckName(name, "buffer", this);
        if (parameterSlots.ContainsKey(name) || moduleSlots.ContainsKey(name))
            throw new ArgumentException($"{GetType().Name}: '{name}' is already a parameter or submodule");
        tensor?.Unown();
        bufferSlots[name] = tensor;
        if (persistent) nonPersistent.Remove(name); else nonPersistent.Add(name);
        return tensor;
    }

    /// <summary>Registers (or replaces) a submodule under <paramref name="name"/> and returns it (<c>module.add_module</c>).</summary>
    public T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name, "submodule", this);
        ArgumentNullException.ThrowIfNull(module);
        if (parameterSlots.ContainsKey(name) || bufferSlots.ContainsKey(name))
            throw new ArgumentException($"{GetType().Name}: '{name}' is already a parameter or buffer");
        if (ReferenceEquals(module, this)) throw new ArgumentException($"{GetType().Name}: a module cannot contain itself");
        moduleSlots[name] = module;
        return module;
    }

    /// <summary>The parameter registered directly on this module under <paramref name="name"/>, or null.</summary>
    protected Parameter? GetParameter(string name) => parameterSlots.TryGetValue(name, out var p) ? p : null;

    /// <summary>The buffer registered directly on this module under <paramref name="name"/>, or null.</summary>
    protected Tensor? GetBuffer(string name) => bufferSlots.TryGetValue(name, out var b) ? b : null;

    /// <summary>The submodule registered directly on this module under <paramref name="name"/>, or null.</summary>
    protected Module? GetModule(string name) => moduleSlots.TryGetValue(name, out var m) ? m : null;

    /// <summary>Number of direct submodules (used by containers).</summary>
    private protected int ModuleSlotCount => moduleSlots.Count;

    /// <summary>The direct submodule at position <paramref name="index"/> (used by containers).</summary>
    private protected Module ModuleAt(int index) => moduleSlots.GetAt(index).Value!;

    /// <summary>The trainable parameters, this module's first, then its submodules' (<c>module.parameters(recurse)</c>).</summary>
    public IEnumerable<Parameter> Parameters(bool recurse = true)
    {
        foreach (var (_, p) in NamedParameters(recurse: recurse)) yield return p;
    }

    /// <summary>Parameters with PyTorch's dotted names such as "0.weight" or "fc1.bias" (<c>module.named_parameters()</c>). Shared parameters appear once.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (mp, m) in recurse ? NamedModules(prefix) : [(prefix, this)])
            foreach (var (n, p) in m.parameterSlots)
                if (p != null && seen.Add(p)) yield return (Join(mp, n), p);
    }

    /// <summary>The buffers (running statistics and similar), recursively (<c>module.buffers()</c>).</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true)
    {
        foreach (var (_, b) in NamedBuffers(recurse: recurse)) yield return b;
    }

    /// <summary>Buffers with dotted names such as "1.running_mean" (<c>module.named_buffers()</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (mp, m) in recurse ? NamedModules(prefix) : [(prefix, this)])
            foreach (var (n, b) in m.bufferSlots)
                if (b != null && seen.Add(b)) yield return (Join(mp, n), b);
    }

    /// <summary>The direct submodules (<c>module.children()</c>).</summary>
    public IEnumerable<Module> Children()
    {
        foreach (var (_, m) in NamedChildren()) yield return m;
    }

    /// <summary>The direct submodules with their names (<c>module.named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in moduleSlots)
            if (m != null && seen.Add(m)) yield return (n, m);
    }

    /// <summary>This module and every submodule, depth first (<c>module.modules()</c>).</summary>
    public IEnumerable<Module> Modules()
    {
        foreach (var (_, m) in NamedModules()) yield return m;
    }

    /// <summary>This module ("" or <paramref name="prefix"/>) and every submodule with dotted names (<c>module.named_modules()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push((prefix, this));
        while (stack.Count > 0)
        {
            var (name, m) = stack.Pop();
            if (!seen.Add(m)) continue;
            yield return (name, m);
            for (int i = m.moduleSlots.Count - 1; i >= 0; i--)
            {
                var (cn, c) = m.moduleSlots.GetAt(i);
                if (c != null) stack.Push((Join(name, cn), c));
            }
        }
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Calls <paramref name="fn"/> on every submodule, then on this module (<c>module.apply(fn)</c>), e.g. for custom initialization.</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var c in Children()) c.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Sets training mode on this module and every submodule (<c>module.train(mode)</c>); Dropout and BatchNorm behave differently in each mode.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var m in Modules()) m.IsTraining = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (<c>module.eval()</c>), the same as <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Clears the gradients of every parameter (<c>module.zero_grad(set_to_none)</c>). With <paramref name="setToNone"/> the
    /// gradient tensors are disposed (their buffers go back to the pool) and <see cref="Tensor.Grad"/> becomes null;
    /// otherwise they are zeroed in place. Clone a gradient first if you need it afterwards.
    /// </summary>
    public void ZeroGrad(bool setToNone = true) => ClearGrads(Parameters(), setToNone);

    internal static void ClearGrads(IEnumerable<Tensor> parameters, bool setToNone)
    {
        foreach (var p in parameters)
        {
            var g = p.Grad;
            if (g == null) continue;
            if (setToNone)
            {
                p.Grad = null;
                g.Dispose();
            }
            else if (!g.IsDisposed)
            {
                using (Autograd.NoGrad()) g.ZeroInPlace();
            }
        }
    }

    /// <summary>Total number of elements over all parameters (Keras <c>count_params()</c>).</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.NumEl);

    /// <summary>Extra text inside this module's printed form, e.g. "in_features=784, out_features=256" (<c>module.extra_repr()</c>).</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>PyTorch-style printout of the module tree (<c>repr(module)</c>).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(GetType().Name).Append('(').Append(ExtraRepr());
        if (moduleSlots.Count == 0) return sb.Append(')').ToString();
        sb.Append('\n');
        foreach (var (n, m) in moduleSlots)
        {
            var child = (m?.ToString() ?? "None").Replace("\n", "\n  ");
            sb.Append("  (").Append(n).Append("): ").Append(child).Append('\n');
        }
        return sb.Append(')').ToString();
    }
}

/// <summary>Removes a hook when disposed (<c>torch.utils.hooks.RemovableHandle</c>).</summary>
public sealed class HookHandle : IDisposable
{
    Action? remove;

    internal HookHandle(Action remove) => this.remove = remove;

    /// <summary>Removes the hook (<c>handle.remove()</c>). Idempotent.</summary>
    public void Dispose()
    {
        remove?.Invoke();
        remove = null;
    }
}
