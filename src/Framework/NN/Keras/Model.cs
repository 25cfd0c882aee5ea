using NativeNet.Optim;

namespace NativeNet.NN;

/// <summary>
/// A Keras-style model (<c>keras.Model</c>): a <see cref="Module"/> that can also be compiled and trained with
/// <see cref="Compile(Optimizer, string, Metric[])"/>, <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c>. Three ways to
/// build one: <see cref="Sequential"/> (derives from Model), the functional API
/// (<c>new Model(Keras.Input(shape), output)</c>), or subclassing (register layers in the constructor and override
/// <see cref="Module.Forward(Tensor)"/>, as in PyTorch). A model stays a plain module: the hand-written PyTorch loop
/// works on it unchanged.
/// </summary>
public partial class Model : Module
{
    readonly FunctionalGraph? graph;
    CompileState? compiled;
    int[][]? inputShapes;

    /// <summary>For subclasses: layers are registered in the derived constructor (<c>class MyModel(keras.Model)</c>).</summary>
    protected Model() => Name = KerasNames.Snake(GetType().Name);

    /// <summary>For subclasses, with a model name shown by <see cref="Summary"/>.</summary>
    protected Model(string name) => Name = name;

    /// <summary>
    /// A functional model from a <see cref="Keras.Input"/> to the output of layers called on it
    /// (<c>keras.Model(inputs, outputs)</c>). Running it replays the recorded layer calls; a layer called twice shares
    /// its weights.
    /// </summary>
    public Model(Tensor input, Tensor output, string? name = null) : this([input], [output], name) { }

    /// <summary>A functional model with several inputs and/or outputs (<c>keras.Model([in1, in2], [out1, out2])</c>).</summary>
    public Model(Tensor[] inputs, Tensor[] outputs, string? name = null)
    {
        Name = name ?? "model";
        graph = new FunctionalGraph(inputs, outputs);
        var counts = new Dictionary<string, int>();
        foreach (var layer in graph.Layers) RegisterModule(KerasNames.Unique(layer, counts), layer);
        inputShapes = graph.Inputs.Select(i => i.SymbolicShape.Skip(1).ToArray()).ToArray();
    }

    /// <summary>The model's name (<c>model.name</c>), shown by <see cref="Summary"/>.</summary>
    public string Name { get; set; }

    /// <summary>Set by a callback (e.g. <see cref="EarlyStopping"/>) to end <c>Fit</c> after the current epoch (<c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>The optimizer given to <see cref="Compile(Optimizer, string, Metric[])"/>, or null before compiling (<c>model.optimizer</c>).</summary>
    public Optimizer? Optimizer => compiled?.Optimizer;

    /// <summary>The compiled loss (one per output), or null before compiling (<c>model.loss</c>).</summary>
    public Loss? Loss => compiled?.Losses[0];

    /// <summary>Whether <see cref="Compile(Optimizer, string, Metric[])"/> was called.</summary>
    public bool IsCompiled => compiled != null;

    /// <summary>True for models made with the functional API.</summary>
    public bool IsFunctional => graph != null;

    /// <summary>Number of inputs the model takes (1 unless functional with several).</summary>
    public int InputCount => graph?.Inputs.Length ?? 1;

    /// <summary>Number of outputs the model produces (1 unless functional with several).</summary>
    public int OutputCount => graph?.Outputs.Length ?? 1;

    /// <summary>The symbolic inputs of a functional model (<c>model.inputs</c>); empty otherwise.</summary>
    public IReadOnlyList<KerasTensor> Inputs => graph?.Inputs ?? [];

    /// <summary>The symbolic outputs of a functional model (<c>model.outputs</c>); empty otherwise.</summary>
    public IReadOnlyList<KerasTensor> Outputs => graph?.Outputs ?? [];

    /// <summary>
    /// Sample shapes (without batch) of the inputs once known: from <see cref="Keras.Input"/>, a leading
    /// <see cref="InputLayer"/>, <see cref="Build"/>, or the first batch seen by Fit/Evaluate/Predict; else null.
    /// </summary>
    public IReadOnlyList<int[]>? InputShapes => inputShapes ?? (this is Sequential s && s.Count > 0 && s[0] is InputLayer il ? [il.Shape.ToArray()] : null);

    /// <summary>
    /// Builds the model for inputs of <paramref name="inputShape"/> without the batch dim (Keras <c>model.build</c>
    /// takes it with the batch): runs a batch of zeros in eval mode without grad, which creates the weights of lazy
    /// layers such as <c>Dense(128)</c>.
    /// </summary>
    public void Build(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        BuildFor([inputShape]);
    }

