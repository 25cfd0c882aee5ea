using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace NativeNet.NN;

/// <summary>
/// Writes a TensorBoard event file (tensorboard/summary/writer/event_file_writer.py): TFRecord framing
/// (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data, little-endian) around serialized
/// <c>Event</c> protobufs, the first holding <c>file_version = "brain.Event:2"</c>, then scalar summaries
/// (<c>Event{wall_time, step, summary{value{tag, simple_value}}}</c>). The protobuf fields are encoded by hand: this
/// small format lives in the framework so that Keras's TensorBoard callback needs no reference to NativeNet.Interop.
/// </summary>
internal sealed class EventFileWriter : IDisposable
{
    readonly FileStream stream;
    readonly byte[] header = new byte[12];

    /// <summary>Creates <c>events.out.tfevents.&lt;unix time&gt;.&lt;host&gt;.&lt;pid&gt;.&lt;n&gt;</c> in <paramref name="directory"/>.</summary>
    internal EventFileWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string host = Environment.MachineName;
        int pid = Environment.ProcessId;
        for (int n = 0; ; n++)
        {
            var path = Path.Combine(directory, $"events.out.tfevents.{now:D10}.{host}.{pid}.{n}");
            if (File.Exists(path)) continue;
            FilePath = path;
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            break;
        }
        WriteRecord(EncodeEvent(WallTime(), 0, fileVersion: "brain.Event:2", null));
        Flush();
    }

    /// <summary>The event file's path.</summary>
    internal string FilePath { get; private set; } = "";

    static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Appends one scalar (<c>SummaryWriter.add_scalar(tag, value, step)</c>).</summary>
    internal void AddScalar(string tag, double value, long step) => AddScalars([(tag, value)], step);

    /// <summary>Appends one event holding several scalars at <paramref name="step"/>.</summary>
    internal void AddScalars(IReadOnlyList<(string Tag, double Value)> values, long step)
    {
        var summary = new MemoryStream();
        Span<byte> f = stackalloc byte[4];
        foreach (var (tag, v) in values)
        {
            var value = new MemoryStream();
            WriteBytesField(value, 1, Encoding.UTF8.GetBytes(tag));            // Summary.Value.tag = 1
            value.WriteByte((2 << 3) | 5);                                      // simple_value = 2, fixed32
            BinaryPrimitives.WriteSingleLittleEndian(f, (float)v);
            value.Write(f);
            WriteBytesField(summary, 1, value.ToArray());                      // Summary.value = 1
        }
        WriteRecord(EncodeEvent(WallTime(), step, null, summary.ToArray()));
    }

    static byte[] EncodeEvent(double wallTime, long step, string? fileVersion, byte[]? summary)
    {
        var e = new MemoryStream();
        e.WriteByte((1 << 3) | 1);                                              // wall_time = 1, fixed64 double
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(d, wallTime);
        e.Write(d);
        if (step != 0)
        {
            e.WriteByte(2 << 3);                                                // step = 2, varint
            WriteVarint(e, (ulong)step);
        }
        if (fileVersion != null) WriteBytesField(e, 3, Encoding.UTF8.GetBytes(fileVersion));
        if (summary != null) WriteBytesField(e, 5, summary);
        return e.ToArray();
    }

    static void WriteBytesField(Stream s, int field, byte[] bytes)
    {
        WriteVarint(s, (ulong)((field << 3) | 2));
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        s.WriteByte((byte)v);
    }

    void WriteRecord(byte[] data)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), MaskedCrc32C(header.AsSpan(0, 8)));
        stream.Write(header);
        stream.Write(data);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc32C(data));
        stream.Write(crc);
    }

    /// <summary>CRC-32C (Castagnoli) of <paramref name="data"/>, masked as TFRecord does: ((c &gt;&gt; 15) | (c &lt;&lt; 17)) + 0xA282EAD8.</summary>
    internal static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data) c = BitOperations.Crc32C(c, b);
        c ^= 0xFFFFFFFF;
        return unchecked(((c >> 15) | (c << 17)) + 0xA282EAD8);
    }

    /// <summary>Pushes written events to the file so TensorBoard sees them.</summary>
    internal void Flush() => stream.Flush();

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => stream.Dispose();
}
