using System.IO.Compression;

namespace NativeNet.Interop;

/// <summary>
/// NumPy <c>.npz</c> archives: a zip of <c>.npy</c> files, one per named array (<c>numpy.savez</c>,
/// <c>numpy.savez_compressed</c>, <c>numpy.load</c>). Entries may be stored or deflated.
/// </summary>
public static class Npz
{
    /// <summary>Deflate cannot expand data by more than about 1032:1; a larger declared size is a lie.</summary>
    const long MaxDeflateRatio = 1040;
    const int InitialBuffer = 1 << 24;

    /// <summary>
    /// Loads every array of an .npz file (<c>dict(numpy.load(path))</c>); keys are the entry names without <c>.npy</c>
    /// (<c>arr_0</c>, … for positional arrays). A malformed archive or entry throws <see cref="NpyFormatException"/> naming it.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Npz.Load: file not found: {path}", path);
        using var fs = File.OpenRead(path);
        return Read(fs, path);
    }

    /// <summary>Reads an .npz archive from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, string name = "<stream>")
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new NpyFormatException(name, $"not an .npz file (not a readable zip archive: {e.Message})");
        }
        var result = new Dictionary<string, Tensor>();
        try
        {
            using (zip)
                foreach (var entry in zip.Entries)
                {
                    if (entry.FullName.EndsWith('/')) continue;
                    string entryName = $"{name}:{entry.FullName}";
                    if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                        throw new NpyFormatException(entryName, "entry is not a .npy array");
                    string key = entry.FullName[..^4];
                    if (result.ContainsKey(key)) throw new NpyFormatException(entryName, $"duplicate array name '{key}'");
                    result[key] = ReadEntry(entry, entryName);
                }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Buffers one entry (growing only as bytes arrive) so <see cref="Npy.Read"/> can check its length before allocating.</summary>
    static Tensor ReadEntry(ZipArchiveEntry entry, string entryName)
    {
        try
        {
            long declared = entry.Length;
            if (declared > Array.MaxLength) throw new NpyFormatException(entryName, $"entry of {declared} bytes exceeds one host buffer");
            if (declared > (entry.CompressedLength + 64) * MaxDeflateRatio)
                throw new NpyFormatException(entryName, $"declared size {declared} is impossible for {entry.CompressedLength} compressed bytes");
            using var buffer = new MemoryStream((int)Math.Min(declared, InitialBuffer));
            using (var s = entry.Open()) s.CopyTo(buffer);
            if (buffer.Length != declared)
                throw new NpyFormatException(entryName, $"entry holds {buffer.Length} bytes, its directory record says {declared}");
            buffer.Position = 0;
            var t = Npy.Read(buffer, entryName);
            if (buffer.Position != buffer.Length)
            {
                t.Dispose();
                throw new NpyFormatException(entryName, $"{buffer.Length - buffer.Position} unexpected bytes after the array data");
            }
            return t;
        }
        catch (InvalidDataException e)
        {
            throw new NpyFormatException(entryName, $"corrupt zip entry: {e.Message}");
        }
    }

    /// <summary>
    /// Saves named tensors as an .npz file (<c>numpy.savez(path, **arrays)</c>, or <c>numpy.savez_compressed</c> with
    /// <paramref name="compressed"/>), atomically: written to a temporary file, then renamed.
    /// </summary>
    public static void Save(string path, IDictionary<string, Tensor> arrays, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = File.Create(tmp)) Write(fs, arrays, compressed);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes named tensors as an .npz archive to a stream (entries <c>name.npy</c>, stored or deflated).</summary>
    public static void Write(Stream stream, IDictionary<string, Tensor> arrays, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        foreach (var key in arrays.Keys)
            if (string.IsNullOrEmpty(key)) throw new ArgumentException("Npz.Write: array names must be non-empty", nameof(arrays));
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (key, tensor) in arrays)
        {
            var entry = zip.CreateEntry(key + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var s = entry.Open();
            Npy.Write(s, tensor);
        }
    }
}
