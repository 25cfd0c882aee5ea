using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Tests.Cuda;

/// <summary>
/// The backend conformance suite, parameterized by device: every op (and its gradient) runs on the device under test and
/// on the CPU backend, the reference, and the results must agree. Between them the cases reach every IBackend method
/// (copy/cast, fill, unary, binary with broadcasting, scalar ops, clamp, where, reductions, softmax, GEMM, convolution,
/// pooling, index ops, random, optimizer steps, host transfers). On "cpu" the suite is a sanity check of the harness
/// (CPU against CPU); on "cuda:0" each case skips with the probe's reason when no CUDA device is found.
/// </summary>
[Collection("Serial")]  // random cases reseed the global generator
public class BackendConformanceTests
{
    public static readonly string[] Devices = ["cpu", "cuda:0"];

    /// <summary>One conformance case: inputs made on the CPU, the op, whether gradients are compared, the tolerance.</summary>
    internal sealed record OpCase(Func<Tensor[]> Inputs, Func<Tensor[], Tensor> F, bool Grad = true, double Tol = 1e-9);

    static Tensor R(int seed, params int[] shape) => Values(seed, shape, -2, 2, DType.Float64);

    static Tensor Pos(int seed, params int[] shape) => Values(seed, shape, 0.2, 2, DType.Float64);

    static Tensor R32(int seed, params int[] shape) => Values(seed, shape, -2, 2, DType.Float32);

    static Tensor Values(int seed, int[] shape, double lo, double hi, DType dtype)
    {
        var rng = new Random(seed);
        var v = new double[ShapeOf(shape)];
        for (int i = 0; i < v.Length; i++) v[i] = lo + (hi - lo) * rng.NextDouble();
        using var t = Tensor.FromArray(v, shape);
        return t.To(dtype).Clone();
    }

    static int ShapeOf(int[] s) => s.Aggregate(1, (a, b) => a * b);

