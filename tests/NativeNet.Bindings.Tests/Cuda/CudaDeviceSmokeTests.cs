using NativeNet.Bindings.Cuda;

namespace NativeNet.Bindings.Tests.Cuda;

/// <summary>
/// The raw bindings on a real GPU: memory round trip, streams and events, cuBLAS SGEMM against a naive loop (row-major via
/// swapped operands) and one native kernel launch. Each test skips with the probe's reason when no CUDA device is found.
/// </summary>
public unsafe class CudaDeviceSmokeTests
{
    static void RequireGpu() => Skip.IfNot(CudaProbe.Result.GpuAvailable, "no CUDA device: " + CudaProbe.Result.Reason);

    [SkippableFact]
    public void MemoryRoundTripThroughAStream()
    {
        RequireGpu();
        Cudart.Check(Cudart.cudaSetDevice(0), "cudaSetDevice");
        using var stream = CudaStreamHandle.Create();
        using var start = CudaEventHandle.Create(timing: true);
        using var end = CudaEventHandle.Create(timing: true);
        var host = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
        var back = new float[1000];
        nint d = 0;
        Cudart.Check(Cudart.cudaMalloc(&d, 4000), "cudaMalloc");
        try
        {
            start.Record(stream);
            fixed (float* ph = host) Cudart.Check(Cudart.cudaMemcpyAsync(d, (nint)ph, 4000, cudaMemcpyKind.cudaMemcpyHostToDevice, stream.DangerousGetHandle()), "cudaMemcpyAsync");
            Cudart.Check(Cudart.cudaMemsetAsync(d, 0, 40, stream.DangerousGetHandle()), "cudaMemsetAsync");
            fixed (float* pb = back) Cudart.Check(Cudart.cudaMemcpyAsync((nint)pb, d, 4000, cudaMemcpyKind.cudaMemcpyDeviceToHost, stream.DangerousGetHandle()), "cudaMemcpyAsync");
            end.Record(stream);
            stream.Synchronize();
            Assert.True(end.ElapsedSince(start) >= 0);
        }
        finally
        {
            Cudart.cudaFree(d);
        }
        for (int i = 0; i < 1000; i++) Assert.Equal(i < 10 ? 0f : i, back[i]);
        Assert.False(string.IsNullOrEmpty(Cudart.DeviceName(0)));
        Assert.True(Cudart.Attribute(cudaDeviceAttr.cudaDevAttrComputeCapabilityMajor, 0) >= 3);
    }

    [SkippableFact]
    public void CublasSgemmRowMajorMatchesNaiveLoop()
    {
        RequireGpu();
        Skip.If(Cublas.Load().Handle == 0, "cuBLAS is not installed");
        const int m = 7, n = 5, k = 3;
        var rng = new Random(3);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray();
        var c = new float[m * n];
        Cudart.Check(Cudart.cudaSetDevice(0), "cudaSetDevice");
        using var stream = CudaStreamHandle.Create();
        using var blas = CublasHandle.Create(stream);
        nint da = 0, db = 0, dc = 0;
        Cudart.Check(Cudart.cudaMalloc(&da, (nuint)(a.Length * 4)), "cudaMalloc");
        Cudart.Check(Cudart.cudaMalloc(&db, (nuint)(b.Length * 4)), "cudaMalloc");
        Cudart.Check(Cudart.cudaMalloc(&dc, (nuint)(c.Length * 4)), "cudaMalloc");
        try
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                Cudart.Check(Cudart.cudaMemcpy(da, (nint)pa, (nuint)(a.Length * 4), cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy");
                Cudart.Check(Cudart.cudaMemcpy(db, (nint)pb, (nuint)(b.Length * 4), cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy");
                float alpha = 1, beta = 0;
                // Row-major C = A·B as column-major Cᵀ = Bᵀ·Aᵀ.
                Cublas.Check(Cublas.cublasSgemm_v2(blas.DangerousGetHandle(), cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N, n, m, k,
                    &alpha, db, n, da, k, &beta, dc, n), "cublasSgemm");
                stream.Synchronize();
                Cudart.Check(Cudart.cudaMemcpy((nint)pc, dc, (nuint)(c.Length * 4), cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy");
            }
        }
        finally
        {
            Cudart.cudaFree(da);
            Cudart.cudaFree(db);
            Cudart.cudaFree(dc);
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                Assert.Equal(s, c[i * n + j], 5);
            }
        Assert.True(blas.Version >= 11000);
    }

    [SkippableFact]
    public void NativeKernelFillRuns()
    {
        RequireGpu();
        Skip.IfNot(CudaProbe.Result.KernelsUsable, "libnativenet_cuda is not built/loadable: " + CudaProbe.Result.Reason);
        Cudart.Check(Cudart.cudaSetDevice(0), "cudaSetDevice");
        nint d = 0;
        Cudart.Check(Cudart.cudaMalloc(&d, 64 * 8), "cudaMalloc");
        var back = new double[64];
        try
        {
            var desc = new nn_tensor_desc { data = d, ndim = 1, dtype = (int)nn_dtype.NN_DTYPE_FLOAT64 };
            desc.shape[0] = 64;
            desc.strides[0] = 1;
            double v = 2.5;
            NativeKernels.Check(NativeKernels.nn_fill(desc, &v, 0), "nn_fill");
            Cudart.Check(Cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
            fixed (double* pb = back) Cudart.Check(Cudart.cudaMemcpy((nint)pb, d, 64 * 8, cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy");
            desc.ndim = 9;
            var status = NativeKernels.nn_fill(desc, &v, 0);
            var e = Assert.Throws<NativeKernelException>(() => NativeKernels.Check(status, "nn_fill"));
            Assert.Contains("ndim 9", e.Message);
        }
        finally
        {
            Cudart.cudaFree(d);
        }
        Assert.All(back, x => Assert.Equal(2.5, x));
    }
}
