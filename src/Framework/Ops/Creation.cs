using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeNet;

/// <summary>Tensor factories (<c>torch.zeros</c>, <c>torch.arange</c>, <c>torch.tensor</c>, …) and the seeded random generator.</summary>
public partial class Tensor
{
    static ulong seed = 0x5EED;
    static ulong randomOffset;
    static readonly object RandomGate = new();

    /// <summary>Seeds the global counter-based generator (<c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(long seed)
    {
        lock (RandomGate)
        {
            Tensor.seed = (ulong)seed;
            randomOffset = 0;
        }
    }

    /// <summary>Reserves <paramref name="count"/> counters of the generator stream; returns (seed, first counter).</summary>
    internal static (ulong Seed, ulong Offset) NextRandom(long count)
    {
        lock (RandomGate)
        {
            var r = (seed, randomOffset);
            randomOffset += (ulong)Math.Max(count, 1);
            return r;
        }
    }

    /// <summary>A filled tensor (<c>torch.full</c>).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        var t = Empty((int[])shape.Clone(), dtype, device ?? Device.Default);
        t.Backend.Fill(t.View, value);
        if (GraphTracer.Current is { } tr) tr.Constant(t);
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Zeros (<c>torch.zeros(2, 3)</c>).</summary>
    public static Tensor Zeros(params int[] shape) => Full(shape, 0);

    /// <summary>Zeros with options (<c>torch.zeros(shape, dtype=…)</c>).</summary>
    public static Tensor Zeros(int[] shape, DType dtype, Device? device = null, bool requiresGrad = false) => Full(shape, 0, dtype, device, requiresGrad);

    /// <summary>Ones (<c>torch.ones(2, 3)</c>).</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1);

    /// <summary>Ones with options (<c>torch.ones(shape, dtype=…)</c>).</summary>
    public static Tensor Ones(int[] shape, DType dtype, Device? device = null, bool requiresGrad = false) => Full(shape, 1, dtype, device, requiresGrad);

    /// <summary>Uninitialized tensor (<c>torch.empty</c>); contents are arbitrary.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32, Device? device = null) => Empty((int[])shape.Clone(), dtype, device ?? Device.Default);

    /// <summary>Zeros shaped like <paramref name="t"/> (<c>torch.zeros_like</c>).</summary>
    public static Tensor ZerosLike(Tensor t, DType? dtype = null) => FullLike(t, 0, dtype);

    /// <summary>Ones shaped like <paramref name="t"/> (<c>torch.ones_like</c>).</summary>
    public static Tensor OnesLike(Tensor t, DType? dtype = null) => FullLike(t, 1, dtype);

    /// <summary>Filled like <paramref name="t"/> (<c>torch.full_like</c>).</summary>
    public static Tensor FullLike(Tensor t, double value, DType? dtype = null)
    {
        var y = Full(t.shape, value, dtype ?? t.DType, t.Device);
        // Traced: shaped like the traced value (ONNX ConstantOfShape(Shape(t))), so a dynamic batch flows through.
        if (GraphTracer.Current is { } tr && tr.IsTraced(t)) tr.FullLike(t, value, y);
        return y;
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/> (<c>torch.tensor(value)</c>).</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full(ShapeUtil.Scalar, value, dtype, device);

    /// <summary>Values start, start+step, … below end (<c>torch.arange</c>). Integral arguments give Int64, like PyTorch.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be non-zero");
        int n = (int)Math.Max(0, Math.Ceiling((end - start) / step));
        bool integral = start == Math.Floor(start) && end == Math.Floor(end) && step == Math.Floor(step);
        var dt = dtype ?? (integral ? DType.Int64 : DType.Float32);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = start + i * step;
        return Cast(FromArray(data), dt, device);
    }

    /// <summary>0, 1, …, end-1 (<c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null)
    {
        if (steps < 0) throw new ArgumentException("Linspace: steps must be non-negative");
        var data = new double[steps];
        for (int i = 0; i < steps; i++) data[i] = steps == 1 ? start : start + (end - start) * i / (steps - 1);
        return Cast(FromArray(data), dtype, device);
    }

    /// <summary>Identity matrix (<c>torch.eye</c>).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32, Device? device = null)
    {
        int cols = m ?? n;
        var data = new double[n * cols];
        for (int i = 0; i < Math.Min(n, cols); i++) data[i * cols + i] = 1;
        return Cast(FromArray(data, [n, cols]), dtype, device);
    }

    /// <summary>Casts/moves a freshly built tensor; disposes it only when To made a copy (To returns the same tensor when nothing changes).</summary>
    static Tensor Cast(Tensor data, DType dtype, Device? device)
    {
        var r = data.To(dtype, device ?? Device.Default);
        if (!ReferenceEquals(r, data)) data.Dispose();
        return r;
    }

    /// <summary>Uniform [0, 1) samples from the seeded generator (<c>torch.rand</c>).</summary>
    public static Tensor Rand(params int[] shape) => Random(shape, false, 0, 1, DType.Float32, null);

    /// <summary>Uniform samples with options (<c>torch.rand(shape, dtype=…)</c>, or <c>torch.empty(...).uniform_(low, high)</c>).</summary>
    public static Tensor Rand(int[] shape, double low = 0, double high = 1, DType dtype = DType.Float32, Device? device = null)
        => Random(shape, false, low, high, dtype, device);

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    public static Tensor Randn(params int[] shape) => Random(shape, true, 0, 1, DType.Float32, null);

