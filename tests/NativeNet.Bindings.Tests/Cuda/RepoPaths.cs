namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>Locates the repository (the directory holding NativeNet.sln) from the test binaries.</summary>
internal static class RepoPaths
{
    internal static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "NativeNet.sln"))) return d.FullName;
            throw new DirectoryNotFoundException($"NativeNet.sln not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The first program among <paramref name="names"/> on PATH, or null.</summary>
    internal static string? Which(params string[] names)
    {
        foreach (var n in names)
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                var p = Path.Combine(dir, n);
                if (File.Exists(p)) return p;
            }
        return null;
    }
}
