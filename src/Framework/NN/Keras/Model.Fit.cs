using System.Diagnostics;
using NativeNet.Data;

namespace NativeNet.NN;

public partial class Model
{
    /// <summary>Where Fit/Evaluate/Predict write progress; null (the default) means <see cref="Console.Out"/> at call time.</summary>
    public TextWriter? ProgressWriter { get; set; }

    /// <summary>
    /// Trains the model on tensors (<c>model.fit(x, y, epochs, batch_size, validation_data, validation_split, shuffle,
    /// callbacks, verbose, initial_epoch)</c>). Each step runs in a <see cref="Tensor.Scope"/>: forward in training mode,
    /// loss, <c>ZeroGrad</c>, backward, optimizer step; the loss and metrics are accumulated on the device from the
    /// step's own outputs and read only for the progress bar and at epoch end. Validation runs in eval mode without
    /// grad. <paramref name="validationSplit"/> holds out the last fraction of the samples (before shuffling, as Keras).
    /// <paramref name="verbose"/>: 0 silent, 1 progress bar on a terminal (one line per epoch otherwise), 2 one line per
    /// epoch. Before any step, the first batch is checked: sample counts, the loss against the output and target
    /// shapes, metric names; errors are typed (<see cref="ShapeMismatchException"/>, <see cref="ArgumentException"/>,
    /// <see cref="InvalidOperationException"/> before <c>Compile</c>).
    /// </summary>
    public History Fit(Tensor x, Tensor y, int epochs = 1, int batchSize = 32, (Tensor X, Tensor Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, IEnumerable<Callback>? callbacks = null, int verbose = 1, int initialEpoch = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        (Tensor[], Tensor[])? val = validationData is { } v ? ([v.X], [v.Y]) : null;
        return Fit([x], [y], epochs, batchSize, val, validationSplit, shuffle, callbacks, verbose, initialEpoch);
    }

    /// <summary>Trains a model with several inputs and/or outputs; one loss per output (the compiled loss), summed.</summary>
    public History Fit(Tensor[] x, Tensor[] y, int epochs = 1, int batchSize = 32, (Tensor[] X, Tensor[] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, IEnumerable<Callback>? callbacks = null, int verbose = 1, int initialEpoch = 0)
    {
        var s = RequireCompiled("Fit");
        CheckLoopArgs("Fit", epochs, batchSize, verbose, initialEpoch);
        int n = CheckData("Fit", x, y, "x", "y");
        if (validationSplit < 0 || validationSplit >= 1 || double.IsNaN(validationSplit))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "Model.Fit: validationSplit must be in [0, 1)");
        var made = new List<Tensor>();
        try
        {
            Tensor[] tx = x, ty = y;
            Tensor[]? vx = null, vy = null;
            if (validationData is { } vd)
            {
                CheckData("Fit", vd.X, vd.Y, "validationData.X", "validationData.Y");
                for (int i = 0; i < x.Length; i++)
                    if (!x[i].Shape[1..].SequenceEqual(vd.X[i].Shape[1..]))
                        throw new ShapeMismatchException("Model.Fit", $"validation inputs {Fmt(vd.X[i])} do not match the training inputs {Fmt(x[i])} beyond the batch dim");
                (vx, vy) = (vd.X, vd.Y);
            }
            else if (validationSplit > 0)
            {
                int nTrain = (int)Math.Floor(n * (1 - validationSplit));
                if (nTrain == 0 || nTrain == n)
                    throw new ArgumentException($"Model.Fit: validationSplit {validationSplit} of {n} samples leaves {(nTrain == 0 ? "no training" : "no validation")} samples", nameof(validationSplit));
                Tensor Part(Tensor t, int start, int len) { var p = t.Narrow(0, start, len).Unown(); made.Add(p); return p; }
                tx = x.Select(t => Part(t, 0, nTrain)).ToArray();
                ty = y.Select(t => Part(t, 0, nTrain)).ToArray();
                vx = x.Select(t => Part(t, nTrain, n - nTrain)).ToArray();
                vy = y.Select(t => Part(t, nTrain, n - nTrain)).ToArray();
            }
            ty = ConvertTargets(s, ty, made);
            if (vy != null) vy = ConvertTargets(s, vy, made);
            var loader = new DataLoader(new TensorDataset([.. tx, .. ty]), batchSize: batchSize, shuffle: shuffle);
            Func<IEnumerable<Tensor[]>>? val = vx == null ? null : () => Slices([.. vx, .. vy!], batchSize);
            return RunFit(s, loader.Batches, loader.Count, val, epochs, callbacks, verbose, initialEpoch, ty);
        }
        finally
        {
            foreach (var t in made) t.Dispose();
        }
    }

    /// <summary>
    /// Trains on a <see cref="DataLoader"/> whose batches hold the inputs then the targets (<c>model.fit(dataset)</c>);
    /// the loader decides batching, shuffling and transforms.
    /// </summary>
    public History Fit(DataLoader data, int epochs = 1, DataLoader? validationData = null, IEnumerable<Callback>? callbacks = null,
        int verbose = 1, int initialEpoch = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = RequireCompiled("Fit");
        CheckLoopArgs("Fit", epochs, data.BatchSize, verbose, initialEpoch);
        CheckFields("Fit", data);
        if (validationData != null) CheckFields("Fit", validationData);
        return RunFit(s, data.Batches, data.Count, validationData == null ? null : validationData.Batches, epochs, callbacks, verbose, initialEpoch, null);
    }

    /// <summary>Trains on a <see cref="Dataset"/> of (inputs…, targets…) samples, batched by a <see cref="DataLoader"/>.</summary>
    public History Fit(Dataset data, int epochs = 1, int batchSize = 32, Dataset? validationData = null, bool shuffle = true,
        IEnumerable<Callback>? callbacks = null, int verbose = 1, int initialEpoch = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Model.Fit: batchSize must be positive");
        return Fit(new DataLoader(data, batchSize: batchSize, shuffle: shuffle), epochs,
            validationData == null ? null : new DataLoader(validationData, batchSize: batchSize), callbacks, verbose, initialEpoch);
    }

    History RunFit(CompileState s, Func<IEnumerable<Tensor[]>> trainEpoch, int steps, Func<IEnumerable<Tensor[]>>? validation,
        int epochs, IEnumerable<Callback>? callbacks, int verbose, int initialEpoch, Tensor[]? wholeTargets)
    {
        var cbs = callbacks?.ToList() ?? [];
        if (cbs.Any(c => c == null)) throw new ArgumentNullException(nameof(callbacks), "Model.Fit: a callback is null");
        // Check everything on the first batch of the first epoch before any callback runs or any weight changes.
        var first = trainEpoch().GetEnumerator();
        try
        {
            if (!first.MoveNext()) throw new ArgumentException("Model.Fit: the training data is empty");
            Prepare(s, first.Current, "Fit", wholeTargets);
        }
        catch
        {
            first.Dispose();
            throw;
        }
        var train = s.TrainTrackers!;
        var val = s.ValTrackers!;
        var keys = train.Names().ToList();
        if (validation != null) keys.AddRange(keys.Select(k => "val_" + k).ToList());
        var prm = new TrainingParams(epochs, steps, verbose, keys);
        foreach (var cb in cbs) { cb.Model = this; cb.Params = prm; }
        bool batchLogs = cbs.Any(c => c.NeedsBatchLogs);
        var noLogs = new Dictionary<string, double>();
        var printer = verbose > 0 ? new ProgressPrinter(Out, verbose, epochs, steps, IsTerminal) : null;
        var history = new History();
        Func<IEnumerable<KeyValuePair<string, double>>> runningLogs = train.Logs;   // one delegate, not one per step
        bool wasTraining = IsTraining;
        StopTraining = false;
        try
        {
            foreach (var cb in cbs) cb.OnTrainBegin(new Dictionary<string, double>());
            for (int epoch = initialEpoch; epoch < epochs && !StopTraining; epoch++)
            {
                var logs = new Dictionary<string, double>();
                foreach (var cb in cbs) cb.OnEpochBegin(epoch, logs);
                printer?.EpochBegin(epoch);
                train.Reset();
                Train();
                var clock = Stopwatch.StartNew();
                int step = 0;
                var batches = first != null ? WithCurrent(first) : trainEpoch();
                first = null;
                foreach (var b in batches)
                {
                    foreach (var cb in cbs) cb.OnTrainBatchBegin(step);
                    using (Tensor.Scope()) TrainStep(s, train, b);
                    step++;
                    if (cbs.Count > 0)
                    {
                        IReadOnlyDictionary<string, double> bl = batchLogs ? new Dictionary<string, double>(train.Logs()) : noLogs;
                        foreach (var cb in cbs) cb.OnTrainBatchEnd(step - 1, bl);
                    }
                    printer?.Update(step, runningLogs);
                    if (StopTraining) break;
                }
                history.TrainSeconds.Add(clock.Elapsed.TotalSeconds);
                foreach (var (k, v) in train.Logs()) logs[k] = v;
                if (validation != null)
                    foreach (var (k, v) in RunEvaluation(s, val, validation())) logs["val_" + k] = v;
                printer?.End(logs);
                foreach (var cb in cbs) cb.OnEpochEnd(epoch, logs);
                history.Add(epoch, logs);
            }
            foreach (var cb in cbs) cb.OnTrainEnd(new Dictionary<string, double>());
        }
        finally
        {
            first?.Dispose();
            Train(wasTraining);
        }
        return history;
    }

    /// <summary>One training step; the caller's scope disposes everything it creates except the device accumulators.</summary>
    void TrainStep(CompileState s, Trackers t, Tensor[] b)
    {
        int nIn = InputCount, nOut = OutputCount, n = b[0].Size(0);
        var opt = s.Optimizer;
        if (nOut == 1)
        {
            var yPred = nIn == 1 ? Call(b[0]) : Call(b[..nIn]);
            var yTrue = Target(s, 0, b[nIn], yPred);
            var loss = s.Losses[0].Call(yPred, yTrue);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            using (Autograd.NoGrad())
            {
                t.Loss.Add(loss, n);
                foreach (var m in t.Metrics[0]) m.Update(yTrue, yPred);
            }
            return;
        }
        var outs = CallAll(b[..nIn]);
        var targets = new Tensor[nOut];
        var losses = new Tensor[nOut];
        Tensor? total = null;
        for (int i = 0; i < nOut; i++)
        {
            targets[i] = Target(s, i, b[nIn + i], outs[i]);
            losses[i] = s.Losses[i].Call(outs[i], targets[i]);
            total = total == null ? losses[i] : total + losses[i];
        }
        opt.ZeroGrad();
        total!.Backward();
        opt.Step();
        using (Autograd.NoGrad())
        {
            t.Loss.Add(total, n);
            for (int i = 0; i < nOut; i++)
            {
                t.OutputLoss[i].Add(losses[i], n);
                foreach (var m in t.Metrics[i]) m.Update(targets[i], outs[i]);
            }
        }
    }

    /// <summary>Loss and metrics over <paramref name="batches"/> in eval mode without grad.</summary>
    List<KeyValuePair<string, double>> RunEvaluation(CompileState s, Trackers t, IEnumerable<Tensor[]> batches, ProgressPrinter? printer = null)
    {
        t.Reset();
        Eval();
        int nIn = InputCount, nOut = OutputCount, step = 0;
        Func<IEnumerable<KeyValuePair<string, double>>> runningLogs = t.Logs;
        using (Autograd.NoGrad())
            foreach (var b in batches)
            {
                using (Tensor.Scope())
                {
                    var outs = CallAll(b[..nIn]);
                    int n = b[0].Size(0);
                    Tensor? total = null;
                    for (int i = 0; i < nOut; i++)
                    {
                        var y = Target(s, i, b[nIn + i], outs[i]);
                        var l = s.Losses[i].Call(outs[i], y);
                        total = total == null ? l : total + l;
                        if (nOut > 1) t.OutputLoss[i].Add(l, n);
                        foreach (var m in t.Metrics[i]) m.Update(y, outs[i]);
                    }
                    t.Loss.Add(total!, n);
                }
                printer?.Update(++step, runningLogs);
            }
        return t.Logs();
    }

    /// <summary>The target as the loss wants it: dtype converted (per batch for loaders) and [N] aligned to [N, 1].</summary>
    static Tensor Target(CompileState s, int i, Tensor y, Tensor yPred)
    {
        if (s.TargetDTypes[i] is DType d && y.DType != d) y = y.To(d);
        if (s.AlignTargets[i] && y.Dim == yPred.Dim - 1 && yPred.Dim > 0 && yPred.Size(-1) == 1) y = y.Unsqueeze(-1);
        return y;
    }

    /// <summary>Converts whole target tensors once (e.g. Int32 labels to Int64) so batches need no conversion.</summary>
    static Tensor[] ConvertTargets(CompileState s, Tensor[] ys, List<Tensor> made)
    {
        var r = new Tensor[ys.Length];
        for (int i = 0; i < ys.Length; i++)
        {
            var d = TargetDType(s.Losses[i], ys[i]);
            r[i] = d is DType dt && ys[i].DType != dt ? ys[i].To(dt).Unown() : ys[i];
            if (!ReferenceEquals(r[i], ys[i])) made.Add(r[i]);
        }
        return r;
    }

    static bool IsElementwise(Loss l) =>
        l is BinaryCrossentropy or BceLoss or BceWithLogitsLoss or MseLoss or L1Loss or HuberLoss or SmoothL1Loss;

    static DType? TargetDType(Loss loss, Tensor y) => loss switch
    {
        SparseCategoricalCrossentropy or NllLoss => y.DType == DType.Int64 ? null : DType.Int64,
        CrossEntropyLoss => y.DType.IsFloatingPoint() || y.DType == DType.Int64 ? null : DType.Int64,
        CategoricalCrossentropy => y.DType.IsFloatingPoint() ? null : DType.Float32,
        _ when IsElementwise(loss) => y.DType.IsFloatingPoint() ? null : DType.Float32,
        _ => null,
    };

    /// <summary>
    /// Checks one batch before training or evaluation starts: builds lazy layers, checks the loss against the output and
    /// target shapes (and label range), infers <c>fromLogits</c>, resolves metric names, binds an unbound optimizer.
    /// </summary>
    void Prepare(CompileState s, Tensor[] batch, string op, Tensor[]? wholeTargets)
    {
        int nIn = InputCount, nOut = OutputCount;
        if (batch.Length != nIn + nOut)
            throw new ArgumentException($"Model.{op}: each batch must hold {nIn} input(s) then {nOut} target(s), got {batch.Length} tensor(s)");
        var xs = batch[..nIn];
        NoteInputs(xs);
        if (s.TargetDTypes.Length != nOut)
        {
            s.TargetDTypes = Enumerable.Range(0, nOut).Select(i => TargetDType(s.Losses[i], batch[nIn + i])).ToArray();
            s.AlignTargets = s.Losses.Select(IsElementwise).ToArray();
        }
        var modes = Modules().Select(m => (m, m.IsTraining)).ToList();
        Eval();
        try
        {
            using var scope = Tensor.Scope();
            // Grad stays on so the loss can see whether the output came from a Softmax/Sigmoid op.
            var outs = CallAll(xs);
            if (outs.Length != nOut) throw new InvalidOperationException($"Model.{op}: the model returned {outs.Length} outputs, expected {nOut}");
            var metrics = new Metric[nOut][];
            for (int i = 0; i < nOut; i++)
            {
                var y = Target(s, i, batch[nIn + i], outs[i]);
                CheckLossFits(op, s, i, outs[i], y, wholeTargets?[i]);
                Tensor l;
                try
                {
                    l = s.Losses[i].Call(outs[i], y);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    throw new ShapeMismatchException($"Model.{op}", $"loss '{s.LossName}' does not fit the model output {Fmt(outs[i])} and targets {Fmt(y)} ({y.DType.Name()}): {e.Message}");
                }
                if (l.NumEl != 1)
                    throw new ArgumentException($"Model.{op}: loss '{s.LossName}' returned {Fmt(l)} instead of a scalar (use reduction 'mean' or 'sum')");
                if (s.TrainTrackers == null)
                {
                    string prefix = nOut > 1 ? OutputName(i) + "_" : "";
                    metrics[i] = s.MetricSpecs.Select(m =>
                    {
                        var r = KerasMetrics.Resolve(nOut > 1 && m is not NamedMetric ? m.Clone() : m, s.Losses[i], y, outs[i]);
                        r.Name = prefix + m.Name;
                        return r;
                    }).ToArray();
                }
            }
            if (s.TrainTrackers == null)
            {
                var outNames = nOut > 1 ? Enumerable.Range(0, nOut).Select(i => OutputName(i) + "_loss").ToArray() : [];
                s.TrainTrackers = new Trackers(outNames, metrics);
                s.ValTrackers = new Trackers(outNames, metrics.Select(ms => ms.Select(m => m.Clone()).ToArray()).ToArray());
            }
        }
        finally
        {
            foreach (var (m, t) in modes) m.Train(t);
        }
        if (op == "Fit" && s.Optimizer.ParamGroups.Count == 0 && Parameters().Any())
            s.Optimizer.AddParamGroup(Parameters());
    }

    static void CheckLossFits(string op, CompileState s, int i, Tensor output, Tensor y, Tensor? whole)
    {
        var loss = s.Losses[i];
        string name = s.LossName;
        if (loss is SparseCategoricalCrossentropy or NllLoss || (loss is CrossEntropyLoss && !y.DType.IsFloatingPoint()))
        {
            if (output.Dim != y.Dim + 1 || output.Size(0) != y.Size(0))
                throw new ShapeMismatchException($"Model.{op}", $"loss '{name}' expects integer class labels [N] for outputs [N, C]; the model outputs {Fmt(output)} and the targets are {Fmt(y)}" +
                    (y.Dim == output.Dim ? " (one-hot targets need 'categorical_crossentropy')" : ""));
            if (loss is SparseCategoricalCrossentropy)
            {
                var labels = whole ?? y;
                using var _ = Autograd.NoGrad();
                using var lo = labels.Amin(null);
                using var hi = labels.Amax(null);
                long min = (long)lo.Item(), max = (long)hi.Item();
                int c = output.Size(1);
                if (min < 0 || max >= c)
                    throw new ShapeMismatchException($"Model.{op}", $"loss '{name}': class labels range over [{min}, {max}] but the model outputs {c} classes {Fmt(output)}");
            }
        }
        else if (loss is CategoricalCrossentropy || IsElementwise(loss))
        {
            if (!output.Shape.SequenceEqual(y.Shape))
                throw new ShapeMismatchException($"Model.{op}", $"loss '{name}' needs targets shaped like the model output {Fmt(output)}, got {Fmt(y)}" +
                    (output.Dim == y.Dim + 1 ? " (class labels [N] for outputs [N, C] need 'sparse_categorical_crossentropy')" : ""));
        }
    }

    string OutputName(int i)
    {
        if (graph?.Outputs[i].Node is { } node)
            foreach (var (name, m) in NamedChildren())
                if (ReferenceEquals(m, node.Layer)) return name;
        return $"output_{i + 1}";
    }

    TextWriter Out => ProgressWriter ?? Console.Out;

    bool IsTerminal => ProgressWriter == null || ReferenceEquals(ProgressWriter, Console.Out) ? !Console.IsOutputRedirected
        : ReferenceEquals(ProgressWriter, Console.Error) && !Console.IsErrorRedirected;

    static string Fmt(Tensor t) => ShapeUtil.Format(t.Shape.ToArray());

    void CheckLoopArgs(string op, int epochs, int batchSize, int verbose, int initialEpoch)
    {
        if (epochs <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"Model.{op}: epochs must be positive");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Model.{op}: batchSize must be positive");
        if (verbose is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(verbose), verbose, $"Model.{op}: verbose must be 0, 1 or 2");
        if (initialEpoch < 0 || initialEpoch >= epochs)
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"Model.{op}: initialEpoch must be in [0, epochs)");
    }

