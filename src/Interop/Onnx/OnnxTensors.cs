using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using P = NativeNet.Interop.OnnxProto;

namespace NativeNet.Interop;

/// <summary>
/// ONNX TensorProto to and from tensors. Every declared size is checked against the bytes actually present before
/// anything is allocated. float16/bfloat16 become float32; int8/int16/uint16 become int32 and uint32/uint64 int64
/// (lossless widening; uint64 beyond int64 is rejected).
/// </summary>
internal static class OnnxTensors
{
    /// <summary>Largest tensor the importer allocates (bytes after conversion).</summary>
    internal const long MaxTensorBytes = 1L << 31;

    internal static int SourceSize(int code) => code switch
    {
        1 or 6 or 12 => 4, 2 or 3 or 9 => 1, 4 or 5 or 10 or 16 => 2, 7 or 11 or 13 => 8, _ => 0,
    };

    /// <summary>The dtype a tensor of ONNX type <paramref name="code"/> is loaded as, or null when it cannot be.</summary>
    internal static DType? LoadedType(int code) => code switch
    {
        1 or 10 or 16 => DType.Float32,
        11 => DType.Float64,
        7 or 12 or 13 => DType.Int64,
        6 or 3 or 4 or 5 => DType.Int32,
        9 => DType.Bool,
        2 => DType.UInt8,
        _ => null,
    };

    internal static int[] Dims(P.TensorProto t, string file, string what)
    {
        var dims = new int[t.Dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            long d = t.Dims[i];
            if (d < 0 || d > int.MaxValue) throw new OnnxFormatException(file, $"{what}: dimension {i} is {d}");
            dims[i] = (int)d;
            count *= d;
            if (count > int.MaxValue) throw new OnnxFormatException(file, $"{what}: shape [{string.Join(", ", t.Dims)}] has more than {int.MaxValue} elements");
        }
        return dims;
    }

    /// <summary>Converts a TensorProto; <paramref name="modelDir"/> resolves external data (null forbids it).</summary>
    internal static Tensor ToTensor(P.TensorProto t, string? modelDir, string file)
    {
        string what = t.Name.Length > 0 ? $"tensor '{t.Name}'" : "tensor";
        int code = t.DataType;
        var dtype = LoadedType(code) ?? throw new UnsupportedDataTypeException([$"{what} in {file} is {OpRegistry.OnnxTypeName(code)}"]);
        var shape = Dims(t, file, what);
        int count = ShapeUtil.NumEl(shape);
        if ((long)count * dtype.ElementSize() > MaxTensorBytes)
            throw new OnnxFormatException(file, $"{what}: {count} elements exceed the {MaxTensorBytes >> 20} MiB tensor limit");
        int size = SourceSize(code);
        ReadOnlyMemory<byte> raw;
        if (t.DataLocation == P.TensorProto.Types.DataLocation.External) raw = ReadExternal(t, modelDir, file, what, (long)count * size);
        else if (t.HasRawData) raw = t.RawData.Memory;
        else return FromTypedFields(t, code, dtype, shape, count, file, what);
        if (raw.Length != (long)count * size)
            throw new OnnxFormatException(file, $"{what}: shape {ShapeUtil.Format(shape)} of {OpRegistry.OnnxTypeName(code)} needs {(long)count * size} bytes, the data has {raw.Length}");
        return FromRaw(raw.Span, code, dtype, shape, count);
    }

