using NativeNet.NN;

namespace NativeNet.Tests.NN;

public class ModuleTests
{
    static Sequential IssueNet() => new(new Conv2d(1, 4, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 3));

    sealed class TwoLayer : Module
    {
        public readonly Linear Fc1;
        public readonly Linear Fc2;
        public TwoLayer()
        {
            Fc1 = RegisterModule("fc1", new Linear(3, 5));
            Fc2 = RegisterModule("fc2", new Linear(5, 2));
            RegisterBuffer("scale", Tensor.Ones(2));
            RegisterBuffer("scratch", Tensor.Zeros(2), persistent: false);
        }
        public override Tensor Forward(Tensor x) => Fc2.Call(Fc1.Call(x).Relu()).Mul(GetBuffer("scale")!);
    }

    sealed class Forgetful : Module
    {
        readonly Linear hidden = new(2, 2);
        public override Tensor Forward(Tensor x) => hidden.Call(x);
    }

    sealed class LooseParameter : Module
    {
        readonly Parameter w = new(Tensor.Ones(2));
        public override Tensor Forward(Tensor x) => x.Mul(w);
    }

    sealed class PlainList : Module
    {
        readonly List<Module> layers = [new Linear(2, 2)];
        public override Tensor Forward(Tensor x) => layers[0].Call(x);
    }

    sealed class WithModuleList : Module
    {
        readonly ModuleList layers;
        public WithModuleList() => layers = RegisterModule("layers", new ModuleList(new Linear(2, 3), new Linear(3, 2)));
        public override Tensor Forward(Tensor x)
        {
            foreach (var l in layers) x = l.Call(x);
            return x;
        }
    }

    [Fact]
    public void IssueNetStateDictHasPyTorchKeysAndShapes()
    {
        var net = IssueNet();
        var state = net.StateDict();
        Assert.Equal(["0.weight", "0.bias", "4.weight", "4.bias"], state.Keys.ToArray());
        Assert.Equal([4, 1, 3, 3], state["0.weight"].Shape.ToArray());
        Assert.Equal([4], state["0.bias"].Shape.ToArray());
        Assert.Equal([3, 64], state["4.weight"].Shape.ToArray());
        Assert.Equal([3], state["4.bias"].Shape.ToArray());
        Assert.Equal(["0.weight", "0.bias", "4.weight", "4.bias"], net.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(4 * 9 + 4 + 3 * 64 + 3, net.ParameterCount);
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void NestedNamesBuffersAndPersistence()
    {
        var m = new TwoLayer();
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], m.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(["scale", "scratch"], m.NamedBuffers().Select(b => b.Name).ToArray());
        Assert.Equal(["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], m.StateDict().Keys.ToArray());
        Assert.Equal(["", "fc1", "fc2"], m.NamedModules().Select(x => x.Name).ToArray());
        Assert.Equal(["fc1", "fc2"], m.NamedChildren().Select(x => x.Name).ToArray());
        Assert.Equal(2, m.Parameters(recurse: false).Count() + 2);
    }

    [Fact]
    public void BatchNormStateDictIncludesRunningStatsWithInt64Counter()
    {
        var net = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        var sd = net.StateDict();
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], sd.Keys.ToArray());
        Assert.Equal(DType.Int64, sd["1.num_batches_tracked"].DType);
        Assert.Equal(0, sd["1.num_batches_tracked"].Dim);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], net.NamedParameters().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void LoadStateDictCopiesValuesInPlace()
    {
        var a = IssueNet();
        var b = IssueNet();
        var weightBefore = b[4].Parameters().First();
        b.LoadStateDict(a.StateDict());
        Assert.Same(weightBefore, b[4].Parameters().First());
        foreach (var ((n1, p1), (n2, p2)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(p1.ToArray<float>(), p2.ToArray<float>());
            Assert.NotSame(p1, p2);
        }
    }

    [Fact]
    public void LoadStateDictReportsMissingUnexpectedAndShapeMismatches()
    {
        var net = IssueNet();
        var state = net.StateDict();
        state.Remove("4.bias");
        state["5.weight"] = Tensor.Zeros(2);
        var ex = Assert.Throws<StateDictMismatchException>(() => net.LoadStateDict(state));
        Assert.Contains("\"4.bias\"", ex.Message);
        Assert.Contains("\"5.weight\"", ex.Message);
        Assert.Equal(["4.bias"], ex.MissingKeys);
        Assert.Equal(["5.weight"], ex.UnexpectedKeys);

        var (missing, unexpected) = net.LoadStateDict(state, strict: false);
        Assert.Equal(["4.bias"], missing);
        Assert.Equal(["5.weight"], unexpected);

        var bad = net.StateDict();
        bad["4.weight"] = Tensor.Zeros(3, 65);
        var shapeEx = Assert.Throws<StateDictMismatchException>(() => net.LoadStateDict(bad, strict: false));
        Assert.Contains("4.weight", shapeEx.Message);
        Assert.Contains("[3, 65]", shapeEx.Message);
        Assert.Contains("[3, 64]", shapeEx.Message);
        // Nothing was copied when the load failed.
        Assert.NotEqual(0f, net[4].Parameters().First().ToArray<float>().Select(Math.Abs).Sum());
    }

    [Fact]
    public void UnregisteredModuleFieldThrowsOnFirstCallNamingTheField()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new Forgetful().Call(Tensor.Ones(1, 2)));
        Assert.Contains("Forgetful.hidden", ex.Message);
        Assert.Contains("RegisterModule", ex.Message);
        var pex = Assert.Throws<InvalidOperationException>(() => new LooseParameter().Call(Tensor.Ones(2)));
        Assert.Contains("LooseParameter.w", pex.Message);
        var lex = Assert.Throws<InvalidOperationException>(() => new PlainList().Call(Tensor.Ones(1, 2)));
        Assert.Contains("ModuleList", lex.Message);
        using var y = new WithModuleList().Call(Tensor.Ones(1, 2));
        Assert.Equal([1, 2], y.Shape.ToArray());
        Assert.Equal(4, new WithModuleList().Parameters().Count());
    }

