namespace NativeNet.Tests.Core;

/// <summary>Broadcasting, dtype promotion, views sharing storage, negative dims, 0-D and empty tensors.</summary>
public class SemanticsTests
{
    static double[] D(Tensor t) => NativeNet.Tests.Ops.TorchReferenceTests.ToDoubles(t);

    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 4, 1, 3 }, new[] { 2, 1 }, new[] { 4, 2, 3 })]
    [InlineData(new[] { 1 }, new[] { 5 }, new[] { 5 })]
    [InlineData(new int[0], new[] { 2, 2 }, new[] { 2, 2 })]
    [InlineData(new[] { 2, 0 }, new[] { 1 }, new[] { 2, 0 })]
    [InlineData(new[] { 3, 1, 1 }, new[] { 1, 4, 1 }, new[] { 3, 4, 1 })]
    public void BroadcastShapes(int[] a, int[] b, int[] expected)
    {
        using var x = Tensor.Ones(a);
        using var y = Tensor.Ones(b);
        using var z = x + y;
        Assert.Equal(expected, z.Shape.ToArray());
        Assert.All(D(z), v => Assert.Equal(2.0, v));
    }

    [Fact]
    public void BroadcastValuesFollowNumpy()
    {
        using var col = Tensor.FromArray(new[] { 1f, 2f }, [2, 1]);
        using var row = Tensor.FromArray(new[] { 10f, 20f, 30f });
        using var s = col + row;
        Assert.Equal(new[] { 11f, 21f, 31f, 12f, 22f, 32f }, s.ToArray<float>());
        using var d = col - row;
        Assert.Equal(new[] { -9f, -19f, -29f, -8f, -18f, -28f }, d.ToArray<float>());
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    [InlineData("Pow")]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("Equal")]
    [InlineData("Less")]
    public void BroadcastErrorNamesOpAndBothShapes(string op)
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4, 1, 2);
        Func<Tensor> f = op switch
        {
            "Add" => () => a + b,
            "Sub" => () => a - b,
            "Mul" => () => a * b,
            "Div" => () => a / b,
            "Pow" => () => a.Pow(b),
            "Max" => () => a.Maximum(b),
            "Min" => () => a.Minimum(b),
            "Equal" => () => a.Eq(b),
            _ => () => a.Lt(b),
        };
        var ex = Assert.Throws<ShapeMismatchException>(f);
        Assert.Equal(op, ex.Op);
        Assert.StartsWith(op + ":", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 1, 2]", ex.Message);
    }

    [Fact]
    public void DtypePromotion()
    {
        using var i = Tensor.FromArray(new long[] { 1, 2, 3 });
        using var i32 = Tensor.FromArray(new[] { 4, 5, 6 });
        using var f = Tensor.FromArray(new[] { 0.5f, 0.5f, 0.5f });
        using var d = Tensor.FromArray(new[] { 0.25, 0.25, 0.25 });
        using var u8 = Tensor.FromArray(new byte[] { 1, 2, 3 });
        using var b = Tensor.FromArray(new[] { true, false, true });

        using (var r = i + f) { Assert.Equal(DType.Float32, r.DType); Assert.Equal(new[] { 1.5f, 2.5f, 3.5f }, r.ToArray<float>()); }
        using (var r = f + d) Assert.Equal(DType.Float64, r.DType);
        using (var r = i + i32) { Assert.Equal(DType.Int64, r.DType); Assert.Equal(new long[] { 5, 7, 9 }, r.ToArray<long>()); }
        using (var r = u8 + i32) Assert.Equal(DType.Int32, r.DType);
        using (var r = b + i) { Assert.Equal(DType.Int64, r.DType); Assert.Equal(new long[] { 2, 2, 4 }, r.ToArray<long>()); }
        // True division of integers gives floats (torch.div).
        using (var r = i / i32) { Assert.Equal(DType.Float32, r.DType); Assert.Equal(new[] { 0.25f, 0.4f, 0.5f }, r.ToArray<float>()); }
        using (var r = i / 2.0) { Assert.Equal(DType.Float32, r.DType); Assert.Equal(new[] { 0.5f, 1f, 1.5f }, r.ToArray<float>()); }
        using (var r = i * 2.0) { Assert.Equal(DType.Int64, r.DType); Assert.Equal(new long[] { 2, 4, 6 }, r.ToArray<long>()); }
        using (var r = i * 2.5) { Assert.Equal(DType.Float32, r.DType); Assert.Equal(new[] { 2.5f, 5f, 7.5f }, r.ToArray<float>()); }
        using (var r = b + 1.0) Assert.Equal(DType.Int64, r.DType);
        using (var r = i.Exp()) Assert.Equal(DType.Float32, r.DType);
        using (var r = i.Neg()) { Assert.Equal(DType.Int64, r.DType); Assert.Equal(new long[] { -1, -2, -3 }, r.ToArray<long>()); }
        using (var r = i.Sum()) { Assert.Equal(DType.Int64, r.DType); Assert.Equal(6L, r.Item<long>()); }
        using (var r = b.Sum()) { Assert.Equal(DType.Int64, r.DType); Assert.Equal(2L, r.Item<long>()); }
        using (var r = i32.Sum()) Assert.Equal(DType.Int64, r.DType);
    }

    [Fact]
    public void ComparisonsGiveBool()
    {
        using var i = Tensor.FromArray(new long[] { 1, 2, 3 });
        using var f = Tensor.FromArray(new[] { 1.5f, 2f, 2.5f });
        using (var r = i.Lt(f)) { Assert.Equal(DType.Bool, r.DType); Assert.Equal(new[] { true, false, false }, r.ToArray<bool>()); }
        using (var r = i.Eq(f)) Assert.Equal(new[] { false, true, false }, r.ToArray<bool>());
        using (var r = i.Ge(2.5)) Assert.Equal(new[] { false, false, true }, r.ToArray<bool>());
        using (var r = f.Ne(2.0)) Assert.Equal(new[] { true, false, true }, r.ToArray<bool>());
        using (var r = f.Le(2.0)) Assert.Equal(new[] { true, true, false }, r.ToArray<bool>());
        using (var r = f.Gt(i)) Assert.Equal(new[] { true, false, false }, r.ToArray<bool>());
        using var m = i.Gt(1.0);
        using var n = f.Lt(2.2);
        using (var r = m & n) Assert.Equal(new[] { false, true, false }, r.ToArray<bool>());
        using (var r = m | n) Assert.Equal(new[] { true, true, true }, r.ToArray<bool>());
        using (var r = ~m) Assert.Equal(new[] { true, false, false }, r.ToArray<bool>());
        using (var r = m.LogicalXor(n)) Assert.Equal(new[] { true, false, true }, r.ToArray<bool>());
    }

    [Fact]
    public void IntegerPowRejectsNegativeExponents()
    {
        // torch: "Integers to negative integer powers are not allowed." (used to return 1).
        using var i = Tensor.FromArray(new long[] { 2, 3 });
        var ex = Assert.Throws<DTypeMismatchException>(() => i.Pow(-1));
        Assert.Equal("Pow", ex.Op);
        using var e = Tensor.FromArray(new long[] { 1, -2 });
        Assert.Throws<DTypeMismatchException>(() => i.Pow(e));
        using (var r = i.Pow(3)) Assert.Equal(new long[] { 8, 27 }, r.ToArray<long>());
        using (var r = i.Pow(0.5)) Assert.Equal(DType.Float32, r.DType);
    }

    [Fact]
    public void SliceSharesStorageWithBase()
    {
        using var x = Tensor.Zeros(3, 4);
        using (var col = x.Slice(1, 1, 4, 2))
        {
            Assert.Same(x.storage, col.storage);
            Assert.False(col.IsContiguous);
            col.FillInPlace(7);
        }
        using (var row = x[2]) row.CopyFrom(Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }));
        x[0, 0] = Tensor.Scalar(-1);
        Assert.Equal(new float[] { -1, 7, 0, 7, 0, 7, 0, 7, 1, 2, 3, 4 }, x.ToArray<float>());
        using var t = x.T;
        using var sel = t[3];
        Assert.Equal(new float[] { 7, 7, 4 }, sel.ToArray<float>());
    }

    [Fact]
    public void ContiguousCopiesOnlyWhenNeeded()
    {
        using var x = Tensor.Arange(0, 12, 1, DType.Float32).Reshape(3, 4);
        Assert.Same(x, x.Contiguous());
        using var rows = x.Slice(0, 1, 3);
        Assert.True(rows.IsContiguous);
        Assert.Same(rows, rows.Contiguous());
        using var t = x.T;
        Assert.False(t.IsContiguous);
        using var c = t.Contiguous();
        Assert.NotSame(t, c);
        Assert.NotSame(t.storage, c.storage);
        Assert.True(c.IsContiguous);
        Assert.Equal(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, c.ToArray<float>());
        // Reshape of a contiguous tensor is a view; of a transposed one a copy.
        using var r = x.Reshape(2, 6);
        Assert.Same(x.storage, r.storage);
        using var r2 = t.Reshape(12);
        Assert.NotSame(x.storage, r2.storage);
        Assert.Throws<ShapeMismatchException>(() => t.View_(12));
        // Expand is a stride-0 view.
        using var e = Tensor.Ones(3, 1).Expand(3, 5);
        Assert.Equal(0, e.Strides[1]);
    }

    [Fact]
    public void NegativeDimsMatchPositiveDims()
    {
        using var x = Tensor.Arange(0, 24, 1, DType.Float64).Reshape(2, 3, 4);
        void Same(Tensor a, Tensor b) { Assert.Equal(a.Shape.ToArray(), b.Shape.ToArray()); Assert.Equal(D(a), D(b)); }
        Same(x.Sum(-1), x.Sum(2));
        Same(x.Mean(-2, keepDim: true), x.Mean(1, keepDim: true));
        Same(x.Softmax(-1), x.Softmax(2));
        Same(x.LogSoftmax(-3), x.LogSoftmax(0));
        Same(x.Unsqueeze(-1), x.Unsqueeze(3));
        Same(x.Transpose(-2, -1), x.Transpose(1, 2));
        Same(x.Select(-1, -1), x.Select(2, 3));
        Same(x.Narrow(-1, -2, 2), x.Narrow(2, 2, 2));
        Same(x.Flatten(-2), x.Flatten(1));
        Same(x.ArgMax(-1), x.ArgMax(2));
        Same(x.Max(-2).Values, x.Max(1).Values);
        Same(Tensor.Cat([x, x], -1), Tensor.Cat([x, x], 2));
        Same(Tensor.Stack([x, x], -1), Tensor.Stack([x, x], 3));
        Same(x.Gather(-1, Tensor.Zeros([2, 3, 1], DType.Int64)), x.Gather(2, Tensor.Zeros([2, 3, 1], DType.Int64)));
        Same(x.IndexSelect(-2, Tensor.FromArray(new long[] { 2 })), x.IndexSelect(1, Tensor.FromArray(new long[] { 2 })));
        Same(x.Var(-1), x.Var(2));
        Assert.Equal(4, x.Size(-1));
        Assert.Equal(2, x.Size(-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(-4));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Size(3));
    }

    [Fact]
    public void ZeroDimensionalTensors()
    {
        using var s = Tensor.Scalar(2.5);
        Assert.Equal(0, s.Dim);
        Assert.Equal(1, s.NumEl);
        Assert.Equal(2.5f, s.Item<float>());
        Assert.Equal(new[] { 2.5f }, s.ToArray<float>());
        using var m = Tensor.Ones(2, 3);
        using (var r = s * m) { Assert.Equal(new[] { 2, 3 }, r.Shape.ToArray()); Assert.All(r.ToArray<float>(), v => Assert.Equal(2.5f, v)); }
        using (var r = m - s) Assert.All(r.ToArray<float>(), v => Assert.Equal(-1.5f, v));
        using (var r = s.Sum()) { Assert.Equal(0, r.Dim); Assert.Equal(2.5f, r.Item<float>()); }
        using (var r = s.Mean()) Assert.Equal(2.5f, r.Item<float>());
        using (var r = s.Max()) Assert.Equal(2.5f, r.Item<float>());
        using (var r = s.Sum(0)) Assert.Equal(0, r.Dim);
        using (var r = s.ArgMax()) Assert.Equal(0L, r.Item<long>());
        using (var r = s.Softmax(0)) Assert.Equal(1f, r.Item<float>());
        using (var r = s.Reshape(1, 1)) Assert.Equal(new[] { 1, 1 }, r.Shape.ToArray());
        using (var r = s.Unsqueeze(0)) Assert.Equal(new[] { 1 }, r.Shape.ToArray());
        using (var r = s.Flatten()) Assert.Equal(new[] { 1 }, r.Shape.ToArray());
        using (var r = s.Expand(2, 2)) Assert.Equal(new[] { 2.5f, 2.5f, 2.5f, 2.5f }, r.ToArray<float>());
        using (var r = s.Transpose(0, -1)) Assert.Equal(0, r.Dim);
        using (var r = s.Exp()) Assert.Equal(0, r.Dim);
        using (var r = Tensor.Stack([s, s])) Assert.Equal(new[] { 2.5f, 2.5f }, r.ToArray<float>());
        using (var r = Tensor.Where(Tensor.FromArray(new[] { true, false }), s, Tensor.Scalar(-1))) Assert.Equal(new[] { 2.5f, -1f }, r.ToArray<float>());
        using (var r = s.Reshape()) Assert.Equal(0, r.Dim);
        Assert.Throws<ShapeMismatchException>(() => s.MatMul(m));
        // Ops that index a dimension reject 0-D tensors with a clear error, not a raw IndexOutOfRangeException.
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Select(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Slice(0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Narrow(0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Size(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Split(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Cat([s, s]));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.IndexSelect(0, Tensor.FromArray(new long[] { 0 })));
    }

    [Fact]
    public void EmptyTensors()
    {
        using var e = Tensor.Zeros(0, 3);
        using var o = Tensor.Ones(2, 3);
        Assert.Equal(0, e.NumEl);
        using (var r = e + 1.0) Assert.Equal(new[] { 0, 3 }, r.Shape.ToArray());
        using (var r = e.Exp()) Assert.Equal(new[] { 0, 3 }, r.Shape.ToArray());
        using (var r = e * Tensor.Ones(3)) Assert.Equal(new[] { 0, 3 }, r.Shape.ToArray());
        using (var r = Tensor.Cat([e, o, e])) { Assert.Equal(new[] { 2, 3 }, r.Shape.ToArray()); Assert.All(r.ToArray<float>(), v => Assert.Equal(1f, v)); }
        using (var r = e.Sum()) Assert.Equal(0f, r.Item<float>());
        using (var r = e.Sum(0)) { Assert.Equal(new[] { 0f, 0f, 0f }, r.ToArray<float>()); }
        using (var r = e.Sum(1)) Assert.Equal(new[] { 0 }, r.Shape.ToArray());
        using (var r = e.Mean()) Assert.True(float.IsNaN(r.Item<float>()));
        using (var r = e.Mean(0)) Assert.All(r.ToArray<float>(), v => Assert.True(float.IsNaN(v)));
        using (var r = e.Softmax(1)) Assert.Equal(new[] { 0, 3 }, r.Shape.ToArray());
        using (var r = Tensor.Zeros(3, 0).Softmax(1)) Assert.Equal(new[] { 3, 0 }, r.Shape.ToArray());
        using (var r = e.MatMul(Tensor.Ones(3, 4))) Assert.Equal(new[] { 0, 4 }, r.Shape.ToArray());
        using (var r = Tensor.Ones(2, 0).MatMul(Tensor.Ones(0, 4))) Assert.All(r.ToArray<float>(), v => Assert.Equal(0f, v));
        using (var r = e.Reshape(3, 0)) Assert.Equal(new[] { 3, 0 }, r.Shape.ToArray());
        Assert.Empty(e.ToArray<float>());
        Assert.Throws<ShapeMismatchException>(() => e.Amax([0]));
        Assert.Throws<ShapeMismatchException>(() => e.Max());
    }

    [Fact]
    public void EmptyReductionsOverWideAndNonAdjacentDims()
    {
        // Regression: reducing an empty axis with a large inner size read past the buffer; a non-adjacent
        // reduction over an empty dim left the output uninitialised (outer size computed as 0).
        using var wide = Tensor.Zeros(0, 5000);
        using (var r = wide.Sum(0)) Assert.All(r.ToArray<float>(), v => Assert.Equal(0f, v));
        using var x = Tensor.Zeros(2, 0, 3);
        using var filled = Tensor.Full([2, 3], 5);
        using (var r = x.Sum([0, 1])) { Assert.Equal(new[] { 3 }, r.Shape.ToArray()); Assert.All(r.ToArray<float>(), v => Assert.Equal(0f, v)); }
        using (var r = x.Sum([1])) Assert.All(r.ToArray<float>(), v => Assert.Equal(0f, v));
        for (int i = 0; i < 5; i++)
        {
            // Recycled pool buffers hold old values: the result must still be exact zeros.
            var junk = Enumerable.Range(0, 8).Select(_ => Tensor.Full([2], 9)).ToList();
            junk.ForEach(j => j.Dispose());
            using var r = Tensor.Zeros(0, 2, 4).Sum([0, 2]);
            Assert.Equal(new[] { 0f, 0f }, r.ToArray<float>());
        }
    }

    [Fact]
    public void ItemAndToArrayErrors()
    {
        using var x = Tensor.FromArray(new[] { 1f, 2f });
        var ex = Assert.Throws<DTypeMismatchException>(() => x.ToArray<double>());
        Assert.Contains("float32", ex.Message);
        Assert.Contains("float64", ex.Message);
        Assert.Throws<DTypeMismatchException>(() => x.ToArray<long>());
        var ex2 = Assert.Throws<ShapeMismatchException>(() => x.Item<float>());
        Assert.Equal("Item", ex2.Op);
        Assert.Contains("[2]", ex2.Message);
        Assert.Throws<NotSupportedException>(() => x.ToArray<short>());
        using var one = Tensor.FromArray(new long[] { 7 });
        Assert.Equal(7.0, one.Item());
        Assert.Equal(7f, one.Item<float>());
        Assert.Equal(7L, one.Item<long>());
    }

    [Fact]
    public void CreationFunctions()
    {
        // Regression: Arange/Linspace/Eye in Float64 and RandPerm returned already-disposed tensors.
        using var a = Tensor.Arange(0, 3, 1, DType.Float64);
        Assert.Equal(new[] { 0.0, 1, 2 }, a.ToArray<double>());
        using var l = Tensor.Linspace(0, 1, 3, DType.Float64);
        Assert.Equal(new[] { 0, 0.5, 1 }, l.ToArray<double>());
        using var eye = Tensor.Eye(2, 3, DType.Float64);
        Assert.Equal(new[] { 1.0, 0, 0, 0, 1, 0 }, eye.ToArray<double>());
        using var p = Tensor.RandPerm(5);
        Assert.False(p.IsDisposed);
        using var ai = Tensor.Arange(5);
        Assert.Equal(DType.Int64, ai.DType);
        using var af = Tensor.Arange(0, 1, 0.25);
        Assert.Equal(DType.Float32, af.DType);
        using var f = Tensor.Full([2], 3, DType.Int32);
        Assert.Equal(new[] { 3, 3 }, f.ToArray<int>());
        using var z = Tensor.ZerosLike(f);
        Assert.Equal(DType.Int32, z.DType);
        using var fl = Tensor.FullLike(f, 1.5, DType.Float64);
        Assert.Equal(new[] { 1.5, 1.5 }, fl.ToArray<double>());
        Assert.Throws<ShapeMismatchException>(() => Tensor.FromArray(new[] { 1f, 2f, 3f }, [2, 2]));
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1, 0));
        Assert.Throws<DeviceUnavailableException>(() => Tensor.Zeros([2], DType.Float32, Device.Cuda(0)));
    }
}

