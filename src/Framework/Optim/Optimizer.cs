using NativeNet.NN;

namespace NativeNet.Optim;

/// <summary>
/// A group of parameters sharing hyper-parameters (one entry of PyTorch's <c>optimizer.param_groups</c>). Each optimizer
/// reads the options it uses and ignores the rest; all are settable between steps (schedulers set <see cref="Lr"/>).
/// </summary>
public sealed class ParamGroup
{
    internal ParamGroup(IReadOnlyList<Parameter> parameters) => Params = parameters;

    /// <summary>The parameters (<c>group["params"]</c>).</summary>
    public IReadOnlyList<Parameter> Params { get; }
    /// <summary>Learning rate (<c>group["lr"]</c>).</summary>
    public double Lr { get; set; }
    /// <summary>The learning rate when the first scheduler was attached (<c>group["initial_lr"]</c>), or null.</summary>
    public double? InitialLr { get; set; }
    /// <summary>Weight decay: L2 added to the gradient, or decoupled in AdamW (<c>group["weight_decay"]</c>).</summary>
    public double WeightDecay { get; set; }
    /// <summary>Momentum factor for SGD and RMSprop (<c>group["momentum"]</c>).</summary>
    public double Momentum { get; set; }
    /// <summary>SGD dampening of the momentum (<c>group["dampening"]</c>).</summary>
    public double Dampening { get; set; }
    /// <summary>SGD Nesterov momentum (<c>group["nesterov"]</c>).</summary>
    public bool Nesterov { get; set; }
    /// <summary>Adam's moment decay rates (<c>group["betas"]</c>).</summary>
    public (double Beta1, double Beta2) Betas { get; set; }
    /// <summary>Denominator epsilon for Adam and RMSprop (<c>group["eps"]</c>).</summary>
    public double Eps { get; set; }
    /// <summary>Adam's AMSGrad variant (<c>group["amsgrad"]</c>).</summary>
    public bool Amsgrad { get; set; }
    /// <summary>RMSprop smoothing constant (<c>group["alpha"]</c>).</summary>
    public double Alpha { get; set; }
    /// <summary>Centered RMSprop (<c>group["centered"]</c>).</summary>
    public bool Centered { get; set; }
    /// <summary>Maximize the objective instead of minimizing it (<c>group["maximize"]</c>).</summary>
    public bool Maximize { get; set; }

    internal ParamGroup CopyOptions(IReadOnlyList<Parameter> parameters) => new(parameters)
    {
        Lr = Lr, WeightDecay = WeightDecay, Momentum = Momentum, Dampening = Dampening, Nesterov = Nesterov, Betas = Betas,
        Eps = Eps, Amsgrad = Amsgrad, Alpha = Alpha, Centered = Centered, Maximize = Maximize,
    };

    /// <summary>The options as (name, value) pairs, with PyTorch's names; booleans are 0/1.</summary>
    internal IEnumerable<(string Name, double Value)> Options()
    {
        yield return ("lr", Lr);
        if (InitialLr is double il) yield return ("initial_lr", il);
        yield return ("weight_decay", WeightDecay);
        yield return ("momentum", Momentum);
        yield return ("dampening", Dampening);
        yield return ("nesterov", Nesterov ? 1 : 0);
        yield return ("beta1", Betas.Beta1);
        yield return ("beta2", Betas.Beta2);
        yield return ("eps", Eps);
        yield return ("amsgrad", Amsgrad ? 1 : 0);
        yield return ("alpha", Alpha);
        yield return ("centered", Centered ? 1 : 0);
        yield return ("maximize", Maximize ? 1 : 0);
    }

    internal void SetOption(string name, double v)
    {
        switch (name)
        {
            case "lr": Lr = v; break;
            case "initial_lr": InitialLr = v; break;
            case "weight_decay": WeightDecay = v; break;
            case "momentum": Momentum = v; break;
            case "dampening": Dampening = v; break;
            case "nesterov": Nesterov = v != 0; break;
            case "beta1": Betas = (v, Betas.Beta2); break;
            case "beta2": Betas = (Betas.Beta1, v); break;
            case "eps": Eps = v; break;
            case "amsgrad": Amsgrad = v != 0; break;
            case "alpha": Alpha = v; break;
            case "centered": Centered = v != 0; break;
            case "maximize": Maximize = v != 0; break;
            default: throw new ArgumentException($"Optimizer.LoadStateDict: unknown param-group option '{name}'");
        }
    }
}

/// <summary>Per-parameter optimizer state (<c>optimizer.state[p]</c>): the step count and named tensors such as "exp_avg".</summary>
public sealed class ParamState
{
    /// <summary>Number of updates applied to this parameter (<c>state["step"]</c>).</summary>
    public long Step { get; set; }

