using NativeNet; using NativeNet.NN; using NativeNet.Optim; using NativeNet.Data; using NativeNet.Interop;

namespace NativeNet.Examples;

/// <summary>
/// The three PyTorch examples of the seed comparison, written with NativeNet exactly as issue 2 fixes them.
/// The body of <see cref="Run"/> is the program, unchanged; it expects a "bias.npy" ([3] float32) in the
/// working directory (Program.cs writes one) and writes "logits.npy".
/// </summary>
public static class SeedProgram
{
    public static void Run()
    {
        var x = Tensor.FromArray(new long[] { 1, 2, 3 });               // 1. tensor <-> array
        long[] values = x.ToArray<long>();
        Console.WriteLine(x);                                            // tensor([1, 2, 3])

        var a = Tensor.FromArray(new[] { 1f, 2f, 3f }, requiresGrad: true);   // 2. autograd
        var z = a.Pow(2).Mean();
        z.Backward();
        Console.WriteLine(a.Grad);                                       // tensor([0.6667, 1.3333, 2.0000])

        Tensor.ManualSeed(42);                                           // 3. linear regression
        var X = 2 * Tensor.Rand(100, 1);
        var y = 4 + 3 * X + 0.1f * Tensor.Randn(100, 1);
        var model = new Linear(1, 1);
        var criterion = new MseLoss();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01);
        for (int epoch = 0; epoch < 1000; epoch++)
        {
            var loss = criterion.Call(model.Call(X), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if ((epoch + 1) % 100 == 0) Console.WriteLine($"Epoch [{epoch + 1}/1000], Loss: {loss.Item<float>():F4}");
        }

        var net = new Sequential(new Conv2d(1, 4, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
                                 new Flatten(), new Linear(4 * 4 * 4, 3));          // state dict and .npy interop
        var state = net.StateDict();            // PyTorch names and layouts: "0.weight" [4,1,3,3], "0.bias", "4.weight" [3,64], "4.bias"
        state["4.bias"] = Npy.Load("bias.npy");
        net.LoadStateDict(state);
        var logits = net.Call(Tensor.Randn(8, 1, 8, 8));
        var ce = new CrossEntropyLoss().Call(logits, Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }));
        Npy.Save("logits.npy", logits);
        var (train, test) = FashionMnist.Load();    // train.X [60000,1,28,28] float32 in [0,1], train.Y [60000] int64; also a Dataset
        var loader = new DataLoader(train, batchSize: 64, shuffle: true);
        var adam = new Adam(net.Parameters(), lr: 1e-3);
    }
}
