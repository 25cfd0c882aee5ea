namespace NativeNet;

/// <summary>Kind of device a tensor lives on.</summary>
public enum DeviceType
{
    /// <summary>Host memory, computed by the CPU backend.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda = 1,
}

/// <summary>A device (PyTorch <c>torch.device</c>): <see cref="Cpu"/> or <see cref="Cuda(int)"/>.</summary>
/// <param name="Type">The device kind.</param>
/// <param name="Index">The ordinal among devices of the same kind.</param>
public readonly record struct Device(DeviceType Type, int Index)
{
    /// <summary>The host CPU (<c>torch.device("cpu")</c>).</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu, 0);

    /// <summary>
    /// CUDA device <paramref name="index"/> (<c>torch.device("cuda", index)</c>). Throws <see cref="DeviceUnavailableException"/>
    /// with the probe report (libraries tried, CUDA status codes) when this machine cannot run CUDA tensors or has no such
    /// device; check <see cref="NativeNet.Cuda.IsAvailable"/> first to choose a device without catching.
    /// </summary>
    public static Device Cuda(int index = 0)
    {
        Backends.Cuda.CudaRuntime.EnsureAvailable(index);
        return new(DeviceType.Cuda, index);
    }

    static Device processDefault = Cpu;

    /// <summary>
    /// The device new tensors are created on when none is given (<c>torch.set_default_device</c>). Setting a CUDA device
    /// that is not available throws <see cref="DeviceUnavailableException"/>.
    /// </summary>
    public static Device Default
    {
        get => processDefault;
        set
        {
            if (value.Type == DeviceType.Cuda) Backends.Cuda.CudaRuntime.EnsureAvailable(value.Index);
            processDefault = value;
        }
    }

    /// <summary>Parses "cpu", "cuda" or "cuda:1".</summary>
    public static Device Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "cuda") return Cuda(0);
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(5), out var i) && i >= 0) return Cuda(i);
        throw new ArgumentException($"unknown device '{text}' (expected cpu, cuda or cuda:N)", nameof(text));
    }

    /// <summary>PyTorch-style name: "cpu" or "cuda:0".</summary>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