    [Fact]
    public void TrainEvalSwitchesEveryModule()
    {
        var net = new Sequential(new Linear(4, 4), new Dropout(0.5), new Sequential(new BatchNorm1d(4)));
        Assert.All(net.Modules(), m => Assert.True(m.IsTraining));
        net.Eval();
        Assert.All(net.Modules(), m => Assert.False(m.IsTraining));
        net.Train();
        Assert.All(net.Modules(), m => Assert.True(m.IsTraining));
    }

    [Fact]
    public void HooksRunAroundForwardAndCanBeRemoved()
    {
        var lin = new Linear(2, 2);
        var seen = new List<string>();
        var pre = lin.RegisterForwardPreHook((m, xs) => { seen.Add("pre"); return null; });
        var post = lin.RegisterForwardHook((m, xs, y) => { seen.Add("post"); return y.Mul(0.0); });
        using (var y = lin.Call(Tensor.Ones(1, 2))) Assert.Equal([0f, 0f], y.ToArray<float>());
        Assert.Equal(["pre", "post"], seen);
        pre.Dispose();
        post.Dispose();
        using (var y = lin.Call(Tensor.Ones(1, 2))) Assert.NotEqual(0f, y.ToArray<float>().Select(Math.Abs).Sum());
        Assert.Equal(2, seen.Count);

        var names = new List<string>();
        using (Module.RegisterGlobalForwardHook((m, xs, y) => { names.Add(m.GetType().Name); return null; }))
            new Sequential(new Linear(2, 2), new Relu()).Call(Tensor.Ones(1, 2));
        Assert.Equal(["Linear", "Relu", "Sequential"], names);
    }