    /// <summary>Normal samples with options (<c>torch.normal(mean, std, size)</c>).</summary>
    public static Tensor Randn(int[] shape, double mean = 0, double std = 1, DType dtype = DType.Float32, Device? device = null)
        => Random(shape, true, mean, std, dtype, device);

    /// <summary>Random integers in [low, high) as Int64 (<c>torch.randint</c>).</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Device? device = null)
    {
        if (high <= low) throw new ArgumentException($"RandInt: high ({high}) must be greater than low ({low})");
        using var u = Random(shape, false, low, high, DType.Float64, device);
        using var f = u.Floor();
        return f.To(DType.Int64);
    }

    /// <summary>A random permutation of 0..n-1 as Int64 (<c>torch.randperm</c>).</summary>
    public static Tensor RandPerm(int n, Device? device = null)
    {
        using var keys = Random([n], false, 0, 1, DType.Float64, Device.Cpu);
        var k = keys.ToArray<double>();
        var idx = new long[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Array.Sort(k, idx);
        return Cast(FromArray(idx), DType.Int64, device);
    }

    static Tensor Random(int[] shape, bool normal, double a, double b, DType dtype, Device? device)
    {
        if (!dtype.IsFloatingPoint()) throw new DTypeMismatchException(normal ? "Randn" : "Rand", $"needs a floating-point dtype, got {dtype.Name()}");
        var t = Empty((int[])shape.Clone(), dtype, device ?? Device.Default);
        var (s, off) = NextRandom(t.NumEl);
        t.Backend.Random(t.View, normal, a, b, s, off);
        // Traced random draws are constants of the graph, as in torch.jit.trace (F.Dropout records ONNX Dropout instead).
        if (GraphTracer.Current is { } tr) tr.Constant(t);
        return t;
    }

    /// <summary>Fills this tensor in place with uniform samples in [low, high) (<c>tensor.uniform_</c>).</summary>
    public Tensor UniformInPlace(double low, double high)
    {
        CheckInPlace("UniformInPlace");
        using var r = Random(shape, false, low, high, DType, Device);
        return CopyFrom(r);
    }

    /// <summary>Fills this tensor in place with normal samples (<c>tensor.normal_</c>).</summary>
    public Tensor NormalInPlace(double mean = 0, double std = 1)
    {
        CheckInPlace("NormalInPlace");
        using var r = Random(shape, true, mean, std, DType, Device);
        return CopyFrom(r);
    }

    static Tensor FromSpan<T>(ReadOnlySpan<T> data, int[]? shape, bool requiresGrad, Device? device) where T : unmanaged
    {
        var shp = shape is null ? [data.Length] : (int[])shape.Clone();
        if (ShapeUtil.NumEl(shp) != data.Length)
            throw new ShapeMismatchException("FromArray", $"{data.Length} values cannot fill shape {ShapeUtil.Format(shp)}");
        var dt = DTypeInfo.Of<T>();
        var t = Empty(shp, dt, device ?? Device.Default);
        if (t.storage is CpuStorage cpu) MemoryMarshal.AsBytes(data).CopyTo(cpu.Array);
        else t.Backend.CopyFromHost(MemoryMarshal.AsBytes(data), t.View);
        if (GraphTracer.Current is { } tr) tr.Constant(t);
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Copies a float array into a new tensor (<c>torch.tensor(data)</c>); <paramref name="shape"/> defaults to 1-D.</summary>
    public static Tensor FromArray(float[] data, int[]? shape = null, bool requiresGrad = false, Device? device = null) => FromSpan<float>(data, shape, requiresGrad, device);
    /// <summary>Copies a double array into a Float64 tensor.</summary>
    public static Tensor FromArray(double[] data, int[]? shape = null, bool requiresGrad = false, Device? device = null) => FromSpan<double>(data, shape, requiresGrad, device);
    /// <summary>Copies a long array into an Int64 tensor.</summary>
    public static Tensor FromArray(long[] data, int[]? shape = null, Device? device = null) => FromSpan<long>(data, shape, false, device);
    /// <summary>Copies an int array into an Int32 tensor.</summary>
    public static Tensor FromArray(int[] data, int[]? shape = null, Device? device = null) => FromSpan<int>(data, shape, false, device);
    /// <summary>Copies a bool array into a Bool tensor.</summary>
    public static Tensor FromArray(bool[] data, int[]? shape = null, Device? device = null) => FromSpan<bool>(data, shape, false, device);
    /// <summary>Copies a byte array into a UInt8 tensor.</summary>
    public static Tensor FromArray(byte[] data, int[]? shape = null, Device? device = null) => FromSpan<byte>(data, shape, false, device);
    /// <summary>Copies a span into a new tensor of the span's element type.</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged => FromSpan(data, shape.Length == 0 ? null : shape, false, null);

    /// <summary>Copies a 2-D float array (<c>torch.tensor([[...]])</c>).</summary>
    public static Tensor FromArray(float[,] data, bool requiresGrad = false)
        => FromSpan<float>(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length), [data.GetLength(0), data.GetLength(1)], requiresGrad, null);
    /// <summary>Copies a 2-D double array.</summary>
    public static Tensor FromArray(double[,] data, bool requiresGrad = false)
        => FromSpan<double>(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, double>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length), [data.GetLength(0), data.GetLength(1)], requiresGrad, null);
}
