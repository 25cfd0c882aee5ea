using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NativeNet.NN;

/// <summary>
/// The checkpoint format of <see cref="Model.Save"/>: safetensors (huggingface/safetensors): an 8-byte little-endian
/// header length N, a JSON header of N bytes
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>
/// (space-padded to 8 bytes), then the raw little-endian tensor bytes. Files are written atomically: to a temporary
/// file in the same directory, flushed to disk, then renamed over the target, so a crash never leaves half a
/// checkpoint. Kept in the framework (not Interop) because <c>Fit</c>'s ModelCheckpoint writes it.
/// </summary>
internal static class SafeTensors
{
    static string Code(DType t) => t switch
    {
        DType.Float32 => "F32", DType.Float64 => "F64", DType.Int64 => "I64", DType.Int32 => "I32", DType.Bool => "BOOL", DType.UInt8 => "U8",
        _ => throw new DTypeMismatchException("SafeTensors", $"cannot store {t.Name()}"),
    };

    static DType FromCode(string c, string path) => c switch
    {
        "F32" => DType.Float32, "F64" => DType.Float64, "I64" => DType.Int64, "I32" => DType.Int32, "BOOL" => DType.Bool, "U8" => DType.UInt8,
        _ => throw new InvalidDataException($"{path}: unsupported safetensors dtype '{c}'"),
    };

    internal static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject();
        if (metadata.Count > 0)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            var bytes = Bytes(t);
            header[name] = new JsonObject
            {
                ["dtype"] = Code(t.DType),
                ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        AtomicWrite(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            s.Write(len);
            s.Write(json);
            for (int i = json.Length; i < padded; i++) s.WriteByte((byte)' ');
            foreach (var b in blobs) s.Write(b);
        });
    }

    /// <summary>Writes through <paramref name="write"/> into a temporary sibling file, fsyncs it, and renames it over <paramref name="path"/>.</summary>
    internal static void AtomicWrite(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    static byte[] Bytes(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes<float>(t.ToArray<float>()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes<double>(t.ToArray<double>()).ToArray(),
        DType.Int64 => MemoryMarshal.AsBytes<long>(t.ToArray<long>()).ToArray(),
        DType.Int32 => MemoryMarshal.AsBytes<int>(t.ToArray<int>()).ToArray(),
        DType.Bool => MemoryMarshal.AsBytes<bool>(t.ToArray<bool>()).ToArray(),
        DType.UInt8 => t.ToArray<byte>(),
        _ => throw new DTypeMismatchException("SafeTensors", $"cannot store {t.DType.Name()}"),
    };

    internal static (StateDict Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        var data = File.ReadAllBytes(path);
        if (data.Length < 8) throw new InvalidDataException($"{path}: not a safetensors checkpoint (file is {data.Length} bytes)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n > (ulong)(data.Length - 8)) throw new InvalidDataException($"{path}: header length {n} exceeds the file size {data.Length}");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(data.AsSpan(8, (int)n))?.AsObject() ?? throw new InvalidDataException($"{path}: empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON: {e.Message}", e);
        }
        int start = 8 + (int)n;
        var meta = new Dictionary<string, string>();
        var sd = new StateDict();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) meta[k] = v!.GetValue<string>();
                continue;
            }
            var o = node!.AsObject();
            var dtype = FromCode(o["dtype"]!.GetValue<string>(), path);
            var shape = o["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            var offs = o["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            long len = offs[1] - offs[0];
            if (offs[0] < 0 || len != (long)ShapeUtil.NumEl(shape) * dtype.ElementSize() || start + offs[1] > data.Length)
                throw new InvalidDataException($"{path}: tensor '{name}' has data_offsets [{offs[0]}, {offs[1]}] that do not fit its shape {ShapeUtil.Format(shape)} {dtype.Name()} or the file");
            var span = data.AsSpan(start + (int)offs[0], (int)len);
            sd[name] = (dtype switch
            {
                DType.Float32 => Tensor.FromArray(MemoryMarshal.Cast<byte, float>(span).ToArray(), shape),
                DType.Float64 => Tensor.FromArray(MemoryMarshal.Cast<byte, double>(span).ToArray(), shape),
                DType.Int64 => Tensor.FromArray(MemoryMarshal.Cast<byte, long>(span).ToArray(), shape),
                DType.Int32 => Tensor.FromArray(MemoryMarshal.Cast<byte, int>(span).ToArray(), shape),
                DType.Bool => Tensor.FromArray(span.ToArray().Select(b => b != 0).ToArray(), shape),
                _ => Tensor.FromArray(span.ToArray(), shape),
            }).Unown();
        }
        return (sd, meta);
    }
}
