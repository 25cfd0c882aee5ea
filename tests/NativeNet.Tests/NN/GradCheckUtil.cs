namespace NativeNet.Tests.NN;

/// <summary>Float64 central-difference gradient check of a scalar function against autograd.</summary>
internal static class GradCheckUtil
{
    /// <summary>
    /// Checks d f / d inputs[i] for every input that requires grad. <paramref name="f"/> must return a one-element tensor and
    /// not keep state between calls (use eval-mode modules or a fixed seed inside f).
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double rtol = 1e-4, double atol = 1e-6)
    {
        foreach (var x in inputs)
            if (x.RequiresGrad) { Assert.Equal(DType.Float64, x.DType); x.Grad = null; }
        using (var y = f(inputs)) y.Backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            Assert.NotNull(x.Grad);
            var analytic = x.Grad!.ToArray<double>();
            var values = x.ToArray<double>();
            var numeric = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                numeric[i] = (Eval(f, inputs, x, values, i, values[i] + eps) - Eval(f, inputs, x, values, i, values[i] - eps)) / (2 * eps);
                Set(x, values, i, values[i]);
            }
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(analytic[i] - numeric[i]) <= atol + rtol * Math.Abs(numeric[i]),
                    $"input {k} element {i}: autograd {analytic[i]:R} vs finite difference {numeric[i]:R}");
        }
    }

    static double Eval(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, double[] values, int i, double v)
    {
        Set(x, values, i, v);
        using (Autograd.NoGrad())
        using (var y = f(inputs)) return y.Item();
    }

    static void Set(Tensor x, double[] values, int i, double v)
    {
        var copy = (double[])values.Clone();
        copy[i] = v;
        using (Autograd.NoGrad())
        using (var src = Tensor.FromArray(copy, x.Shape.ToArray())) x.CopyFrom(src);
    }
}