    void BuildFor(int[][] shapes)
    {
        var modes = Modules().Select(m => (m, m.IsTraining)).ToList();
        Eval();
        try
        {
            using var scope = Tensor.Scope();
            using var _ = Autograd.NoGrad();
            var xs = shapes.Select(s => Tensor.Zeros([1, .. s], DType.Float32)).ToArray();
            CallAll(xs);
        }
        finally
        {
            foreach (var (m, t) in modes) m.Train(t);
        }
        inputShapes = shapes;
    }

    /// <summary>Records the sample shapes of the first real inputs (for <see cref="Summary"/>).</summary>
    void NoteInputs(Tensor[] xs) => inputShapes ??= xs.Select(x => x.Shape[1..].ToArray()).ToArray();

    /// <summary>Runs a functional model by replaying its layer calls; other models override this.</summary>
    public override Tensor Forward(Tensor x) => graph != null ? Single(graph.Run([x])) : base.Forward(x);

    /// <summary>Runs a functional model on several inputs; other models override this.</summary>
    public override Tensor Forward(params Tensor[] inputs) => graph != null ? Single(graph.Run(inputs)) : base.Forward(inputs);

    Tensor Single(Tensor[] outputs) => outputs.Length == 1 ? outputs[0]
        : throw new InvalidOperationException($"{Name}: the model has {outputs.Length} outputs; use CallAll to get them all");

    /// <summary>
    /// Runs the model and returns every output (a functional model with several outputs returns them in order; other
    /// models return their single output). The PyTorch-style <c>Call</c> is the same for single-output models.
    /// </summary>
    public Tensor[] CallAll(params Tensor[] inputs)
    {
        if (graph != null && graph.Outputs.Length > 1) return graph.Run(inputs);
        return [inputs.Length == 1 ? Call(inputs[0]) : Call(inputs)];
    }

    /// <summary>
    /// Configures training (<c>model.compile(optimizer, loss, metrics)</c>). <paramref name="loss"/> is a Keras name:
    /// "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy" (these infer
    /// <c>fromLogits</c>, see <see cref="ProbabilisticLoss"/>), "mse", "mae" or "huber". <paramref name="metrics"/> are names
    /// ("accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy", "mae", …) or <see cref="Metric"/>
    /// objects. An optimizer made without parameters (<c>new Adam(lr: 1e-3)</c>) is bound to the model's parameters
    /// when Fit first runs, after lazy layers are built. Unknown names throw here.
    /// </summary>
    public void Compile(Optimizer optimizer, string loss, Metric[]? metrics = null) =>
        CompileCore(optimizer, KerasLosses.Get(loss ?? throw new ArgumentNullException(nameof(loss))), loss, metrics);

    /// <summary>Configures training with a loss object, e.g. <c>new CrossEntropyLoss()</c> or <c>new BinaryCrossentropy(fromLogits: true)</c>.</summary>
    public void Compile(Optimizer optimizer, Loss loss, Metric[]? metrics = null) =>
        CompileCore(optimizer, loss ?? throw new ArgumentNullException(nameof(loss)), KerasNames.Snake(loss.GetType().Name), metrics);

    /// <summary>Configures training with an optimizer by Keras name ("adam", "adamw", "sgd", "rmsprop") with Keras's default learning rate.</summary>
    public void Compile(string optimizer, string loss, Metric[]? metrics = null) => Compile(OptimizerByName(optimizer), loss, metrics);

    /// <summary>Configures training with an optimizer by name and a loss object.</summary>
    public void Compile(string optimizer, Loss loss, Metric[]? metrics = null) => Compile(OptimizerByName(optimizer), loss, metrics);

    static Optimizer OptimizerByName(string name) => name switch
    {
        "adam" => new Adam(lr: 1e-3),
        "adamw" => new AdamW(lr: 1e-3),
        "sgd" => new Sgd(lr: 0.01),
        "rmsprop" => new RmsProp(lr: 1e-3),
        _ => throw new ArgumentException($"Compile: unknown optimizer '{name}'; known: adam, adamw, sgd, rmsprop (or pass an Optimizer)", "optimizer"),
    };

    void CompileCore(Optimizer optimizer, Loss loss, string lossName, Metric[]? metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var ms = metrics ?? [];
        foreach (var m in ms)
        {
            ArgumentNullException.ThrowIfNull(m, nameof(metrics));
            KerasMetrics.Validate(m);
        }
        var dup = ms.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"Compile: metric name '{dup.Key}' appears twice", nameof(metrics));
        // One loss object per output; a multi-output model reuses the loss type (fresh objects keep inference separate).
        var losses = new Loss[OutputCount];
        losses[0] = loss;
        for (int i = 1; i < losses.Length; i++) losses[i] = KerasLosses.Names.Contains(lossName) ? KerasLosses.Get(lossName) : loss;
        compiled = new CompileState(optimizer, losses, lossName, ms);
    }

    CompileState RequireCompiled(string op) => compiled ?? throw new InvalidOperationException(
        $"Model.{op}: the model must be compiled first: call Compile(optimizer, loss, metrics) before {op}");

    /// <summary>What Compile stored (a holder object, so no Module-typed field escapes the registration check).</summary>
    sealed class CompileState(Optimizer optimizer, Loss[] losses, string lossName, Metric[] metrics)
    {
        internal Optimizer Optimizer { get; } = optimizer;
        internal Loss[] Losses { get; } = losses;
        internal string LossName { get; } = lossName;
        internal Metric[] MetricSpecs { get; } = metrics;
        internal Trackers? TrainTrackers { get; set; }
        internal Trackers? ValTrackers { get; set; }
        internal DType?[] TargetDTypes { get; set; } = [];
        internal bool[] AlignTargets { get; set; } = [];
    }
}

