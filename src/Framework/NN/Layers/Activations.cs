namespace NativeNet.NN;

/// <summary>ReLU activation module (<c>torch.nn.ReLU</c>).</summary>
public class Relu : Module
{
    /// <summary>max(x, 0).</summary>
    public override Tensor Forward(Tensor x) => F.Relu(x);
}

/// <summary>Sigmoid activation module (<c>torch.nn.Sigmoid</c>).</summary>
public class Sigmoid : Module
{
    /// <summary>1 / (1 + e^-x).</summary>
    public override Tensor Forward(Tensor x) => F.Sigmoid(x);
}

/// <summary>Tanh activation module (<c>torch.nn.Tanh</c>).</summary>
public class Tanh : Module
{
    /// <summary>tanh(x).</summary>
    public override Tensor Forward(Tensor x) => F.Tanh(x);
}

/// <summary>GELU activation module (<c>torch.nn.GELU(approximate)</c>): "none" (erf) or "tanh".</summary>
public class Gelu : Module
{
    /// <summary>Creates the module; <paramref name="approximate"/> is "none" or "tanh".</summary>
    public Gelu(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh")) throw new ArgumentException($"Gelu: approximate must be 'none' or 'tanh', got '{approximate}'");
        Approximate = approximate;
    }

    /// <summary>"none" or "tanh".</summary>
    public string Approximate { get; }

    /// <summary>x·Φ(x).</summary>
    public override Tensor Forward(Tensor x) => F.Gelu(x, Approximate);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>SiLU / swish activation module (<c>torch.nn.SiLU</c>).</summary>
public class Silu : Module
{
    /// <summary>x·σ(x).</summary>
    public override Tensor Forward(Tensor x) => F.Silu(x);
}

/// <summary>Leaky ReLU activation module (<c>torch.nn.LeakyReLU(negative_slope)</c>).</summary>
public class LeakyRelu : Module
{
    /// <summary>Creates the module.</summary>
    public LeakyRelu(double negativeSlope = 0.01) => NegativeSlope = negativeSlope;

    /// <summary>Slope for x &lt; 0.</summary>
    public double NegativeSlope { get; }

    /// <summary>x if x ≥ 0 else slope·x.</summary>
    public override Tensor Forward(Tensor x) => F.LeakyRelu(x, NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}

/// <summary>ELU activation module (<c>torch.nn.ELU(alpha)</c>).</summary>
public class Elu : Module
{
    /// <summary>Creates the module.</summary>
    public Elu(double alpha = 1.0) => Alpha = alpha;

    /// <summary>Scale of the negative part.</summary>
    public double Alpha { get; }

    /// <summary>x if x &gt; 0 else α(e^x - 1).</summary>
    public override Tensor Forward(Tensor x) => F.Elu(x, Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary>Softplus activation module (<c>torch.nn.Softplus(beta, threshold)</c>).</summary>
public class Softplus : Module
{
    /// <summary>Creates the module.</summary>
    public Softplus(double beta = 1.0, double threshold = 20.0)
    {
        Beta = beta;
        Threshold = threshold;
    }

    /// <summary>Sharpness β.</summary>
    public double Beta { get; }

    /// <summary>Above β·x &gt; threshold the function is linear.</summary>
    public double Threshold { get; }

    /// <summary>log(1 + e^(βx))/β.</summary>
    public override Tensor Forward(Tensor x) => F.Softplus(x, Beta, Threshold);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"beta={Beta}, threshold={Threshold}";
}

/// <summary>Softmax module along a dim (<c>torch.nn.Softmax(dim)</c>, Keras <c>Softmax(axis=-1)</c>).</summary>
public class Softmax : Module
{
    /// <summary>Creates the module.</summary>
    public Softmax(int dim = -1) => Dim = dim;

    /// <summary>The normalized dim.</summary>
    public int Dim { get; }

    /// <summary>exp(x) / sum(exp(x)) along <see cref="Dim"/>.</summary>
    public override Tensor Forward(Tensor x) => F.Softmax(x, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax module along a dim (<c>torch.nn.LogSoftmax(dim)</c>).</summary>
public class LogSoftmax : Module
{
    /// <summary>Creates the module.</summary>
    public LogSoftmax(int dim = -1) => Dim = dim;

    /// <summary>The normalized dim.</summary>
    public int Dim { get; }

    /// <summary>log(softmax(x)) along <see cref="Dim"/>, computed stably.</summary>
    public override Tensor Forward(Tensor x) => F.LogSoftmax(x, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
