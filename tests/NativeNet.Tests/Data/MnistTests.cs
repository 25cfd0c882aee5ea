using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using NativeNet.Data;

namespace NativeNet.Tests.Data;

/// <summary>Tests that read process-wide state (NATIVENET_DATA, MemoryStats) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DataSerialCollection
{
    public const string Name = "Data serial";
}

[Collection(DataSerialCollection.Name)]
public sealed class MnistTests : IDisposable
{
    const string SystemDir = "/usr/share/datasets/fashion-mnist";
    readonly string dir = Directory.CreateTempSubdirectory("nativenet-mnist-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static byte[] ReadGzipPrefix(string path, int count)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var b = new byte[count];
        gz.ReadExactly(b);
        return b;
    }

    [SkippableFact]
    public void RealFashionMnistHasTheDocumentedShapesRangesAndLabels()
    {
        Skip.IfNot(File.Exists(Path.Combine(SystemDir, "train-labels-idx1-ubyte.gz")), "dataset-fashion-mnist is not installed (bash tools/setup.sh)");
        var sw = Stopwatch.StartNew();
        var (train, test) = FashionMnist.Load(SystemDir);
        var elapsed = sw.Elapsed;
        using (train)
        using (test)
        {
            Assert.Equal([60000, 1, 28, 28], train.X.Shape.ToArray());
            Assert.Equal([10000, 1, 28, 28], test.X.Shape.ToArray());
            Assert.Equal(DType.Float32, train.X.DType);
            Assert.Equal(DType.Int64, train.Y.DType);
            Assert.Equal([60000], train.Y.Shape.ToArray());
            Assert.Equal(60000, train.Count);
            Assert.Null(train.X.owner);
            Assert.Equal(0f, train.X.Min().Item<float>());
            Assert.Equal(1f, train.X.Max().Item<float>());

            // Independent reference: the raw bytes of the package's files through a plain GZipStream.
            var labelBytes = ReadGzipPrefix(Path.Combine(SystemDir, "train-labels-idx1-ubyte.gz"), 8 + 20);
            Assert.Equal(2049, BinaryPrimitives.ReadInt32BigEndian(labelBytes));
            Assert.Equal(labelBytes[8..].Select(b => (long)b).ToArray(), train.Y.Narrow(0, 0, 20).ToArray<long>());
            var testLabels = ReadGzipPrefix(Path.Combine(SystemDir, "t10k-labels-idx1-ubyte.gz"), 8 + 20);
            Assert.Equal(testLabels[8..].Select(b => (long)b).ToArray(), test.Y.Narrow(0, 0, 20).ToArray<long>());
            var pixels = ReadGzipPrefix(Path.Combine(SystemDir, "train-images-idx3-ubyte.gz"), 16 + 2 * 784);
            Assert.Equal(pixels[16..].Select(b => b / 255f).ToArray(), train.X.Narrow(0, 0, 2).ToArray<float>());

            // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
            var counts = train.Y.ToArray<long>().GroupBy(v => v).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
            Assert.Equal(Enumerable.Repeat(6000, 10), counts);
            Assert.All(test.Y.ToArray<long>().GroupBy(v => v), g => Assert.Equal(1000, g.Count()));
        }
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"loading took {elapsed}");
    }

    /// <summary>The issue's program, verbatim: load, then batch with shuffling.</summary>
    [SkippableFact]
    public void IssueProgramLoadsAndBatches()
    {
        Skip.IfNot(Directory.Exists(SystemDir), "dataset-fashion-mnist is not installed");
        var (train, test) = FashionMnist.Load(SystemDir);
        var loader = new DataLoader(train, batchSize: 64, shuffle: true);
        Assert.Equal(938, loader.Count);
        int batches = 0;
        foreach (var (x, y) in loader)
        {
            Assert.Equal(batches == 937 ? [32, 1, 28, 28] : new[] { 64, 1, 28, 28 }, x.Shape.ToArray());
            Assert.Equal(x.Size(0), y.Size(0));
            batches++;
        }
        Assert.Equal(938, batches);
        train.Dispose();
        test.Dispose();
    }

    [SkippableFact]
    public void DefaultSearchFindsTheDebianPackage()
    {
        Skip.IfNot(Directory.Exists(SystemDir), "dataset-fashion-mnist is not installed");
        var saved = Environment.GetEnvironmentVariable("NATIVENET_DATA");
        try
        {
            Environment.SetEnvironmentVariable("NATIVENET_DATA", Path.Combine(dir, "empty"));
            var (train, test) = FashionMnist.Load();
            using (train)
            using (test) Assert.Equal(10000, test.Count);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NATIVENET_DATA", saved);
        }
    }

    /// <summary>Writes a tiny MNIST-style directory: images [n, 28, 28] with pixel (i, r, c) = (i * 31 + r * 3 + c) % 256.</summary>
    static void WriteTiny(string root, int nTrain, int nTest, bool gzip, bool dotted = false, byte maxLabel = 9)
    {
        Directory.CreateDirectory(root);
        foreach (var (split, n) in new[] { ("train", nTrain), ("t10k", nTest) })
        {
            var pixels = new byte[n * 784];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)((i / 784 * 31 + i % 784 / 28 * 3 + i % 28) % 256);
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i * 7 % (maxLabel + 1))).ToArray();
            var sep = dotted ? "." : "-";
            var images = IdxTests.Build(0x08, [n, 28, 28], pixels);
            var labelFile = IdxTests.Build(0x08, [n], labels);
            File.WriteAllBytes(Path.Combine(root, $"{split}-images{sep}idx3-ubyte" + (gzip ? ".gz" : "")), gzip ? IdxTests.Gzip(images) : images);
            File.WriteAllBytes(Path.Combine(root, $"{split}-labels{sep}idx1-ubyte" + (gzip ? ".gz" : "")), gzip ? IdxTests.Gzip(labelFile) : labelFile);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void MnistLoadsATinyGeneratedDirectory(bool gzip, bool dotted)
    {
        WriteTiny(Path.Combine(dir, "mnist"), 5, 3, gzip, dotted);
        // root/mnist is one of the places searched under root.
        var (train, test) = Mnist.Load(dir);
        using (train)
        using (test)
        {
            Assert.Equal([5, 1, 28, 28], train.X.Shape.ToArray());
            Assert.Equal([3, 1, 28, 28], test.X.Shape.ToArray());
            Assert.Equal(new long[] { 0, 7 % 10, 14 % 10, 21 % 10, 28 % 10 }, train.Y.ToArray<long>());
            var x = train.X.ToArray<float>();
            for (int i = 0; i < x.Length; i += 97)
                Assert.Equal((i / 784 * 31 + i % 784 / 28 * 3 + i % 28) % 256 / 255f, x[i]);
        }
    }

    [Fact]
    public void EnvironmentVariableIsSearchedBeforeTheSystemDirectory()
    {
        WriteTiny(Path.Combine(dir, "fashion-mnist"), 4, 2, gzip: true);
        var saved = Environment.GetEnvironmentVariable("NATIVENET_DATA");
        try
        {
            Environment.SetEnvironmentVariable("NATIVENET_DATA", dir);
            var (train, test) = FashionMnist.Load();
            using (train)
            using (test)
            {
                Assert.Equal(4, train.Count);
                Assert.Equal(2, test.Count);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("NATIVENET_DATA", saved);
        }
    }

    [Fact]
    public void MissingFilesListEveryPathTriedAndHowToGetTheData()
    {
        Directory.CreateDirectory(Path.Combine(dir, "partial"));
        File.WriteAllBytes(Path.Combine(dir, "partial", "train-images-idx3-ubyte.gz"), [0]);
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(Path.Combine(dir, "partial")));
        Assert.Contains(Path.Combine(dir, "partial") + " (missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])", e.Message);
        Assert.Contains(Path.Combine(dir, "partial", "fashion-mnist") + " (no such directory)", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("tools/setup.sh", e.Message);

        var saved = Environment.GetEnvironmentVariable("NATIVENET_DATA");
        try
        {
            Environment.SetEnvironmentVariable("NATIVENET_DATA", Path.Combine(dir, "nothing"));
            var m = Assert.Throws<FileNotFoundException>(() => Mnist.Load());
            Assert.Contains(Path.Combine(dir, "nothing", "mnist") + " (", m.Message);
            Assert.Contains("/usr/share/datasets/mnist", m.Message);
            Assert.Contains("NATIVENET_DATA", m.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NATIVENET_DATA", saved);
        }
    }

    [Fact]
    public void InconsistentFilesGiveIdxFormatException()
    {
        var bad = Path.Combine(dir, "bad");
        WriteTiny(bad, 5, 3, gzip: false, maxLabel: 10);
        var e = Assert.Throws<IdxFormatException>(() => Mnist.Load(bad));
        Assert.Contains("label 10", e.Message);

        var mismatch = Path.Combine(dir, "mismatch");
        WriteTiny(mismatch, 5, 3, gzip: false);
        File.WriteAllBytes(Path.Combine(mismatch, "train-labels-idx1-ubyte"), IdxTests.Build(0x08, [4], [1, 2, 3, 4]));
        e = Assert.Throws<IdxFormatException>(() => Mnist.Load(mismatch));
        Assert.Contains("4 labels for 5 images", e.Message);

        var truncated = Path.Combine(dir, "truncated");
        WriteTiny(truncated, 5, 3, gzip: true);
        var p = Path.Combine(truncated, "t10k-images-idx3-ubyte.gz");
        File.WriteAllBytes(p, File.ReadAllBytes(p)[..40]);
        e = Assert.Throws<IdxFormatException>(() => Mnist.Load(truncated));
        Assert.Equal(p, e.Path);
    }
}
