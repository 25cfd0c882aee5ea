namespace NativeNet.Data;

/// <summary>
/// Fashion-MNIST (Zalando; <c>torchvision.datasets.FashionMNIST</c>): 60,000 training and 10,000 test 28×28 grayscale images
/// of 10 clothing classes, read from the four IDX files (gzip or raw).
/// </summary>
public static class FashionMnist
{
    internal static readonly MnistLayout Layout = new("Fashion-MNIST", "fashion-mnist", "FashionMNIST",
        "apt-get install dataset-fashion-mnist (Debian/Ubuntu) or bash tools/setup.sh, or download the four files from https://github.com/zalandoresearch/fashion-mnist");

    /// <summary>Class names by label (<c>FashionMNIST.classes</c>).</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads (train, test): <c>X</c> [N, 1, 28, 28] Float32 in [0, 1] (pixel / 255, like <c>ToTensor()</c>), <c>Y</c> [N] Int64.
    /// Looks in <paramref name="root"/> (or <c>root/fashion-mnist</c>, <c>root/FashionMNIST/raw</c>) when given; otherwise in
    /// <c>$NATIVENET_DATA/fashion-mnist</c>, then <c>/usr/share/datasets/fashion-mnist</c> (Debian's dataset-fashion-mnist).
    /// Missing files give a <see cref="FileNotFoundException"/> listing every place tried; malformed ones an <see cref="IdxFormatException"/>.
    /// The tensors are not owned by any scope; disposing a dataset releases them.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Test) Load(string? root = null) => MnistLoader.Load(Layout, root);
}

/// <summary>
/// MNIST handwritten digits (<c>torchvision.datasets.MNIST</c>): 60,000 training and 10,000 test 28×28 grayscale images,
/// read from the four IDX files (gzip or raw).
/// </summary>
public static class Mnist
{
    internal static readonly MnistLayout Layout = new("MNIST", "mnist", "MNIST",
        "download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from a MNIST mirror (e.g. https://ossci-datasets.s3.amazonaws.com/mnist/)");

    /// <summary>Class names by label (<c>MNIST.classes</c>).</summary>
    public static IReadOnlyList<string> Classes { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>
    /// Loads (train, test) like <see cref="FashionMnist.Load"/>: looks in <paramref name="root"/> (or <c>root/mnist</c>,
    /// <c>root/MNIST/raw</c>) when given; otherwise in <c>$NATIVENET_DATA/mnist</c>, then <c>/usr/share/datasets/mnist</c>.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Test) Load(string? root = null) => MnistLoader.Load(Layout, root);
}

/// <summary>Names of one MNIST-style dataset: display name, directory name, torchvision folder name, how to get it.</summary>
internal sealed record MnistLayout(string Name, string DirName, string TorchvisionName, string HowToGet);

/// <summary>Finds and decodes the four MNIST-format IDX files.</summary>
internal static class MnistLoader
{
    internal const string SystemDatasets = "/usr/share/datasets";
    static readonly string[] Stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
    const int Side = 28, NumClasses = 10;

