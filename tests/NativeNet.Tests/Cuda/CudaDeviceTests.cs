using NativeNet.NN;

namespace NativeNet.Tests.Cuda;

/// <summary>
/// Device selection and its errors. Without a usable GPU every CUDA request must fail with one clear
/// <see cref="DeviceUnavailableException"/> carrying the probe report; with one, tensors and modules move across devices,
/// mixed-device ops are rejected naming both devices, and the allocator's statistics follow the tensors' lifetimes.
/// </summary>
[Collection("Serial")]  // Device.Default is process-wide
public class CudaDeviceTests
{
    static readonly Device Cuda0 = new(DeviceType.Cuda, 0);  // the raw constructor: no availability check

    static void RequireNoCuda() => Skip.If(NativeNet.Cuda.IsAvailable, "CUDA is available here: the unavailable-device errors cannot be observed");

    static void RequireCuda() => Skip.IfNot(NativeNet.Cuda.IsAvailable, "no CUDA device: " + NativeNet.Cuda.UnavailableReason);

    static void AssertClearError(DeviceUnavailableException e)
    {
        Assert.Contains("cuda:0 is not available", e.Message);
        Assert.Contains("CUDA unavailable:", e.Message);
        Assert.Contains(NativeNet.Cuda.UnavailableReason, e.Message);
        foreach (var role in new[] { "cudart", "cublas", "cudnn", "kernels" }) Assert.Contains(role, e.Message);
    }

    [SkippableFact]
    public void CudaDeviceRequestsFailWithTheProbeReport()
    {
        RequireNoCuda();
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => Device.Cuda(0)));
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => Device.Parse("cuda")));
        using var x = Tensor.Ones(2, 3);
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => x.To(Cuda0)));
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => Tensor.Zeros([2], DType.Float32, Cuda0)));
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => Tensor.FromArray([1f, 2f], device: Cuda0)));
        Assert.Equal(0, NativeNet.Cuda.DeviceCount);
        Assert.Throws<DeviceUnavailableException>(() => NativeNet.Cuda.MemoryStats(0));
        NativeNet.Cuda.EmptyCache();  // no device initialised: nothing to do, no error
        NativeNet.Cuda.Synchronize();
    }

    [SkippableFact]
    public void DefaultDeviceRejectsAnUnavailableGpuAndStaysOnTheCpu()
    {
        RequireNoCuda();
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => Device.Default = Cuda0));
        Assert.Equal(Device.Cpu, Device.Default);
        using var t = Tensor.FromArray([1.0, 2.0]);
        Assert.Equal(Device.Cpu, t.Device);
    }

    [SkippableFact]
    public void ModuleToAnUnavailableGpuLeavesTheModuleUsable()
    {
        RequireNoCuda();
        var model = new Sequential(new Linear(3, 2), new Relu());
        var before = model.Parameters().ToList();
        AssertClearError(Assert.Throws<DeviceUnavailableException>(() => model.To(Cuda0)));
        Assert.Equal(before, model.Parameters().ToList());
        Assert.All(model.Parameters(), p => Assert.Equal(Device.Cpu, p.Device));
        using var y = model.Call(Tensor.Ones(4, 3));
        Assert.Equal([4, 2], y.Shape.ToArray());
    }

    [Fact]
    public void CudaDeviceNamesParseAndPrint()
    {
        Assert.Equal("cuda:1", new Device(DeviceType.Cuda, 1).ToString());
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        Assert.Throws<ArgumentException>(() => NativeNet.Cuda.MemoryStats(Device.Cpu));
    }

    // ------------------------------------------------------------------ with a GPU
    [SkippableFact]
    public void TensorsRoundTripAndMixedDeviceOpsAreRejected()
    {
        RequireCuda();
        var dev = Device.Cuda(0);
        using var x = Tensor.FromArray([1.0, -2.0, 3.0], [3]);
        using var g = x.To(dev);
        Assert.Equal(dev, g.Device);
        using var back = g.To(Device.Cpu);
        Assert.Equal(x.ToArray<double>(), back.ToArray<double>());
        Assert.Equal(x.ToArray<double>(), g.ToArray<double>());
        var e = Assert.Throws<DeviceMismatchException>(() => x.Add(g));
        Assert.Contains("cpu", e.Message);
        Assert.Contains("cuda:0", e.Message);
        Assert.Throws<DeviceMismatchException>(() => x.MatMul(g.Reshape(3, 1)));
        using var idx = Tensor.FromArray([0L, 2L]);
        Assert.Throws<DeviceMismatchException>(() => g.IndexSelect(0, idx));
        using var bad = Tensor.FromArray([0L, 3L], device: dev);
        Assert.Throws<IndexOutOfRangeException>(() => g.IndexSelect(0, bad));
    }

    [SkippableFact]
    public void AllocatorStatisticsFollowTensorLifetimes()
    {
        RequireCuda();
        var dev = Device.Cuda(0);
        NativeNet.Cuda.Synchronize(dev);
        var before = NativeNet.Cuda.MemoryStats(dev);
        var t = Tensor.Zeros([1024, 1024], DType.Float32, dev);
        var during = NativeNet.Cuda.MemoryStats(dev);
        Assert.True(during.AllocatedBytes >= before.AllocatedBytes + 4L * 1024 * 1024);
        t.Dispose();
        var after = NativeNet.Cuda.MemoryStats(dev);
        Assert.Equal(before.AllocatedBytes, after.AllocatedBytes);
        Assert.True(after.CachedBytes >= 4L * 1024 * 1024);
        using (var again = Tensor.Zeros([1024, 1024], DType.Float32, dev))
            Assert.True(NativeNet.Cuda.MemoryStats(dev).CacheHits > after.CacheHits);
        NativeNet.Cuda.EmptyCache();
        Assert.Equal(0, NativeNet.Cuda.MemoryStats(dev).CachedBytes);
        var props = NativeNet.Cuda.GetDeviceProperties(0);
        Assert.True(props.TotalMemory > 0 && props.MultiProcessorCount > 0 && props.Major >= 3);
    }

    [SkippableFact]
    public void ExhaustingDeviceMemoryThrowsTheTypedOutOfMemoryError()
    {
        RequireCuda();
        var dev = Device.Cuda(0);
        var e = Assert.Throws<CudaOutOfMemoryException>(() =>
        {
            var held = new List<Tensor>();
            try
            {
                for (int i = 0; i < 1024; i++) held.Add(Tensor.Empty([1 << 28], DType.Float64, dev));  // 2 GiB each
            }
            finally
            {
                foreach (var h in held) h.Dispose();
            }
        });
        Assert.Equal("cuda:0", e.Device);
        Assert.True(e.Stats.OutOfMemoryRetries >= 1);
        using var ok = Tensor.Zeros([16], DType.Float32, dev);  // usable afterwards
    }
}
