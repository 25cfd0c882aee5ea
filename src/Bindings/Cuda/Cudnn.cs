using System.Runtime.InteropServices;

namespace NativeNet.Bindings.Cuda;

#pragma warning disable IDE1006 // C names on purpose

/// <summary>
/// cuDNN's legacy C API (libcudnn.so.9, else .8), raw and 1:1. Signatures are identical in 8.x and 9.x (every function
/// here is still declared in 9.6, many marked deprecated); statuses are mapped per major version (see <see cref="CudnnStatus"/>).
/// Alpha/beta are host pointers to float for FLOAT tensors and to double for DOUBLE tensors.
/// </summary>
internal static unsafe partial class Cudnn
{
    const string Lib = CudaLibraries.Cudnn;

    static Cudnn() => CudaLibraries.EnsureRegistered();

    internal static (nint Handle, string? Path, string Report) Load() => CudaLibraries.Load(Lib);

    static readonly Lazy<long> LoadedVersion = new(() => Load().Handle != 0 ? (long)cudnnGetVersion() : 0);

    /// <summary>cudnnGetVersion() of the loaded library (0 when none).</summary>
    internal static long Version => LoadedVersion.Value;

    internal static void Check(int status, string call)
    {
        if (status != CudnnStatus.Success)
        {
            int major = CudnnStatus.MajorOf(Version);
            string? text = Load().Handle != 0 ? Marshal.PtrToStringUTF8((nint)cudnnGetErrorString(status)) : null;
            throw new CudnnException(call, status, CudnnStatus.Name(status, major), text);
        }
    }

    [LibraryImport(Lib)] internal static partial nuint cudnnGetVersion();
    [LibraryImport(Lib)] internal static partial nuint cudnnGetCudartVersion();
    [LibraryImport(Lib)] internal static partial byte* cudnnGetErrorString(int status);
    [LibraryImport(Lib)] internal static partial int cudnnCreate(nint* handle);
    [LibraryImport(Lib)] internal static partial int cudnnDestroy(nint handle);
    [LibraryImport(Lib)] internal static partial int cudnnSetStream(nint handle, nint stream);
    [LibraryImport(Lib)] internal static partial int cudnnGetStream(nint handle, nint* stream);

    // ---------------------------------------------------------------- tensor and filter descriptors
    [LibraryImport(Lib)] internal static partial int cudnnCreateTensorDescriptor(nint* desc);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyTensorDescriptor(nint desc);
    [LibraryImport(Lib)] internal static partial int cudnnSetTensor4dDescriptor(nint desc, cudnnTensorFormat_t format, cudnnDataType_t dataType, int n, int c, int h, int w);
    [LibraryImport(Lib)] internal static partial int cudnnSetTensor4dDescriptorEx(nint desc, cudnnDataType_t dataType, int n, int c, int h, int w, int nStride, int cStride, int hStride, int wStride);
    [LibraryImport(Lib)] internal static partial int cudnnSetTensorNdDescriptor(nint desc, cudnnDataType_t dataType, int nbDims, int* dimA, int* strideA);
    [LibraryImport(Lib)] internal static partial int cudnnCreateFilterDescriptor(nint* desc);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyFilterDescriptor(nint desc);
    [LibraryImport(Lib)] internal static partial int cudnnSetFilter4dDescriptor(nint desc, cudnnDataType_t dataType, cudnnTensorFormat_t format, int k, int c, int h, int w);

