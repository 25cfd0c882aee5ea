namespace NativeNet;

/// <summary>An op received tensors whose shapes do not fit; the message names the op and the shapes.</summary>
public class ShapeMismatchException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="op"/>.</summary>
    public ShapeMismatchException(string op, string detail) : base($"{op}: {detail}") => Op = op;

    /// <summary>The op that rejected its inputs (e.g. "MatMul").</summary>
    public string Op { get; }
}

/// <summary>An op received a tensor of a dtype it does not accept; the message names the op and the dtypes.</summary>
public class DTypeMismatchException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="op"/>.</summary>
    public DTypeMismatchException(string op, string detail) : base($"{op}: {detail}") => Op = op;

    /// <summary>The op that rejected its inputs.</summary>
    public string Op { get; }
}

/// <summary>An op received tensors on different devices, or a device that is not available.</summary>
public class DeviceMismatchException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="op"/>.</summary>
    public DeviceMismatchException(string op, string detail) : base($"{op}: {detail}") => Op = op;

    /// <summary>The op that rejected its inputs.</summary>
    public string Op { get; }
}

/// <summary>A device was requested whose backend is not available on this machine (for example CUDA without a GPU).</summary>
public class DeviceUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception with the reason.</summary>
    public DeviceUnavailableException(string message) : base(message) { }
}
