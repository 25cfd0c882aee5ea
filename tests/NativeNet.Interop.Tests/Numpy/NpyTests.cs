using System.Diagnostics;
using System.Text;

namespace NativeNet.Interop.Tests.Numpy;

/// <summary>.npy against files written by Debian's numpy: every dtype, big-endian, Fortran order, versions; corrupt files.</summary>
public sealed class NpyTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("nativenet-npy-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string> NpyFixtureNames()
    {
        var data = new TheoryData<string>();
        foreach (var p in NpyFixtures.Manifest.EnumerateObject())
            if (p.Name is not ("npz" or "positional")) data.Add(p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(NpyFixtureNames))]
    public void LoadsNumpyWrittenFiles(string name)
    {
        using var t = Npy.Load(NpyFixtures.File_(name + ".npy"));
        NpyFixtures.AssertMatches(NpyFixtures.Manifest.GetProperty(name), t, name);
        Assert.True(t.IsContiguous);
    }

    /// <summary>For the dtypes NativeNet writes (little-endian, C order) the bytes equal numpy's own file.</summary>
    [Theory]
    [InlineData("f4")]
    [InlineData("f8")]
    [InlineData("i8")]
    [InlineData("i4")]
    [InlineData("u1")]
    [InlineData("b1")]
    [InlineData("scalar_f4")]
    [InlineData("empty_f4")]
    [InlineData("vec_i8")]
    public void SavedFilesAreByteIdenticalToNumpys(string name)
    {
        var src = NpyFixtures.File_(name + ".npy");
        using var t = Npy.Load(src);
        var dst = Path.Combine(dir, name + ".npy");
        Npy.Save(dst, t);
        Assert.Equal(File.ReadAllBytes(src), File.ReadAllBytes(dst));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    public void EveryDTypeRoundTripsIncludingNonContiguousViews(DType dtype)
    {
        Tensor.ManualSeed(5);
        using var r = Tensor.Randn(3, 4) * 50;
        using var cast = dtype == DType.Bool ? r.Gt(0) : r.To(dtype);
        using var view = cast.Transpose(0, 1); // non-contiguous: saved in logical (C) order
        var p = Path.Combine(dir, $"rt-{dtype}.npy");
        Npy.Save(p, view);
        using var back = Npy.Load(p);
        Assert.Equal(dtype, back.DType);
        Assert.Equal([4, 3], back.Shape.ToArray());
        using var eq = back.Eq(view);
        Assert.All(eq.ToArray<bool>(), Assert.True);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    static byte[] WithHeader(string header, byte[] data)
    {
        var h = Encoding.Latin1.GetBytes(header);
        var b = new byte[10 + h.Length + data.Length];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }.CopyTo(b, 0);
        BitConverter.GetBytes((ushort)h.Length).CopyTo(b, 8);
        h.CopyTo(b, 10);
        data.CopyTo(b, 10 + h.Length);
        return b;
    }

    public static TheoryData<string, byte[], string> CorruptFiles()
    {
        var good = File.ReadAllBytes(NpyFixtures.File_("f4.npy"));
        var badMagic = (byte[])good.Clone();
        badMagic[1] = (byte)'X';
        var badVersion = (byte[])good.Clone();
        badVersion[6] = 9;
        var hugeHeader = (byte[])good.Clone();
        hugeHeader[6] = 2;
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "truncated file while reading the magic" },
            { "bad magic", badMagic, "bad magic" },
            { "bad version", badVersion, "unsupported format version 9" },
            { "header length beyond the file", hugeHeader, "" },
            { "truncated header", good[..40], "truncated file while reading the header" },
            { "truncated data", good[..^5], "truncated data" },
            { "no descr", WithHeader("{'fortran_order': False, 'shape': (2,), }\n", new byte[8]), "no 'descr'" },
            { "no shape", WithHeader("{'descr': '<f4', 'fortran_order': False, }\n", new byte[8]), "no 'shape'" },
            { "bad dim", WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n", new byte[8]), "invalid dimension 'x'" },
            { "negative dim", WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", new byte[8]), "invalid dimension" },
            { "complex dtype", WithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", new byte[8]), "unsupported dtype '<c8'" },
            { "object dtype", WithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", new byte[8]), "unsupported dtype" },
            { "absurd shape", WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000, 1000000), }\n", new byte[8]), "too large" },
            { "huge shape, tiny file", WithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (200000000,), }\n", new byte[8]), "truncated data" },
        };
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptFilesGiveNpyFormatExceptionNamingTheFile(string what, byte[] bytes, string message)
    {
        var p = Path.Combine(dir, what.Replace(' ', '_') + ".npy");
        File.WriteAllBytes(p, bytes);
        var sw = Stopwatch.StartNew();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<NpyFormatException>(() => Npy.Load(p));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"{what} took {sw.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 16 << 20, $"{what} allocated too much");
        Assert.Equal(p, e.Path);
        Assert.Contains(message, e.Message);
    }
}
