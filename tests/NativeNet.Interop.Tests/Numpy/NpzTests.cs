using System.IO.Compression;

namespace NativeNet.Interop.Tests.Numpy;

/// <summary>.npz archives: numpy.savez / savez_compressed files load; ours round-trip and hold numpy-identical entries.</summary>
public sealed class NpzTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("nativenet-npz-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("stored.npz", "npz")]
    [InlineData("compressed.npz", "npz")]
    [InlineData("positional.npz", "positional")]
    public void LoadsNumpyWrittenArchives(string file, string manifestKey)
    {
        var arrays = Npz.Load(NpyFixtures.File_(file));
        var expected = NpyFixtures.Manifest.GetProperty(manifestKey);
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(), arrays.Keys.Order());
        foreach (var p in expected.EnumerateObject()) NpyFixtures.AssertMatches(p.Value, arrays[p.Name], $"{file}:{p.Name}");
        foreach (var t in arrays.Values) t.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveRoundTripsAndWritesNumpyIdenticalEntries(bool compressed)
    {
        var f4 = Npy.Load(NpyFixtures.File_("f4.npy"));
        var b1 = Npy.Load(NpyFixtures.File_("b1.npy"));
        var p = Path.Combine(dir, "out.npz");
        File.WriteAllText(p, "old contents are replaced");
        Npz.Save(p, new Dictionary<string, Tensor> { ["layer.weight"] = f4, ["mask"] = b1 }, compressed);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

        using (var zip = ZipFile.OpenRead(p))
        {
            Assert.Equal(["layer.weight.npy", "mask.npy"], zip.Entries.Select(e => e.FullName).Order());
            var entry = zip.GetEntry("layer.weight.npy")!;
            using var ms = new MemoryStream();
            using (var s = entry.Open()) s.CopyTo(ms);
            Assert.Equal(File.ReadAllBytes(NpyFixtures.File_("f4.npy")), ms.ToArray());
            Assert.Equal(compressed, entry.CompressedLength < entry.Length);
        }
        var back = Npz.Load(p);
        NpyFixtures.AssertMatches(NpyFixtures.Manifest.GetProperty("f4"), back["layer.weight"], "layer.weight");
        NpyFixtures.AssertMatches(NpyFixtures.Manifest.GetProperty("b1"), back["mask"], "mask");
    }

    static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
        return ms.ToArray();
    }

    [Fact]
    public void CorruptArchivesNameTheArchiveAndEntry()
    {
        var good = File.ReadAllBytes(NpyFixtures.File_("f4.npy"));
        var cases = new (string File, byte[] Bytes, string Message)[]
        {
            ("notzip.npz", good, "not an .npz file"),
            ("empty.npz", [], "not an .npz file"),
            ("cut.npz", File.ReadAllBytes(NpyFixtures.File_("stored.npz"))[..600], "not an .npz file"),
            ("text.npz", Zip(("readme.txt", [1, 2])), "readme.txt: entry is not a .npy array"),
            ("badmagic.npz", Zip(("a.npy", good), ("w.npy", [.. good[..3], (byte)'X', .. good[4..]])), "w.npy: not a .npy file"),
            ("truncated.npz", Zip(("w.npy", good[..^4])), "w.npy: truncated data"),
            ("trailing.npz", Zip(("w.npy", [.. good, 0, 0])), "w.npy: 2 unexpected bytes"),
        };
        foreach (var (file, bytes, message) in cases)
        {
            var p = Path.Combine(dir, file);
            File.WriteAllBytes(p, bytes);
            var e = Assert.Throws<NpyFormatException>(() => Npz.Load(p));
            Assert.StartsWith(p, e.Path);
            Assert.Contains(message, e.Message);
        }
    }

    [Fact]
    public void CorruptDeflateDataIsAFormatError()
    {
        var p = Path.Combine(dir, "flipped.npz");
        var bytes = File.ReadAllBytes(NpyFixtures.File_("compressed.npz"));
        // Damage the first entry's compressed data (its local header is 30 bytes + name + zip64 extra field).
        for (int i = 80; i < 140; i++) bytes[i] ^= 0xA5;
        File.WriteAllBytes(p, bytes);
        var e = Assert.Throws<NpyFormatException>(() => Npz.Load(p));
        Assert.StartsWith(p + ":", e.Path);
    }
}
