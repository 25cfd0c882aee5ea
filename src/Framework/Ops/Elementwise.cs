namespace NativeNet;

/// <summary>Elementwise arithmetic with NumPy broadcasting: each op's checks, forward and backward in one place.</summary>
public partial class Tensor
{
    internal IBackend Backend => NativeNet.Backend.For(Device);

    static void CheckSameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
            throw new DeviceMismatchException(op, $"expected both tensors on the same device, got {a.Device} and {b.Device}");
    }

    /// <summary>Casts to <paramref name="dtype"/> when needed; the caller disposes the result if it differs from the input.</summary>
    internal Tensor CastIfNeeded(DType dtype) => DType == dtype ? this : To(dtype);

    static void DisposeIfTemp(Tensor t, Tensor original)
    {
        if (!ReferenceEquals(t, original)) t.Dispose();
    }

    /// <summary>Runs a broadcasting binary kernel (no autograd); promotes dtypes first.</summary>
    internal static Tensor BinaryForward(BinaryOp op, Tensor a, Tensor b, string name, bool boolResult = false)
    {
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        CheckSameDevice(name, a, b);
        var dt = DTypeInfo.Promote(a.DType, b.DType);
        var shape = ShapeUtil.Broadcast(a.shape, b.shape, name);
        var ac = a.CastIfNeeded(dt);
        var bc = b.CastIfNeeded(dt);
        var y = Empty(shape, boolResult ? DType.Bool : dt, a.Device);
        var av = new TensorView(ac.storage, shape, ReferenceEquals(shape, ac.shape) ? ac.strides : ShapeUtil.BroadcastStrides(ac.shape, ac.strides, shape), ac.offset, dt);
        var bv = new TensorView(bc.storage, shape, ShapeUtil.SameShape(shape, bc.shape) ? bc.strides : ShapeUtil.BroadcastStrides(bc.shape, bc.strides, shape), bc.offset, dt);
        a.Backend.Binary(op, av, bv, y.View);
        DisposeIfTemp(ac, a);
        DisposeIfTemp(bc, b);
        if (GraphTracer.Current is { } tr) tr.Binary(name, a, b, y, dt);
        return y;
    }

    internal static Tensor ScalarForward(BinaryOp op, Tensor x, double s, bool scalarFirst, string name)
    {
        x.ThrowIfDisposed();
        var dt = x.DType;
        if (!dt.IsFloatingPoint() && (s != Math.Floor(s) || op == BinaryOp.Div)) dt = DType.Float32;
        if (dt == DType.Bool && op is not (BinaryOp.And or BinaryOp.Or or BinaryOp.Xor)) dt = DType.Int64;
        var xc = x.CastIfNeeded(dt).Contiguous();
        var y = Empty(x.shape, dt, x.Device);
        x.Backend.BinaryScalar(op, xc.View, s, scalarFirst, y.View);
        if (!ReferenceEquals(xc, x)) xc.Dispose();
        if (GraphTracer.Current is { } tr) tr.ScalarOp(name, x, s, scalarFirst, y, dt);
        return y;
    }

    internal Tensor UnaryForward(UnaryOp op)
    {
        ThrowIfDisposed();
        var xc = Contiguous();
        var y = Empty(shape, DType, Device);
        Backend.Unary(op, xc.View, y.View);
        DisposeIfTemp(xc, this);
        if (GraphTracer.Current is { } tr) tr.Unary(op, this, y);
        return y;
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="target"/> shape (the backward of broadcasting).</summary>
    internal Tensor SumTo(int[] target)
    {
        if (shape.AsSpan().SequenceEqual(target)) return this;
        int lead = shape.Length - target.Length;
        var dims = new List<int>();
        for (int i = 0; i < shape.Length; i++)
            if (i < lead || (target[i - lead] == 1 && shape[i] != 1)) dims.Add(i);
        var s = dims.Count == 0 ? this : Sum(dims.ToArray(), keepDim: true);
        return s.shape.AsSpan().SequenceEqual(target) ? s : s.Reshape(target);
    }

    static Tensor Floatify(Tensor t) => t.DType.IsFloatingPoint() ? t : t.To(DType.Float32);

    /// <summary>Elementwise sum with broadcasting (<c>torch.add</c>).</summary>
    public Tensor Add(Tensor other)
    {
        var y = BinaryForward(BinaryOp.Add, this, other, "Add");
        if (Autograd.Needs(this, other))
        {
            int[] sa = shape, sb = other.shape;
            Autograd.Record(y, "Add", [this, other], g => [g.SumTo(sa), g.SumTo(sb)]);
        }
        return y;
    }

    /// <summary>Elementwise difference with broadcasting (<c>torch.sub</c>).</summary>
    public Tensor Sub(Tensor other)
    {
        var y = BinaryForward(BinaryOp.Sub, this, other, "Sub");
        if (Autograd.Needs(this, other))
        {
            int[] sa = shape, sb = other.shape;
            Autograd.Record(y, "Sub", [this, other], g => [g.SumTo(sa), g.Neg().SumTo(sb)]);
        }
        return y;
    }

    /// <summary>Elementwise product with broadcasting (<c>torch.mul</c>).</summary>
    public Tensor Mul(Tensor other)
    {
        var y = BinaryForward(BinaryOp.Mul, this, other, "Mul");
        if (Autograd.Needs(this, other))
        {
            int[] sa = shape, sb = other.shape;
            var a = Alias();
            var b = other.Alias();
            Autograd.Record(y, "Mul", [this, other], g => [g.Mul(b).SumTo(sa), g.Mul(a).SumTo(sb)], a, b);
        }
        return y;
    }

    /// <summary>Elementwise true division with broadcasting (<c>torch.div</c>); integer inputs give float results.</summary>
    public Tensor Div(Tensor other)
    {
        if (!DType.IsFloatingPoint() && !other.DType.IsFloatingPoint())
        {
            using var af = To(DType.Float32);
            return af.Div(other);
        }
        var y = BinaryForward(BinaryOp.Div, this, other, "Div");
        if (Autograd.Needs(this, other))
        {
            int[] sa = shape, sb = other.shape;
            var a = Alias();
            var b = other.Alias();
            Autograd.Record(y, "Div", [this, other], g => [g.Div(b).SumTo(sa), g.Mul(a).Div(b.Mul(b)).Neg().SumTo(sb)], a, b);
        }
        return y;
    }

    /// <summary>Elementwise power with a tensor exponent (<c>torch.pow</c>).</summary>
    public Tensor Pow(Tensor exponent)
    {
        if (!DType.IsFloatingPoint() && !exponent.DType.IsFloatingPoint() && exponent.NumEl > 0)
        {
            using var lowest = exponent.Min();
            if (lowest.Item() < 0)
                throw new DTypeMismatchException("Pow", $"integer tensors cannot be raised to negative integer powers (exponent shape {ShapeUtil.Format(exponent.shape)}); cast to a floating-point dtype first");
        }
        var y = BinaryForward(BinaryOp.Pow, this, exponent, "Pow");
        if (Autograd.Needs(this, exponent))
        {
            int[] sa = shape, sb = exponent.shape;
            var a = Alias();
            var b = exponent.Alias();
            var ys = y.Alias();
            Autograd.Record(y, "Pow", [this, exponent],
                g => [g.Mul(b).Mul(a.Pow(b.Sub(1))).SumTo(sa), g.Mul(ys).Mul(a.Log()).SumTo(sb)], a, b, ys);
        }
        return y;
    }

    /// <summary>Elementwise maximum (<c>torch.maximum</c>); ties split the gradient evenly.</summary>
    public Tensor Maximum(Tensor other) => MinMax(other, BinaryOp.Maximum, "Max");

    /// <summary>Elementwise minimum (<c>torch.minimum</c>); ties split the gradient evenly.</summary>
    public Tensor Minimum(Tensor other) => MinMax(other, BinaryOp.Minimum, "Min");

    Tensor MinMax(Tensor other, BinaryOp op, string name)
    {
        var y = BinaryForward(op, this, other, name);
        if (Autograd.Needs(this, other))
        {
            int[] sa = shape, sb = other.shape;
            var a = Alias();
            var b = other.Alias();
            Autograd.Record(y, name, [this, other], g =>
            {
                var wa = Where(a.Eq(b), Scalar(0.5, g.DType, g.Device), Where(op == BinaryOp.Maximum ? a.Gt(b) : a.Lt(b), Scalar(1.0, g.DType, g.Device), Scalar(0.0, g.DType, g.Device)));
                return [g.Mul(wa).SumTo(sa), g.Mul(wa.RSub(1)).SumTo(sb)];
            }, a, b);
        }
        return y;
    }

    /// <summary>Adds a scalar (<c>tensor + s</c>).</summary>
    public Tensor Add(double s) => ScalarOp(BinaryOp.Add, s, false, "Add", g => g);

    /// <summary>Subtracts a scalar (<c>tensor - s</c>).</summary>
    public Tensor Sub(double s) => ScalarOp(BinaryOp.Sub, s, false, "Sub", g => g);

    /// <summary>Scalar minus this tensor (<c>s - tensor</c>, <c>torch.rsub</c>).</summary>
    public Tensor RSub(double s) => ScalarOp(BinaryOp.Sub, s, true, "Sub", g => g.Neg());

    /// <summary>Multiplies by a scalar (<c>tensor * s</c>).</summary>
    public Tensor Mul(double s) => ScalarOp(BinaryOp.Mul, s, false, "Mul", g => g.Mul(s));

    /// <summary>Divides by a scalar (<c>tensor / s</c>).</summary>
    public Tensor Div(double s) => ScalarOp(BinaryOp.Div, s, false, "Div", g => g.Div(s));

    Tensor ScalarOp(BinaryOp op, double s, bool scalarFirst, string name, Func<Tensor, Tensor> backward)
    {
        var y = ScalarForward(op, this, s, scalarFirst, name);
        if (Autograd.Needs(this)) Autograd.Record(y, name, [this], g => [backward(g)]);
        return y;
    }

    /// <summary>Scalar divided by this tensor (<c>s / tensor</c>).</summary>
    public Tensor RDiv(double s)
    {
        var y = ScalarForward(BinaryOp.Div, this, s, true, "Div");
        if (Autograd.Needs(this))
        {
            // d(s/x)/dx = -s/x²; written with x so s = 0 gives 0, not 0·(-1/0) = NaN.
            var x = Alias();
            Autograd.Record(y, "Div", [this], g => [g.Mul(-s).Div(x.Square())], x);
        }
        return y;
    }

    /// <summary>Raises every element to a scalar power (<c>tensor.pow(p)</c>).</summary>
    public Tensor Pow(double p)
    {
        if (!DType.IsFloatingPoint() && p < 0 && p == Math.Floor(p))
            throw new DTypeMismatchException("Pow", $"integer tensors ({DType.Name()}, shape {ShapeUtil.Format(shape)}) cannot be raised to the negative integer power {p}; cast to a floating-point dtype first");
        if (p == 2) return Square();
        var y = ScalarForward(BinaryOp.Pow, this, p, false, "Pow");
        if (Autograd.Needs(this))
        {
            var x = Alias();
            Autograd.Record(y, "Pow", [this], g => [g.Mul(x.Pow(p - 1)).Mul(p)], x);
        }
        return y;
    }

    /// <summary>Elementwise remainder with the sign of the divisor (<c>torch.remainder</c>).</summary>
    public Tensor Remainder(double s) => ScalarOp(BinaryOp.Remainder, s, false, "Mod", g => g);

    /// <summary><c>torch.add</c> as an operator.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary><c>torch.sub</c> as an operator.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary><c>torch.mul</c> as an operator.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary><c>torch.div</c> as an operator.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>Tensor plus scalar.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    /// <summary>Scalar plus tensor.</summary>
    public static Tensor operator +(double s, Tensor a) => a.Add(s);
    /// <summary>Tensor minus scalar.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double s, Tensor a) => a.RSub(s);
    /// <summary>Tensor times scalar.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    /// <summary>Scalar times tensor.</summary>
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    /// <summary>Tensor divided by scalar.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double s, Tensor a) => a.RDiv(s);
    /// <summary>Negation (<c>-tensor</c>).</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
    /// <summary>Logical and of Bool tensors (<c>a &amp; b</c>).</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    /// <summary>Logical or of Bool tensors (<c>a | b</c>).</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    /// <summary>Logical not of a Bool tensor (<c>~a</c>).</summary>
    public static Tensor operator ~(Tensor a) => a.LogicalNot();

    /// <summary>Elementwise equality, a Bool tensor (<c>torch.eq</c>). C# == keeps reference semantics.</summary>
    public Tensor Eq(Tensor other) => BinaryForward(BinaryOp.Eq, this, other, "Equal", true);
    /// <summary>Elementwise inequality (<c>torch.ne</c>).</summary>
    public Tensor Ne(Tensor other) => BinaryForward(BinaryOp.Ne, this, other, "NotEqual", true);
    /// <summary>Elementwise less-than (<c>torch.lt</c>).</summary>
    public Tensor Lt(Tensor other) => BinaryForward(BinaryOp.Lt, this, other, "Less", true);
    /// <summary>Elementwise less-or-equal (<c>torch.le</c>).</summary>
    public Tensor Le(Tensor other) => BinaryForward(BinaryOp.Le, this, other, "LessOrEqual", true);
    /// <summary>Elementwise greater-than (<c>torch.gt</c>).</summary>
    public Tensor Gt(Tensor other) => BinaryForward(BinaryOp.Gt, this, other, "Greater", true);
    /// <summary>Elementwise greater-or-equal (<c>torch.ge</c>).</summary>
    public Tensor Ge(Tensor other) => BinaryForward(BinaryOp.Ge, this, other, "GreaterOrEqual", true);
    /// <summary>Compares with a scalar (<c>tensor == s</c>).</summary>
    public Tensor Eq(double s) => CompareScalar(BinaryOp.Eq, s, "Equal");
    /// <summary>Compares with a scalar (<c>tensor != s</c>).</summary>
    public Tensor Ne(double s) => CompareScalar(BinaryOp.Ne, s, "NotEqual");
    /// <summary>Compares with a scalar (<c>tensor &lt; s</c>).</summary>
    public Tensor Lt(double s) => CompareScalar(BinaryOp.Lt, s, "Less");
    /// <summary>Compares with a scalar (<c>tensor &lt;= s</c>).</summary>
    public Tensor Le(double s) => CompareScalar(BinaryOp.Le, s, "LessOrEqual");
    /// <summary>Compares with a scalar (<c>tensor &gt; s</c>).</summary>
    public Tensor Gt(double s) => CompareScalar(BinaryOp.Gt, s, "Greater");
    /// <summary>Compares with a scalar (<c>tensor &gt;= s</c>).</summary>
    public Tensor Ge(double s) => CompareScalar(BinaryOp.Ge, s, "GreaterOrEqual");

    Tensor CompareScalar(BinaryOp op, double s, string name)
    {
        using var st = Scalar(s, DType.IsFloatingPoint() || s == Math.Floor(s) ? DType : DType.Float64, Device);
        return BinaryForward(op, this, st, name, true);
    }

    static void CheckBool(string op, Tensor t)
    {
        if (t.DType != DType.Bool) throw new DTypeMismatchException(op, $"expects Bool tensors, got {t.DType.Name()}");
    }

    /// <summary>Elementwise logical and (<c>torch.logical_and</c>).</summary>
    public Tensor LogicalAnd(Tensor other) { CheckBool("And", this); CheckBool("And", other); return BinaryForward(BinaryOp.And, this, other, "And"); }
    /// <summary>Elementwise logical or (<c>torch.logical_or</c>).</summary>
    public Tensor LogicalOr(Tensor other) { CheckBool("Or", this); CheckBool("Or", other); return BinaryForward(BinaryOp.Or, this, other, "Or"); }
    /// <summary>Elementwise logical xor (<c>torch.logical_xor</c>).</summary>
    public Tensor LogicalXor(Tensor other) { CheckBool("Xor", this); CheckBool("Xor", other); return BinaryForward(BinaryOp.Xor, this, other, "Xor"); }
    /// <summary>Elementwise logical not (<c>torch.logical_not</c>).</summary>
    public Tensor LogicalNot() { CheckBool("Not", this); return UnaryForward(UnaryOp.Not); }

    /// <summary>Picks from <paramref name="x"/> where <paramref name="condition"/> holds, else from <paramref name="y"/> (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        condition.ThrowIfDisposed();
        x.ThrowIfDisposed();
        y.ThrowIfDisposed();
        CheckBool("Where", condition);
        CheckSameDevice("Where", x, y);
        CheckSameDevice("Where", condition, x);
        var dt = DTypeInfo.Promote(x.DType, y.DType);
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.shape, x.shape, "Where"), y.shape, "Where");
        var xc = x.CastIfNeeded(dt);
        var yc = y.CastIfNeeded(dt);
        var r = Empty(shape, dt, x.Device);
        x.Backend.Where(
            new TensorView(condition.storage, shape, ShapeUtil.BroadcastStrides(condition.shape, condition.strides, shape), condition.offset, DType.Bool),
            new TensorView(xc.storage, shape, ShapeUtil.BroadcastStrides(xc.shape, xc.strides, shape), xc.offset, dt),
            new TensorView(yc.storage, shape, ShapeUtil.BroadcastStrides(yc.shape, yc.strides, shape), yc.offset, dt),
            r.View);
        DisposeIfTemp(xc, x);
        DisposeIfTemp(yc, y);
        if (GraphTracer.Current is { } tr) tr.Where(condition, x, y, dt, r);
        if (Autograd.Needs(x, y))
        {
            int[] sx = x.shape, sy = y.shape;
            var c = condition.Alias();
            Autograd.Record(r, "Where", [x, y], g =>
            {
                using var zero = Scalar(0.0, g.DType, g.Device);
                return [Where(c, g, zero).SumTo(sx), Where(c, zero, g).SumTo(sy)];
            }, c);
        }
        return r;
    }
}