    /// <summary>State tensors by PyTorch name ("momentum_buffer", "exp_avg", "exp_avg_sq", "square_avg", …).</summary>
    public OrderedDictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>The tensor <paramref name="name"/>, created as zeros shaped like <paramref name="like"/> on first use.</summary>
    internal Tensor GetOrZeros(string name, Tensor like)
    {
        if (!Tensors.TryGetValue(name, out var t))
            Tensors[name] = t = Tensor.ZerosLike(like).Unown();
        return t;
    }
}

/// <summary>
/// Base class of all optimizers (<c>torch.optim.Optimizer</c>). Built from parameters, or without them and bound later
/// with <see cref="AddParamGroup"/> (Keras <c>Compile(optimizer: new Adam(lr: 1e-3))</c>). <see cref="Step"/> runs
/// without recording gradients, through a fused backend kernel per parameter.
/// </summary>
public abstract class Optimizer
{
    readonly List<ParamGroup> groups = new();
    readonly Dictionary<Parameter, ParamState> state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer with <paramref name="defaults"/> options; null <paramref name="parameters"/> leaves it unbound.</summary>
    protected Optimizer(IEnumerable<Parameter>? parameters, ParamGroup defaults)
    {
        Defaults = defaults;
        if (parameters != null) AddParamGroup(parameters);
    }

    /// <summary>Options new groups start from (<c>optimizer.defaults</c>).</summary>
    public ParamGroup Defaults { get; }

    /// <summary>The parameter groups (<c>optimizer.param_groups</c>).</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => groups;