/// <summary>The recorded layer graph of a functional model, ordered so each layer runs after its inputs.</summary>
internal sealed class FunctionalGraph
{
    readonly int slotCount;
    readonly int[] inputSlots, outputSlots, outSlotOfNode;
    readonly int[][] inSlotsOfNode;

    internal FunctionalGraph(Tensor[] inputs, Tensor[] outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Length == 0 || outputs.Length == 0) throw new ArgumentException("Model: needs at least one input and one output");
        Inputs = inputs.Select((t, i) => t is KerasTensor { IsInput: true } k ? k : throw new ArgumentException(
            $"Model: input {i} must be a Keras.Input(...) tensor, got {(t is KerasTensor ? "a layer output" : "a concrete tensor")}", nameof(inputs))).ToArray();
        Outputs = outputs.Select((t, i) => t as KerasTensor ?? throw new ArgumentException(
            $"Model: output {i} is not a symbolic tensor; build it by calling layers on Keras.Input tensors (wrap raw tensor ops in a Lambda layer)", nameof(outputs))).ToArray();
        var slots = new Dictionary<KerasTensor, int>(ReferenceEqualityComparer.Instance);
        foreach (var i in Inputs)
            if (!slots.TryAdd(i, slots.Count)) throw new ArgumentException($"Model: input '{i.Name}' is listed twice", nameof(inputs));
        var order = new List<KerasNode>();
        var visited = new HashSet<KerasNode>(ReferenceEqualityComparer.Instance);
        foreach (var o in Outputs) Visit(o);
        Nodes = order.ToArray();
        Layers = Nodes.Select(n => n.Layer).Distinct(ReferenceEqualityComparer.Instance).Cast<Module>().ToArray();
        slotCount = slots.Count;
        inputSlots = Inputs.Select(i => slots[i]).ToArray();
        outputSlots = Outputs.Select(o => slots[o]).ToArray();
        inSlotsOfNode = Nodes.Select(n => n.Inputs.Select(t => slots[t]).ToArray()).ToArray();
        outSlotOfNode = Nodes.Select(n => slots[n.Output]).ToArray();

        void Visit(KerasTensor t)
        {
            if (t.Node == null)
            {
                if (!slots.ContainsKey(t))
                    throw new ArgumentException($"Model: the outputs depend on Keras.Input '{t.Name}', which is not among the model's inputs", nameof(inputs));
                return;
            }
            if (!visited.Add(t.Node)) return;
            foreach (var i in t.Node.Inputs) Visit(i);
            order.Add(t.Node);
            slots[t.Node.Output] = slots.Count;
        }
    }

    internal KerasTensor[] Inputs { get; }
    internal KerasTensor[] Outputs { get; }
    internal KerasNode[] Nodes { get; }
    internal Module[] Layers { get; }

    internal Tensor[] Run(Tensor[] xs)
    {
        if (xs.Length != Inputs.Length)
            throw new ArgumentException($"Model: expected {Inputs.Length} input(s), got {xs.Length}");
        var values = new Tensor[slotCount];
        for (int i = 0; i < xs.Length; i++)
        {
            var shape = Inputs[i].SymbolicShape;
            var x = xs[i];
            bool ok = x.Dim == shape.Count;
            for (int d = 1; ok && d < shape.Count; d++) ok = x.Shape[d] == shape[d];
            if (!ok)
                throw new ShapeMismatchException("Model", $"input '{Inputs[i].Name}' expects [batch, {string.Join(", ", shape.Skip(1))}], got {ShapeUtil.Format(x.Shape.ToArray())}");
            values[inputSlots[i]] = x;
        }
        for (int n = 0; n < Nodes.Length; n++)
        {
            var ins = inSlotsOfNode[n];
            values[outSlotOfNode[n]] = ins.Length == 1
                ? Nodes[n].Layer.Call(values[ins[0]])
                : Nodes[n].Layer.Call(ins.Select(s => values[s]).ToArray());
        }
        var outs = new Tensor[outputSlots.Length];
        for (int i = 0; i < outs.Length; i++) outs[i] = values[outputSlots[i]];
        return outs;
    }
}
