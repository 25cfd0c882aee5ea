namespace NativeNet.NN;

/// <summary>
/// Parameter initializers with PyTorch's gain and fan rules (<c>torch.nn.init</c>). Each fills the tensor in place
/// without recording gradients and returns it.
/// </summary>
public static class Init
{
    /// <summary>
    /// The recommended gain for a nonlinearity (<c>torch.nn.init.calculate_gain</c>): 1 for linear/conv/sigmoid, 5/3 for
    /// tanh, √2 for relu, √(2/(1+a²)) for leaky_relu (a = <paramref name="param"/>, default 0.01), 3/4 for selu.
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? param = null)
    {
        switch (nonlinearity)
        {
            case "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid":
                return 1;
            case "tanh": return 5.0 / 3;
            case "relu": return Math.Sqrt(2.0);
            case "leaky_relu":
                double a = param ?? 0.01;
                return Math.Sqrt(2.0 / (1 + a * a));
            case "selu": return 3.0 / 4;
            default: throw new ArgumentException($"CalculateGain: unsupported nonlinearity '{nonlinearity}'", nameof(nonlinearity));
        }
    }

    /// <summary>
    /// Fan-in and fan-out of a weight (<c>torch.nn.init._calculate_fan_in_and_fan_out</c>): size(1)·receptive field and
    /// size(0)·receptive field, where the receptive field is the product of the dims after the first two.
    /// </summary>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        if (tensor.Dim < 2)
            throw new ShapeMismatchException("Init", $"fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions, got {ShapeUtil.Format(tensor.Shape.ToArray())}");
        int receptive = 1;
        for (int i = 2; i < tensor.Dim; i++) receptive *= tensor.Shape[i];
        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }

    static int Fan(Tensor tensor, string mode)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"Init: mode must be 'fan_in' or 'fan_out', got '{mode}'", nameof(mode)),
        };
    }

    /// <summary>Fills with U(<paramref name="a"/>, <paramref name="b"/>) (<c>torch.nn.init.uniform_</c>).</summary>
    public static Tensor Uniform(Tensor tensor, double a = 0, double b = 1)
    {
        using (Autograd.NoGrad()) tensor.UniformInPlace(a, b);
        return tensor;
    }

    /// <summary>Fills with N(<paramref name="mean"/>, <paramref name="std"/>²) (<c>torch.nn.init.normal_</c>).</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1)
    {
        using (Autograd.NoGrad()) tensor.NormalInPlace(mean, std);
        return tensor;
    }

    /// <summary>Fills with a constant (<c>torch.nn.init.constant_</c>).</summary>
    public static Tensor Constant(Tensor tensor, double val)
    {
        using (Autograd.NoGrad()) tensor.FillInPlace(val);
        return tensor;
    }

    /// <summary>Fills with zeros (<c>torch.nn.init.zeros_</c>).</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Fills with ones (<c>torch.nn.init.ones_</c>).</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>Glorot uniform: U(-a, a) with a = gain·√(6/(fan_in + fan_out)) (<c>torch.nn.init.xavier_uniform_</c>, Keras <c>glorot_uniform</c>).</summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double a = gain * Math.Sqrt(2.0 / (fanIn + fanOut)) * Math.Sqrt(3.0);
        return Uniform(tensor, -a, a);
    }

    /// <summary>Glorot normal: N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (<c>torch.nn.init.xavier_normal_</c>).</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
    }

    /// <summary>
    /// He uniform: U(-b, b) with b = gain·√(3/fan), gain from <see cref="CalculateGain"/>(<paramref name="nonlinearity"/>,
    /// <paramref name="a"/>) (<c>torch.nn.init.kaiming_uniform_</c>). Linear and Conv2d use a = √5, which gives b = 1/√fan_in.
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
    {
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(tensor, -bound, bound);
    }

    /// <summary>He normal: N(0, std²) with std = gain/√fan (<c>torch.nn.init.kaiming_normal_</c>).</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
    {
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        return Normal(tensor, 0, std);
    }
}
