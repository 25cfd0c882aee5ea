using System.IO.Compression;
using NativeNet.Interop;

namespace NativeNet.Tests;

/// <summary>Locates tests/fixtures (committed, produced by tools/reference/*.py) and reads arrays from .npz archives.</summary>
public static class Fixtures
{
    static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = System.IO.Path.Combine(d.FullName, "tests", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}");
    });

    /// <summary>Absolute path of a file under tests/fixtures.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    /// <summary>Reads the named .npy entries of a .npz archive.</summary>
    public static Tensor[] ReadNpz(string archive, params string[] entries)
    {
        using var zip = ZipFile.OpenRead(archive);
        return entries.Select(e =>
        {
            var entry = zip.GetEntry(e) ?? throw new FileNotFoundException($"{archive} has no entry {e}");
            using var s = entry.Open();
            return Npy.Read(s, $"{System.IO.Path.GetFileName(archive)}:{e}");
        }).ToArray();
    }
}
