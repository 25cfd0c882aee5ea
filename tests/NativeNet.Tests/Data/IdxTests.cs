using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using NativeNet.Data;

namespace NativeNet.Tests.Data;

/// <summary>IDX files built byte by byte here (the spec's layout), read raw and gzipped; corrupt files give IdxFormatException fast.</summary>
public sealed class IdxTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("nativenet-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Magic 00 00 type ndims, big-endian int32 dims, then the payload as given.</summary>
    internal static byte[] Build(byte type, int[] dims, byte[] payload)
    {
        var b = new byte[4 + 4 * dims.Length + payload.Length];
        b[2] = type;
        b[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    string Put(string name, byte[] bytes)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UByteImagesReadRawAndGzipByContentNotName(bool gzip)
    {
        var payload = new byte[] { 0, 1, 2, 250, 254, 255 };
        var bytes = Build(0x08, [2, 3], payload);
        // The name says the opposite of the content: detection must look at the bytes.
        var p = Put(gzip ? "images-idx2-ubyte" : "images-idx2-ubyte.gz", gzip ? Gzip(bytes) : bytes);
        using var t = Idx.Read(p);
        Assert.Equal(DType.UInt8, t.DType);
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.Equal(payload, t.ToArray<byte>());
        var (type, shape) = Idx.ReadHeader(p);
        Assert.Equal(IdxType.UByte, type);
        Assert.Equal([2, 3], shape);
    }

    [Fact]
    public void EveryElementTypeIsBigEndian()
    {
        // sbyte
        using (var t = Idx.Read(Put("s8", Build(0x09, [3], [0x80, 0xFF, 0x7F]))))
        {
            Assert.Equal(DType.Int32, t.DType);
            Assert.Equal([-128, -1, 127], t.ToArray<int>());
        }
        // short: 0x0102 = 258, 0xFFFE = -2
        using (var t = Idx.Read(Put("i16", Build(0x0B, [2], [0x01, 0x02, 0xFF, 0xFE]))))
            Assert.Equal([258, -2], t.ToArray<int>());
        // int: 0x01020304, -1
        using (var t = Idx.Read(Put("i32", Build(0x0C, [1, 2], [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF]))))
        {
            Assert.Equal([1, 2], t.Shape.ToArray());
            Assert.Equal([0x01020304, -1], t.ToArray<int>());
        }
        // float: 1.5f = 0x3FC00000, -2f = 0xC0000000
        using (var t = Idx.Read(Put("f32", Build(0x0D, [2], [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0]))))
        {
            Assert.Equal(DType.Float32, t.DType);
            Assert.Equal([1.5f, -2f], t.ToArray<float>());
        }
        // double: 0.1 = 0x3FB999999999999A
        using (var t = Idx.Read(Put("f64", Gzip(Build(0x0E, [1], [0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A])))))
        {
            Assert.Equal(DType.Float64, t.DType);
            Assert.Equal([0.1], t.ToArray<double>());
        }
    }

    [Fact]
    public void ScalarAndEmptyShapes()
    {
        using (var t = Idx.Read(Put("scalar", Build(0x08, [], [42]))))
        {
            Assert.Equal(0, t.Dim);
            Assert.Equal(42, t.Item<byte>());
        }
        using var e = Idx.Read(Put("empty", Build(0x0D, [0, 5], [])));
        Assert.Equal([0, 5], e.Shape.ToArray());
    }

    [Theory]
    [InlineData(DType.UInt8, false)]
    [InlineData(DType.Int32, true)]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.Float64, true)]
    public void WriteThenReadRoundTrips(DType dtype, bool gzip)
    {
        using var src = Tensor.Arange(0, 24).To(dtype).Reshape(2, 3, 4);
        using var scaled = dtype.IsFloatingPoint() ? src * 0.37 - 2 : src.Clone();
        var p = Path.Combine(dir, $"rt-{dtype}");
        Idx.Write(p, scaled, gzip);
        Assert.Equal(gzip, File.ReadAllBytes(p)[0] == 0x1f);
        using var back = Idx.Read(p);
        Assert.Equal(dtype, back.DType);
        Assert.Equal(scaled.Shape.ToArray(), back.Shape.ToArray());
        using var eq = back.Eq(scaled);
        Assert.True(eq.ToArray<bool>().All(v => v));
        Assert.Empty(Directory.GetFiles(dir, ".*.tmp"));
    }

    [Fact]
    public void WriterEmitsTheSpecLayout()
    {
        using var t = Tensor.FromArray(new[] { 1.5f, -2f }, [1, 2]);
        using var ms = new MemoryStream();
        Idx.Write(ms, t);
        Assert.Equal(Build(0x0D, [1, 2], [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0]), ms.ToArray());
        using var l = Tensor.FromArray(new long[] { 1 });
        Assert.Throws<DTypeMismatchException>(() => Idx.Write(new MemoryStream(), l));
    }

    public static TheoryData<string, byte[], string> CorruptFiles()
    {
        var good = Build(0x08, [4, 4], Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());
        var data = new TheoryData<string, byte[], string>
        {
            { "empty file", [], "shorter than the 4-byte IDX magic" },
            { "bad magic", [1, 2, 8, 1, 0, 0, 0, 1, 5], "not an IDX file" },
            { "unknown type", Build(0x07, [1], [0]), "unknown IDX element type 0x07" },
            { "truncated header", good[..9], "truncated header" },
            { "truncated data", good[..^3], "truncated" },
            { "trailing bytes", [.. good, 1, 2], "unexpected bytes" },
            { "negative dim", Build(0x08, [-5], []), "negative" },
            { "absurd dims", Build(0x08, [65536, 65536, 65536], []), "exceed" },
            { "absurd raw size", Build(0x0E, [1 << 27], [1, 2, 3]), "truncated" },
            { "over one buffer", Build(0x0E, [1 << 28], [1, 2, 3]), "exceeds one host buffer" },
            { "gzip truncated data", Gzip(good[..^3]), "truncated" },
            { "gzip trailing bytes", Gzip([.. good, 7]), "unexpected bytes" },
            { "gzip cut mid-stream", Gzip(Build(0x08, [4000], Enumerable.Range(0, 4000).Select(i => (byte)(i * 7919 >> 3)).ToArray()))[..200], "truncated" },
            { "gzip absurd size", Gzip(Build(0x08, [1 << 30], [1, 2, 3])), "gzip file can hold" },
        };
        var corrupt = Gzip(Build(0x08, [64], Enumerable.Range(0, 64).Select(i => (byte)(i * 31)).ToArray()));
        for (int i = 12; i < corrupt.Length - 8; i++) corrupt[i] ^= 0x5A;
        data.Add("gzip corrupt deflate data", corrupt, "");
        return data;
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptFilesGiveTypedErrorNamingTheFile(string what, byte[] bytes, string message)
    {
        var p = Put(what.Replace(' ', '_'), bytes);
        var sw = Stopwatch.StartNew();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<IdxFormatException>(() => Idx.Read(p));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"{what} took {sw.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 64 << 20, $"{what} allocated {GC.GetAllocatedBytesForCurrentThread() - allocated} bytes");
        Assert.Equal(p, e.Path);
        Assert.StartsWith(p + ": ", e.Message);
        Assert.Contains(message, e.Message);
    }

    /// <summary>A non-seekable gzip stream cannot be size-checked up front: the buffer grows only as data arrives.</summary>
    [Fact]
    public void LyingHeaderOnNonSeekableGzipStreamFailsWithoutHugeAllocation()
    {
        var bytes = Gzip(Build(0x0E, [1 << 27], Enumerable.Repeat((byte)0, 4096).ToArray()));
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<IdxFormatException>(() => Idx.Read(new ForwardOnlyStream(bytes), "pipe"));
        Assert.Contains("truncated", e.Message);
        Assert.Equal("pipe", e.Path);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 64 << 20);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
        => Assert.Throws<FileNotFoundException>(() => Idx.Read(Path.Combine(dir, "nope")));

    sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        readonly MemoryStream inner = new(data);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
