using System.Text;
using System.Text.RegularExpressions;

namespace NativeNet.Interop;

/// <summary>A .npy or .npz file is malformed; the message names the file and the field.</summary>
public sealed class NpyFormatException : FormatException
{
    /// <summary>Creates the exception naming <paramref name="path"/>.</summary>
    public NpyFormatException(string path, string detail) : base($"{path}: {detail}") => Path = path;

    /// <summary>The file (or entry) that failed to parse.</summary>
    public string Path { get; }
}

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1.0–3.0) to and from tensors (<c>numpy.save</c>/<c>numpy.load</c>).
/// Reads little- and big-endian float32/64, int8/16/32/64, uint8, bool, in C or Fortran order; writes little-endian C order.
/// </summary>
public static partial class Npy
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    const long MaxHeaderBytes = 1 << 20;

    /// <summary>Loads a tensor from a .npy file (<c>torch.from_numpy(np.load(path))</c>).</summary>
    public static Tensor Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Npy.Load: file not found: {path}", path);
        using var fs = File.OpenRead(path);
        return Read(fs, path);
    }

    /// <summary>Reads a .npy stream; <paramref name="name"/> is used in error messages.</summary>
    public static Tensor Read(Stream stream, string name = "<stream>")
    {
        var magic = ReadExactly(stream, 8, name, "magic string and version");
        if (!magic.AsSpan(0, 6).SequenceEqual(Magic)) throw new NpyFormatException(name, "not a .npy file (bad magic string)");
        int major = magic[6];
        long headerLen;
        if (major == 1) headerLen = BitConverter.ToUInt16(ReadExactly(stream, 2, name, "header length"));
        else if (major is 2 or 3) headerLen = BitConverter.ToUInt32(ReadExactly(stream, 4, name, "header length"));
        else throw new NpyFormatException(name, $"unsupported format version {major}.{magic[7]}");
        if (headerLen <= 0 || headerLen > MaxHeaderBytes) throw new NpyFormatException(name, $"implausible header length {headerLen}");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(ReadExactly(stream, (int)headerLen, name, "header"));
        var (descr, fortran, shape) = ParseHeader(header, name);
        var (dtype, srcSize, bigEndian, kind) = ParseDescr(descr, name);
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
            if (count > int.MaxValue) throw new NpyFormatException(name, $"shape {ShapeUtil.Format(shape)} is too large");
        }
        long bytes = count * srcSize;
        if (stream.CanSeek && stream.Length - stream.Position < bytes)
            throw new NpyFormatException(name, $"truncated data: shape {ShapeUtil.Format(shape)} of {descr} needs {bytes} bytes, file has {stream.Length - stream.Position}");
        if (bytes > Array.MaxLength) throw new NpyFormatException(name, $"data of {bytes} bytes exceeds one host buffer");
        var raw = ReadExactly(stream, (int)bytes, name, "data");
        if (bigEndian && srcSize > 1)
            for (long i = 0; i < count; i++) Array.Reverse(raw, (int)(i * srcSize), srcSize);
        var t = Convert(raw, dtype, kind, srcSize, (int)count, fortran ? shape.Reverse().ToArray() : shape);
        if (!fortran || shape.Length < 2) return t;
        using (t) return t.Permute(Enumerable.Range(0, shape.Length).Reverse().ToArray()).Contiguous().Clone();
    }

    static Tensor Convert(byte[] raw, DType dtype, char kind, int size, int count, int[] shape)
    {
        switch (kind, size)
        {
            case ('f', 4): return Tensor.FromArray(Cast<float>(raw, count), shape);
            case ('f', 8): return Tensor.FromArray(Cast<double>(raw, count), shape);
            case ('i', 8): return Tensor.FromArray(Cast<long>(raw, count), shape);
            case ('i', 4): return Tensor.FromArray(Cast<int>(raw, count), shape);
            case ('b', 1): return Tensor.FromArray(raw.Take(count).Select(b => b != 0).ToArray(), shape);
            case ('u', 1): return Tensor.FromArray(raw.Take(count).ToArray(), shape);
            case ('i', 1): return Tensor.FromArray(raw.Take(count).Select(b => (int)(sbyte)b).ToArray(), shape);
            case ('i', 2): return Tensor.FromArray(Cast<short>(raw, count).Select(v => (int)v).ToArray(), shape);
            case ('u', 2): return Tensor.FromArray(Cast<ushort>(raw, count).Select(v => (int)v).ToArray(), shape);
            case ('u', 4): return Tensor.FromArray(Cast<uint>(raw, count).Select(v => (long)v).ToArray(), shape);
            default: throw new InvalidOperationException($"unhandled dtype {dtype}");
        }
    }

    static T[] Cast<T>(byte[] raw, int count) where T : unmanaged
    {
        var r = new T[count];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw.AsSpan()).Slice(0, count).CopyTo(r);
        return r;
    }

    static byte[] ReadExactly(Stream s, int n, string name, string what)
    {
        var buf = new byte[n];
        int read = 0;
        while (read < n)
        {
            int r = s.Read(buf, read, n - read);
            if (r == 0) throw new NpyFormatException(name, $"truncated file while reading the {what} ({read} of {n} bytes)");
            read += r;
        }
        return buf;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")] private static partial Regex DescrRx();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRx();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRx();

    static (string Descr, bool Fortran, int[] Shape) ParseHeader(string header, string name)
    {
        var d = DescrRx().Match(header);
        var f = FortranRx().Match(header);
        var s = ShapeRx().Match(header);
        if (!d.Success) throw new NpyFormatException(name, "header has no 'descr' field");
        if (!f.Success) throw new NpyFormatException(name, "header has no 'fortran_order' field");
        if (!s.Success) throw new NpyFormatException(name, "header has no 'shape' field");
        var dims = s.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            var txt = dims[i].TrimEnd('L');
            if (!int.TryParse(txt, out shape[i]) || shape[i] < 0)
                throw new NpyFormatException(name, $"invalid dimension '{dims[i]}' in shape field");
        }
        return (d.Groups[1].Value, f.Groups[1].Value == "True", shape);
    }

    static (DType, int, bool, char) ParseDescr(string descr, string name)
    {
        if (descr.Length < 3) throw new NpyFormatException(name, $"unsupported dtype descr '{descr}'");
        char order = descr[0], kind = descr[1];
        if (!int.TryParse(descr.AsSpan(2), out int size)) throw new NpyFormatException(name, $"unsupported dtype descr '{descr}'");
        bool big = order == '>';
        if (order is not ('<' or '>' or '|' or '=')) throw new NpyFormatException(name, $"unsupported byte order in '{descr}'");
        DType dt = (kind, size) switch
        {
            ('f', 4) => DType.Float32,
            ('f', 8) => DType.Float64,
            ('i', 8) => DType.Int64,
            ('i', 4) or ('i', 2) or ('i', 1) or ('u', 2) => DType.Int32,
            ('u', 4) => DType.Int64,
            ('b', 1) => DType.Bool,
            ('u', 1) => DType.UInt8,
            _ => throw new NpyFormatException(name, $"unsupported dtype '{descr}' (supported: float32/64, int8/16/32/64, uint8/16/32, bool)"),
        };
        return (dt, size, big, kind);
    }

    /// <summary>Saves a tensor as .npy (<c>numpy.save</c>), atomically: written to a temporary file, then renamed.</summary>
    public static void Save(string path, Tensor tensor)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = File.Create(tmp)) Write(fs, tensor);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes a tensor in .npy format 1.0 to a stream.</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        string descr = tensor.DType switch
        {
            DType.Float32 => "<f4",
            DType.Float64 => "<f8",
            DType.Int64 => "<i8",
            DType.Int32 => "<i4",
            DType.Bool => "|b1",
            _ => "|u1",
        };
        var shape = tensor.Shape.ToArray();
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        var hb = Encoding.Latin1.GetBytes(header);
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.Write(BitConverter.GetBytes((ushort)hb.Length));
        stream.Write(hb);
        byte[] data = tensor.DType switch
        {
            DType.Float32 => Bytes(tensor.ToArray<float>()),
            DType.Float64 => Bytes(tensor.ToArray<double>()),
            DType.Int64 => Bytes(tensor.ToArray<long>()),
            DType.Int32 => Bytes(tensor.ToArray<int>()),
            DType.Bool => tensor.ToArray<bool>().Select(b => b ? (byte)1 : (byte)0).ToArray(),
            _ => tensor.ToArray<byte>(),
        };
        stream.Write(data);
    }

    static byte[] Bytes<T>(T[] a) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()).ToArray();
}
