namespace NativeNet.NN;

/// <summary>
/// 2-D convolution over NCHW inputs with an OIHW weight [out, in/groups, kH, kW] (<c>torch.nn.Conv2d</c>). PyTorch's
/// default init: weight and bias from U(-1/√fan_in, 1/√fan_in), fan_in = in/groups·kH·kW.
/// </summary>
public class Conv2d : Module
{
    /// <summary>A square-kernel convolution (<c>nn.Conv2d(in, out, kernel_size, stride, padding, dilation, groups, bias)</c>).</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, DType dtype = DType.Float32, Device? device = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, dtype, device) { }

    /// <summary>A convolution with (height, width) pairs (<c>nn.Conv2d(in, out, (kh, kw), (sh, sw), (ph, pw), (dh, dw))</c>).</summary>
    public Conv2d(int inChannels, int outChannels, (int, int) kernelSize, (int, int)? stride = null, (int, int)? padding = null,
        (int, int)? dilation = null, int groups = 1, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: channels must be positive and divisible by groups, got in={inChannels}, out={outChannels}, groups={groups}");
        if (kernelSize.Item1 <= 0 || kernelSize.Item2 <= 0) throw new ArgumentException($"Conv2d: kernel size must be positive, got {kernelSize}");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        var dev = device ?? Device.Default;
        var w = RegisterParameter("weight", Parameter.Adopt(Tensor.Empty([outChannels, inChannels / groups, kernelSize.Item1, kernelSize.Item2], dtype, dev)));
        Init.KaimingUniform(w, a: Math.Sqrt(5));
        if (bias)
        {
            double bound = 1 / Math.Sqrt(Init.CalculateFanInAndFanOut(w).FanIn);
            RegisterParameter("bias", (Parameter)Init.Uniform(Parameter.Adopt(Tensor.Empty([outChannels], dtype, dev)), -bound, bound));
        }
        else RegisterParameter("bias", null);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel (height, width).</summary>
    public (int, int) KernelSize { get; }
    /// <summary>Stride (height, width).</summary>
    public (int, int) Stride { get; }
    /// <summary>Zero padding (height, width).</summary>
    public (int, int) Padding { get; }
    /// <summary>Dilation (height, width).</summary>
    public (int, int) Dilation { get; }
    /// <summary>Number of blocked connections from input to output channels.</summary>
    public int Groups { get; }

    /// <summary>The weight [out, in/groups, kH, kW] (<c>conv.weight</c>).</summary>
    public Parameter Weight => GetParameter("weight")!;

    /// <summary>The bias [out] or null (<c>conv.bias</c>).</summary>
    public Parameter? Bias => GetParameter("bias");

    /// <summary>Convolves x [N, C, H, W].</summary>
    public override Tensor Forward(Tensor x) => F.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}";
        if (Padding != (0, 0)) s += $", padding={Padding}";
        if (Dilation != (1, 1)) s += $", dilation={Dilation}";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias == null) s += ", bias=False";
        return s;
    }
}

/// <summary>2-D max pooling (<c>torch.nn.MaxPool2d</c>); stride defaults to the kernel size.</summary>
public class MaxPool2d : Module
{
    /// <summary>Square windows (<c>nn.MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode)</c>).</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode) { }

    /// <summary>Windows given as (height, width) pairs.</summary>
    public MaxPool2d((int, int) kernelSize, (int, int)? stride = null, (int, int)? padding = null, (int, int)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
    }

    /// <summary>Window (height, width).</summary>
    public (int, int) KernelSize { get; }
    /// <summary>Stride (height, width).</summary>
    public (int, int) Stride { get; }
    /// <summary>Implicit -inf padding (height, width).</summary>
    public (int, int) Padding { get; }
    /// <summary>Dilation (height, width).</summary>
    public (int, int) Dilation { get; }
    /// <summary>Use ceil instead of floor for the output size.</summary>
    public bool CeilMode { get; }

    /// <summary>Pools x [N, C, H, W].</summary>
    public override Tensor Forward(Tensor x) => F.MaxPool2d(x, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}

/// <summary>2-D average pooling (<c>torch.nn.AvgPool2d</c>); stride defaults to the kernel size.</summary>
public class AvgPool2d : Module
{
    /// <summary>Square windows (<c>nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad)</c>).</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad) { }

    /// <summary>Windows given as (height, width) pairs.</summary>
    public AvgPool2d((int, int) kernelSize, (int, int)? stride = null, (int, int)? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
    }

    /// <summary>Window (height, width).</summary>
    public (int, int) KernelSize { get; }
    /// <summary>Stride (height, width).</summary>
    public (int, int) Stride { get; }
    /// <summary>Zero padding (height, width).</summary>
    public (int, int) Padding { get; }
    /// <summary>Use ceil instead of floor for the output size.</summary>
    public bool CeilMode { get; }
    /// <summary>Count padded zeros in the average.</summary>
    public bool CountIncludePad { get; }

    /// <summary>Pools x [N, C, H, W].</summary>
    public override Tensor Forward(Tensor x) => F.AvgPool2d(x, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>Average pooling to a fixed output size whatever the input size (<c>torch.nn.AdaptiveAvgPool2d</c>).</summary>
public class AdaptiveAvgPool2d : Module
{
    /// <summary>Square output (<c>nn.AdaptiveAvgPool2d(output_size)</c>).</summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) { }

    /// <summary>Output (height, width).</summary>
    public AdaptiveAvgPool2d((int, int) outputSize) => OutputSize = outputSize;

    /// <summary>Output (height, width).</summary>
    public (int, int) OutputSize { get; }

    /// <summary>Pools x [N, C, H, W] or [C, H, W].</summary>
    public override Tensor Forward(Tensor x) => F.AdaptiveAvgPool2d(x, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}
