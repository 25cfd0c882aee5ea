using NativeNet.Bindings.Cuda;

namespace NativeNet.Backends.Cuda;

/// <summary>
/// Registers the CUDA backend per device, only when the probe says the GPU-available rule holds and cuBLAS and
/// libnativenet_cuda are present; otherwise every request throws <see cref="DeviceUnavailableException"/> carrying the
/// probe report (libraries tried, status codes).
/// </summary>
internal static class CudaRuntime
{
    static readonly object Gate = new();
    static volatile CudaBackend?[] backends = [];

    internal static CudaProbeResult Probe => CudaProbe.Result;

    /// <summary>True when CUDA tensors can be created on this machine.</summary>
    internal static bool IsAvailable => Probe.BackendUsable;

    /// <summary>Throws <see cref="DeviceUnavailableException"/> unless device <paramref name="index"/> can be used.</summary>
    internal static void EnsureAvailable(int index)
    {
        var p = Probe;
        if (!p.BackendUsable)
            throw new DeviceUnavailableException($"device cuda:{index} is not available. {p.Report()}");
        if (index < 0 || index >= p.DeviceCount)
            throw new DeviceUnavailableException($"device cuda:{index} does not exist: this machine has {p.DeviceCount} CUDA device(s) (cuda:0..cuda:{p.DeviceCount - 1})");
    }

    /// <summary>The backend of device <paramref name="index"/>, created on first use (an array read once created).</summary>
    internal static CudaBackend Backend(int index)
    {
        var b = backends;
        if ((uint)index < (uint)b.Length && b[index] is { } hit) return hit;
        lock (Gate)
        {
            EnsureAvailable(index);
            var arr = backends;
            if (arr.Length <= index)
            {
                var grown = new CudaBackend?[Probe.DeviceCount];
                Array.Copy(arr, grown, arr.Length);
                arr = grown;
            }
            arr[index] ??= new CudaBackend(new CudaDevice(index));
            backends = arr;
            return arr[index]!;
        }
    }

    internal static CudaDevice Device(int index) => Backend(index).Owner;

    /// <summary>The devices created so far (for EmptyCache/Synchronize over all devices).</summary>
    internal static IEnumerable<CudaDevice> Created
    {
        get
        {
            foreach (var b in backends)
                if (b != null) yield return b.Owner;
        }
    }
}
