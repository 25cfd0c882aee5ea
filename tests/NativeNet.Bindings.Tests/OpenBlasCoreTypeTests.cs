using System.Runtime.Intrinsics.X86;
using NativeNet.Bindings.Blas;

namespace NativeNet.Bindings.Tests;

/// <summary>The kernel family NativeNet asks OpenBLAS for must be one OpenBLAS accepts and the CPU can run.</summary>
public class OpenBlasCoreTypeTests
{
    [Fact]
    public void PickByFeatures_MatchesTheCpu()
    {
        var pick = OpenBlasCoreType.PickByFeatures();
        if (pick == "SkylakeX") Assert.True(Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported);
        else if (pick == "Haswell") Assert.True(Avx2.IsSupported && Fma.IsSupported);
        else Assert.Null(pick);
    }

    [Fact]
    public void ChosenCoreType_IsTheOneOpenBlasUses()
    {
        Assert.True(Cblas.IsAvailable, "OpenBLAS is required for the tests (tools/setup.sh installs it)");
        var core = Cblas.CoreName;
        if (Cblas.ChosenCoreType is { } chosen)
            Assert.Equal(chosen, core, ignoreCase: true);
        else if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is null && OpenBlasCoreType.PickByFeatures() is { } expected
                 && Environment.GetEnvironmentVariable("NATIVENET_OPENBLAS_CORETYPE") is null)
            Assert.Fail($"expected NativeNet to choose {expected} before OpenBLAS loaded, but it kept OpenBLAS's own choice {core}");
    }
}
