using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace NativeNet.Data;

/// <summary>An IDX file is malformed (bad magic, dimensions, type, or a payload of the wrong length); the message names the file.</summary>
public sealed class IdxFormatException : FormatException
{
    /// <summary>Creates the exception naming <paramref name="path"/>.</summary>
    public IdxFormatException(string path, string detail, Exception? inner = null) : base($"{path}: {detail}", inner) => Path = path;

    /// <summary>The file (or stream name) that failed to parse.</summary>
    public string Path { get; }
}

/// <summary>Element types of the IDX format; the value is the type byte of the magic number.</summary>
public enum IdxType : byte
{
    /// <summary>unsigned byte (0x08), read as UInt8.</summary>
    UByte = 0x08,
    /// <summary>signed byte (0x09), read as Int32.</summary>
    SByte = 0x09,
    /// <summary>big-endian 16-bit integer (0x0B), read as Int32.</summary>
    Short = 0x0B,
    /// <summary>big-endian 32-bit integer (0x0C), read as Int32.</summary>
    Int = 0x0C,
    /// <summary>big-endian IEEE float (0x0D), read as Float32.</summary>
    Float = 0x0D,
    /// <summary>big-endian IEEE double (0x0E), read as Float64.</summary>
    Double = 0x0E,
}

/// <summary>
/// Reader and writer for IDX files, the MNIST / Fashion-MNIST format (what <c>torchvision.datasets.mnist.read_sn3_pascalvincent_tensor</c>
/// parses): a magic number <c>00 00 type ndims</c>, big-endian int32 dimensions, then big-endian data. Gzip-compressed files are
/// recognized by their content (the 1f 8b magic), not by the file name.
/// </summary>
public static class Idx
{
    /// <summary>Most elements accepted in one file (2^31 - 1, one host buffer).</summary>
    const long MaxElements = int.MaxValue;
    /// <summary>Deflate cannot expand data by more than about 1032:1, so a gzip file's payload is at most this many times its size.</summary>
    const long MaxDeflateRatio = 1040;
    const int InitialBuffer = 1 << 24;

    /// <summary>A parsed file: element type, shape, and the payload with elements in host (little-endian) byte order.</summary>
    internal readonly record struct Raw(IdxType Type, int[] Shape, byte[] Data);

    /// <summary>
    /// Reads an IDX file (raw or gzip) into a tensor: ubyte → UInt8, sbyte/short/int → Int32, float → Float32, double → Float64.
    /// Throws <see cref="IdxFormatException"/> for a malformed, truncated or over-long file.
    /// </summary>
    public static Tensor Read(string path)
    {
        var raw = ReadRaw(path);
        return ToTensor(raw);
    }

    /// <summary>Reads an IDX stream (raw or gzip); <paramref name="name"/> is used in error messages.</summary>
    public static Tensor Read(Stream stream, string name = "<stream>") => ToTensor(ReadRaw(stream, name));

    /// <summary>Element type and shape of an IDX file, reading only its header.</summary>
    public static (IdxType Type, int[] Shape) ReadHeader(string path)
    {
        using var fs = OpenFile(path);
        using var s = Decompress(fs, path, out _);
        return ReadHeader(s, path, out _);
    }

    internal static Raw ReadRaw(string path)
    {
        using var fs = OpenFile(path);
        return ReadRaw(fs, path);
    }

    static FileStream OpenFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Idx: file not found: {path}", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }

