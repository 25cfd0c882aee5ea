using NativeNet.NN;
using NativeNet.Optim;
using static NativeNet.Tests.NN.NnFixtures;

namespace NativeNet.Tests.Optim;

/// <summary>Optimizer trajectories against PyTorch 1.13 on mean((X·Wᵀ + b - Y)²) + 0.05·ΣW⁴ (tools/reference/nn_fixtures.py).</summary>
public class OptimizerTests
{
    static readonly Dictionary<string, Func<IEnumerable<Parameter>, Optimizer>> Configs = new()
    {
        ["sgd"] = ps => new Sgd(ps, lr: 0.1),
        ["sgd_momentum"] = ps => new Sgd(ps, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        ["sgd_nesterov"] = ps => new Sgd(ps, lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        ["sgd_maximize"] = ps => new Sgd(ps, lr: 0.02, momentum: 0.5, maximize: true),
        ["adam"] = ps => new Adam(ps, lr: 0.01),
        ["adam_wd_amsgrad"] = ps => new Adam(ps, lr: 0.01, betas: (0.8, 0.99), eps: 1e-6, weightDecay: 0.1, amsgrad: true),
        ["adamw"] = ps => new AdamW(ps, lr: 0.01, weightDecay: 0.1),
        ["adamw_amsgrad"] = ps => new AdamW(ps, lr: 0.02, amsgrad: true),
        ["rmsprop"] = ps => new RmsProp(ps, lr: 0.01),
        ["rmsprop_centered_momentum"] = ps => new RmsProp(ps, lr: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.5, centered: true),
    };

    public static TheoryData<string> Names => new(Configs.Keys);

    static (Tensor X, Tensor Y, Parameter W, Parameter B) Problem() =>
        (Load("optim/problem", "X"), Load("optim/problem", "Y"), new Parameter(Load("optim/problem", "W")), new Parameter(Load("optim/problem", "b")));

    static Tensor LossFn(Tensor x, Tensor y, Tensor w, Tensor b) =>
        x.MatMul(w.T).Add(b).Sub(y).Square().Mean().Add(w.Pow(4).Sum().Mul(0.05));

    [Theory]
    [MemberData(nameof(Names))]
    public void TrajectoryMatchesPyTorch(string name)
    {
        var (x, y, w, b) = Problem();
        var opt = Configs[name]([w, b]);
        var ws = Load("optim/" + name, "W");
        var bs = Load("optim/" + name, "b");
        for (int step = 0; step < ws.Shape[0]; step++)
        {
            opt.ZeroGrad();
            using (var loss = LossFn(x, y, w, b)) loss.Backward();
            opt.Step();
            AssertClose(ws[step], w, 2e-5, 2e-6, $"{name} W after step {step + 1}");
            AssertClose(bs[step], b, 2e-5, 2e-6, $"{name} b after step {step + 1}");
        }
    }

    [Fact]
    public void SgdWithStepLRMatchesPyTorch()
    {
        var (x, y, w, b) = Problem();
        var opt = new Sgd([w, b], lr: 0.1, momentum: 0.9);
        var sched = new StepLR(opt, stepSize: 3, gamma: 0.5);
        var ws = Load("optim/sgd_steplr", "W");
        for (int step = 0; step < ws.Shape[0]; step++)
        {
            opt.ZeroGrad();
            using (var loss = LossFn(x, y, w, b)) loss.Backward();
            opt.Step();
            sched.Step();
            AssertClose(ws[step], w, 2e-5, 2e-6, $"W after step {step + 1}");
        }
    }

    [Fact]
    public void LargeParameterUsesTheParallelVectorPathAndMatchesScalarMath()
    {
        // 100 003 elements: parallel chunks with vector bodies and scalar tails; compare with the same rule in double.
        int n = 100_003;
        Tensor.ManualSeed(5);
        var p = new Parameter(Tensor.Randn(n));
        var g = Tensor.Randn(n);
        var p0 = p.ToArray<float>();
        var gv = g.ToArray<float>();
        var opt = new Adam([p], lr: 0.01, weightDecay: 0.1, amsgrad: true);
        p.Grad = g;
        opt.Step();
        opt.Step();
        var got = p.ToArray<float>();
        for (int i = 0; i < n; i += 997)
        {
            double pi = p0[i], m = 0, v = 0, vmax = 0;
            for (int s = 1; s <= 2; s++)
            {
                double gi = gv[i] + 0.1 * pi;
                m = 0.9 * m + 0.1 * gi;
                v = 0.999 * v + 0.001 * gi * gi;
                vmax = Math.Max(vmax, v);
                pi -= 0.01 / (1 - Math.Pow(0.9, s)) * m / (Math.Sqrt(vmax) / Math.Sqrt(1 - Math.Pow(0.999, s)) + 1e-8);
            }
            Assert.Equal(pi, got[i], 4);
        }
        Assert.Equal(2, opt.State(p)!.Step);
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], opt.State(p)!.Tensors.Keys.ToArray());
    }

