using System.Runtime.InteropServices;

namespace NativeNet;

/// <summary>Reading data out, casting, copying and the few in-place ops optimizers need.</summary>
public partial class Tensor
{
    /// <summary>Copies the elements, in row-major order, into a new array (<c>tensor.tolist()</c> / <c>.numpy()</c>).</summary>
    /// <typeparam name="T">Must match the dtype: float, double, long, int, bool or byte.</typeparam>
    public T[] ToArray<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        var want = DTypeInfo.Of<T>();
        if (want != DType)
            throw new DTypeMismatchException("ToArray", $"tensor is {DType.Name()} but {typeof(T).Name} ({want.Name()}) was requested; call To(DType.{want}) first");
        var src = Contiguous();
        var result = new T[numel];
        if (src.storage is CpuStorage cpu) MemoryMarshal.AsBytes(cpu.Span<T>(src.offset, numel)).CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        else src.Backend.CopyToHost(src.View, MemoryMarshal.AsBytes(result.AsSpan()));
        DisposeIfTemp(src, this);
        return result;
    }

    /// <summary>The value of a one-element tensor (<c>tensor.item()</c>).</summary>
    public T Item<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        if (numel != 1) throw new ShapeMismatchException("Item", $"only one-element tensors can be converted to a scalar, got shape {ShapeUtil.Format(shape)}");
        var want = DTypeInfo.Of<T>();
        if (want == DType) return ToArray<T>()[0];
        using var c = To(want);
        return c.ToArray<T>()[0];
    }

    /// <summary>The value of a one-element tensor as double, whatever its dtype.</summary>
    public double Item() => Item<double>();

    /// <summary>Returns this tensor if it is contiguous, else a contiguous copy (<c>tensor.contiguous()</c>).</summary>
    public Tensor Contiguous()
    {
        ThrowIfDisposed();
        return IsContiguous ? this : CopyAs(DType, Device, "Contiguous");
    }

    /// <summary>A contiguous copy that stays in the graph (<c>tensor.clone()</c>).</summary>
    public Tensor Clone() => CopyAs(DType, Device, "Identity");

    /// <summary>Casts to <paramref name="dtype"/> (<c>tensor.to(dtype)</c>); returns this tensor when nothing changes.</summary>
    public Tensor To(DType dtype)
    {
        ThrowIfDisposed();
        return dtype == DType ? this : CopyAs(dtype, Device, "Cast");
    }

    /// <summary>Moves to <paramref name="device"/> (<c>tensor.to(device)</c>); returns this tensor when nothing changes.</summary>
    public Tensor To(Device device)
    {
        ThrowIfDisposed();
        return device == Device ? this : CopyAs(DType, device, "Copy");
    }

    /// <summary>Casts and moves (<c>tensor.to(device, dtype)</c>).</summary>
    public Tensor To(DType dtype, Device device)
    {
        ThrowIfDisposed();
        return dtype == DType && device == Device ? this : CopyAs(dtype, device, "Cast");
    }

    Tensor CopyAs(DType dtype, Device device, string name)
    {
        ThrowIfDisposed();
        var y = device == Device ? CopySameDevice(dtype) : CopyAcross(dtype, device);
        if (GraphTracer.Current is { } tr) tr.Copy(this, y);
        if (Autograd.Needs(this) && dtype.IsFloatingPoint())
        {
            var (from, fromDevice) = (DType, Device);
            Autograd.Record(y, name, [this], g => [g.To(from, fromDevice)]);
        }
        return y;
    }

    Tensor CopySameDevice(DType dtype)
    {
        var y = Empty(shape, dtype, Device);
        Backend.Copy(View, y.View);
        return y;
    }

    /// <summary>
    /// A copy on another device: cast and make contiguous where the data is, then one host transfer through the two
    /// backends (CPU→GPU and GPU→CPU directly, GPU→GPU through host memory). Only explicit To(device) calls get here.
    /// </summary>
    Tensor CopyAcross(DType dtype, Device device)
    {
        var target = NativeNet.Backend.For(device);  // throws DeviceUnavailableException before any work
        Tensor src;
        using (Autograd.NoGrad()) src = dtype == DType && IsContiguous ? this : CopySameDevice(dtype);
        var y = Empty(shape, dtype, device);
        try
        {
            if (src.storage is CpuStorage cpu)
                target.CopyFromHost(cpu.Span<byte>(src.offset * dtype.ElementSize(), numel * dtype.ElementSize()), y.View);
            else if (y.storage is CpuStorage dst)
                src.Backend.CopyToHost(src.View, dst.Span<byte>(0, numel * dtype.ElementSize()));
            else
            {
                var staging = GC.AllocateUninitializedArray<byte>(numel * dtype.ElementSize());
                src.Backend.CopyToHost(src.View, staging);
                target.CopyFromHost(staging, y.View);
            }
        }
        catch
        {
            y.Dispose();
            throw;
        }
        finally
        {
            DisposeIfTemp(src, this);
        }
        return y;
    }

    /// <summary>Copies <paramref name="source"/> (broadcast, cast) into this tensor in place (<c>tensor.copy_</c>).</summary>
    public Tensor CopyFrom(Tensor source)
    {
        CheckInPlace("CopyFrom");
        source.ThrowIfDisposed();
        CheckSameDevice("CopyFrom", this, source);
        var bs = ShapeUtil.Broadcast(shape, source.shape, "CopyFrom");
        if (!bs.AsSpan().SequenceEqual(shape))
            throw new ShapeMismatchException("CopyFrom", $"source shape {ShapeUtil.Format(source.shape)} does not broadcast to {ShapeUtil.Format(shape)}");
        var sv = new TensorView(source.storage, shape, ShapeUtil.BroadcastStrides(source.shape, source.strides, shape), source.offset, source.DType);
        Backend.Copy(sv, View);
        return this;
    }

    /// <summary>Fills in place (<c>tensor.fill_</c>).</summary>
    public Tensor FillInPlace(double value)
    {
        CheckInPlace("FillInPlace");
        if (IsContiguous) Backend.Fill(View, value);
        else
        {
            using var f = Full(shape, value, DType, Device);
            CopyFrom(f);
        }
        return this;
    }

    /// <summary>Zeros in place (<c>tensor.zero_</c>).</summary>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>this += alpha·other in place (<c>tensor.add_(other, alpha=…)</c>); other broadcasts.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        CheckInPlace("AddInPlace");
        if (alpha == 1) return InPlaceBinary(BinaryOp.Add, other);
        using var scaled = other.Mul(alpha);
        return InPlaceBinary(BinaryOp.Add, scaled);
    }

    /// <summary>this *= other in place (<c>tensor.mul_</c>).</summary>
    public Tensor MulInPlace(Tensor other)
    {
        CheckInPlace("MulInPlace");
        return InPlaceBinary(BinaryOp.Mul, other);
    }

    /// <summary>this *= s in place (<c>tensor.mul_(s)</c>).</summary>
    public Tensor MulInPlace(double s)
    {
        CheckInPlace("MulInPlace");
        if (!IsContiguous) throw new InvalidOperationException("MulInPlace: needs a contiguous tensor");
        Backend.BinaryScalar(BinaryOp.Mul, View, s, false, View);
        return this;
    }

    Tensor InPlaceBinary(BinaryOp op, Tensor other)
    {
        other.ThrowIfDisposed();
        CheckSameDevice(op.ToString(), this, other);
        if (!IsContiguous) throw new InvalidOperationException($"{op}InPlace: needs a contiguous tensor");
        var bs = ShapeUtil.Broadcast(shape, other.shape, op + "InPlace");
        if (!bs.AsSpan().SequenceEqual(shape))
            throw new ShapeMismatchException(op + "InPlace", $"operand shape {ShapeUtil.Format(other.shape)} does not broadcast to {ShapeUtil.Format(shape)}");
        var oc = other.CastIfNeeded(DType);
        var ov = new TensorView(oc.storage, shape, ShapeUtil.BroadcastStrides(oc.shape, oc.strides, shape), oc.offset, DType);
        Backend.Binary(op, View, ov, View);
        DisposeIfTemp(oc, other);
        return this;
    }
}
