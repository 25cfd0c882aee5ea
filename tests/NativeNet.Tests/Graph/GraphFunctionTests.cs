using NativeNet.NN;

namespace NativeNet.Tests.GraphTests;

/// <summary>Graph.Function: traced once per signature, replayed after, strict mode, gradients, nesting.</summary>
public class GraphFunctionTests
{
    [Fact]
    public void TheIssueExampleTracesOnceAndReplaysForEveryBatchSize()
    {
        var f = Graph.Function((Tensor x) => (x * 2).Relu().Sum());
        var x = Tensor.Randn(3, 4);
        Assert.Equal(((x * 2).Relu().Sum()).Item(), f.Call(x).Item(), 5);
        Assert.Equal(1, f.TraceCount);
        Assert.Equal(["Mul", "Relu", "ReduceSum"], f.Graphs[0].Nodes.Select(n => n.OpType).ToArray());
        var x5 = Tensor.Randn(5, 4);
        Assert.Equal(((x5 * 2).Relu().Sum()).Item(), f.Call(x5).Item(), 5);
        Assert.Equal(1, f.TraceCount); // the batch is not part of the signature
        var wide = Tensor.Randn(3, 6);
        Assert.Equal(((wide * 2).Relu().Sum()).Item(), f.Call(wide).Item(), 5);
        Assert.Equal(2, f.TraceCount); // a new signature retraces
    }

    [Fact]
    public void StrictFunctionsRejectANewSignature()
    {
        var f = Graph.Function((Tensor x) => x.Exp(), strict: true);
        f.Call(Tensor.Randn(2, 3));
        f.Call(Tensor.Randn(9, 3));
        var e = Assert.Throws<GraphSignatureException>(() => f.Call(Tensor.Randn(2, 4)));
        Assert.Equal("(float32[batch, 3])", e.Traced);
        Assert.Equal("(float32[batch, 4])", e.Given);
        Assert.Throws<GraphSignatureException>(() => f.Call(Tensor.Randn([2, 3], dtype: DType.Float64)));
        var fixedBatch = Graph.Function((Tensor x) => x.Exp(), strict: true, dynamicBatch: false);
        fixedBatch.Call(Tensor.Randn(2, 3));
        Assert.Throws<GraphSignatureException>(() => fixedBatch.Call(Tensor.Randn(3, 3)));
    }

    [Fact]
    public void GradientsFlowThroughTheTracedCallAndTheReplays()
    {
        var f = Graph.Function((Tensor x, Tensor w) => x.MatMul(w).Tanh().Mul(x.Sum(1, keepDim: true)).Sum());
        Tensor.ManualSeed(3);
        for (int call = 0; call < 3; call++)
        {
            var x = Tensor.Randn([4, 3], dtype: DType.Float64).RequiresGrad_();
            var w = Tensor.Randn([3, 2], dtype: DType.Float64).RequiresGrad_();
            f.Call(x, w).Backward();
            var xe = x.Detach().RequiresGrad_();
            var we = w.Detach().RequiresGrad_();
            xe.MatMul(we).Tanh().Mul(xe.Sum(1, keepDim: true)).Sum().Backward();
            TracingTests.AssertClose(xe.Grad!, x.Grad!, 1e-12, 1e-12);
            TracingTests.AssertClose(we.Grad!, w.Grad!, 1e-12, 1e-12);
        }
        Assert.Equal(1, f.TraceCount);
    }

    [Fact]
    public void TrainingAModelThroughAGraphFunctionMatchesEagerTraining()
    {
        Tensor.ManualSeed(4);
        var a = new Sequential(new Linear(5, 8), new Tanh(), new Linear(8, 1));
        var b = new Sequential(new Linear(5, 8), new Tanh(), new Linear(8, 1));
        b.LoadStateDict(a.StateDict());
        var f = Graph.Function((Tensor x, Tensor y) => (b.Call(x) - y).Square().Mean());
        var optA = new NativeNet.Optim.Sgd(a.Parameters(), lr: 0.1);
        var optB = new NativeNet.Optim.Sgd(b.Parameters(), lr: 0.1);
        var x = Tensor.Randn(16, 5);
        var y = Tensor.Randn(16, 1);
        for (int step = 0; step < 5; step++)
        {
            var la = (a.Call(x) - y).Square().Mean();
            optA.ZeroGrad(); la.Backward(); optA.Step();
            var lb = f.Call(x, y);
            optB.ZeroGrad(); lb.Backward(); optB.Step();
            Assert.Equal(la.Item(), lb.Item(), 5);
        }
        Assert.Equal(1, f.TraceCount);
    }

    [Fact]
    public void AFunctionCalledInsideATraceIsInlinedAndTuplesGiveSeveralOutputs()
    {
        var inner = Graph.Function((Tensor x) => x.Exp());
        var g = Graph.Trace((Tensor x) => inner.Call(x) + 1, Tensor.Randn(2, 2));
        Assert.Equal(["Exp", "Add"], g.Nodes.Select(n => n.OpType).ToArray());
        Assert.Equal(0, inner.TraceCount);
        var pair = Graph.Function((Tensor x) => (x.Exp(), x.Neg()));
        var v = Tensor.Randn(3);
        for (int i = 0; i < 2; i++)
        {
            var r = pair.Run(v);
            TracingTests.AssertClose(v.Exp(), r[0]);
            TracingTests.AssertClose(v.Neg(), r[1]);
        }
        Assert.Throws<InvalidOperationException>(() => pair.Call(v));
    }
}
