using NativeNet.Data;

namespace NativeNet.NN;

public partial class Model
{
    /// <summary>
    /// The loss and compiled metrics on <paramref name="x"/>, <paramref name="y"/> in eval mode without grad
    /// (<c>model.evaluate(x, y, batch_size, verbose)</c>); <c>var (loss, acc) = model.Evaluate(x, y)</c>. With
    /// <paramref name="verbose"/> 1 it prints one result line (a progress bar on a terminal).
    /// </summary>
    public EvaluationResult Evaluate(Tensor x, Tensor y, int batchSize = 32, int verbose = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return Evaluate([x], [y], batchSize, verbose);
    }

    /// <summary>Evaluates a model with several inputs and/or outputs.</summary>
    public EvaluationResult Evaluate(Tensor[] x, Tensor[] y, int batchSize = 32, int verbose = 1)
    {
        var s = RequireCompiled("Evaluate");
        CheckLoopArgs("Evaluate", 1, batchSize, verbose, 0);
        int n = CheckData("Evaluate", x, y, "x", "y");
        var made = new List<Tensor>();
        try
        {
            var ys = ConvertTargets(s, y, made);
            return EvaluateCore(s, () => Slices([.. x, .. ys], batchSize), (n + batchSize - 1) / batchSize, verbose, ys);
        }
        finally
        {
            foreach (var t in made) t.Dispose();
        }
    }

    /// <summary>Evaluates on a <see cref="DataLoader"/> whose batches hold the inputs then the targets.</summary>
    public EvaluationResult Evaluate(DataLoader data, int verbose = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = RequireCompiled("Evaluate");
        CheckLoopArgs("Evaluate", 1, data.BatchSize, verbose, 0);
        CheckFields("Evaluate", data);
        return EvaluateCore(s, data.Batches, data.Count, verbose, null);
    }

    /// <summary>Evaluates on a <see cref="Dataset"/> of (inputs…, targets…) samples.</summary>
    public EvaluationResult Evaluate(Dataset data, int batchSize = 32, int verbose = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Model.Evaluate: batchSize must be positive");
        return Evaluate(new DataLoader(data, batchSize: batchSize), verbose);
    }

    EvaluationResult EvaluateCore(CompileState s, Func<IEnumerable<Tensor[]>> batches, int steps, int verbose, Tensor[]? wholeTargets)
    {
        var first = batches().GetEnumerator();
        bool wasTraining = IsTraining;
        try
        {
            if (!first.MoveNext()) throw new ArgumentException("Model.Evaluate: the data is empty");
            Prepare(s, first.Current, "Evaluate", wholeTargets);
            var printer = verbose > 0 ? new ProgressPrinter(Out, verbose, 1, steps, IsTerminal) : null;
            printer?.EvaluationBegin();
            var logs = RunEvaluation(s, s.ValTrackers!, WithCurrent(first), printer);
            printer?.End(logs);
            return new EvaluationResult(logs);
        }
        finally
        {
            first.Dispose();
            Train(wasTraining);
        }
    }

    /// <summary>
    /// The model's outputs for <paramref name="x"/>, computed in batches in eval mode without grad and concatenated
    /// (<c>model.predict(x, batch_size)</c>). The result belongs to the caller's tensor scope, if any.
    /// </summary>
    public Tensor Predict(Tensor x, int batchSize = 32, int verbose = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        var r = Predict([x], batchSize, verbose);
        return r.Length == 1 ? r[0] : throw new InvalidOperationException($"Model.Predict: the model has {r.Length} outputs; call Predict(Tensor[]) to get them all");
    }

    /// <summary>Predicts with a model of several inputs and/or outputs; one tensor per output.</summary>
    public Tensor[] Predict(Tensor[] x, int batchSize = 32, int verbose = 0)
    {
        CheckLoopArgs("Predict", 1, batchSize, verbose, 0);
        int n = CheckData("Predict", x, null, "x", "y");
        NoteInputs(x);
        return PredictCore(Slices(x, batchSize), (n + batchSize - 1) / batchSize, verbose);
    }

    /// <summary>Predicts on the inputs of each batch of <paramref name="data"/> (its first <see cref="InputCount"/> tensors).</summary>
    public Tensor[] Predict(DataLoader data, int verbose = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckLoopArgs("Predict", 1, data.BatchSize, verbose, 0);
        if (data.Dataset.FieldCount < InputCount)
            throw new ArgumentException($"Model.Predict: the dataset yields {data.Dataset.FieldCount} tensors per sample, the model needs {InputCount} input(s)");
        return PredictCore(data.Batches(), data.Count, verbose);
    }

    Tensor[] PredictCore(IEnumerable<Tensor[]> batches, int steps, int verbose)
    {
        bool wasTraining = IsTraining;
        Eval();
        var printer = verbose > 0 ? new ProgressPrinter(Out, verbose, 1, steps, IsTerminal) : null;
        printer?.EvaluationBegin();
        try
        {
            using var _ = Autograd.NoGrad();
            using var outer = Tensor.Scope();
            var parts = new List<Tensor>[OutputCount];
            for (int i = 0; i < parts.Length; i++) parts[i] = new();
            int step = 0;
            foreach (var b in batches)
            {
                using (var inner = Tensor.Scope())
                {
                    var outs = CallAll(b[..InputCount]);
                    // A model that returns (a view of) its input gets a copy: the batch is disposed next.
                    for (int i = 0; i < outs.Length; i++) parts[i].Add(inner.Keep<Tensor>(outs[i].owner == inner ? outs[i] : outs[i].Clone()));
                }
                printer?.Update(++step, () => []);
            }
            printer?.End([]);
            return parts.Select(p => outer.Keep<Tensor>(p.Count == 1 ? p[0] : Tensor.Cat(p, 0))).ToArray();
        }
        finally
        {
            Train(wasTraining);
        }
    }
}
