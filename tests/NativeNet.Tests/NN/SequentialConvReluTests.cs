using NativeNet.NN;

namespace NativeNet.Tests.NN;

/// <summary>
/// Sequential runs a built-in Conv2d directly followed by a built-in Relu as one fused op: values and gradients
/// must equal the layers called one by one, and hooks (which must see each layer) turn the fusion off.
/// </summary>
public class SequentialConvReluTests
{
    static Sequential Model()
    {
        Tensor.ManualSeed(21);
        return new Sequential(new Conv2d(2, 4, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Conv2d(4, 3, (3, 2), stride: (2, 1), padding: (1, 0), dtype: DType.Float32), new Relu(), new Flatten());
    }

    [Fact]
    public void FusedForwardAndBackward_MatchLayerByLayer()
    {
        var seq = Model();
        using var scope = Tensor.Scope();
        var x = Tensor.Randn(3, 2, 10, 9);
        var gy = Tensor.Randn(3, 3 * 3 * 3);
        var y = seq.Call(x);
        Assert.Equal("ConvReluBackward", y.GradFn!.Next[0]!.ToString());
        y.Backward(gy);
        var fusedOut = y.ToArray<float>();
        var fusedGrads = seq.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
        seq.ZeroGrad();

        // The same layers called one by one (each module's own Call).
        var h = x;
        foreach (var m in seq) h = m.Call(h);
        h.Backward(gy);
        Assert.Equal(h.ToArray<float>(), fusedOut);
        var grads = seq.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
        for (int i = 0; i < grads.Length; i++)
        {
            Assert.Equal(grads[i].Length, fusedGrads[i].Length);
            for (int j = 0; j < grads[i].Length; j++) Assert.Equal(grads[i][j], fusedGrads[i][j], Math.Abs(grads[i][j]) * 1e-5f + 1e-6f);
        }
    }

    [Fact]
    public void FusedGradCheck_Float64()
    {
        var seq = Model();
        seq.To(DType.Float64);
        var x = Tensor.Randn([2, 2, 6, 5], dtype: DType.Float64);
        x.RequiresGrad = true;
        Tensor direction;
        using (Autograd.NoGrad()) direction = Tensor.Randn(seq.Call(x).Shape.ToArray(), dtype: DType.Float64);
        GradCheckUtil.Check(xs => seq.Call(xs[0]).Mul(direction).Sum(), [x, .. seq.Parameters().Cast<Tensor>()]);
    }

    [Fact]
    public void AHookOnEitherLayer_SeesItsCall()
    {
        var seq = Model();
        using var scope = Tensor.Scope();
        var x = Tensor.Randn(1, 2, 6, 6);
        int seen = 0;
        using (seq[1].RegisterForwardHook((_, _, y) => { seen++; return null; }))
            seq.Call(x);
        Assert.Equal(1, seen);
        using (seq[0].RegisterForwardPreHook((_, inputs) => { seen++; return null; }))
            seq.Call(x);
        Assert.Equal(2, seen);
    }
}
