using System.Collections;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace NativeNet.Data;

/// <summary>
/// Iterates a <see cref="Dataset"/> in batches (PyTorch <c>torch.utils.data.DataLoader</c>): optional shuffling with a new
/// permutation each epoch, optional dropping of the last incomplete batch, background prefetch of upcoming batches and an
/// optional transform applied to each batch.
/// <para>
/// Each <c>foreach</c> over the loader is one epoch. With <c>shuffle</c> and a <c>seed</c>, epoch k (counting from 0 for this
/// loader) uses the permutation <c>Tensor.ManualSeed(seed + k); Tensor.RandPerm(n)</c> would give, without touching the global
/// generator; without a seed, each epoch draws <see cref="Tensor.RandPerm"/> from the global generator when the epoch starts,
/// so <see cref="Tensor.ManualSeed"/> makes the order reproducible.
/// </para>
/// <para>
/// Batch ownership: with <c>disposeBatches</c> (the default, like TorchSharp's DataLoader) a batch belongs to the loader and
/// stays valid until the next batch is requested or the loop ends; then it is disposed, so a training loop leaks nothing
/// whichever scopes it opens. <c>Clone()</c> a batch to keep it. With <c>disposeBatches: false</c> each batch is handed to the
/// <see cref="TensorScope"/> open on the consuming thread when the batch is requested (or is unowned when none is open).
/// </para>
/// </summary>
public sealed class DataLoader : IEnumerable<(Tensor X, Tensor Y)>
{
    const int PrefetchDepth = 2;
    static int activeWorkers;
    readonly Func<(Tensor X, Tensor Y), (Tensor X, Tensor Y)>? transform;
    readonly long? seed;
    int epoch = -1;

