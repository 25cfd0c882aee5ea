using System.Reflection;
using System.Runtime.InteropServices;

namespace NativeNet.Bindings;

/// <summary>
/// Resolves a native library by trying several file names in order (versioned sonames first), so one
/// build runs against whatever version the machine has. Records what was tried for error messages.
/// </summary>
public static class NativeLibraryProbe
{
    static readonly object Gate = new();
    static readonly Dictionary<string, string[]> Candidates = new();
    static readonly Dictionary<string, (nint Handle, string? Path, string Report)> Resolved = new();
    static bool installed;

    /// <summary>Registers the candidate file names for a logical library name used in <c>LibraryImport</c>.</summary>
    /// <param name="logicalName">The name used in the import attribute, e.g. "nativenet_blas".</param>
    /// <param name="candidates">File names tried in order, e.g. "libopenblas.so.0".</param>
    public static void Register(string logicalName, params string[] candidates)
    {
        lock (Gate)
        {
            Candidates[logicalName] = candidates;
            if (!installed)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryProbe).Assembly, Resolve);
                installed = true;
            }
        }
    }

    /// <summary>Loads the library now; returns the handle or 0 and a report of every name tried.</summary>
    public static (nint Handle, string? Path, string Report) TryLoad(string logicalName)
    {
        lock (Gate)
        {
            if (Resolved.TryGetValue(logicalName, out var r)) return r;
            if (!Candidates.TryGetValue(logicalName, out var names))
                return (0, null, $"no candidates registered for '{logicalName}'");
            var tried = new List<string>();
            foreach (var name in names)
            {
                if (NativeLibrary.TryLoad(name, out var h))
                {
                    r = (h, name, $"loaded {name}");
                    Resolved[logicalName] = r;
                    return r;
                }
                tried.Add(name);
            }
            r = (0, null, "tried " + string.Join(", ", tried));
            Resolved[logicalName] = r;
            return r;
        }
    }

    static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!Candidates.ContainsKey(libraryName)) return 0;
        var (h, _, _) = TryLoad(libraryName);
        return h;
    }
}
