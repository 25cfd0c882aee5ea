namespace NativeNet.Interop;

/// <summary>
/// An ONNX file (model or tensor) is truncated, corrupt or inconsistent: the message names the file and what is wrong.
/// Wraps protobuf's own parse errors.
/// </summary>
public sealed class OnnxFormatException : FormatException
{
    /// <summary>Creates the exception naming <paramref name="path"/>.</summary>
    public OnnxFormatException(string path, string detail, Exception? inner = null) : base($"{path}: {detail}", inner) => Path = path;

    /// <summary>The file that failed to load.</summary>
    public string Path { get; }
}