    // ---------------------------------------------------------------- convolution
    [LibraryImport(Lib)] internal static partial int cudnnCreateConvolutionDescriptor(nint* desc);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyConvolutionDescriptor(nint desc);
    [LibraryImport(Lib)] internal static partial int cudnnSetConvolution2dDescriptor(nint desc, int padH, int padW, int u, int v, int dilationH, int dilationW, cudnnConvolutionMode_t mode, cudnnDataType_t computeType);
    [LibraryImport(Lib)] internal static partial int cudnnSetConvolutionGroupCount(nint desc, int groupCount);
    [LibraryImport(Lib)] internal static partial int cudnnSetConvolutionMathType(nint desc, cudnnMathType_t mathType);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolution2dForwardOutputDim(nint convDesc, nint inputDesc, nint filterDesc, int* n, int* c, int* h, int* w);

    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionForwardAlgorithmMaxCount(nint handle, int* count);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionForwardAlgorithm_v7(nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)] internal static partial int cudnnFindConvolutionForwardAlgorithm(nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionForwardWorkspaceSize(nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc, cudnnConvolutionFwdAlgo_t algo, nuint* sizeInBytes);
    [LibraryImport(Lib)] internal static partial int cudnnConvolutionForward(nint handle, void* alpha, nint xDesc, nint x, nint wDesc, nint w, nint convDesc, cudnnConvolutionFwdAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes, void* beta, nint yDesc, nint y);

    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionBackwardDataAlgorithmMaxCount(nint handle, int* count);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionBackwardDataAlgorithm_v7(nint handle, nint wDesc, nint dyDesc, nint convDesc, nint dxDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)] internal static partial int cudnnFindConvolutionBackwardDataAlgorithm(nint handle, nint wDesc, nint dyDesc, nint convDesc, nint dxDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionBackwardDataWorkspaceSize(nint handle, nint wDesc, nint dyDesc, nint convDesc, nint dxDesc, cudnnConvolutionBwdDataAlgo_t algo, nuint* sizeInBytes);
    [LibraryImport(Lib)] internal static partial int cudnnConvolutionBackwardData(nint handle, void* alpha, nint wDesc, nint w, nint dyDesc, nint dy, nint convDesc, cudnnConvolutionBwdDataAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes, void* beta, nint dxDesc, nint dx);

    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(nint handle, int* count);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint xDesc, nint dyDesc, nint convDesc, nint dwDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)] internal static partial int cudnnFindConvolutionBackwardFilterAlgorithm(nint handle, nint xDesc, nint dyDesc, nint convDesc, nint dwDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)] internal static partial int cudnnGetConvolutionBackwardFilterWorkspaceSize(nint handle, nint xDesc, nint dyDesc, nint convDesc, nint dwDesc, cudnnConvolutionBwdFilterAlgo_t algo, nuint* sizeInBytes);
    [LibraryImport(Lib)] internal static partial int cudnnConvolutionBackwardFilter(nint handle, void* alpha, nint xDesc, nint x, nint dyDesc, nint dy, nint convDesc, cudnnConvolutionBwdFilterAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes, void* beta, nint dwDesc, nint dw);
    [LibraryImport(Lib)] internal static partial int cudnnConvolutionBackwardBias(nint handle, void* alpha, nint dyDesc, nint dy, void* beta, nint dbDesc, nint db);

    // ---------------------------------------------------------------- pooling, activation, softmax
    [LibraryImport(Lib)] internal static partial int cudnnCreatePoolingDescriptor(nint* desc);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyPoolingDescriptor(nint desc);
    [LibraryImport(Lib)] internal static partial int cudnnSetPooling2dDescriptor(nint desc, cudnnPoolingMode_t mode, cudnnNanPropagation_t maxpoolingNanOpt, int windowHeight, int windowWidth, int verticalPadding, int horizontalPadding, int verticalStride, int horizontalStride);
    [LibraryImport(Lib)] internal static partial int cudnnPoolingForward(nint handle, nint poolingDesc, void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);
    [LibraryImport(Lib)] internal static partial int cudnnPoolingBackward(nint handle, nint poolingDesc, void* alpha, nint yDesc, nint y, nint dyDesc, nint dy, nint xDesc, nint x, void* beta, nint dxDesc, nint dx);

    [LibraryImport(Lib)] internal static partial int cudnnCreateActivationDescriptor(nint* desc);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyActivationDescriptor(nint desc);
    [LibraryImport(Lib)] internal static partial int cudnnSetActivationDescriptor(nint desc, cudnnActivationMode_t mode, cudnnNanPropagation_t reluNanOpt, double coef);
    [LibraryImport(Lib)] internal static partial int cudnnActivationForward(nint handle, nint activationDesc, void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);
    [LibraryImport(Lib)] internal static partial int cudnnActivationBackward(nint handle, nint activationDesc, void* alpha, nint yDesc, nint y, nint dyDesc, nint dy, nint xDesc, nint x, void* beta, nint dxDesc, nint dx);

    [LibraryImport(Lib)] internal static partial int cudnnSoftmaxForward(nint handle, cudnnSoftmaxAlgorithm_t algo, cudnnSoftmaxMode_t mode, void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);
    [LibraryImport(Lib)] internal static partial int cudnnSoftmaxBackward(nint handle, cudnnSoftmaxAlgorithm_t algo, cudnnSoftmaxMode_t mode, void* alpha, nint yDesc, nint y, nint dyDesc, nint dy, void* beta, nint dxDesc, nint dx);

    // ---------------------------------------------------------------- batch normalization
    [LibraryImport(Lib)] internal static partial int cudnnDeriveBNTensorDescriptor(nint derivedBnDesc, nint xDesc, cudnnBatchNormMode_t mode);

    [LibraryImport(Lib)]
    internal static partial int cudnnBatchNormalizationForwardTraining(nint handle, cudnnBatchNormMode_t mode, void* alpha, void* beta, nint xDesc, nint x,
        nint yDesc, nint y, nint bnScaleBiasMeanVarDesc, nint bnScale, nint bnBias, double exponentialAverageFactor, nint resultRunningMean,
        nint resultRunningVariance, double epsilon, nint resultSaveMean, nint resultSaveInvVariance);

    [LibraryImport(Lib)]
    internal static partial int cudnnBatchNormalizationForwardInference(nint handle, cudnnBatchNormMode_t mode, void* alpha, void* beta, nint xDesc, nint x,
        nint yDesc, nint y, nint bnScaleBiasMeanVarDesc, nint bnScale, nint bnBias, nint estimatedMean, nint estimatedVariance, double epsilon);

    [LibraryImport(Lib)]
    internal static partial int cudnnBatchNormalizationBackward(nint handle, cudnnBatchNormMode_t mode, void* alphaDataDiff, void* betaDataDiff,
        void* alphaParamDiff, void* betaParamDiff, nint xDesc, nint x, nint dyDesc, nint dy, nint dxDesc, nint dx, nint dBnScaleBiasDesc, nint bnScale,
        nint dBnScaleResult, nint dBnBiasResult, double epsilon, nint savedMean, nint savedInvVariance);
}