    [Fact]
    public void ToDTypeReplacesParametersAndKeepsIntegerBuffers()
    {
        var m = new TwoLayer();
        var bn = new BatchNorm1d(3);
        var net = new Sequential(m, bn);
        var before = m.Fc1.Weight.ToArray<float>();
        net.To(DType.Float64);
        Assert.All(net.Parameters(), p => Assert.Equal(DType.Float64, p.DType));
        Assert.Equal(DType.Float64, bn.RunningMean!.DType);
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        Assert.Equal(before.Select(v => (double)v), m.Fc1.Weight.ToArray<double>());
        Assert.Same(m.Fc1, m.NamedChildren().First().Module);
        using var y = m.Call(Tensor.Ones([2, 3], DType.Float64));
        Assert.Equal(DType.Float64, y.DType);
    }

    [Fact]
    public void ZeroGradClearsOrZeroes()
    {
        var lin = new Linear(3, 2);
        using (var l = lin.Call(Tensor.Ones(4, 3)).Sum()) l.Backward();
        Assert.NotNull(lin.Weight.Grad);
        lin.ZeroGrad(setToNone: false);
        Assert.All(lin.Weight.Grad!.ToArray<float>(), v => Assert.Equal(0f, v));
        var g = lin.Weight.Grad;
        lin.ZeroGrad();
        Assert.Null(lin.Weight.Grad);
        Assert.True(g.IsDisposed);
    }

    [Fact]
    public void LazyLinearInfersInputSizeOnFirstCallOrOnLoad()
    {
        var lazy = new Linear(4);
        Assert.False(lazy.IsBuilt);
        Assert.Empty(lazy.Parameters());
        Assert.Throws<InvalidOperationException>(() => lazy.Weight);
        using (var y = lazy.Call(Tensor.Ones(2, 7))) Assert.Equal([2, 4], y.Shape.ToArray());
        Assert.Equal(7, lazy.InFeatures);
        Assert.Equal([4, 7], lazy.Weight.Shape.ToArray());
        Assert.Equal(["weight", "bias"], lazy.StateDict().Keys.ToArray());

        var other = new Linear(4);
        other.LoadStateDict(lazy.StateDict());
        Assert.Equal(lazy.Weight.ToArray<float>(), other.Weight.ToArray<float>());
        Assert.Equal(lazy.Bias!.ToArray<float>(), other.Bias!.ToArray<float>());
    }

    [Fact]
    public void LinearDefaultInitIsBoundedByInverseSqrtFanIn()
    {
        Tensor.ManualSeed(3);
        var lin = new Linear(100, 50);
        double bound = 1 / Math.Sqrt(100);
        var w = lin.Weight.ToArray<float>();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.9 * bound && w.Min() < -0.9 * bound);
        Assert.All(lin.Bias!.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        var conv = new Conv2d(3, 8, 3);
        double cb = 1 / Math.Sqrt(27);
        Assert.All(conv.Weight.ToArray<float>(), v => Assert.InRange(v, -cb, cb));
    }

    [Fact]
    public void SequentialApi()
    {
        var seq = new Sequential { new Linear(2, 3), new Relu() };
        seq.Add(new Linear(3, 1));
        Assert.Equal(3, seq.Count);
        Assert.IsType<Relu>(seq[1]);
        Assert.IsType<Linear>(seq[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => seq[3]);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.StateDict().Keys.ToArray());
        var named = new Sequential([("enc", (Module)new Linear(2, 2)), ("act", new Tanh())]);
        Assert.Equal(["enc.weight", "enc.bias"], named.StateDict().Keys.ToArray());
        Assert.Contains("(0): Linear(in_features=2, out_features=3, bias=True)", seq.ToString());
    }

    [Fact]
    public void ParametersAreNeverScopeOwned()
    {
        Linear lin;
        using (Tensor.Scope()) lin = new Linear(3, 3);
        Assert.False(lin.Weight.IsDisposed);
        using var y = lin.Call(Tensor.Ones(1, 3));
        Assert.Equal([1, 3], y.Shape.ToArray());
    }

    [Fact]
    public void LossNeedsTwoInputs()
    {
        var mse = new MseLoss();
        Assert.Throws<ArgumentException>(() => mse.Call(Tensor.Ones(2)));
        Assert.Throws<ArgumentException>(() => new MseLoss("avg"));
    }
}
