using System.Buffers.Binary;
using System.Text;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Tests.KerasApi;

/// <summary>
/// Reads the TensorBoard callback's event files back with a reader written here from the format description alone
/// (TFRecord framing, CRC-32C by the bitwise definition, protobuf wire format decoded by hand), not with the writer's code.
/// </summary>
public class TensorBoardReaderTests
{
    /// <summary>CRC-32C, reflected polynomial 0x82F63B78, bit by bit (no table, no hardware instruction).</summary>
    static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    static uint Masked(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8);

    /// <summary>Splits a TFRecord file into payloads, checking both CRCs of every record.</summary>
    internal static List<byte[]> ReadRecords(string path)
    {
        var data = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        int pos = 0;
        while (pos < data.Length)
        {
            Assert.True(pos + 12 <= data.Length, "truncated record header");
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(pos));
            Assert.Equal(Masked(Crc32C(data.AsSpan(pos, 8))), BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 8)));
            pos += 12;
            Assert.True(pos + (int)len + 4 <= data.Length, "truncated record body");
            var payload = data.AsSpan(pos, (int)len).ToArray();
            Assert.Equal(Masked(Crc32C(payload)), BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + (int)len)));
            pos += (int)len + 4;
            records.Add(payload);
        }
        return records;
    }

    /// <summary>Protobuf wire format: (field number, wire type, value) with varints as ulong, fixed as raw bytes, length-delimited as bytes.</summary>
    static List<(int Field, int Wire, object Value)> Fields(byte[] msg)
    {
        var r = new List<(int, int, object)>();
        int p = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = msg[p++];
                v |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return v;
            }
        }
        while (p < msg.Length)
        {
            ulong key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: r.Add((field, wire, Varint())); break;
                case 1: r.Add((field, wire, msg[p..(p + 8)])); p += 8; break;
                case 5: r.Add((field, wire, msg[p..(p + 4)])); p += 4; break;
                case 2: int n = (int)Varint(); r.Add((field, wire, msg[p..(p + n)])); p += n; break;
                default: throw new InvalidDataException($"unexpected wire type {wire}");
            }
        }
        return r;
    }

    internal sealed record Event(double WallTime, long Step, string? FileVersion, List<(string Tag, float Value)> Scalars);

    internal static List<Event> ReadEvents(string path) => ReadRecords(path).Select(rec =>
    {
        double wall = 0;
        long step = 0;
        string? version = null;
        var scalars = new List<(string, float)>();
        foreach (var (f, w, v) in Fields(rec))
        {
            if (f == 1 && w == 1) wall = BinaryPrimitives.ReadDoubleLittleEndian((byte[])v);
            else if (f == 2 && w == 0) step = (long)(ulong)v;
            else if (f == 3 && w == 2) version = Encoding.UTF8.GetString((byte[])v);
            else if (f == 5 && w == 2)
                foreach (var (sf, sw, sv) in Fields((byte[])v))
                {
                    Assert.Equal((1, 2), (sf, sw));                      // Summary.value
                    string? tag = null;
                    float? value = null;
                    foreach (var (vf, vw, vv) in Fields((byte[])sv))
                        if (vf == 1 && vw == 2) tag = Encoding.UTF8.GetString((byte[])vv);
                        else if (vf == 2 && vw == 5) value = BinaryPrimitives.ReadSingleLittleEndian((byte[])vv);
                    scalars.Add((tag!, value!.Value));
                }
            else throw new InvalidDataException($"unexpected Event field {f} (wire {w})");
        }
        return new Event(wall, step, version, scalars);
    }).ToList();

    [Fact]
    public void EventFiles_HaveValidFramingAndTheHistoryScalars()
    {
        var dir = Directory.CreateTempSubdirectory("nativenet-tb-");
        try
        {
            Tensor.ManualSeed(3);
            var x = Tensor.Randn(96, 4);
            var y = x.Select(1, 0).Gt(0).To(DType.Int64);
            var model = new Sequential(new Dense(8, activation: "relu"), new Dense(2));
            model.Compile(new Sgd(lr: 0.1), "sparse_categorical_crossentropy", ["accuracy"]);
            var tb = new TensorBoard(logDir: dir.FullName, updateFreq: "batch");
            var h = model.Fit(x, y, epochs: 3, batchSize: 32, validationSplit: 0.25, callbacks: [tb], verbose: 0);

            var trainFiles = Directory.GetFiles(Path.Combine(dir.FullName, "train"));
            var valFiles = Directory.GetFiles(Path.Combine(dir.FullName, "validation"));
            Assert.Single(trainFiles);
            Assert.Single(valFiles);
            Assert.Matches(@"^events\.out\.tfevents\.\d{10}\.", Path.GetFileName(trainFiles[0]));

            var train = ReadEvents(trainFiles[0]);
            Assert.Equal("brain.Event:2", train[0].FileVersion);
            Assert.Empty(train[0].Scalars);
            double now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            Assert.All(train, e => Assert.InRange(e.WallTime, now - 600, now + 5));

            // Per epoch: epoch_loss / epoch_accuracy at step = epoch.
            var epochEvents = train.Where(e => e.Scalars.Any(s => s.Tag == "epoch_loss")).ToList();
            Assert.Equal([0L, 1, 2], epochEvents.Select(e => e.Step));
            for (int ep = 0; ep < 3; ep++)
            {
                var s = epochEvents[ep].Scalars.ToDictionary(t => t.Tag, t => t.Value);
                Assert.Equal((float)h["loss"][ep], s["epoch_loss"]);
                Assert.Equal((float)h["accuracy"][ep], s["epoch_accuracy"]);
            }
            // Per batch: 72 training samples / 32 = 3 steps per epoch, global steps 1..9; the last batch of an epoch
            // carries the epoch's running loss.
            var batchEvents = train.Where(e => e.Scalars.Any(s => s.Tag == "batch_loss")).ToList();
            Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), batchEvents.Select(e => e.Step));
            Assert.Equal((float)h["loss"][1], batchEvents[5].Scalars.Single(s => s.Tag == "batch_loss").Value);

            var val = ReadEvents(valFiles[0]);
            Assert.Equal("brain.Event:2", val[0].FileVersion);
            var valEpochs = val.Skip(1).ToList();
            Assert.Equal([0L, 1, 2], valEpochs.Select(e => e.Step));
            for (int ep = 0; ep < 3; ep++)
            {
                var s = valEpochs[ep].Scalars.ToDictionary(t => t.Tag, t => t.Value);
                Assert.Equal((float)h["val_loss"][ep], s["epoch_loss"]);
                Assert.Equal((float)h["val_accuracy"][ep], s["epoch_accuracy"]);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Crc32C_MatchesTheKnownCheckValue()
    {
        // The CRC-32C check value of "123456789" is 0xE3069283 (RFC 3720 / the CRC catalogue).
        Assert.Equal(0xE3069283u, Crc32C("123456789"u8));
        Assert.Equal(Masked(0xE3069283u), EventFileWriter.MaskedCrc32C("123456789"u8));
    }
}