    void CheckFields(string op, DataLoader loader)
    {
        if (loader.Dataset.FieldCount != InputCount + OutputCount)
            throw new ArgumentException($"Model.{op}: the dataset yields {loader.Dataset.FieldCount} tensors per sample, the model needs {InputCount} input(s) and {OutputCount} target(s)");
    }

    /// <summary>Checks counts and sample lengths of inputs and targets; returns the number of samples.</summary>
    int CheckData(string op, Tensor[] x, Tensor[]? y, string xName, string yName)
    {
        ArgumentNullException.ThrowIfNull(x, xName);
        if (x.Length != InputCount) throw new ArgumentException($"Model.{op}: the model takes {InputCount} input(s), got {x.Length}", xName);
        if (y != null && y.Length != OutputCount) throw new ArgumentException($"Model.{op}: the model has {OutputCount} output(s), got {y.Length} target tensor(s)", yName);
        int n = -1;
        foreach (var (t, what) in x.Select(t => (t, xName)).Concat((y ?? []).Select(t => (t, yName))))
        {
            ArgumentNullException.ThrowIfNull(t, what);
            t.ThrowIfDisposed();
            if (t.Dim == 0) throw new ShapeMismatchException($"Model.{op}", $"{what} must have a sample dimension, got a scalar");
            if (n < 0) n = t.Size(0);
            else if (t.Size(0) != n)
                throw new ShapeMismatchException($"Model.{op}", $"{xName} has {n} samples but {what} has {t.Size(0)}; inputs and targets must have the same number of samples");
        }
        if (n == 0) throw new ArgumentException($"Model.{op}: {xName} has no samples", xName);
        return n;
    }

    /// <summary>Consecutive batch views of <paramref name="data"/> (no copies), each disposed when the consumer moves on.</summary>
    static IEnumerable<Tensor[]> Slices(Tensor[] data, int batchSize)
    {
        int n = data[0].Size(0);
        for (int start = 0; start < n; start += batchSize)
        {
            int len = Math.Min(batchSize, n - start);
            var b = new Tensor[data.Length];
            for (int i = 0; i < b.Length; i++) b[i] = data[i].Narrow(0, start, len).Unown();
            try
            {
                yield return b;
            }
            finally
            {
                foreach (var t in b) t.Dispose();
            }
        }
    }

    /// <summary>The enumerator's current batch, then the rest; disposes the enumerator at the end.</summary>
    static IEnumerable<Tensor[]> WithCurrent(IEnumerator<Tensor[]> it)
    {
        using (it)
        {
            yield return it.Current;
            while (it.MoveNext()) yield return it.Current;
        }
    }
}