/// <summary>Indexers follow NumPy/PyTorch rules.</summary>
public class IndexerTests
{
    [Fact]
    public void RangesClampLikePythonSlices()
    {
        // Regression: x[.., 1..10] of a 4-wide tensor threw ArgumentOutOfRangeException instead of clamping.
        using var x = Tensor.Arange(0, 8, 1, DType.Float32).Reshape(2, 4);
        using (var r = x[.., 1..10]) Assert.Equal(new float[] { 1, 2, 3, 5, 6, 7 }, r.ToArray<float>());
        using (var r = x[.., ^10..^2]) Assert.Equal(new float[] { 0, 1, 4, 5 }, r.ToArray<float>());
        using (var r = x[.., 3..1]) Assert.Equal(new[] { 2, 0 }, r.Shape.ToArray());
        using (var r = x[5..]) Assert.Equal(new[] { 0, 4 }, r.Shape.ToArray());
    }

    [Fact]
    public void IntegersRangesEllipsisNewAxisAndTensors()
    {
        using var x = Tensor.Arange(0, 24, 1, DType.Float32).Reshape(2, 3, 4);
        using (var r = x[1]) Assert.Equal(new[] { 3, 4 }, r.Shape.ToArray());
        using (var r = x[-1, ^1]) Assert.Equal(new float[] { 20, 21, 22, 23 }, r.ToArray<float>());
        using (var r = x[0, TensorIndex.Ellipsis, 1]) Assert.Equal(new float[] { 1, 5, 9 }, r.ToArray<float>());
        using (var r = x[TensorIndex.Ellipsis, 2]) Assert.Equal(new[] { 2, 3 }, r.Shape.ToArray());
        using (var r = x[TensorIndex.NewAxis, .., 0]) Assert.Equal(new[] { 1, 2, 4 }, r.Shape.ToArray());
        using (var r = x[.., Tensor.FromArray(new long[] { 2, 0 }), 3]) Assert.Equal(new float[] { 11, 3, 23, 15 }, r.ToArray<float>());
        using (var r = x[..]) { Assert.Equal(new[] { 2, 3, 4 }, r.Shape.ToArray()); Assert.Same(x.storage, r.storage); }
    }

    [Fact]
    public void AssignmentWritesThroughTheView()
    {
        using var x = Tensor.Zeros(2, 3);
        x[.., 1] = Tensor.FromArray(new[] { 5f, 6f });
        x[1, 2..] = Tensor.Scalar(9);
        Assert.Equal(new float[] { 0, 5, 0, 0, 6, 9 }, x.ToArray<float>());
        Assert.Throws<ArgumentException>(() => x[Tensor.FromArray(new long[] { 0 })] = Tensor.Scalar(1));
    }

    [Fact]
    public void TwoDimensionalArrays()
    {
        using var a = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new[] { 2, 3 }, a.Shape.ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, a.ToArray<float>());
        // Regression: an empty 2-D array threw IndexOutOfRangeException (ref data[0, 0]).
        using var e = Tensor.FromArray(new double[0, 3]);
        Assert.Equal(new[] { 0, 3 }, e.Shape.ToArray());
    }
}
