using System.Runtime.InteropServices;
using NativeNet.Backends.Cpu;
using NativeNet.Backends.Cuda;
using NativeNet.Bindings.Cuda;

namespace NativeNet.Tests.Cuda;

/// <summary>
/// The CUDA backend's host-side arithmetic and rules, which need no GPU: batch offsets for batched GEMM, cuDNN algorithm
/// choice, scalar encoding, geometry → native parameter conversion, and the dtype rules that must agree with the CPU
/// backend (which is run here as the reference).
/// </summary>
public class CudaBackendRulesTests
{
    [Fact]
    public void BatchOffsetsEnumerateRowMajorAndDetectOneStride()
    {
        var off = CudaBackend.BatchOffsets([2, 3], [12, 4], out long s);
        Assert.Equal([0, 4, 8, 12, 16, 20], off);
        Assert.Equal(4, s);  // one strided-batched GEMM covers it
        off = CudaBackend.BatchOffsets([2, 3], [0, 4], out s);  // broadcast over the first batch dim
        Assert.Equal([0, 4, 8, 0, 4, 8], off);
        Assert.Equal(long.MinValue, s);  // not one progression: per-matrix GEMMs
        off = CudaBackend.BatchOffsets([4], [0], out s);  // a fully broadcast operand
        Assert.Equal([0, 0, 0, 0], off);
        Assert.Equal(0, s);
        off = CudaBackend.BatchOffsets([], [], out s);  // plain 2-D matmul
        Assert.Equal([0], off);
        Assert.Empty(CudaBackend.BatchOffsets([3, 0], [5, 1], out _));
    }

    [Fact]
    public void AlgorithmChoiceTakesTheFirstSuccessfulOneWithinTheWorkspaceLimit()
    {
        static cudnnConvolutionAlgoPerf_t P(int algo, int status, long memory) => new() { algo = algo, status = status, memory = (nuint)memory };
        Assert.Equal(6, CudaBackend.ChooseAlgorithm([P(6, 0, 100), P(1, 0, 0)], 1000));
        Assert.Equal(1, CudaBackend.ChooseAlgorithm([P(6, 0, 5000), P(1, 0, 0)], 1000));       // too much workspace
        Assert.Equal(1, CudaBackend.ChooseAlgorithm([P(7, 9, 0), P(1, 0, 0)], 1000));          // failed status (v8 NOT_SUPPORTED)
        Assert.Equal(1, CudaBackend.ChooseAlgorithm([P(7, 3000, 0), P(1, 0, 0)], 1000));       // failed status (v9 NOT_SUPPORTED)
        Assert.Equal(-1, CudaBackend.ChooseAlgorithm([P(7, 3000, 0), P(2, 0, 1 << 30)], 1000)); // none: the im2col path runs
        Assert.Equal(-1, CudaBackend.ChooseAlgorithm([], 1000));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Bool)]
    [InlineData(DType.UInt8)]
    public unsafe void ScalarEncodingMatchesTheCpuFill(DType dtype)
    {
        foreach (var v in new[] { 0.0, 1.5, -1.0, -2.75, 255.0, 300.0, 1e10, double.NaN, 7.0 })
        {
            using var t = Tensor.Empty([1], dtype);
            CpuBackend.Instance.Fill(t.View, v);
            ulong cpu = 0;
            var bytes = ((CpuStorage)t.View.Storage).Span<byte>(0, dtype.ElementSize());
            bytes.CopyTo(new Span<byte>(&cpu, 8));
            Assert.True(cpu == CudaBackend.Encode(dtype, v), $"{dtype} {v}: CPU {cpu:x}, CUDA {CudaBackend.Encode(dtype, v):x}");
        }
    }

    [Fact]
    public void GeometryConvertsFieldByField()
    {
        var g = new Conv2dGeometry(N: 2, C: 6, H: 9, W: 8, O: 4, KH: 3, KW: 2, OH: 5, OW: 4, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0,
            DilationH: 1, DilationW: 2, Groups: 2);
        var p = CudaBackend.Params(g);
        Assert.Equal((2, 6, 9, 8, 4, 3, 2, 5, 4), (p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow));
        Assert.Equal((2, 1, 1, 0, 1, 2, 2), (p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups));
        var pg = new Pool2dGeometry(N: 1, C: 3, H: 7, W: 7, KH: 3, KW: 3, OH: 4, OW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1,
            DilationH: 1, DilationW: 1, CountIncludePad: false);
        var pp = CudaBackend.Params(pg);
        Assert.Equal((1, 3, 7, 7, 3, 3, 4, 4), (pp.n, pp.c, pp.h, pp.w, pp.kh, pp.kw, pp.oh, pp.ow));
        Assert.Equal(0, pp.count_include_pad);
        Assert.Equal(1, CudaBackend.Params(pg with { CountIncludePad = true }).count_include_pad);
    }

    [Fact]
    public void DTypeValuesAreTheNativeAbi()
    {
        foreach (var d in Enum.GetValues<DType>())
            Assert.Equal($"NN_DTYPE_{d.ToString().ToUpperInvariant()}", ((nn_dtype)(int)d).ToString());
        Assert.Equal(Enum.GetValues<DType>().Length, Enum.GetValues<nn_dtype>().Length);
        Assert.Equal(144, Marshal.SizeOf<nn_tensor_desc>());
    }

    static bool CpuThrows(Action a)
    {
        try { a(); return false; }
        catch (DTypeMismatchException) { return true; }
    }

    static Tensor Small(DType d) => Tensor.FromArray([1.0, -2.0, 3.0, 4.0]).To(d);

    [Fact]
    public void UnaryDTypeRulesAgreeWithTheCpuBackend()
    {
        foreach (var d in Enum.GetValues<DType>())
            foreach (var op in Enum.GetValues<UnaryOp>())
            {
                using var x = Small(d);
                using var y = Tensor.Empty([4], d);
                bool cpu = CpuThrows(() => CpuBackend.Instance.Unary(op, x.View, y.View));
                bool cuda = CpuThrows(() => CudaBackend.CheckUnary(op, d));
                Assert.True(cpu == cuda, $"{op} on {d}: CPU {(cpu ? "rejects" : "accepts")}, CUDA {(cuda ? "rejects" : "accepts")}");
            }
    }

    [Fact]
    public void BinaryDTypeRulesAgreeWithTheCpuBackend()
    {
        foreach (var d in Enum.GetValues<DType>())
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                bool compare = op is BinaryOp.Eq or BinaryOp.Ne or BinaryOp.Lt or BinaryOp.Le or BinaryOp.Gt or BinaryOp.Ge;
                bool logical = op is BinaryOp.And or BinaryOp.Or or BinaryOp.Xor;
                // Known, intended differences (never reached through the op layer): numeric And/Or/Xor give a numeric 0/1 on
                // the CPU (CUDA's logical kernels produce Bool), and integer Div truncates on the CPU (Tensor.Div casts to
                // float first, so CUDA has no integer division).
                if ((logical && d != DType.Bool) || (op == BinaryOp.Div && !d.IsFloatingPoint())) continue;
                var outType = compare || logical ? DType.Bool : d;
                using var a = Small(d);
                using var b = Small(d);
                using var y = Tensor.Empty([4], outType);
                bool cpu = CpuThrows(() => CpuBackend.Instance.Binary(op, a.View, b.View, y.View));
                bool cuda = CpuThrows(() => CudaBackend.MapBinary(op, d, outType));
                Assert.True(cpu == cuda, $"{op} on {d}: CPU {(cpu ? "rejects" : "accepts")}, CUDA {(cuda ? "rejects" : "accepts")}");
            }
    }
}
