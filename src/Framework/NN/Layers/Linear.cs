namespace NativeNet.NN;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b with W [out, in] (<c>torch.nn.Linear</c>). PyTorch's default init: W and b from
/// U(-1/√in, 1/√in). Built with only <c>outFeatures</c> it is lazy (<c>torch.nn.LazyLinear</c>, Keras <c>Dense</c>):
/// the input size, dtype and device come from the first input.
/// </summary>
public class Linear : Module
{
    readonly bool hasBias;

    /// <summary>Whether the layer adds a bias (<c>bias=True</c>, Keras <c>use_bias</c>).</summary>
    public bool HasBias => hasBias;

    /// <summary>A layer mapping <paramref name="inFeatures"/> to <paramref name="outFeatures"/> (<c>nn.Linear(in, out, bias)</c>).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: sizes must be positive, got in={inFeatures}, out={outFeatures}");
        OutFeatures = outFeatures;
        hasBias = bias;
        RegisterParameter("weight", null);
        RegisterParameter("bias", null);
        Build(inFeatures, dtype, device ?? Device.Default);
    }

    /// <summary>A lazy layer whose input size is inferred on the first call (<c>nn.LazyLinear(out, bias)</c>).</summary>
    public Linear(int outFeatures, bool bias = true)
    {
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), $"Linear: out_features must be positive, got {outFeatures}");
        OutFeatures = outFeatures;
        hasBias = bias;
        RegisterParameter("weight", null);
        RegisterParameter("bias", null);
    }

    /// <summary>
    /// For subclasses such as Keras <see cref="Dense"/>: lazy unless <paramref name="inFeatures"/> is given, in which
    /// case the weight is created now.
    /// </summary>
    protected Linear(int outFeatures, bool bias, int? inFeatures) : this(outFeatures, bias)
    {
        if (inFeatures is not int n) return;
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"{GetType().Name}: input size must be positive, got {n}");
        Build(n, DType.Float32, Device.Default);
    }

    /// <summary>Input size, or null while a lazy layer has not seen an input (<c>in_features</c>).</summary>
    public int? InFeatures { get; private set; }

    /// <summary>Output size (<c>out_features</c>).</summary>
    public int OutFeatures { get; }

    /// <summary>True once the weight exists (always for the explicit constructor).</summary>
    public bool IsBuilt => InFeatures != null;

    /// <summary>The weight [out, in] (<c>linear.weight</c>); a lazy layer creates it on the first call.</summary>
    public Parameter Weight => GetParameter("weight")
        ?? throw new InvalidOperationException("Linear: the weight of a lazy layer is created on the first call (or LoadStateDict); call the layer once first");

    /// <summary>The bias [out] (<c>linear.bias</c>), or null when built with bias: false or not built yet.</summary>
    public Parameter? Bias => GetParameter("bias");

    void Build(int inFeatures, DType dtype, Device device)
    {
        if (!dtype.IsFloatingPoint()) throw new DTypeMismatchException("Linear", $"parameters must be floating point, got {dtype.Name()}");
        InFeatures = inFeatures;
        var w = Parameter.Adopt(Tensor.Empty([OutFeatures, inFeatures], dtype, device));
        Init.KaimingUniform(w, a: Math.Sqrt(5));
        RegisterParameter("weight", w);
        if (hasBias)
        {
            double bound = 1 / Math.Sqrt(inFeatures);
            RegisterParameter("bias", (Parameter)Init.Uniform(Parameter.Adopt(Tensor.Empty([OutFeatures], dtype, device)), -bound, bound));
        }
    }

    /// <inheritdoc/>
    protected override bool MaterializeParameter(string name, int[] shape)
    {
        if (name != "weight" || IsBuilt || shape.Length != 2) return false;
        Build(shape[1], DType.Float32, Device.Default);
        return true;
    }

    /// <summary>Applies the layer to x [..., in] (<c>linear(x)</c>).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (!IsBuilt)
        {
            if (x.Dim == 0) throw new ShapeMismatchException("Linear", "cannot infer in_features from a scalar input");
            using (Autograd.NoGrad()) Build(x.Shape[^1], x.DType.IsFloatingPoint() ? x.DType : DType.Float32, x.Device);
        }
        return F.Linear(x, Weight, Bias);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"in_features={(InFeatures?.ToString() ?? "<lazy>")}, out_features={OutFeatures}, bias={(hasBias ? "True" : "False")}";
}

/// <summary>Returns its input unchanged (<c>torch.nn.Identity</c>); a placeholder in model definitions.</summary>
public class Identity : Module
{
    /// <summary>Returns <paramref name="x"/>.</summary>
    public override Tensor Forward(Tensor x) => x;
}

/// <summary>Flattens dims <c>startDim..endDim</c> into one (<c>torch.nn.Flatten</c>); by default keeps the batch dim.</summary>
public class Flatten : Module
{
    /// <summary>Creates the layer (<c>nn.Flatten(start_dim=1, end_dim=-1)</c>).</summary>
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <summary>First flattened dim.</summary>
    public int StartDim { get; }

    /// <summary>Last flattened dim.</summary>
    public int EndDim { get; }

    /// <summary>Flattens <paramref name="x"/>.</summary>
    public override Tensor Forward(Tensor x) => x.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
