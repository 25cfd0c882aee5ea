using NativeNet.Backends.Cuda;
using NativeNet.Bindings.Cuda;

namespace NativeNet;

/// <summary>Properties of one CUDA device (PyTorch <c>torch.cuda.get_device_properties</c>).</summary>
/// <param name="Index">The device ordinal (cuda:N).</param>
/// <param name="Name">The marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="Major">Compute capability major version.</param>
/// <param name="Minor">Compute capability minor version.</param>
/// <param name="TotalMemory">Device memory in bytes.</param>
/// <param name="MultiProcessorCount">Number of streaming multiprocessors.</param>
public readonly record struct CudaDeviceProperties(int Index, string Name, int Major, int Minor, long TotalMemory, int MultiProcessorCount)
{
    /// <summary>"cuda:0 NVIDIA H100 (sm_90, 79.1 GiB, 132 SMs)".</summary>
    public override string ToString()
        => $"cuda:{Index} {Name} (sm_{Major}{Minor}, {TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, {MultiProcessorCount} SMs)";
}

/// <summary>
/// CUDA status and memory control (PyTorch <c>torch.cuda</c>): availability with the reason when absent, device
/// properties, the caching allocator's statistics and cache, synchronization.
/// </summary>
public static unsafe class Cuda
{
    /// <summary>True when CUDA tensors can be created: a GPU, the CUDA runtime, cuBLAS and NativeNet's kernels (<c>torch.cuda.is_available()</c>).</summary>
    public static bool IsAvailable => CudaRuntime.IsAvailable;

    /// <summary>Number of usable CUDA devices, 0 when CUDA is unavailable (<c>torch.cuda.device_count()</c>).</summary>
    public static int DeviceCount => IsAvailable ? CudaRuntime.Probe.DeviceCount : 0;

    /// <summary>Why CUDA is unavailable ("available" when it is).</summary>
    public static string UnavailableReason => CudaRuntime.Probe.Reason;

    /// <summary>The probe report: verdict, driver and runtime versions, and each library found (or every file name tried).</summary>
    public static string Report() => CudaRuntime.Probe.Report();

    /// <summary>Name, compute capability, memory and SM count of device <paramref name="index"/> (<c>torch.cuda.get_device_properties</c>).</summary>
    public static CudaDeviceProperties GetDeviceProperties(int index = 0)
    {
        var dev = CudaRuntime.Device(index);
        lock (dev.Gate)
        {
            dev.MakeCurrent();
            nuint free = 0, total = 0;
            Cudart.Check(Cudart.cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
            return new CudaDeviceProperties(index, Cudart.DeviceName(index),
                Cudart.Attribute(cudaDeviceAttr.cudaDevAttrComputeCapabilityMajor, index),
                Cudart.Attribute(cudaDeviceAttr.cudaDevAttrComputeCapabilityMinor, index),
                (long)total, Cudart.Attribute(cudaDeviceAttr.cudaDevAttrMultiProcessorCount, index));
        }
    }

    /// <summary>The caching allocator's counters for <paramref name="device"/> (<c>torch.cuda.memory_stats</c>).</summary>
    public static CudaMemoryStats MemoryStats(Device device)
    {
        if (device.Type != DeviceType.Cuda)
            throw new ArgumentException($"Cuda.MemoryStats: {device} is not a CUDA device (host memory: NativeNet.MemoryStats)", nameof(device));
        return CudaRuntime.Device(device.Index).Allocator.Stats();
    }

    /// <summary>The caching allocator's counters for cuda:<paramref name="index"/>.</summary>
    public static CudaMemoryStats MemoryStats(int index = 0) => MemoryStats(new Device(DeviceType.Cuda, index));

    /// <summary>Resets the peak counters of <paramref name="device"/> (<c>torch.cuda.reset_peak_memory_stats</c>).</summary>
    public static void ResetPeakMemoryStats(Device device)
    {
        if (device.Type != DeviceType.Cuda) throw new ArgumentException($"{device} is not a CUDA device", nameof(device));
        CudaRuntime.Device(device.Index).Allocator.ResetPeaks();
    }

    /// <summary>Returns every cached (freed) block of every initialised device to the driver (<c>torch.cuda.empty_cache</c>); a no-op without CUDA.</summary>
    public static void EmptyCache()
    {
        foreach (var d in CudaRuntime.Created) d.Allocator.EmptyCache();
    }

    /// <summary>Waits for all work queued on <paramref name="device"/> (every initialised device when null) (<c>torch.cuda.synchronize</c>).</summary>
    public static void Synchronize(Device? device = null)
    {
        if (device is { } d)
        {
            if (d.Type != DeviceType.Cuda) return;
            CudaRuntime.Device(d.Index).Synchronize();
            return;
        }
        foreach (var dev in CudaRuntime.Created) dev.Synchronize();
    }
}
