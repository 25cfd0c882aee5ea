using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace NativeNet.NN;

/// <summary>
/// A module's saved state (<c>module.state_dict()</c>): parameters and persistent buffers by dotted name, in
/// registration order, with PyTorch's keys and layouts. Values share storage with the module until loaded elsewhere.
/// </summary>
public class StateDict : OrderedDictionary<string, Tensor>
{
    /// <summary>An empty state dict.</summary>
    public StateDict() : base(StringComparer.Ordinal) { }
}

/// <summary>
/// <see cref="Module.LoadStateDict"/> found missing or unexpected keys, or shapes that differ; the message lists them all
/// (PyTorch's "Error(s) in loading state_dict").
/// </summary>
public class StateDictMismatchException : ArgumentException
{
    /// <summary>Creates the exception with the lists it reports.</summary>
    public StateDictMismatchException(string message, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> shapeMismatches) : base(message)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Keys the module has but the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has but the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>One line per key whose shape differs, naming both shapes.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }
}

public abstract partial class Module
{
    /// <summary>
    /// Parameters and persistent buffers by PyTorch key ("0.weight", "1.running_mean", …) in registration order
    /// (<c>module.state_dict()</c>). The tensors are detached views sharing this module's storage.
    /// </summary>
    public StateDict StateDict()
    {
        var sd = new StateDict();
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var (n, p) in m.parameterSlots)
                if (p != null) sd[Join(prefix, n)] = p.Detach();
            foreach (var (n, b) in m.bufferSlots)
                if (b != null && !m.nonPersistent.Contains(n)) sd[Join(prefix, n)] = b.Detach();
        }
        return sd;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and buffers in place
    /// (<c>module.load_state_dict(state, strict)</c>); values are cast to each slot's dtype. With <paramref name="strict"/>,
    /// missing or unexpected keys throw <see cref="StateDictMismatchException"/>; a shape mismatch always throws. Returns
    /// the missing and unexpected keys. Lazy layers that have not created a parameter yet create it from the loaded shape.
    /// </summary>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var missing = new List<string>();
        var mismatches = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<(Tensor Dst, Tensor Src)>();
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var name in m.parameterSlots.Keys.ToArray())
            {
                string key = Join(prefix, name);
                var p = m.parameterSlots[name];
                if (!state.TryGetValue(key, out var v))
                {
                    if (p != null) missing.Add(key);
                    continue;
                }
                used.Add(key);
                if (p == null)
                {
                    if (!m.MaterializeParameter(name, v.Shape.ToArray())) continue;
                    p = m.parameterSlots[name]!;
                }
                Check(key, p, v);
            }
            foreach (var (name, b) in m.bufferSlots)
            {
                if (b == null || m.nonPersistent.Contains(name)) continue;
                string key = Join(prefix, name);
                if (!state.TryGetValue(key, out var v)) { missing.Add(key); continue; }
                used.Add(key);
                Check(key, b, v);
            }
        }
        var unexpected = state.Keys.Where(k => !used.Contains(k)).ToList();
        if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var parts = new List<string>();
            if (strict && missing.Count > 0) parts.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
            if (strict && unexpected.Count > 0) parts.Add("Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
            parts.AddRange(mismatches);
            throw new StateDictMismatchException($"Error(s) in loading state_dict for {GetType().Name}:\n\t" + string.Join("\n\t", parts),
                missing, unexpected, mismatches);
        }
        using (Autograd.NoGrad())
            foreach (var (dst, src) in copies) dst.CopyFrom(src);
        return (missing, unexpected);

        void Check(string key, Tensor dst, Tensor src)
        {
            if (src.IsDisposed)
                mismatches.Add($"value for {key} was disposed");
            else if (!dst.Shape.SequenceEqual(src.Shape))
                mismatches.Add($"size mismatch for {key}: copying a param with shape {ShapeUtil.Format(src.Shape.ToArray())} from checkpoint, the shape in current model is {ShapeUtil.Format(dst.Shape.ToArray())}.");
            else copies.Add((dst, src));
        }
    }

    /// <summary>
    /// Lazy layers override this to create parameter <paramref name="name"/> with <paramref name="shape"/> when a state
    /// dict is loaded before the first call (PyTorch's lazy-module hook). Returns false when the slot stays empty.
    /// </summary>
    protected virtual bool MaterializeParameter(string name, int[] shape) => false;

    /// <summary>Casts floating-point parameters and buffers to <paramref name="dtype"/> (<c>module.to(dtype)</c>); integer buffers keep their dtype.</summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new DTypeMismatchException("Module.To", $"modules can only be cast to a floating-point dtype, got {dtype.Name()}");
        return Convert(t => t.DType.IsFloatingPoint() ? t.To(dtype) : t);
    }

    /// <summary>Moves parameters and buffers to <paramref name="device"/> (<c>module.to(device)</c>).</summary>
    public Module To(Device device) => Convert(t => t.To(device));

    /// <summary>
    /// Replaces every parameter and buffer whose converted value is a new tensor. Parameter objects cannot change dtype
    /// or device, so new ones take their place in the registry and in the module's fields; the old ones are disposed,
    /// so an optimizer built before the move fails loudly instead of training stale tensors.
    /// </summary>
    Module Convert(Func<Tensor, Tensor> fn)
    {
        var memo = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var modules = Modules().ToList();
        using (Autograd.NoGrad())
        {
            foreach (var m in modules)
            {
                foreach (var name in m.parameterSlots.Keys.ToArray())
                {
                    var p = m.parameterSlots[name];
                    if (p == null) continue;
                    if (!memo.TryGetValue(p, out var np))
                    {
                        var data = fn(p);
                        if (ReferenceEquals(data, p)) { memo[p] = p; continue; }
                        var param = Parameter.Adopt(data, p.RequiresGrad);
                        if (p.Grad is { IsDisposed: false } g)
                        {
                            var ng = fn(g);
                            param.Grad = ReferenceEquals(ng, g) ? g : ng.Unown();
                        }
                        np = memo[p] = param;
                    }
                    if (ReferenceEquals(np, p)) continue;
                    m.parameterSlots[name] = (Parameter)np;
                }
                foreach (var name in m.bufferSlots.Keys.ToArray())
                {
                    var b = m.bufferSlots[name];
                    if (b == null) continue;
                    if (!memo.TryGetValue(b, out var nb))
                    {
                        nb = fn(b);
                        nb.Unown();
                        memo[b] = nb;
                    }
                    m.bufferSlots[name] = nb;
                }
            }
        }
        foreach (var m in modules) m.SwapFields(memo);
        foreach (var (old, now) in memo)
            if (!ReferenceEquals(old, now)) old.Dispose();
        return this;
    }

    // ---- registration check and field swapping (reflection once per type) ----

    static readonly ConcurrentDictionary<Type, FieldInfo[]> trackedFields = new();

    static FieldInfo[] TrackedFields(Type type) => trackedFields.GetOrAdd(type, t =>
    {
        var list = new List<FieldInfo>();
        for (var k = t; k != null && k != typeof(Module); k = k.BaseType)
            foreach (var f in k.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (IsTracked(f.FieldType)) list.Add(f);
        return list.ToArray();
    });

    static bool IsTracked(Type ft) =>
        typeof(Module).IsAssignableFrom(ft) || typeof(Tensor).IsAssignableFrom(ft) ||
        typeof(IEnumerable<Module>).IsAssignableFrom(ft) || typeof(IEnumerable<Parameter>).IsAssignableFrom(ft);

    static string FieldName(FieldInfo f) =>
        f.Name.StartsWith('<') && f.Name.Contains(">k__BackingField") ? f.Name[1..f.Name.IndexOf('>')] : f.Name;

    /// <summary>Throws when a field holds a Module or Parameter that is not registered in this module's tree.</summary>
    void CheckRegistered()
    {
        var fields = TrackedFields(GetType());
        if (fields.Length > 0)
        {
            HashSet<Module>? mods = null;
            HashSet<Tensor>? pars = null;
            foreach (var f in fields)
            {
                var value = f.GetValue(this);
                switch (value)
                {
                    case null: break;
                    case Module mod: CheckModule(f, mod, false); break;
                    case Parameter par: CheckParameter(f, par, false); break;
                    case IEnumerable seq when value is IEnumerable<Module> or IEnumerable<Parameter>:
                        foreach (var item in seq)
                        {
                            if (item is Module im) CheckModule(f, im, true);
                            else if (item is Parameter ip) CheckParameter(f, ip, true);
                        }
                        break;
                }
            }

            void CheckModule(FieldInfo f, Module mod, bool inCollection)
            {
                mods ??= new HashSet<Module>(Modules().Skip(1), ReferenceEqualityComparer.Instance);
                if (!mods.Contains(mod))
                    throw new InvalidOperationException(
                        $"{GetType().Name}.{FieldName(f)} holds {(inCollection ? "a collection with " : "")}a {mod.GetType().Name} module that is not registered: " +
                        (inCollection ? "use a ModuleList (registered with RegisterModule)" : $"wrap the assignment in RegisterModule(\"{FieldName(f)}\", ...)") +
                        " in the constructor, or its parameters will not be trained, saved or moved");
            }

            void CheckParameter(FieldInfo f, Parameter par, bool inCollection)
            {
                pars ??= new HashSet<Tensor>(Parameters(), ReferenceEqualityComparer.Instance);
                if (!pars.Contains(par))
                    throw new InvalidOperationException(
                        $"{GetType().Name}.{FieldName(f)} holds {(inCollection ? "a collection with " : "")}a Parameter of shape {ShapeUtil.Format(par.Shape.ToArray())} that is not registered: " +
                        $"wrap it in RegisterParameter(\"{FieldName(f)}\", ...) in the constructor, or it will not be trained, saved or moved");
            }
        }
        fieldsChecked = true;
    }

    void SwapFields(Dictionary<Tensor, Tensor> memo)
    {
        foreach (var f in TrackedFields(GetType()))
        {
            var value = f.GetValue(this);
            if (value is Tensor t)
            {
                if (memo.TryGetValue(t, out var nt) && !ReferenceEquals(nt, t) && f.FieldType.IsInstanceOfType(nt))
                    f.SetValue(this, nt);
            }
            else if (value is IList list && !list.IsReadOnly)
            {
                for (int i = 0; i < list.Count; i++)
                    if (list[i] is Tensor e && memo.TryGetValue(e, out var ne) && !ReferenceEquals(ne, e)) list[i] = ne;
            }
        }
    }
}
