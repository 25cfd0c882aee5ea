using NativeNet.Interop;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Tests.NN;

/// <summary>The NN/Optim parts of issue 2's fixed API program, unchanged.</summary>
public class IssueProgramTests
{
    [Fact]
    public void LinearRegressionReachesLowLossIn1000SgdSteps()
    {
        Tensor.ManualSeed(42);
        var X = 2 * Tensor.Rand(100, 1);
        var y = 4 + 3 * X + 0.1f * Tensor.Randn(100, 1);
        var model = new Linear(1, 1);
        var criterion = new MseLoss();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01);
        float last = float.NaN;
        for (int epoch = 0; epoch < 1000; epoch++)
        {
            var loss = criterion.Call(model.Call(X), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if ((epoch + 1) % 100 == 0) last = loss.Item<float>();
        }
        Assert.True(last < 0.02, $"loss after 1000 steps is {last}");
        Assert.Equal(3.0, model.Weight.Item(), 0.3);
        Assert.Equal(4.0, model.Bias!.Item(), 0.3);
    }

    [Fact]
    public void StateDictAndNpyInteropProgram()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-nn");
        try
        {
            var biasPath = Path.Combine(dir.FullName, "bias.npy");
            var logitsPath = Path.Combine(dir.FullName, "logits.npy");
            Npy.Save(biasPath, Tensor.FromArray(new[] { 0.5f, -1f, 2f }));

            var net = new Sequential(new Conv2d(1, 4, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
                                     new Flatten(), new Linear(4 * 4 * 4, 3));
            var state = net.StateDict();
            state["4.bias"] = Npy.Load(biasPath);
            net.LoadStateDict(state);
            Assert.Equal([0.5f, -1f, 2f], net.StateDict()["4.bias"].ToArray<float>());
            var logits = net.Call(Tensor.Randn(8, 1, 8, 8));
            var ce = new CrossEntropyLoss().Call(logits, Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }));
            Assert.True(double.IsFinite(ce.Item()) && ce.Item() > 0);
            Npy.Save(logitsPath, logits);
            Assert.Equal(logits.ToArray<float>(), Npy.Load(logitsPath).ToArray<float>());
            var adam = new Adam(net.Parameters(), lr: 1e-3);
            ce.Backward();
            adam.Step();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>Measures the process-wide pool counter, so it runs while no other test does.</summary>
[CollectionDefinition("NN memory", DisableParallelization = true)]
public class NnMemoryCollection { }

[Collection("NN memory")]
public class MemoryFlatness
{
    [Fact]
    public void TrainingLoopInScopesHoldsMemoryFlat()
    {
        Tensor.ManualSeed(1);
        var net = new Sequential(new Linear(20, 32), new Relu(), new Dropout(0.1), new BatchNorm1d(32), new Linear(32, 4));
        var opt = new Adam(net.Parameters(), lr: 1e-3);
        var ce = new CrossEntropyLoss(labelSmoothing: 0.1);
        var x = Tensor.Randn(16, 20);
        var t = Tensor.RandInt(0, 4, [16]);
        long after10 = 0;
        for (int step = 0; step < 200; step++)
        {
            using (Tensor.Scope())
            {
                opt.ZeroGrad();
                var loss = ce.Call(net.Call(x), t);
                loss.Backward();
                opt.Step();
            }
            if (step == 10) after10 = MemoryStats.CpuBytesInUse;
        }
        Assert.True(MemoryStats.CpuBytesInUse <= after10 + 64 * 1024, $"in use grew from {after10} to {MemoryStats.CpuBytesInUse}");
    }
}
