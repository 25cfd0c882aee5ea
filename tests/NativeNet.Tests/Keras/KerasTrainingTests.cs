using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Tests.KerasApi;

/// <summary>Fit/Evaluate/Predict against a hand-written loop, losses and metrics against hand-computed values, bad input.</summary>
public class KerasTrainingTests
{
    static (Tensor X, Tensor Y) Blobs(int n, int seed, int classes = 3)
    {
        Tensor.ManualSeed(seed);
        var y = Tensor.RandInt(0, classes, [n]);
        var centers = Tensor.Randn(classes, 5) * 2;
        var x = centers.IndexSelect(0, y) + Tensor.Randn(n, 5);
        return (x, y);
    }

    [Fact]
    public void History_EqualsAHandWrittenLoop()
    {
        var (x, y) = Blobs(40, 1);
        var (vx, vy) = Blobs(20, 2);
        Tensor.ManualSeed(5);
        var model = new Sequential(new Dense(3, inputDim: 5));
        var reference = new Linear(5, 3);
        reference.LoadStateDict(model[0].StateDict());
        model.Compile(new Sgd(lr: 0.1), "sparse_categorical_crossentropy", ["accuracy"]);
        var h = model.Fit(x, y, epochs: 2, batchSize: 16, validationData: (vx, vy), shuffle: false, verbose: 0);

        var opt = new Sgd(reference.Parameters(), lr: 0.1);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            double lossSum = 0, correct = 0;
            for (int start = 0; start < 40; start += 16)
            {
                int len = Math.Min(16, 40 - start);
                var xb = x.Narrow(0, start, len);
                var yb = y.Narrow(0, start, len);
                var logits = reference.Call(xb);
                var loss = F.CrossEntropy(logits, yb);
                lossSum += loss.Item() * len;
                correct += logits.ArgMax(1).Eq(yb).Sum().Item();
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            Assert.Equal(lossSum / 40, h["loss"][epoch], 5);
            Assert.Equal(correct / 40, h["accuracy"][epoch], 10);
            using (Autograd.NoGrad())
            {
                var vl = reference.Call(vx);
                Assert.Equal(F.CrossEntropy(vl, vy).Item(), h["val_loss"][epoch], 5);
                Assert.Equal(vl.ArgMax(1).Eq(vy).Sum().Item() / 20, h["val_accuracy"][epoch], 10);
            }
        }
        Assert.Equal([0, 1], h.Epoch);
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], h.Keys);
        var ev = model.Evaluate(vx, vy, batchSize: 7, verbose: 0);
        Assert.Equal(h["val_loss"][1], ev.Loss, 5);
        Assert.Equal(h["val_accuracy"][1], ev["accuracy"], 10);
        var pred = model.Predict(vx, batchSize: 6);
        using (Autograd.NoGrad()) Assert.Equal(reference.Call(vx).ToArray<float>(), pred.ToArray<float>());
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void StringLoss_InfersLogitsOrProbabilities()
    {
        var (x, y) = Blobs(30, 3);
        foreach (var softmax in new[] { false, true })
        {
            Tensor.ManualSeed(7);
            var model = new Sequential(new Dense(8, activation: "tanh"), new Dense(3, activation: softmax ? "softmax" : null));
            model.Compile("sgd", "sparse_categorical_crossentropy", ["accuracy"]);
            var loss = model.Evaluate(x, y, verbose: 0).Loss;
            Assert.Equal(!softmax, ((ProbabilisticLoss)model.Loss!).TreatsInputAsLogits);
            // Reference in doubles: -log p[y], with p = softmax(logits) or the probabilities themselves.
            var outp = model.Predict(x).ToArray<float>();
            var labels = y.ToArray<long>();
            double sum = 0;
            for (int i = 0; i < 30; i++)
            {
                var row = outp.Skip(3 * i).Take(3).Select(v => (double)v).ToArray();
                double logp = softmax ? Math.Log(row[labels[i]]) : row[labels[i]] - Math.Log(row.Sum(Math.Exp));
                sum -= logp;
            }
            Assert.Equal(sum / 30, loss, 5);
        }
    }

    sealed class SoftmaxNet : Model
    {
        readonly Dense fc;
        public SoftmaxNet() => fc = RegisterModule("fc", new Dense(3, inputDim: 5));
        public override Tensor Forward(Tensor x) => fc.Call(x).Softmax(1);
    }

    [Fact]
    public void SoftmaxOpInForward_IsDetectedAsProbabilities()
    {
        var (x, y) = Blobs(30, 4);
        var model = new SoftmaxNet();
        model.Compile(new Adam(lr: 0.01), new SparseCategoricalCrossentropy(), ["accuracy"]);
        model.Fit(x, y, epochs: 1, batchSize: 10, verbose: 0);
        Assert.False(((ProbabilisticLoss)model.Loss!).TreatsInputAsLogits);
    }

    [Fact]
    public void BinaryLoss_UsesLogitsUnlessSigmoid_AndAccuracyThresholdFollows()
    {
        Tensor.ManualSeed(11);
        var x = Tensor.Randn(64, 2);
        var y = x.Select(1, 0).Add(x.Select(1, 1)).Gt(0).To(DType.Float32).Unsqueeze(1);
        foreach (var sigmoid in new[] { false, true })
        {
            Tensor.ManualSeed(12);
            var model = new Sequential(new Dense(1, activation: sigmoid ? "sigmoid" : null, inputDim: 2));
            model.Compile(new Adam(lr: 0.05), "binary_crossentropy", ["accuracy"]);
            var h = model.Fit(x, y, epochs: 20, batchSize: 16, verbose: 0);
            Assert.Equal(!sigmoid, ((ProbabilisticLoss)model.Loss!).TreatsInputAsLogits);
            var outp = model.Predict(x).ToArray<float>();
            var t = y.ToArray<float>();
            double threshold = sigmoid ? 0.5 : 0;
            double acc = outp.Zip(t).Count(p => (p.First > threshold) == (p.Second > 0.5)) / 64.0;
            Assert.Equal(acc, model.Evaluate(x, y, verbose: 0)["accuracy"], 10);
            Assert.True(h["accuracy"][^1] > 0.9, $"binary accuracy {h["accuracy"][^1]}");
        }
    }

    [Fact]
    public void Metrics_MatchHandComputedValues()
    {
        var scores = Tensor.FromArray(new float[] { 0.1f, 0.5f, 0.4f, 0.7f, 0.2f, 0.1f, 0.3f, 0.3f, 0.4f, 0.5f, 0.2f, 0.3f }, [4, 3]);
        var labels = Tensor.FromArray(new long[] { 2, 0, 0, 1 });
        var sparse = new SparseCategoricalAccuracy();
        sparse.Update(labels, scores);
        Assert.Equal(0.25, sparse.Result(), 12);                   // only row 1 (argmax 0 = label 0)
        var top2 = new SparseTopKCategoricalAccuracy(k: 2);
        top2.Update(labels, scores);
        Assert.Equal(0.75, top2.Result(), 12);                     // rows 0-2 have the label in their top 2 (row 2 ties count), row 3 ranks it third
        var onehot = Tensor.FromArray(new float[] { 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0 }, [4, 3]);
        var cat = new CategoricalAccuracy();
        cat.Update(onehot, scores);
        Assert.Equal(0.25, cat.Result(), 12);
        var topk = new TopKCategoricalAccuracy(k: 2);
        topk.Update(onehot, scores);
        Assert.Equal(0.75, topk.Result(), 12);
        // Streaming: a second batch is weighted by its size.
        sparse.Update(Tensor.FromArray(new long[] { 1, 1 }), Tensor.FromArray(new float[] { 0, 1, 0, 0, 1, 0 }, [2, 3]));
        Assert.Equal(3 / 6.0, sparse.Result(), 12);
        sparse.Reset();
        Assert.Equal(0, sparse.Result());

        var pred = Tensor.FromArray(new float[] { 0.2f, 0.9f, 0.6f, 0.4f }, [4, 1]);
        var truth = Tensor.FromArray(new float[] { 0, 1, 0, 1 });
        var bin = new BinaryAccuracy();
        bin.Update(truth, pred);
        Assert.Equal(0.5, bin.Result(), 12);
        var mae = new MeanAbsoluteError();
        mae.Update(truth, pred);
        Assert.Equal((0.2 + 0.1 + 0.6 + 0.6) / 4, mae.Result(), 6);
        var mse = new MeanSquaredError();
        mse.Update(truth, pred);
        Assert.Equal((0.04 + 0.01 + 0.36 + 0.36) / 4, mse.Result(), 6);
    }

    /// <summary>A custom metric by subclassing: the largest absolute error seen.</summary>
    sealed class MaxAbsError() : Metric("max_abs_error")
    {
        double max;
        public override void Update(Tensor yTrue, Tensor yPred) => max = Math.Max(max, yPred.Sub(yTrue).Abs().Max().Item());
        public override double Result() => max;
        public override void Reset() => max = 0;
    }

    [Fact]
    public void RegressionWithNamedAndCustomMetrics()
    {
        Tensor.ManualSeed(21);
        var x = Tensor.Rand(200, 1);
        var y = 3 * x.Squeeze(1) + 1;                               // [N] targets for a [N, 1] output: aligned as Keras does
        var model = new Sequential(new Dense(1, inputDim: 1));
        model.Compile(new Sgd(lr: 0.5), "mse", ["mae", new MaxAbsError()]);
        var h = model.Fit(x, y, epochs: 30, batchSize: 20, verbose: 0);
        Assert.Equal(["loss", "mae", "max_abs_error"], h.Keys);
        Assert.True(h["loss"][^1] < 0.01, $"mse {h["loss"][^1]}");
        var p = model.Predict(x).ToArray<float>();
        var t = y.ToArray<float>();
        var ev = model.Evaluate(x, y, verbose: 0);
        Assert.Equal(p.Zip(t).Average(a => (double)Math.Abs(a.First - a.Second)), ev["mae"], 5);
        Assert.Equal(p.Zip(t).Max(a => (double)Math.Abs(a.First - a.Second)), ev["max_abs_error"], 5);
        Assert.Equal(p.Zip(t).Average(a => Math.Pow(a.First - a.Second, 2)), ev.Loss, 5);
    }

    [Fact]
    public void CategoricalCrossentropy_OnOneHotTargets()
    {
        var (x, y) = Blobs(60, 8);
        var onehot = F.OneHot(y, 3).To(DType.Float32);
        Tensor.ManualSeed(1);
        var model = new Sequential(new Dense(3, inputDim: 5));
        model.Compile(new Adam(lr: 0.05), "categorical_crossentropy", ["accuracy", "top_k_categorical_accuracy"]);
        var h = model.Fit(x, onehot, epochs: 10, batchSize: 20, verbose: 0);
        Assert.True(h["accuracy"][^1] > 0.8);
        Assert.Equal(1.0, h["top_k_categorical_accuracy"][^1]);    // k = 5 > 3 classes
        var logits = model.Predict(x);
        Assert.Equal(F.CrossEntropy(logits, y).Item(), model.Evaluate(x, onehot, verbose: 0).Loss, 5);
    }

    static StateDict Copy(Module m)
    {
        var sd = new StateDict();
        foreach (var (k, v) in m.StateDict()) sd[k] = v.Clone();
        return sd;
    }

    static void AssertUnchanged(StateDict before, Module m)
    {
        foreach (var (k, v) in m.StateDict()) Assert.Equal(before[k].ToArray<float>(), v.ToArray<float>());
    }

    [Fact]
    public void BadInput_FailsBeforeTrainingWithClearErrors()
    {
        var (x, y) = Blobs(50, 9);
        var model = new Sequential(new Dense(3, inputDim: 5));
        var before = Copy(model);

        var e1 = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, verbose: 0));
        Assert.Contains("Compile", e1.Message);

        Assert.Contains("unknown loss 'sparse_crossentropy'", Assert.Throws<ArgumentException>(() => model.Compile("adam", "sparse_crossentropy")).Message);
        Assert.Contains("unknown metric 'acuracy'", Assert.Throws<ArgumentException>(() => model.Compile("adam", "mse", ["acuracy"])).Message);
        Assert.Contains("unknown optimizer", Assert.Throws<ArgumentException>(() => model.Compile("adamm", "mse")).Message);

        model.Compile(new Sgd(lr: 0.1), "sparse_categorical_crossentropy", ["accuracy"]);
        var e2 = Assert.Throws<ShapeMismatchException>(() => model.Fit(x, y.Narrow(0, 0, 40), verbose: 0));
        Assert.Contains("50", e2.Message);
        Assert.Contains("40", e2.Message);

        var onehot = F.OneHot(y, 3).To(DType.Float32);
        var e3 = Assert.Throws<ShapeMismatchException>(() => model.Fit(x, onehot, verbose: 0));
        Assert.Contains("categorical_crossentropy", e3.Message);

        var e4 = Assert.Throws<ShapeMismatchException>(() => model.Fit(x, y + 1, verbose: 0));
        Assert.Contains("range over [1, 3]", e4.Message);

        Assert.ThrowsAny<ArgumentException>(() => model.Fit(x.Narrow(1, 0, 4), y, verbose: 0));

        var e6 = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, callbacks: [new EarlyStopping(monitor: "val_loss")]));
        Assert.Contains("validationData", e6.Message);

        var mseModel = new Sequential(new Dense(3, inputDim: 5));
        mseModel.Compile("sgd", "mse");
        var e7 = Assert.Throws<ShapeMismatchException>(() => mseModel.Fit(x, y, verbose: 0));
        Assert.Contains("sparse_categorical_crossentropy", e7.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, validationSplit: 1.5, verbose: 0));
        Assert.Throws<ShapeMismatchException>(() => model.Fit(x, y, validationData: (x.Narrow(1, 0, 4), y), verbose: 0));
        AssertUnchanged(before, model);
    }
}