    internal static Raw ReadRaw(Stream stream, string name)
    {
        try
        {
            using var s = Decompress(stream, name, out bool gzip);
            var (type, shape) = ReadHeader(s, name, out long headerBytes);
            int size = ElementSize(type);
            long count = 1;
            foreach (var d in shape) count *= d;
            long bytes = count * size;
            if (bytes > Array.MaxLength)
                throw new IdxFormatException(name, $"payload of {bytes} bytes for shape {ShapeUtil.Format(shape)} exceeds one host buffer");
            // Reject impossible sizes before allocating: a raw file must hold exactly the payload, a gzip file cannot
            // expand beyond deflate's maximum ratio.
            if (stream.CanSeek)
            {
                long available = stream.Length - stream.Position;
                if (!gzip && available != bytes)
                    throw new IdxFormatException(name, available < bytes
                        ? $"truncated: shape {ShapeUtil.Format(shape)} of {type} needs {bytes} data bytes after the {headerBytes}-byte header, the file has {available}"
                        : $"{available - bytes} unexpected bytes after the data of shape {ShapeUtil.Format(shape)} of {type}");
                if (gzip && bytes > (stream.Length + 64) * MaxDeflateRatio)
                    throw new IdxFormatException(name, $"shape {ShapeUtil.Format(shape)} of {type} needs {bytes} bytes, more than a {stream.Length}-byte gzip file can hold");
            }
            var data = ReadPayload(s, (int)bytes, name, shape, type);
            if (s.ReadByte() >= 0)
                throw new IdxFormatException(name, $"unexpected bytes after the data of shape {ShapeUtil.Format(shape)} of {type}");
            if (size > 1) ReverseEndianness(data, type);
            return new Raw(type, shape, data);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(name, $"corrupt gzip data: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new IdxFormatException(name, $"truncated: {e.Message}", e);
        }
    }

    /// <summary>Wraps <paramref name="stream"/> in a GZipStream when it starts with the gzip magic 1f 8b.</summary>
    static Stream Decompress(Stream stream, string name, out bool gzip)
    {
        var head = new byte[2];
        int n = ReadUpTo(stream, head, 0, 2);
        var prefix = new PrefixStream(head.AsSpan(0, n).ToArray(), stream);
        gzip = n == 2 && head[0] == 0x1f && head[1] == 0x8b;
        return gzip ? new GZipStream(prefix, CompressionMode.Decompress) : prefix;
    }

    static (IdxType, int[]) ReadHeader(Stream s, string name, out long headerBytes)
    {
        var magic = new byte[4];
        int got = ReadUpTo(s, magic, 0, 4);
        if (got < 4) throw new IdxFormatException(name, $"truncated: {got} bytes, shorter than the 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new IdxFormatException(name, $"not an IDX file: magic number {Convert.ToHexString(magic)} does not start with 0000");
        var type = (IdxType)magic[2];
        if (!Enum.IsDefined(type)) throw new IdxFormatException(name, $"unknown IDX element type 0x{magic[2]:X2} (expected 08, 09, 0B, 0C, 0D or 0E)");
        int ndims = magic[3];
        var dimBytes = new byte[4 * ndims];
        got = ReadUpTo(s, dimBytes, 0, dimBytes.Length);
        if (got < dimBytes.Length) throw new IdxFormatException(name, $"truncated header: {ndims} dimensions need {dimBytes.Length} bytes, found {got}");
        var shape = new int[ndims];
        long count = 1;
        for (int i = 0; i < ndims; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (d < 0) throw new IdxFormatException(name, $"dimension {i} is negative ({d})");
            shape[i] = d;
            count *= d;
            if (count > MaxElements) throw new IdxFormatException(name, $"dimensions {string.Join("x", shape.Take(i + 1))}… exceed {MaxElements} elements");
        }
        headerBytes = 4 + dimBytes.Length;
        return (type, shape);
    }

    /// <summary>Reads exactly <paramref name="bytes"/> bytes, growing the buffer only as data arrives so a lying header cannot force a huge allocation.</summary>
    static byte[] ReadPayload(Stream s, int bytes, string name, int[] shape, IdxType type)
    {
        var buf = new byte[Math.Min(bytes, InitialBuffer)];
        int read = 0;
        while (read < bytes)
        {
            if (read == buf.Length) Array.Resize(ref buf, (int)Math.Min(bytes, 2L * buf.Length));
            int r = s.Read(buf, read, buf.Length - read);
            if (r == 0)
                throw new IdxFormatException(name, $"truncated: shape {ShapeUtil.Format(shape)} of {type} needs {bytes} data bytes, the data ends after {read}");
            read += r;
        }
        return buf;
    }

    static int ReadUpTo(Stream s, byte[] buf, int offset, int count)
    {
        int read = 0;
        while (read < count)
        {
            int r = s.Read(buf, offset + read, count - read);
            if (r == 0) break;
            read += r;
        }
        return read;
    }

    internal static int ElementSize(IdxType t) => t switch
    {
        IdxType.UByte or IdxType.SByte => 1,
        IdxType.Short => 2,
        IdxType.Int or IdxType.Float => 4,
        _ => 8,
    };

    static void ReverseEndianness(byte[] data, IdxType type)
    {
        var span = data.AsSpan();
        switch (ElementSize(type))
        {
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, short>(span), MemoryMarshal.Cast<byte, short>(span)); break;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(span), MemoryMarshal.Cast<byte, int>(span)); break;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(span), MemoryMarshal.Cast<byte, long>(span)); break;
        }
    }

    static Tensor ToTensor(Raw raw)
    {
        var (type, shape, data) = raw;
        var span = data.AsSpan();
        switch (type)
        {
            case IdxType.UByte: return FromHost<byte>(span, shape, DType.UInt8);
            case IdxType.Float: return FromHost(MemoryMarshal.Cast<byte, float>(span), shape, DType.Float32);
            case IdxType.Double: return FromHost(MemoryMarshal.Cast<byte, double>(span), shape, DType.Float64);
            case IdxType.Int: return FromHost(MemoryMarshal.Cast<byte, int>(span), shape, DType.Int32);
            case IdxType.Short:
            {
                var t = Tensor.Empty(shape, DType.Int32, Device.Cpu);
                var src = MemoryMarshal.Cast<byte, short>(span);
                var dst = ((CpuStorage)t.storage).Span<int>(0, src.Length);
                for (int i = 0; i < src.Length; i++) dst[i] = src[i];
                return t;
            }
            default:
            {
                var t = Tensor.Empty(shape, DType.Int32, Device.Cpu);
                var dst = ((CpuStorage)t.storage).Span<int>(0, data.Length);
                for (int i = 0; i < data.Length; i++) dst[i] = (sbyte)data[i];
                return t;
            }
        }
    }

    static Tensor FromHost<T>(ReadOnlySpan<T> src, int[] shape, DType dtype) where T : unmanaged
    {
        var t = Tensor.Empty(shape, dtype, Device.Cpu);
        src.CopyTo(((CpuStorage)t.storage).Span<T>(0, src.Length));
        return t;
    }

    /// <summary>
    /// Writes a tensor as an IDX file (UInt8 → ubyte, Int32 → int, Float32 → float, Float64 → double), gzip-compressed when
    /// <paramref name="gzip"/>; atomically (a temporary file, then a rename).
    /// </summary>
    public static void Write(string path, Tensor tensor, bool gzip = false)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = File.Create(tmp))
            {
                if (gzip)
                {
                    using var gz = new GZipStream(fs, CompressionLevel.Optimal);
                    Write(gz, tensor);
                }
                else Write(fs, tensor);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes a tensor in IDX format to a stream (uncompressed).</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        var type = tensor.DType switch
        {
            DType.UInt8 => IdxType.UByte,
            DType.Int32 => IdxType.Int,
            DType.Float32 => IdxType.Float,
            DType.Float64 => IdxType.Double,
            _ => throw new DTypeMismatchException("Idx.Write", $"IDX stores uint8, int32, float32 or float64, got {tensor.DType.Name()}"),
        };
        if (tensor.Dim > 255) throw new ShapeMismatchException("Idx.Write", $"IDX allows at most 255 dimensions, got {tensor.Dim}");
        var header = new byte[4 + 4 * tensor.Dim];
        header[2] = (byte)type;
        header[3] = (byte)tensor.Dim;
        for (int i = 0; i < tensor.Dim; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), tensor.Size(i));
        stream.Write(header);
        byte[] data = type switch
        {
            IdxType.UByte => tensor.ToArray<byte>(),
            IdxType.Int => MemoryMarshal.AsBytes(tensor.ToArray<int>().AsSpan()).ToArray(),
            IdxType.Float => MemoryMarshal.AsBytes(tensor.ToArray<float>().AsSpan()).ToArray(),
            _ => MemoryMarshal.AsBytes(tensor.ToArray<double>().AsSpan()).ToArray(),
        };
        if (ElementSize(type) > 1) ReverseEndianness(data, type);
        stream.Write(data);
    }
}