    /// <summary>
    /// Creates a loader (<c>DataLoader(dataset, batch_size, shuffle, drop_last, generator, ...)</c>). <paramref name="prefetch"/>
    /// prepares the next batches on a background task while the current one is in use (PyTorch's worker processes, as one thread).
    /// <paramref name="transform"/> maps each collated (X, Y) batch, on the prefetch thread when prefetching; tensors it creates
    /// and does not return are disposed.
    /// </summary>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long? seed = null,
        bool prefetch = true, Func<(Tensor X, Tensor Y), (Tensor X, Tensor Y)>? transform = null, bool disposeBatches = true)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batchSize must be positive, got {batchSize}");
        if (transform != null && dataset.FieldCount != 2)
            throw new ArgumentException($"DataLoader: transform maps (X, Y) batches but the dataset yields {dataset.FieldCount} tensors per sample", nameof(transform));
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        this.seed = seed;
        Prefetch = prefetch;
        this.transform = transform;
        DisposeBatches = disposeBatches;
    }

    /// <summary>The dataset being iterated (<c>loader.dataset</c>).</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch (<c>loader.batch_size</c>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether the last batch is skipped when it would be smaller than <see cref="BatchSize"/> (<c>drop_last</c>).</summary>
    public bool DropLast { get; }

    /// <summary>Whether batches are prepared on a background task.</summary>
    public bool Prefetch { get; }

    /// <summary>Whether a batch is disposed when the next one is requested (see the class remarks).</summary>
    public bool DisposeBatches { get; }

    /// <summary>Prefetch tasks currently running, all loaders together (tests check that none outlives its epoch).</summary>
    internal static int ActiveWorkers => Volatile.Read(ref activeWorkers);

    /// <summary>Number of batches per epoch (<c>len(loader)</c>).</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Starts an epoch yielding (input, target) batches; the dataset must have two tensors per sample.</summary>
    public IEnumerator<(Tensor X, Tensor Y)> GetEnumerator()
    {
        if (Dataset.FieldCount != 2)
            throw new InvalidOperationException($"DataLoader: the dataset yields {Dataset.FieldCount} tensors per sample, not (X, Y) pairs; iterate loader.Batches() instead");
        return new PairEnumerator(StartEpoch());
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Starts an epoch yielding each batch as an array of <see cref="Dataset.FieldCount"/> tensors (any number of tensors per sample).</summary>
    public IEnumerable<Tensor[]> Batches()
    {
        using var e = StartEpoch();
        while (e.MoveNext()) yield return e.Current;
    }

    BatchEnumerator StartEpoch()
    {
        int k = Interlocked.Increment(ref epoch);
        int n = Dataset.Count;
        Tensor order;
        if (!Shuffle) order = Tensor.Arange(0, n, 1, DType.Int64, Device.Cpu);
        else if (seed is long s) order = Permutation(n, unchecked((ulong)(s + k)), 0);
        else
        {
            // Tensor.RandPerm's draw from the global stream, reserved here on the consumer thread.
            var (globalSeed, counter) = Tensor.NextRandom(n);
            order = Permutation(n, globalSeed, counter);
        }
        order.Unown();
        return new BatchEnumerator(this, order);
    }

    /// <summary>
    /// The permutation <see cref="Tensor.RandPerm"/> draws from generator state (seed, counter): indices sorted by uniform keys.
    /// With counter 0 it equals <c>ManualSeed(seed); RandPerm(n)</c>, without touching the global generator.
    /// </summary>
    static Tensor Permutation(int n, ulong seed, ulong counter)
    {
        using var keys = Tensor.Empty([n], DType.Float64, Device.Cpu);
        keys.Backend.Random(keys.View, false, 0, 1, seed, counter);
        var k = keys.ToArray<double>();
        var idx = new long[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Array.Sort(k, idx);
        return Tensor.FromArray(idx);
    }

    /// <summary>Builds batch <paramref name="b"/> of an epoch; everything it creates but returns is disposed, the result is unowned.</summary>
    Tensor[] Produce(Tensor order, int b)
    {
        int n = order.NumEl, start = b * BatchSize, len = Math.Min(BatchSize, n - start);
        using var scope = Tensor.Scope();
        var batch = Dataset.GetBatch(order.Narrow(0, start, len));
        if (transform != null)
        {
            if (batch.Length != 2) throw new InvalidOperationException($"DataLoader: {Dataset.GetType().Name}.GetBatch returned {batch.Length} tensors, expected (X, Y)");
            var (x, y) = transform((batch[0], batch[1]));
            batch = [x, y];
        }
        for (int i = 0; i < batch.Length; i++)
        {
            // A tensor made here becomes the loader's; one that existed before (a dataset returning its own tensor) is aliased
            // so that disposing the batch never disposes someone else's tensor.
            if (batch[i].owner == scope) batch[i].Unown();
            else batch[i] = batch[i].Alias();
        }
        return batch;
    }

    /// <summary>One epoch: produces batches inline or on a background task and disposes them as the consumer moves on.</summary>
    sealed class BatchEnumerator : IEnumerator<Tensor[]>
    {
        readonly DataLoader loader;
        readonly Tensor order;
        readonly int count;
        readonly Channel<Tensor[]>? queue;
        readonly CancellationTokenSource? cancel;
        readonly Task? worker;
        Exception? workerError;
        Tensor[]? current;
        int next;
        bool finished, disposed;

        public BatchEnumerator(DataLoader loader, Tensor order)
        {
            this.loader = loader;
            this.order = order;
            count = loader.Count;
            if (!loader.Prefetch || count == 0) return;
            // A pool task that awaits (holding no thread) while the queue is full. Not a thread per epoch: pool threads
            // are reused, so per-thread caches of the CPU backend stay bounded.
            queue = Channel.CreateBounded<Tensor[]>(new BoundedChannelOptions(PrefetchDepth) { SingleReader = true, SingleWriter = true });
            cancel = new CancellationTokenSource();
            var token = cancel.Token;
            Interlocked.Increment(ref activeWorkers);
            worker = Task.Run(() => Work(token));
        }

        async Task Work(CancellationToken ct)
        {
            try
            {
                for (int b = 0; b < count && !ct.IsCancellationRequested; b++)
                {
                    var batch = loader.Produce(order, b);
                    try
                    {
                        await queue!.Writer.WriteAsync(batch, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        DisposeAll(batch);
                        break;
                    }
                }
            }
            catch (Exception e)
            {
                workerError = e;
            }
            finally
            {
                queue!.Writer.TryComplete();
                Interlocked.Decrement(ref activeWorkers);
            }
        }

        public Tensor[] Current => current ?? throw new InvalidOperationException("DataLoader: enumeration has not started or has ended");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (current != null && loader.DisposeBatches) DisposeAll(current);
            current = null;
            if (finished) return false;
            Tensor[]? batch = null;
            if (queue is null)
            {
                if (next < count) batch = loader.Produce(order, next++);
            }
            else
            {
                var reader = queue.Reader;
                while (!reader.TryRead(out batch))
                    if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
                if (batch is null && workerError is { } err)
                {
                    finished = true;
                    ExceptionDispatchInfo.Capture(err).Throw();
                }
            }
            if (batch is null)
            {
                finished = true;
                return false;
            }
            if (!loader.DisposeBatches && TensorScope.Current != null)
                foreach (var t in batch) TensorScope.Register(t);
            current = batch;
            return true;
        }

        public void Reset() => throw new NotSupportedException("DataLoader: start a new epoch with a new foreach instead of Reset");

        /// <summary>Stops the worker, waits for it, and disposes every batch not handed out (and the current one when the loader owns it).</summary>
        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            finished = true;
            if (current != null && loader.DisposeBatches) DisposeAll(current);
            current = null;
            if (worker != null)
            {
                cancel!.Cancel();
                worker.GetAwaiter().GetResult();
                while (queue!.Reader.TryRead(out var pending)) DisposeAll(pending);
                cancel.Dispose();
            }
            order.Dispose();
        }

        static void DisposeAll(Tensor[] batch)
        {
            foreach (var t in batch) t.Dispose();
        }
    }

    sealed class PairEnumerator(BatchEnumerator inner) : IEnumerator<(Tensor X, Tensor Y)>
    {
        public (Tensor X, Tensor Y) Current { get { var b = inner.Current; return (b[0], b[1]); } }
        object IEnumerator.Current => Current;
        public bool MoveNext() => inner.MoveNext();
        public void Reset() => inner.Reset();
        public void Dispose() => inner.Dispose();
    }
}