    /// <summary>The learning rate of the first group (or the default when unbound); setting it sets every group's.</summary>
    public double Lr
    {
        get => groups.Count > 0 ? groups[0].Lr : Defaults.Lr;
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "Optimizer: learning rate must be non-negative");
            Defaults.Lr = value;
            foreach (var g in groups) g.Lr = value;
        }
    }

    /// <summary>Creates a ParamGroup holding the default options (for subclass constructors).</summary>
    protected static ParamGroup NewDefaults() => new(Array.Empty<Parameter>());

    /// <summary>
    /// Adds parameters as a new group with the default options, optionally overriding the learning rate and weight
    /// decay (<c>optimizer.add_param_group</c>); returns the group so other options can be set. Binding a model to an
    /// optimizer made without parameters is <c>AddParamGroup(model.Parameters())</c>.
    /// </summary>
    public ParamGroup AddParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        if (list.Count == 0)
            throw new ArgumentException($"{GetType().Name}: got an empty parameter list (a lazy layer creates its parameters on its first call: run one batch first)");
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var p in list)
        {
            if (p.IsDisposed) throw new ObjectDisposedException(nameof(Parameter), $"{GetType().Name}: a parameter was disposed");
            if (!seen.Add(p) || groups.Any(g => g.Params.Any(q => ReferenceEquals(q, p))))
                throw new ArgumentException($"{GetType().Name}: a parameter of shape {ShapeUtil.Format(p.Shape.ToArray())} appears more than once");
        }
        var group = Defaults.CopyOptions(list);
        if (lr is double l) group.Lr = l;
        if (weightDecay is double w) group.WeightDecay = w;
        groups.Add(group);
        return group;
    }

    /// <summary>The state of <paramref name="parameter"/>, or null before its first update (<c>optimizer.state[p]</c>).</summary>
    public ParamState? State(Parameter parameter) => state.GetValueOrDefault(parameter);

    /// <summary>
    /// Clears the gradients of every parameter (<c>optimizer.zero_grad(set_to_none)</c>). With
    /// <paramref name="setToNone"/> the gradient tensors are disposed and <see cref="Tensor.Grad"/> becomes null, so the
    /// next backward reuses their buffers; otherwise they are zeroed in place.
    /// </summary>
    public void ZeroGrad(bool setToNone = true) => Module.ClearGrads(groups.SelectMany(g => g.Params), setToNone);

    /// <summary>Applies one update to every parameter that has a gradient (<c>optimizer.step()</c>).</summary>
    public virtual void Step()
    {
        if (groups.Count == 0)
            throw new InvalidOperationException($"{GetType().Name} has no parameters: pass model.Parameters() to the constructor or call AddParamGroup");
        using var _ = Autograd.NoGrad();
        foreach (var group in groups)
            foreach (var p in group.Params)
            {
                if (p.IsDisposed)
                    throw new InvalidOperationException($"{GetType().Name}: a parameter was disposed or replaced (Module.To creates new parameters); create the optimizer after moving the model");
                var g = p.Grad;
                if (g == null || g.IsDisposed) continue;
                if (!g.Shape.SequenceEqual(p.Shape))
                    throw new ShapeMismatchException(GetType().Name, $"gradient shape {ShapeUtil.Format(g.Shape.ToArray())} does not match parameter shape {ShapeUtil.Format(p.Shape.ToArray())}");
                if (!p.IsContiguous) throw new InvalidOperationException($"{GetType().Name}: parameters must be contiguous");
                var gc = g.DType == p.DType && g.IsContiguous ? g : g.To(p.DType).Contiguous();
                if (!state.TryGetValue(p, out var st)) state[p] = st = new ParamState();
                Update(group, p, gc, st);
                if (!ReferenceEquals(gc, g)) gc.Dispose();
            }
    }

    /// <summary>Updates one parameter in place from its (contiguous, same-dtype) gradient.</summary>
    protected abstract void Update(ParamGroup group, Parameter parameter, Tensor grad, ParamState state);

    internal static void CheckNonNegative(string op, string name, double v)
    {
        if (!(v >= 0)) throw new ArgumentOutOfRangeException(name, v, $"{op}: invalid {name} {v} (must be non-negative)");
    }

    /// <summary>
    /// The optimizer's state as flat named tensors (<c>optimizer.state_dict()</c>): "state.{i}.step" (Int64),
    /// "state.{i}.{name}" per state tensor, "param_groups.{g}.params" (Int64 indices) and "param_groups.{g}.{option}"
    /// (Float64 scalars). Parameters are numbered across groups in order, as in PyTorch.
    /// </summary>
    public StateDict StateDict()
    {
        var sd = new StateDict();
        int index = 0;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var ids = new long[groups[gi].Params.Count];
            for (int k = 0; k < ids.Length; k++, index++)
            {
                ids[k] = index;
                if (!state.TryGetValue(groups[gi].Params[k], out var st)) continue;
                sd[$"state.{index}.step"] = Tensor.Scalar(st.Step, DType.Int64);
                foreach (var (n, t) in st.Tensors) sd[$"state.{index}.{n}"] = t.Detach();
            }
        }
        for (int gi = 0; gi < groups.Count; gi++)
        {
            int start = groups.Take(gi).Sum(g => g.Params.Count);
            sd[$"param_groups.{gi}.params"] = Tensor.Arange(start, start + groups[gi].Params.Count, 1, DType.Int64);
            foreach (var (n, v) in groups[gi].Options()) sd[$"param_groups.{gi}.{n}"] = Tensor.Scalar(v, DType.Float64);
        }
        return sd;
    }

    /// <summary>
    /// Restores state saved by <see cref="StateDict"/> into an optimizer over parameters of the same shapes and grouping
    /// (<c>optimizer.load_state_dict</c>). State tensors are copied.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var all = groups.SelectMany(g => g.Params).ToList();
        for (int gi = 0; ; gi++)
        {
            bool has = stateDict.TryGetValue($"param_groups.{gi}.params", out var ids);
            if (!has)
            {
                if (gi != groups.Count) throw new ArgumentException($"{GetType().Name}.LoadStateDict: the state has {gi} param groups, the optimizer {groups.Count}");
                break;
            }
            if (gi >= groups.Count || ids!.NumEl != groups[gi].Params.Count)
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: param group {gi} sizes differ from the optimizer's");
        }
        var pending = new List<(int Index, string Name, Tensor Value)>();
        var steps = new Dictionary<int, long>();
        foreach (var (key, value) in stateDict)
        {
            var parts = key.Split('.');
            if (parts.Length != 3 || parts[0] != "state") continue;
            int i = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            if (i < 0 || i >= all.Count) throw new ArgumentException($"{GetType().Name}.LoadStateDict: state for parameter {i}, but there are {all.Count}");
            if (parts[2] == "step") { steps[i] = (long)value.Item(); continue; }
            if (!value.Shape.SequenceEqual(all[i].Shape))
                throw new ShapeMismatchException($"{GetType().Name}.LoadStateDict", $"state '{key}' has shape {ShapeUtil.Format(value.Shape.ToArray())} but parameter {i} has {ShapeUtil.Format(all[i].Shape.ToArray())}");
            pending.Add((i, parts[2], value));
        }
        state.Clear();
        foreach (var (i, name, value) in pending)
        {
            if (!state.TryGetValue(all[i], out var st)) state[all[i]] = st = new ParamState();
            using (Autograd.NoGrad()) st.Tensors[name] = value.To(all[i].DType).Clone().Unown();
        }
        foreach (var (i, s) in steps)
        {
            if (!state.TryGetValue(all[i], out var st)) state[all[i]] = st = new ParamState();
            st.Step = s;
        }
        for (int gi = 0; gi < groups.Count; gi++)
        {
            string prefix = $"param_groups.{gi}.";
            foreach (var (key, value) in stateDict)
                if (key.StartsWith(prefix, StringComparison.Ordinal) && key != prefix + "params")
                    groups[gi].SetOption(key[prefix.Length..], value.Item());
        }
    }
}