    static ReadOnlyMemory<byte> ReadExternal(P.TensorProto t, string? modelDir, string file, string what, long expected)
    {
        if (modelDir == null) throw new OnnxFormatException(file, $"{what}: external data is not allowed here");
        string? location = null;
        long offset = 0, length = -1;
        foreach (var kv in t.ExternalData)
        {
            switch (kv.Key)
            {
                case "location": location = kv.Value; break;
                case "offset":
                    if (!long.TryParse(kv.Value, out offset) || offset < 0) throw new OnnxFormatException(file, $"{what}: bad external data offset '{kv.Value}'");
                    break;
                case "length":
                    if (!long.TryParse(kv.Value, out length) || length < 0) throw new OnnxFormatException(file, $"{what}: bad external data length '{kv.Value}'");
                    break;
            }
        }
        if (string.IsNullOrEmpty(location)) throw new OnnxFormatException(file, $"{what}: external data without a location");
        string root = Path.GetFullPath(modelDir);
        string full = Path.GetFullPath(Path.Combine(root, location));
        string rootSlash = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(location) || !full.StartsWith(rootSlash, StringComparison.Ordinal))
            throw new OnnxFormatException(file, $"{what}: external data location '{location}' points outside the model directory");
        if (!File.Exists(full)) throw new OnnxFormatException(file, $"{what}: external data file '{location}' not found");
        if (new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target && !target.FullName.StartsWith(rootSlash, StringComparison.Ordinal))
            throw new OnnxFormatException(file, $"{what}: external data location '{location}' links outside the model directory");
        using var fs = File.OpenRead(full);
        if (length < 0) length = fs.Length - offset;
        if (offset > fs.Length || length > fs.Length - offset)
            throw new OnnxFormatException(file, $"{what}: external data range [{offset}, {offset + length}) exceeds '{location}' ({fs.Length} bytes)");
        if (length != expected)
            throw new OnnxFormatException(file, $"{what}: external data holds {length} bytes, the shape needs {expected}");
        var buf = new byte[length];
        fs.Seek(offset, SeekOrigin.Begin);
        fs.ReadExactly(buf);
        return buf;
    }

    static Tensor FromRaw(ReadOnlySpan<byte> raw, int code, DType dtype, int[] shape, int count)
    {
        switch (code)
        {
            case 1: return Make(MemoryMarshal.Cast<byte, float>(raw), shape);
            case 11: return Make(MemoryMarshal.Cast<byte, double>(raw), shape);
            case 7: return Make(MemoryMarshal.Cast<byte, long>(raw), shape);
            case 6: return Make(MemoryMarshal.Cast<byte, int>(raw), shape);
            case 2: return Make(raw, shape);
            case 9:
                var b = new bool[count];
                for (int i = 0; i < count; i++) b[i] = raw[i] != 0;
                return Tensor.FromArray(b, shape);
        }
        if (dtype == DType.Float32)
        {
            var f = new float[count];
            for (int i = 0; i < count; i++) f[i] = HalfBits(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]), code == 16);
            return Tensor.FromArray(f, shape);
        }
        if (dtype == DType.Int32)
        {
            var v = new int[count];
            for (int i = 0; i < count; i++)
                v[i] = code switch
                {
                    3 => (sbyte)raw[i],
                    4 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
                    _ => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                };
            return Tensor.FromArray(v, shape);
        }
        var l = new long[count];
        for (int i = 0; i < count; i++)
        {
            if (code == 12) l[i] = BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..]);
            else
            {
                ulong u = BinaryPrimitives.ReadUInt64LittleEndian(raw[(8 * i)..]);
                if (u > long.MaxValue) throw new UnsupportedDataTypeException([$"uint64 value {u} does not fit in int64"]);
                l[i] = (long)u;
            }
        }
        return Tensor.FromArray(l, shape);
    }

    /// <summary>FromSpan reads an empty shape as 1-D; scalars get their 0-D shape back.</summary>
    static Tensor Make<T>(ReadOnlySpan<T> data, int[] shape) where T : unmanaged
    {
        if (shape.Length > 0 && data.Length > 0) return Tensor.FromSpan(data, shape);
        using var flat = Tensor.FromSpan(data, data.Length);
        return flat.Reshape(shape).Clone();
    }

    static float HalfBits(ushort bits, bool bfloat) => bfloat ? BitConverter.Int32BitsToSingle(bits << 16) : (float)BitConverter.UInt16BitsToHalf(bits);

    static Tensor FromTypedFields(P.TensorProto t, int code, DType dtype, int[] shape, int count, string file, string what)
    {
        int have = code switch
        {
            1 => t.FloatData.Count,
            11 => t.DoubleData.Count,
            7 => t.Int64Data.Count,
            12 or 13 => t.Uint64Data.Count,
            _ => t.Int32Data.Count,
        };
        if (have != count)
            throw new OnnxFormatException(file, $"{what}: shape {ShapeUtil.Format(shape)} needs {count} values, the tensor holds {have}");
        switch (code)
        {
            case 1: return Tensor.FromArray(t.FloatData.ToArray(), shape);
            case 11: return Tensor.FromArray(t.DoubleData.ToArray(), shape);
            case 7: return Tensor.FromArray(t.Int64Data.ToArray(), shape);
            case 12 or 13:
                var l = new long[count];
                for (int i = 0; i < count; i++)
                {
                    ulong u = t.Uint64Data[i];
                    if (u > long.MaxValue) throw new UnsupportedDataTypeException([$"{what}: uint64 value {u} does not fit in int64"]);
                    l[i] = (long)u;
                }
                return Tensor.FromArray(l, shape);
            case 9: return Tensor.FromArray(t.Int32Data.Select(v => v != 0).ToArray(), shape);
            case 2: return Tensor.FromArray(t.Int32Data.Select(v => (byte)v).ToArray(), shape);
            case 10 or 16: return Tensor.FromArray(t.Int32Data.Select(v => HalfBits((ushort)v, code == 16)).ToArray(), shape);
            default: return Tensor.FromArray(t.Int32Data.ToArray(), shape);
        }
    }

    /// <summary>A tensor as a TensorProto with raw little-endian data.</summary>
    internal static P.TensorProto FromTensor(Tensor t, string name = "")
    {
        var p = new P.TensorProto { Name = name, DataType = OpRegistry.ToOnnxType(t.DType) };
        foreach (var d in t.Shape) p.Dims.Add(d);
        byte[] bytes = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
            DType.Int64 => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
            DType.Int32 => MemoryMarshal.AsBytes(t.ToArray<int>().AsSpan()).ToArray(),
            DType.Bool => t.ToArray<bool>().Select(b => b ? (byte)1 : (byte)0).ToArray(),
            _ => t.ToArray<byte>(),
        };
        p.RawData = ByteString.CopyFrom(bytes);
        return p;
    }
}