    internal static (TensorDataset Train, TensorDataset Test) Load(MnistLayout layout, string? root)
    {
        var files = Find(layout, root);
        // Train and test decode in parallel: gzip inflation of the training images dominates.
        var test = Task.Run(() => LoadSplit(files[2], files[3]));
        TensorDataset train;
        try
        {
            train = LoadSplit(files[0], files[1]);
        }
        catch
        {
            try { test.Wait(); test.Result.Dispose(); } catch (AggregateException) { }
            throw;
        }
        try
        {
            return (train, test.GetAwaiter().GetResult());
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    internal static IReadOnlyList<string> Candidates(MnistLayout layout, string? root)
    {
        if (root != null) return [root, Path.Combine(root, layout.DirName), Path.Combine(root, layout.TorchvisionName, "raw")];
        var list = new List<string>();
        var env = Environment.GetEnvironmentVariable("NATIVENET_DATA");
        if (!string.IsNullOrEmpty(env)) list.Add(Path.Combine(env, layout.DirName));
        list.Add(Path.Combine(SystemDatasets, layout.DirName));
        return list;
    }

    /// <summary>The four files (train images, train labels, test images, test labels) from the first directory holding all of them.</summary>
    static string[] Find(MnistLayout layout, string? root)
    {
        var report = new List<string>();
        foreach (var dir in Candidates(layout, root))
        {
            if (!Directory.Exists(dir))
            {
                report.Add($"  {dir} (no such directory)");
                continue;
            }
            var found = Stems.Select(stem => Variants(stem).Select(v => Path.Combine(dir, v)).FirstOrDefault(File.Exists)).ToArray();
            if (found.All(f => f != null)) return found!;
            var missing = Stems.Where((_, i) => found[i] == null).Select(s => s + "[.gz]");
            report.Add($"  {dir} (missing {string.Join(", ", missing)})");
        }
        throw new FileNotFoundException(
            $"{layout.Name} not found{(root != null ? $" under {root}" : "")}. Looked for {string.Join(", ", Stems.Select(s => s + "[.gz]"))} in:\n" +
            string.Join("\n", report) +
            $"\nTo get it: {layout.HowToGet}; then pass the directory to Load(root) or set NATIVENET_DATA so that $NATIVENET_DATA/{layout.DirName} holds the files.",
            Stems[0] + ".gz");
    }

    /// <summary>File names accepted for one stem: gzip, raw, and the dotted spelling some mirrors use (train-images.idx3-ubyte).</summary>
    static string[] Variants(string stem)
    {
        int dash = stem.IndexOf("-idx", StringComparison.Ordinal);
        var dotted = stem[..dash] + "." + stem[(dash + 1)..];
        return [stem + ".gz", stem, dotted + ".gz", dotted];
    }

    static TensorDataset LoadSplit(string imagesPath, string labelsPath)
    {
        var images = Idx.ReadRaw(imagesPath);
        var labels = Idx.ReadRaw(labelsPath);
        if (images.Type != IdxType.UByte || images.Shape.Length != 3 || images.Shape[1] != Side || images.Shape[2] != Side)
            throw new IdxFormatException(imagesPath, $"expected unsigned-byte images of shape [N, {Side}, {Side}], got {images.Type} {ShapeUtil.Format(images.Shape)}");
        if (labels.Type != IdxType.UByte || labels.Shape.Length != 1)
            throw new IdxFormatException(labelsPath, $"expected unsigned-byte labels of shape [N], got {labels.Type} {ShapeUtil.Format(labels.Shape)}");
        int n = images.Shape[0];
        if (labels.Shape[0] != n)
            throw new IdxFormatException(labelsPath, $"{labels.Shape[0]} labels for {n} images in {imagesPath}");
        var y = Tensor.Empty([n], DType.Int64, Device.Cpu).Unown();
        var ys = ((CpuStorage)y.storage).Span<long>(0, n);
        for (int i = 0; i < n; i++)
        {
            byte label = labels.Data[i];
            if (label >= NumClasses)
            {
                y.Dispose();
                throw new IdxFormatException(labelsPath, $"label {label} at index {i} is not a class index below {NumClasses}");
            }
            ys[i] = label;
        }
        var x = Tensor.Empty([n, 1, Side, Side], DType.Float32, Device.Cpu).Unown();
        // One pass from bytes to floats through a table of b / 255 (the value torchvision's ToTensor gives).
        Span<float> table = stackalloc float[256];
        for (int b = 0; b < 256; b++) table[b] = b / 255f;
        var src = images.Data.AsSpan();
        var xs = ((CpuStorage)x.storage).Span<float>(0, src.Length);
        for (int i = 0; i < src.Length; i++) xs[i] = table[src[i]];
        return new TensorDataset([x, y], ownsTensors: true);
    }
}