/// <summary>An owned cuDNN object destroyed by its own cudnnDestroy* function.</summary>
internal abstract unsafe class CudnnObject : SafeHandle
{
    protected CudnnObject() : base(0, true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw pointer for calls (valid while this object is alive).</summary>
    internal nint Ptr => handle;

    protected void Adopt(nint h) => SetHandle(h);

    protected abstract int Destroy(nint h);

    // Errors at release are ignored: at process exit cuDNN may already be torn down.
    protected override bool ReleaseHandle()
    {
        Destroy(handle);
        return true;
    }
}

/// <summary>cudnnHandle_t, bound to one stream.</summary>
internal sealed unsafe class CudnnHandle : CudnnObject
{
    internal static CudnnHandle Create(CudaStreamHandle stream)
    {
        nint h = 0;
        Cudnn.Check(Cudnn.cudnnCreate(&h), "cudnnCreate");
        var r = new CudnnHandle();
        r.Adopt(h);
        Cudnn.Check(Cudnn.cudnnSetStream(h, stream.DangerousGetHandle()), "cudnnSetStream");
        return r;
    }

    protected override int Destroy(nint h) => Cudnn.cudnnDestroy(h);
}

/// <summary>cudnnTensorDescriptor_t.</summary>
internal sealed unsafe class CudnnTensorDescriptor : CudnnObject
{
    internal static CudnnTensorDescriptor Create()
    {
        nint h = 0;
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(&h), "cudnnCreateTensorDescriptor");
        var r = new CudnnTensorDescriptor();
        r.Adopt(h);
        return r;
    }

