using System.Text.Json;
using NativeNet.NN;
using NativeNet.Optim;
using static NativeNet.Tests.NN.NnFixtures;

namespace NativeNet.Tests.NN;

/// <summary>
/// NN functions, the small CNN, clipping and optimizer trajectories against the shared fixtures of
/// tools/reference/make_fixtures.py (tests/fixtures/&lt;case&gt;, described in tests/fixtures/README.md).
/// </summary>
public class SharedFixtureTests
{
    static (double Rtol, double Atol) Tol(JsonElement c) =>
        (c.GetProperty("tolerance").GetProperty("rtol").GetDouble(), c.GetProperty("tolerance").GetProperty("atol").GetDouble());

    /// <summary>Runs an op case: inputs in order, output, and grads of (out * upstream).sum().</summary>
    static void OpCase(string name, Func<Tensor[], Tensor> op)
    {
        var c = SharedCaseJson(name);
        var (rtol, atol) = Tol(c);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(i =>
        {
            var t = LoadShared(name, i.GetProperty("file").GetString()!);
            if (i.GetProperty("requires_grad").GetBoolean()) t.RequiresGrad = true;
            return t;
        }).ToArray();
        var before = inputs.Select(t => t.Clone().Detach()).ToArray();
        var y = op(inputs);
        AssertClose(LoadShared(name, "out.npy"), y, rtol, atol, name + " out");
        y.Mul(LoadShared(name, "upstream.npy")).Sum().Backward();
        foreach (var g in c.GetProperty("grads").EnumerateArray())
        {
            int k = int.Parse(g.GetProperty("of").GetString()!["in".Length..]);
            AssertClose(LoadShared(name, g.GetProperty("file").GetString()!), inputs[k].Grad!, rtol * 10, atol * 10, $"{name} grad of in{k}");
        }
        foreach (var o in c.GetProperty("outputs").EnumerateArray().Skip(1))
        {
            // Extra outputs are updated inputs (batch-norm running stats).
            string oname = o.GetProperty("name").GetString()!;
            int k = c.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()).ToList().IndexOf(oname);
            AssertClose(LoadShared(name, o.GetProperty("file").GetString()!), inputs[k], rtol, atol, $"{name} {oname}");
            Assert.False(before[k].ToArray<double>().SequenceEqual(inputs[k].ToArray<double>()));
        }
    }

    [Fact] public void CrossEntropyMean() => OpCase("cross_entropy_mean", x => F.CrossEntropy(x[0], x[1]));
    [Fact] public void CrossEntropyLabelSmoothing() => OpCase("cross_entropy_label_smoothing", x => F.CrossEntropy(x[0], x[1], labelSmoothing: 0.1));
    [Fact] public void NllLossMean() => OpCase("nll_loss_mean", x => F.NllLoss(x[0], x[1]));
    [Fact] public void BceWithLogitsMean() => OpCase("bce_with_logits_mean", x => F.BinaryCrossEntropyWithLogits(x[0], x[1]));
    [Fact] public void MseLossMean() => OpCase("mse_loss_mean", x => F.MseLoss(x[0], x[1]));
    [Fact] public void BatchNormTrain() => OpCase("batch_norm2d_train", x => F.BatchNorm(x[0], x[1], x[2], x[3], x[4], training: true, momentum: 0.1, eps: 1e-5));
    [Fact] public void BatchNormEval() => OpCase("batch_norm2d_eval", x => F.BatchNorm(x[0], x[1], x[2], x[3], x[4], training: false, momentum: 0.1, eps: 1e-5));
    [Fact] public void LayerNormLast() => OpCase("layer_norm_last", x => F.LayerNorm(x[0], [6], x[1], x[2], 1e-5));
    [Fact] public void LayerNormLast2() => OpCase("layer_norm_last2", x => F.LayerNorm(x[0], [5, 6], x[1], x[2], 1e-5));
    [Fact] public void Embedding() => OpCase("embedding", x => F.Embedding(x[0], x[1]));
    [Fact] public void GeluErf() => OpCase("gelu_erf", x => F.Gelu(x[0]));

    static Sequential SmallCnn() => new(new Conv2d(1, 4, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 3));

    static Sequential LoadedCnn(string @case, string prefix)
    {
        var net = SmallCnn();
        var sd = new StateDict();
        foreach (var k in net.StateDict().Keys) sd[k] = LoadShared(@case, prefix + k + ".npy");
        net.LoadStateDict(sd);
        return net;
    }

    [Fact]
    public void SmallCnnModelCase()
    {
        const string c = "model_small_cnn";
        var (rtol, atol) = Tol(SharedCaseJson(c));
        var net = LoadedCnn(c, "");
        var logits = net.Call(LoadShared(c, "input.npy"));
        AssertClose(LoadShared(c, "logits.npy"), logits, rtol, atol, "logits");
        var loss = new CrossEntropyLoss().Call(logits, LoadShared(c, "targets.npy"));
        AssertClose(LoadShared(c, "loss.npy"), loss, rtol, atol, "loss");
        loss.Backward();
        foreach (var (k, p) in net.NamedParameters()) AssertClose(LoadShared(c, "grad_" + k + ".npy"), p.Grad!, rtol, atol, "grad " + k);
    }

    [Fact]
    public void ClipGradNormCase()
    {
        const string c = "clip_grad_norm";
        var json = SharedCaseJson(c);
        var (rtol, atol) = Tol(json);
        var net = SmallCnn();
        foreach (var (k, p) in net.NamedParameters()) p.Grad = LoadShared(c, "grad_" + k + ".npy");
        double total = ClipGrad.ClipGradNorm(net.Parameters(), json.GetProperty("max_norm").GetDouble(), json.GetProperty("norm_type").GetDouble());
        AssertClose(LoadShared(c, "total_norm.npy"), Tensor.Scalar(total, DType.Float64), rtol, atol, "total norm");
        foreach (var (k, p) in net.NamedParameters()) AssertClose(LoadShared(c, "clipped_" + k + ".npy"), p.Grad!, rtol, atol, "clipped " + k);
    }

    public static TheoryData<string> OptimizerCases => new(
        Directory.GetDirectories(SharedCase("."))
            .Where(d => File.Exists(Path.Combine(d, "case.json")))
            .Select(Path.GetFileName)
            .Where(n => SharedCaseJson(n!).GetProperty("kind").GetString() == "optimizer")
            .Select(n => n!).Order());

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void OptimizerTrajectory(string name)
    {
        var c = SharedCaseJson(name);
        var (rtol, atol) = Tol(c);
        var h = c.GetProperty("hyperparameters");
        double H(string k, double d = 0) => h.TryGetProperty(k, out var v) ? (v.ValueKind == JsonValueKind.True ? 1 : v.ValueKind == JsonValueKind.False ? 0 : v.GetDouble()) : d;
        var x = LoadShared(name, "x.npy");
        var y = LoadShared(name, "y.npy");
        var w = new Parameter(LoadShared(name, "w0.npy"));
        var b = new Parameter(LoadShared(name, "b0.npy"));
        Parameter[] ps = [w, b];
        (double, double) betas = h.TryGetProperty("betas", out var bt) ? (bt[0].GetDouble(), bt[1].GetDouble()) : (0.9, 0.999);
        Optimizer opt = c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => new Sgd(ps, H("lr"), H("momentum"), H("dampening"), H("weight_decay"), H("nesterov") != 0),
            "Adam" => new Adam(ps, H("lr"), betas, H("eps"), H("weight_decay"), H("amsgrad") != 0),
            "AdamW" => new AdamW(ps, H("lr"), betas, H("eps"), H("weight_decay"), H("amsgrad") != 0),
            "RMSprop" => new RmsProp(ps, H("lr"), H("alpha"), H("eps"), H("weight_decay"), H("momentum"), H("centered") != 0),
            var other => throw new InvalidOperationException("unknown optimizer " + other),
        };
        LRScheduler? sched = null;
        if (c.GetProperty("scheduler") is { ValueKind: JsonValueKind.Object } s)
            sched = s.GetProperty("type").GetString() switch
            {
                "StepLR" => new StepLR(opt, s.GetProperty("step_size").GetInt32(), s.GetProperty("gamma").GetDouble()),
                "CosineAnnealingLR" => new CosineAnnealingLR(opt, s.GetProperty("T_max").GetInt32(), s.GetProperty("eta_min").GetDouble()),
                var other => throw new InvalidOperationException("unknown scheduler " + other),
            };
        var ws = LoadShared(name, "w.npy").ToArray<double>();
        var bs = LoadShared(name, "b.npy").ToArray<double>();
        var losses = LoadShared(name, "loss.npy").ToArray<double>();
        var lrs = LoadShared(name, "lr.npy").ToArray<double>();
        int steps = c.GetProperty("steps").GetInt32();
        for (int i = 0; i < steps; i++)
        {
            Assert.Equal(lrs[i], opt.Lr, 15);
            opt.ZeroGrad();
            var loss = x.MatMul(w).Add(b).Sub(y).Square().Mean().Add(w.Pow(3).Sum().Mul(0.01));
            Assert.True(Math.Abs(loss.Item() - losses[i]) <= atol + rtol * Math.Abs(losses[i]), $"{name} loss at step {i}: {loss.Item():R} vs {losses[i]:R}");
            loss.Backward();
            opt.Step();
            sched?.Step();
            AssertClose(Tensor.FromArray(ws[(i * 6)..((i + 1) * 6)], [3, 2]), w, rtol, atol, $"{name} w after step {i + 1}");
            AssertClose(Tensor.FromArray(bs[(i * 2)..((i + 1) * 2)], [2]), b, rtol, atol, $"{name} b after step {i + 1}");
        }
    }
}
