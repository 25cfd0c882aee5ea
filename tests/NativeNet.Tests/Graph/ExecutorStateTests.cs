using NativeNet.NN;

namespace NativeNet.Tests.GraphTests;

/// <summary>A plan reuses its run frame between calls: concurrent calls, a failed call and Gemm's in-place bias stay correct.</summary>
public class ExecutorStateTests
{
    [Fact]
    public void ConcurrentCallsOfOnePlanGiveTheEagerResults()
    {
        Tensor.ManualSeed(31);
        var model = new Sequential(new Linear(32, 128), new Relu(), new Linear(128, 64), new Tanh(), new Linear(64, 4));
        model.Eval();
        var plan = Graph.Trace(model, Tensor.Randn(1, 32)).Compile();
        var xs = Enumerable.Range(0, 8).Select(i => Tensor.Randn(8 * i + 1, 32)).ToArray();
        double[][] expected;
        using (Autograd.NoGrad()) expected = xs.Select(x => model.Call(x).To(DType.Float64).ToArray<double>()).ToArray();
        int failures = 0, errors = 0;
        using var start = new Barrier(4);
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            using var _ = Autograd.NoGrad();
            for (int r = 0; r < 50; r++)
            {
                int k = (i + r) % xs.Length;
                try
                {
                    using var y = plan.Call(xs[k]);
                    if (!y.To(DType.Float64).ToArray<double>().SequenceEqual(expected[k])) Interlocked.Increment(ref failures);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal((0, 0), (failures, errors));
    }

    [Fact]
    public void ACallThatFailsMidRunLeavesThePlanUsable()
    {
        // Both inputs have the symbolic batch; inputs of different batches pass the signature check and fail at Add,
        // after the MatMul step has filled a slot.
        var w = Tensor.Randn(3, 3);
        var g = Graph.Trace((Tensor[] ins) => [(ins[0].MatMul(w) + ins[1]).Relu()], [Tensor.Randn(2, 3), Tensor.Randn(2, 3)]);
        var plan = g.Compile();
        Assert.Throws<GraphExecutionException>(() => plan.Run(Tensor.Randn(2, 3), Tensor.Randn(3, 3)));
        var a = Tensor.Randn(4, 3);
        var b = Tensor.Randn(4, 3);
        Assert.Equal((a.MatMul(w) + b).Relu().ToArray<float>(), plan.Run(a, b)[0].ToArray<float>());
    }

    [Fact]
    public void GemmAddsItsBiasInPlaceOnlyWithoutGradients()
    {
        Tensor.ManualSeed(32);
        var lin = new Linear(5, 3, dtype: DType.Float64);
        var plan = Graph.Trace(lin, Tensor.Randn([1, 5], dtype: DType.Float64)).Compile();
        var x = Tensor.Randn([4, 5], dtype: DType.Float64);
        using (Autograd.NoGrad()) Assert.Equal(lin.Call(x).ToArray<double>(), plan.Call(x).ToArray<double>());
        // With gradients the bias gets its gradient through Add (the sum over the batch).
        var y = plan.Call(x);
        Assert.NotNull(y.GradFn);
        y.Sum().Backward();
        Assert.Equal(Enumerable.Repeat(4.0, 3), lin.Bias!.Grad!.ToArray<double>());
    }
}
