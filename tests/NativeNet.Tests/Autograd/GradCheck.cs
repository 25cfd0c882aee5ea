using System.Text;

namespace NativeNet.Tests.AutogradTests;

/// <summary>
/// Float64 finite-difference gradient check (the idea of <c>torch.autograd.gradcheck</c>): for a function of several
/// inputs, the analytic gradient of L = sum(f(x) · g) from Backward, with a random upstream g, must match the central
/// difference (L(x + eps·e_j) - L(x - eps·e_j)) / 2eps for every element j of every input.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks <paramref name="f"/> at <paramref name="inputs"/> (values are copied to Float64 leaves).</summary>
    /// <param name="op">Name shown in the failure message.</param>
    /// <param name="f">The function under test; it receives fresh Float64 tensors each call.</param>
    /// <param name="inputs">Points at which to check; any float dtype, any layout.</param>
    /// <param name="eps">Finite-difference step.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance (to the numeric value).</param>
    /// <param name="seed">Seed of the random upstream gradient.</param>
    public static void Check(string op, Func<Tensor[], Tensor> f, Tensor[] inputs,
        double eps = 1e-6, double atol = 1e-6, double rtol = 1e-5, int seed = 1234)
    {
        var shapes = inputs.Select(t => t.Shape.ToArray()).ToArray();
        var data = inputs.Select(NativeNet.Tests.Ops.TorchReferenceTests.ToDoubles).ToArray();

        // Analytic pass.
        double[] upstream;
        int[] outShape;
        var analytic = new double[inputs.Length][];
        using (Tensor.Scope())
        {
            var leaves = data.Select((d, i) => Tensor.FromArray(d, shapes[i], requiresGrad: true)).ToArray();
            var y = f(leaves);
            Assert.True(y.DType == DType.Float64, $"{op}: output dtype is {y.DType}, expected Float64 for Float64 inputs");
            Assert.True(y.RequiresGrad, $"{op}: output does not require grad although its inputs do");
            outShape = y.Shape.ToArray();
            var rng = new Random(seed);
            upstream = Enumerable.Range(0, y.NumEl).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            y.Backward(Tensor.FromArray(upstream, outShape));
            for (int i = 0; i < leaves.Length; i++)
            {
                var g = leaves[i].Grad;
                if (g == null) { analytic[i] = new double[data[i].Length]; continue; }
                Assert.True(g.Shape.SequenceEqual(shapes[i]),
                    $"{op}: gradient of input {i} has shape [{string.Join(", ", g.Shape.ToArray())}], expected [{string.Join(", ", shapes[i])}]");
                Assert.True(g.DType == DType.Float64, $"{op}: gradient of input {i} is {g.DType}, expected Float64");
                analytic[i] = g.ToArray<double>();
                g.Dispose();
            }
        }

        // Numeric pass.
        var failures = new StringBuilder();
        int failed = 0;
        double Loss()
        {
            using var scope = Tensor.Scope();
            var xs = data.Select((d, i) => Tensor.FromArray(d, shapes[i])).ToArray();
            var y = f(xs);
            Assert.True(y.Shape.SequenceEqual(outShape), $"{op}: output shape changed between calls");
            var v = y.Contiguous().ToArray<double>();
            double s = 0;
            for (int k = 0; k < v.Length; k++) s += v[k] * upstream[k];
            return s;
        }
        for (int i = 0; i < data.Length; i++)
            for (int j = 0; j < data[i].Length; j++)
            {
                double orig = data[i][j];
                data[i][j] = orig + eps;
                double lp = Loss();
                data[i][j] = orig - eps;
                double lm = Loss();
                data[i][j] = orig;
                double numeric = (lp - lm) / (2 * eps), a = analytic[i][j];
                if (!(Math.Abs(a - numeric) <= atol + rtol * Math.Abs(numeric)))
                {
                    if (failed++ < 8)
                        failures.AppendLine($"  input {i} element {j} {Position(shapes[i], j)} (x = {orig:G6}): analytic {a:G10} vs numeric {numeric:G10}");
                }
            }
        if (failed > 0)
            Assert.Fail($"{op}: gradient check failed at {failed} element(s) (atol {atol}, rtol {rtol}, eps {eps}):\n{failures}");
    }

    /// <summary>Convenience overload for one input.</summary>
    public static void Check(string op, Func<Tensor, Tensor> f, Tensor input, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-5)
        => Check(op, xs => f(xs[0]), [input], eps, atol, rtol);

    static string Position(int[] shape, int flat)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return "[" + string.Join(", ", idx) + "]";
    }

    /// <summary>Float64 values uniform in [lo, hi) from a fixed seed.</summary>
    public static Tensor Uniform(int seed, int[] shape, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray(), shape);
    }

    /// <summary>Values with |x| in [0.2, 1] and random signs: away from the kink at 0 (Abs, Relu, LeakyRelu, …).</summary>
    public static Tensor AwayFromZero(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (0.2 + 0.8 * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1)).ToArray(), shape);
    }

    /// <summary>Distinct values at least 1/n apart, shuffled: no ties for max/min/pooling.</summary>
    public static Tensor Distinct(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = Enumerable.Range(0, n).Select(i => -1 + 2.0 * (i + 0.5) / n).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.FromArray(v, shape);
    }

    /// <summary>Values uniform in [-1, 1).</summary>
    public static Tensor Rand(int seed, params int[] shape) => Uniform(seed, shape);

    /// <summary>Values uniform in [0.5, 2): safe for Log, Sqrt, division.</summary>
    public static Tensor Positive(int seed, params int[] shape) => Uniform(seed, shape, 0.5, 2);
}