    static Tensor Ints(int seed, long lo, long hi, params int[] shape)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, ShapeOf(shape)).Select(_ => rng.NextInt64(lo, hi)).ToArray(), shape);
    }

    static Tensor Bools(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, ShapeOf(shape)).Select(_ => rng.Next(2) == 1).ToArray(), shape);
    }

    static readonly Dictionary<string, OpCase> Cases = Build();

    static Dictionary<string, OpCase> Build()
    {
        var c = new Dictionary<string, OpCase>();
        void Unary(string name, Func<Tensor, Tensor> f, bool positive = false, bool grad = true)
            => c[name] = new OpCase(() => [positive ? Pos(1, 3, 5) : R(1, 3, 5)], t => f(t[0]), grad);

        // ---------------------------------------------------------------- elementwise
        Unary("neg", x => x.Neg());
        Unary("abs", x => x.Abs());
        Unary("exp", x => x.Exp());
        Unary("log", x => x.Log(), positive: true);
        Unary("sqrt", x => x.Sqrt(), positive: true);
        Unary("rsqrt", x => x.Rsqrt(), positive: true);
        Unary("tanh", x => x.Tanh());
        Unary("sigmoid", x => x.Sigmoid());
        Unary("relu", x => x.Relu());
        Unary("sin", x => x.Sin());
        Unary("cos", x => x.Cos());
        Unary("floor", x => x.Floor());
        Unary("ceil", x => x.Ceil());
        Unary("round", x => x.Round());
        Unary("sign", x => x.Sign());
        Unary("reciprocal", x => x.Reciprocal(), positive: true);
        Unary("erf", x => x.Erf());
        Unary("log1p", x => x.Log1p(), positive: true);
        Unary("expm1", x => x.Expm1());
        Unary("square", x => x.Square());
        Unary("gelu", x => x.Gelu());
        Unary("gelu_tanh", x => x.Gelu("tanh"));
        Unary("silu", x => x.Silu());
        Unary("leaky_relu", x => x.LeakyRelu(0.1));
        Unary("elu", x => x.Elu());
        Unary("softplus", x => x.Softplus());
        Unary("clamp", x => x.Clamp(-0.5, 0.7));
        Unary("pow_scalar", x => x.Pow(3));
        Unary("pow_fraction", x => x.Pow(0.7), positive: true);
        Unary("add_scalar", x => x.Add(1.25));
        Unary("rsub_scalar", x => x.RSub(1.0));
        Unary("mul_scalar", x => x.Mul(-3.0));
        Unary("div_scalar", x => x.Div(4.0));
        Unary("rdiv_scalar", x => x.RDiv(2.0), positive: true);
        Unary("remainder_scalar", x => x.Remainder(0.7));
        Unary("lt_scalar", x => x.Lt(0.3), grad: false);
        c["neg_int"] = new OpCase(() => [Ints(2, -50, 50, 4, 3)], t => t[0].Neg(), false, 0);
        c["abs_int"] = new OpCase(() => [Ints(2, -50, 50, 4, 3)], t => t[0].Abs(), false, 0);
        c["remainder_int"] = new OpCase(() => [Ints(3, -50, 50, 4, 3)], t => t[0].Remainder(7), false, 0);
        c["eq_int_scalar"] = new OpCase(() => [Ints(4, 0, 4, 20)], t => t[0].Eq(2), false, 0);
        c["logical_not"] = new OpCase(() => [Bools(5, 3, 4)], t => t[0].LogicalNot(), false, 0);

        void Binary(string name, Func<Tensor, Tensor, Tensor> f, bool positiveA = false, bool grad = true)
            => c[name] = new OpCase(() => [positiveA ? Pos(6, 3, 1, 4) : R(6, 3, 1, 4), R(7, 2, 4)], t => f(t[0], t[1]), grad);
        Binary("add_broadcast", (a, b) => a.Add(b));
        Binary("sub_broadcast", (a, b) => a.Sub(b));
        Binary("mul_broadcast", (a, b) => a.Mul(b));
        Binary("div_broadcast", (a, b) => a.Div(b.Abs().Add(0.5)));
        Binary("pow_tensor", (a, b) => a.Pow(b), positiveA: true);
        Binary("maximum", (a, b) => a.Maximum(b));
        Binary("minimum", (a, b) => a.Minimum(b));
        Binary("lt", (a, b) => a.Lt(b), grad: false);
        Binary("eq", (a, b) => a.Round().Eq(b.Round()), grad: false);
        Binary("ge", (a, b) => a.Ge(b), grad: false);
        c["logical_and"] = new OpCase(() => [Bools(8, 3, 4), Bools(9, 4)], t => t[0].LogicalAnd(t[1]), false, 0);
        c["logical_xor"] = new OpCase(() => [Bools(8, 3, 4), Bools(9, 3, 1)], t => t[0].LogicalXor(t[1]), false, 0);
        c["add_int_broadcast"] = new OpCase(() => [Ints(10, -9, 9, 2, 3), Ints(11, -9, 9, 3)], t => t[0].Add(t[1]).Mul(t[1]), false, 0);
        c["where"] = new OpCase(() => [Bools(12, 3, 1), R(13, 3, 4), R(14, 4)], t => Tensor.Where(t[0], t[1], t[2]));

        // ---------------------------------------------------------------- copies, casts, views
        c["cast_chain"] = new OpCase(() => [R(15, 3, 4)], t => t[0].Mul(10).To(DType.Float32).To(DType.Int64).To(DType.Float64), false, 0);
        c["cast_to_bool"] = new OpCase(() => [R(16, 3, 4)], t => t[0].Round().To(DType.Bool), false, 0);
        c["permute_contiguous"] = new OpCase(() => [R(17, 2, 3, 4)], t => t[0].Permute(2, 0, 1).Contiguous().Mul(2.0));
        c["slice_step"] = new OpCase(() => [R(18, 6, 5)], t => t[0].Slice(0, 1, 6, 2).Slice(1, 0, 5, 3).Contiguous());
        c["expand_add"] = new OpCase(() => [R(19, 3, 1), R(20, 1, 4)], t => t[0].Expand(3, 4).Add(t[1]));
        c["cat"] = new OpCase(() => [R(21, 2, 3), R(22, 4, 3)], t => Tensor.Cat([t[0], t[1].Mul(2.0)], 0));
        c["stack"] = new OpCase(() => [R(23, 2, 3), R(24, 2, 3)], t => Tensor.Stack([t[0], t[1]], 1));
        c["copy_from_broadcast"] = new OpCase(() => [R(25, 4)], t =>
        {
            var y = Tensor.Zeros([3, 4], DType.Float64, t[0].Device);
            return y.CopyFrom(t[0]);
        }, false);

        // ---------------------------------------------------------------- reductions and softmax
        c["sum_all"] = new OpCase(() => [R(30, 3, 4, 5)], t => t[0].Sum());
        c["sum_dim_keep"] = new OpCase(() => [R(31, 3, 4, 5)], t => t[0].Sum(1, keepDim: true));
        c["mean_dims"] = new OpCase(() => [R(32, 3, 4, 5)], t => t[0].Mean([0, 2]));
        c["sum_long_axis"] = new OpCase(() => [R(33, 5000)], t => t[0].Sum(), true, 1e-10);  // multi-pass on the GPU
        c["sum_int"] = new OpCase(() => [Ints(34, -100, 100, 6, 7)], t => t[0].Sum(1), false, 0);
        c["amax"] = new OpCase(() => [R(35, 3, 4, 5)], t => t[0].Amax([1]));
        c["amin"] = new OpCase(() => [R(36, 3, 4, 5)], t => t[0].Amin([0, 2]));
        c["max_values"] = new OpCase(() => [R(37, 3, 6)], t => t[0].Max(1).Values);
        c["max_indices"] = new OpCase(() => [R(37, 3, 6)], t => t[0].Max(1).Indices, false, 0);
        c["argmax"] = new OpCase(() => [R(38, 4, 7)], t => t[0].ArgMax(1), false, 0);
        c["argmin_long"] = new OpCase(() => [R(39, 3000)], t => t[0].ArgMin(0), false, 0);
        c["prod"] = new OpCase(() => [Pos(40, 3, 4)], t => t[0].Prod());
        c["var"] = new OpCase(() => [R(41, 4, 6)], t => t[0].Var(1));
        c["logsumexp"] = new OpCase(() => [R(42, 4, 6)], t => t[0].LogSumExp(1));
        c["norm"] = new OpCase(() => [R(43, 4, 6)], t => t[0].Norm());
        c["softmax"] = new OpCase(() => [R(44, 4, 7)], t => t[0].Softmax(1));
        c["log_softmax"] = new OpCase(() => [R(45, 4, 7)], t => t[0].LogSoftmax(-1));
        c["softmax_middle"] = new OpCase(() => [R(46, 2, 5, 3)], t => t[0].Softmax(1));
        c["softmax_f32"] = new OpCase(() => [R32(47, 8, 10)], t => t[0].LogSoftmax(1), true, 1e-5);

        // ---------------------------------------------------------------- GEMM
        c["matmul"] = new OpCase(() => [R(50, 5, 4), R(51, 4, 3)], t => t[0].MatMul(t[1]));
        c["matmul_transposed"] = new OpCase(() => [R(52, 4, 5), R(53, 3, 4)], t => t[0].T.MatMul(t[1].T));
        c["matmul_batched"] = new OpCase(() => [R(54, 2, 3, 4), R(55, 2, 4, 5)], t => t[0].MatMul(t[1]));
        c["matmul_broadcast"] = new OpCase(() => [R(56, 2, 1, 3, 4), R(57, 3, 4, 2)], t => t[0].MatMul(t[1]));
        c["matmul_vector"] = new OpCase(() => [R(58, 4), R(59, 4, 3)], t => t[0].MatMul(t[1]));
        c["matmul_f32"] = new OpCase(() => [R32(60, 33, 17), R32(61, 17, 9)], t => t[0].MatMul(t[1]), true, 1e-4);
        c["matmul_int"] = new OpCase(() => [Ints(62, -5, 5, 3, 4), Ints(63, -5, 5, 4, 2)], t => t[0].MatMul(t[1]), false, 0);

        // ---------------------------------------------------------------- convolution and pooling
        c["conv2d"] = new OpCase(() => [R(70, 2, 3, 7, 6), R(71, 4, 3, 3, 3), R(72, 4)], t => Tensor.Conv2d(t[0], t[1], t[2]), true, 1e-8);
        c["conv2d_stride_pad"] = new OpCase(() => [R(73, 2, 3, 7, 6), R(74, 4, 3, 3, 2)],
            t => Tensor.Conv2d(t[0], t[1], stride: [2, 1], padding: [1, 1]), true, 1e-8);
        c["conv2d_dilation"] = new OpCase(() => [R(75, 1, 2, 9, 9), R(76, 3, 2, 3, 3)],
            t => Tensor.Conv2d(t[0], t[1], dilation: [2, 2], padding: [2, 2]), true, 1e-8);
        c["conv2d_groups"] = new OpCase(() => [R(77, 2, 4, 6, 6), R(78, 6, 2, 3, 3), R(79, 6)],
            t => Tensor.Conv2d(t[0], t[1], t[2], padding: [1, 1], groups: 2), true, 1e-8);
        c["conv2d_f32"] = new OpCase(() => [R32(80, 2, 3, 12, 12), R32(81, 8, 3, 3, 3)],
            t => Tensor.Conv2d(t[0], t[1], padding: [1, 1]), true, 2e-4);
        c["max_pool"] = new OpCase(() => [R(82, 2, 3, 7, 6)], t => Tensor.MaxPool2d(t[0], [3, 3], stride: [2, 2], padding: [1, 1]));
        c["max_pool_ceil"] = new OpCase(() => [R(83, 1, 2, 8, 7)], t => Tensor.MaxPool2d(t[0], [2, 2], ceilMode: true));
        c["avg_pool"] = new OpCase(() => [R(84, 2, 3, 8, 8)], t => Tensor.AvgPool2d(t[0], [2, 2]));
        c["avg_pool_exclude_pad"] = new OpCase(() => [R(85, 2, 2, 7, 7)],
            t => Tensor.AvgPool2d(t[0], [3, 3], stride: [2, 2], padding: [1, 1], countIncludePad: false));
        c["adaptive_avg_pool"] = new OpCase(() => [R(86, 2, 3, 7, 6)], t => Tensor.AdaptiveAvgPool2d(t[0], [3, 4]));

        // ---------------------------------------------------------------- indexing and losses
        c["index_select"] = new OpCase(() => [R(90, 5, 3), Tensor.FromArray([4L, 0L, 4L, -1L])], t => t[0].IndexSelect(0, t[1]));
        c["index_select_inner"] = new OpCase(() => [R(91, 2, 5, 3), Tensor.FromArray([1L, 1L, 3L])], t => t[0].IndexSelect(1, t[1]));
        c["gather"] = new OpCase(() => [R(92, 3, 5), Ints(93, 0, 5, 3, 4)], t => t[0].Gather(1, t[1]));
        c["scatter_add"] = new OpCase(() => [R(94, 3, 5), Ints(95, 0, 5, 3, 4), R(96, 3, 4)], t => t[0].ScatterAdd(1, t[1], t[2]));
        c["embedding"] = new OpCase(() => [Ints(97, 0, 6, 2, 3), R(98, 6, 4)], t => F.Embedding(t[0], t[1]));
        c["cross_entropy"] = new OpCase(() => [R(99, 6, 5), Ints(100, 0, 5, 6)], t => F.CrossEntropy(t[0], t[1]));
        c["mse_loss"] = new OpCase(() => [R(101, 4, 3), R(102, 4, 3)], t => F.MseLoss(t[0], t[1]));

        // ---------------------------------------------------------------- random (same Philox streams on every device)
        c["rand"] = new OpCase(() => [R(110, 1)], t => { Tensor.ManualSeed(7); return Tensor.Rand([1000], -1, 3, DType.Float64, t[0].Device); }, false, 1e-12);
        c["randn_f32"] = new OpCase(() => [R(111, 1)], t => { Tensor.ManualSeed(8); return Tensor.Randn([1000], 1, 2, DType.Float32, t[0].Device); }, false, 1e-5);
        c["dropout"] = new OpCase(() => [R(112, 10, 10)], t => { Tensor.ManualSeed(9); return F.Dropout(t[0], 0.3); });
        return c;
    }

    public static TheoryData<string, string> All()
    {
        var d = new TheoryData<string, string>();
        foreach (var dev in Devices)
            foreach (var name in Cases.Keys) d.Add(dev, name);
        return d;
    }

    static Device Resolve(string device)
    {
        if (device.StartsWith("cuda", StringComparison.Ordinal))
            Skip.IfNot(NativeNet.Cuda.IsAvailable, "no CUDA device: " + NativeNet.Cuda.UnavailableReason);
        return Device.Parse(device);
    }

    /// <summary>A separate leaf on the device under test (a clone on the CPU, so the two graphs never share nodes).</summary>
    static Tensor Move(Tensor t, Device dev) => dev == Device.Cpu ? t.Clone() : t.To(dev);

    static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        Assert.Equal(expected.DType, actual.DType);
        // Not disposed here: To() returns the tensor itself when nothing changes; the test's scope releases copies.
        var e = expected.To(DType.Float64, Device.Cpu);
        var a = actual.To(DType.Float64, Device.Cpu);
        var ev = e.ToArray<double>();
        var av = a.ToArray<double>();
        for (int i = 0; i < ev.Length; i++)
        {
            bool ok = ev[i].Equals(av[i]) || Math.Abs(ev[i] - av[i]) <= tol * (1 + Math.Abs(ev[i]));
            Assert.True(ok, $"{what}[{i}]: reference {ev[i]:R}, device {av[i]:R} (tolerance {tol})");
        }
    }

    [SkippableTheory, MemberData(nameof(All))]
    public void OpAndGradientMatchTheCpuBackend(string device, string name)
    {
        var dev = Resolve(device);
        var c = Cases[name];
        using var scope = Tensor.Scope();
        var reference = c.Inputs();
        var dut = reference.Select(t => Move(t, dev)).ToArray();
        for (int i = 0; i < reference.Length; i++)
            if (c.Grad && reference[i].DType.IsFloatingPoint())
            {
                reference[i].RequiresGrad = true;
                dut[i].RequiresGrad = true;
            }
        var yr = c.F(reference);
        var yd = c.F(dut);
        Assert.Equal(dev, yd.Device);
        AssertClose(yr, yd, c.Tol, name);
        if (!c.Grad || !yr.RequiresGrad) return;
        var rng = new Random(1234);
        var wv = Enumerable.Range(0, yr.NumEl).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var w = Tensor.FromArray(wv, yr.Shape.ToArray()).To(yr.DType);
        yr.Mul(w).Sum().Backward();
        yd.Mul(w.To(dev)).Sum().Backward();
        for (int i = 0; i < reference.Length; i++)
        {
            if (!reference[i].RequiresGrad) continue;
            Assert.NotNull(reference[i].Grad);
            Assert.NotNull(dut[i].Grad);
            Assert.Equal(dev, dut[i].Grad!.Device);
            AssertClose(reference[i].Grad!, dut[i].Grad!, c.Tol * 10, $"{name} d/d input {i}");
        }
    }

    public static TheoryData<string, string> OptimizerCases()
    {
        var d = new TheoryData<string, string>();
        foreach (var dev in Devices)
            foreach (var o in new[] { "sgd", "sgd_nesterov", "adam", "adamw_amsgrad", "rmsprop_centered" }) d.Add(dev, o);
        return d;
    }

    static Optimizer MakeOptimizer(string kind, Parameter p) => kind switch
    {
        "sgd" => new Sgd([p], lr: 0.1),
        "sgd_nesterov" => new Sgd([p], lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        "adam" => new Adam([p], lr: 0.01),
        "adamw_amsgrad" => new AdamW([p], lr: 0.01, weightDecay: 0.1, amsgrad: true),
        _ => new RmsProp([p], lr: 0.01, momentum: 0.5, centered: true),
    };

    [SkippableTheory, MemberData(nameof(OptimizerCases))]
    public void OptimizerStepsMatchTheCpuBackend(string device, string kind)
    {
        var dev = Resolve(device);
        using var scope = Tensor.Scope();
        var init = R(120, 4, 5);
        var pr = Parameter.Adopt(init.Clone());
        var pd = Parameter.Adopt(Move(init, dev));
        var or = MakeOptimizer(kind, pr);
        var od = MakeOptimizer(kind, pd);
        for (int step = 0; step < 3; step++)
        {
            var g = R(121 + step, 4, 5);
            or.ZeroGrad();
            od.ZeroGrad();
            pr.Mul(g).Sum().Backward();
            pd.Mul(Move(g, dev)).Sum().Backward();
            or.Step();
            od.Step();
        }
        Assert.Equal(dev, pd.Device);
        AssertClose(pr, pd, 1e-12, kind);
    }

    public static TheoryData<string, DType> TransferCases()
    {
        var d = new TheoryData<string, DType>();
        foreach (var dev in Devices)
            foreach (var t in Enum.GetValues<DType>()) d.Add(dev, t);
        return d;
    }

    [SkippableTheory, MemberData(nameof(TransferCases))]
    public void HostTransfersAndCreationAreExact(string device, DType dtype)
    {
        var dev = Resolve(device);
        using var scope = Tensor.Scope();
        var host = R(130, 3, 7).Mul(50).To(dtype);
        var there = host.To(dev);
        Assert.Equal(dev, there.Device);
        AssertClose(host, there, 0, "round trip");
        AssertClose(host.T.Contiguous(), there.T.Contiguous(), 0, "strided copy");  // strided copy on the device
        AssertClose(Tensor.Full([2, 3], 7.5, dtype), Tensor.Full([2, 3], 7.5, dtype, dev), 0, "full");
        AssertClose(Tensor.Arange(0, 10, 1, dtype == DType.Bool ? DType.Int64 : dtype), Tensor.Arange(0, 10, 1, dtype == DType.Bool ? DType.Int64 : dtype, dev), 0, "arange");
        if (dtype.IsFloatingPoint()) AssertClose(Tensor.Eye(4, 3, dtype), Tensor.Eye(4, 3, dtype, dev), 0, "eye");
    }
}