    /// <summary>A packed NCHW tensor.</summary>
    internal void Set4d(cudnnDataType_t type, int n, int c, int h, int w)
        => Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(Ptr, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, type, n, c, h, w), "cudnnSetTensor4dDescriptor");

    protected override int Destroy(nint h) => Cudnn.cudnnDestroyTensorDescriptor(h);
}

/// <summary>cudnnFilterDescriptor_t (K × C/groups × R × S, NCHW).</summary>
internal sealed unsafe class CudnnFilterDescriptor : CudnnObject
{
    internal static CudnnFilterDescriptor Create()
    {
        nint h = 0;
        Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(&h), "cudnnCreateFilterDescriptor");
        var r = new CudnnFilterDescriptor();
        r.Adopt(h);
        return r;
    }

    internal void Set4d(cudnnDataType_t type, int k, int c, int h, int w)
        => Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(Ptr, type, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, k, c, h, w), "cudnnSetFilter4dDescriptor");

    protected override int Destroy(nint h) => Cudnn.cudnnDestroyFilterDescriptor(h);
}

/// <summary>cudnnConvolutionDescriptor_t.</summary>
internal sealed unsafe class CudnnConvolutionDescriptor : CudnnObject
{
    internal static CudnnConvolutionDescriptor Create()
    {
        nint h = 0;
        Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(&h), "cudnnCreateConvolutionDescriptor");
        var r = new CudnnConvolutionDescriptor();
        r.Adopt(h);
        return r;
    }

    /// <summary>Cross-correlation (PyTorch/ONNX Conv semantics) with FMA math: no TF32, so results match the CPU backend within float rounding.</summary>
    internal void Set2d(int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int groups, cudnnDataType_t computeType)
    {
        Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(Ptr, padH, padW, strideH, strideW, dilationH, dilationW,
            cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, computeType), "cudnnSetConvolution2dDescriptor");
        Cudnn.Check(Cudnn.cudnnSetConvolutionGroupCount(Ptr, groups), "cudnnSetConvolutionGroupCount");
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(Ptr, cudnnMathType_t.CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
    }

    protected override int Destroy(nint h) => Cudnn.cudnnDestroyConvolutionDescriptor(h);
}

/// <summary>cudnnPoolingDescriptor_t.</summary>
internal sealed unsafe class CudnnPoolingDescriptor : CudnnObject
{
    internal static CudnnPoolingDescriptor Create()
    {
        nint h = 0;
        Cudnn.Check(Cudnn.cudnnCreatePoolingDescriptor(&h), "cudnnCreatePoolingDescriptor");
        var r = new CudnnPoolingDescriptor();
        r.Adopt(h);
        return r;
    }

    internal void Set2d(cudnnPoolingMode_t mode, int kh, int kw, int padH, int padW, int strideH, int strideW)
        => Cudnn.Check(Cudnn.cudnnSetPooling2dDescriptor(Ptr, mode, cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN, kh, kw, padH, padW, strideH, strideW),
            "cudnnSetPooling2dDescriptor");

    protected override int Destroy(nint h) => Cudnn.cudnnDestroyPoolingDescriptor(h);
}

/// <summary>cudnnActivationDescriptor_t.</summary>
internal sealed unsafe class CudnnActivationDescriptor : CudnnObject
{
    internal static CudnnActivationDescriptor Create()
    {
        nint h = 0;
        Cudnn.Check(Cudnn.cudnnCreateActivationDescriptor(&h), "cudnnCreateActivationDescriptor");
        var r = new CudnnActivationDescriptor();
        r.Adopt(h);
        return r;
    }

    internal void Set(cudnnActivationMode_t mode, double coef = 0)
        => Cudnn.Check(Cudnn.cudnnSetActivationDescriptor(Ptr, mode, cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN, coef), "cudnnSetActivationDescriptor");

    protected override int Destroy(nint h) => Cudnn.cudnnDestroyActivationDescriptor(h);
}