    [Fact]
    public void UnboundOptimizerBindsLaterLikeKerasCompile()
    {
        var opt = new Adam(lr: 1e-3);
        Assert.Empty(opt.ParamGroups);
        Assert.Throws<InvalidOperationException>(() => opt.Step());
        var lin = new Linear(3, 1);
        opt.AddParamGroup(lin.Parameters());
        Assert.Equal(1e-3, opt.ParamGroups[0].Lr);
        using (var l = lin.Call(Tensor.Ones(2, 3)).Sum()) l.Backward();
        var before = lin.Weight.ToArray<float>();
        opt.Step();
        Assert.NotEqual(before, lin.Weight.ToArray<float>());
        Assert.Throws<ArgumentException>(() => opt.AddParamGroup(lin.Parameters()));
        Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Parameter>()));
    }

    [Fact]
    public void ParamGroupsHaveTheirOwnLrAndLrSetterSetsAll()
    {
        var a = new Parameter(Tensor.Ones(2));
        var b = new Parameter(Tensor.Ones(2));
        var opt = new Sgd([a], lr: 0.1);
        opt.AddParamGroup([b], lr: 1.0);
        a.Grad = Tensor.Ones(2);
        b.Grad = Tensor.Ones(2);
        opt.Step();
        Assert.Equal([0.9f, 0.9f], a.ToArray<float>());
        Assert.Equal([0f, 0f], b.ToArray<float>());
        opt.Lr = 0.5;
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.5, g.Lr));
    }

    [Fact]
    public void ZeroGradDisposesGradientsAndStepSkipsParametersWithoutGrad()
    {
        var a = new Parameter(Tensor.Ones(3));
        var opt = new Sgd([a], lr: 1, momentum: 0.9);
        opt.Step();
        Assert.Equal([1f, 1f, 1f], a.ToArray<float>());
        a.Grad = Tensor.Ones(3);
        var g = a.Grad;
        opt.ZeroGrad();
        Assert.Null(a.Grad);
        Assert.True(g.IsDisposed);
        a.Grad = Tensor.Ones(3);
        opt.ZeroGrad(setToNone: false);
        Assert.Equal([0f, 0f, 0f], a.Grad!.ToArray<float>());
    }

    [Fact]
    public void ModuleToAfterOptimizerFailsLoudly()
    {
        var lin = new Linear(2, 2);
        var opt = new Sgd(lin.Parameters(), lr: 0.1);
        lin.To(DType.Float64);
        var ex = Assert.Throws<InvalidOperationException>(() => opt.Step());
        Assert.Contains("create the optimizer after moving", ex.Message);
    }

    [Fact]
    public void StateDictRoundTripContinuesTheSameTrajectory()
    {
        var (x, y, w, b) = Problem();
        var opt = new Adam([w, b], lr: 0.01);
        void Run(Optimizer o, Parameter pw, Parameter pb)
        {
            o.ZeroGrad();
            using (var loss = LossFn(x, y, pw, pb)) loss.Backward();
            o.Step();
        }
        for (int i = 0; i < 3; i++) Run(opt, w, b);
        var sd = opt.StateDict();
        Assert.Equal(3, sd["state.0.step"].Item<long>());
        Assert.Equal(new long[] { 0, 1 }, sd["param_groups.0.params"].ToArray<long>());
        Assert.Equal(0.01, sd["param_groups.0.lr"].Item());

        var w2 = new Parameter(w.Clone().Detach());
        var b2 = new Parameter(b.Clone().Detach());
        var opt2 = new Adam([w2, b2], lr: 0.5);
        opt2.LoadStateDict(sd);
        Assert.Equal(0.01, opt2.Lr);
        Run(opt, w, b);
        Run(opt2, w2, b2);
        Assert.Equal(w.ToArray<float>(), w2.ToArray<float>());
        Assert.Equal(b.ToArray<float>(), b2.ToArray<float>());
    }

    [Fact]
    public void InvalidHyperParametersThrow()
    {
        var p = new[] { new Parameter(Tensor.Ones(1)) };
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(p, lr: -1));
        Assert.Throws<ArgumentException>(() => new Sgd(p, lr: 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(p, beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(p, alpha: -0.1));
    }

    [Fact]
    public void Float64ParametersUseTheDoubleKernel()
    {
        var p = new Parameter(Tensor.FromArray(new[] { 1.0, -2.0, 3.0 }));
        var opt = new RmsProp([p], lr: 0.1, momentum: 0.5, centered: true);
        p.Grad = Tensor.FromArray(new[] { 0.5, 0.5, -1.0 });
        opt.Step();
        // First step: sq = 0.01·g², ga = 0.01·g, avg = sqrt(sq - ga²) + eps, buf = g/avg, p -= lr·buf.
        var expected = new[] { 1.0, -2.0, 3.0 }.Zip(new[] { 0.5, 0.5, -1.0 }, (x, g) =>
        {
            double sq = 0.01 * g * g, ga = 0.01 * g, avg = Math.Sqrt(sq - ga * ga) + 1e-8;
            return x - 0.1 * (g / avg);
        }).ToArray();
        var got = p.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 12);
    }
}
