using NativeNet.Backends.Cpu;

namespace NativeNet.Tests.Optim;

/// <summary>
/// Optimizer state that decays into the subnormal range is stored as zero where the parameters cannot see it (the
/// subnormal arithmetic is ~35× slower on x86). The parameters must match the unflushed update computed in float64.
/// </summary>
public class SubnormalStateTests
{
    const float Sub1 = 1e-39f, Sub2 = 1e-40f; // both below float's smallest normal 1.18e-38

    static Tensor F32(params float[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void Adam_FlushesSubnormalMoments_ParametersAsUnflushed()
    {
        // 11 elements: a full vector of 8 and a scalar tail of 3.
        int n = 11;
        var p0 = Enumerable.Range(0, n).Select(i => 0.5f - 0.1f * i).ToArray();
        var g0 = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 0f : 1e-3f * (i - 5)).ToArray();
        var m0 = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? Sub1 : 2e-3f).ToArray();
        var v0 = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? Sub2 : 3e-6f).ToArray();
        using var p = F32(p0); using var g = F32(g0); using var m = F32(m0); using var v = F32(v0);
        var a = new AdamParams(1e-3, 0.9, 0.999, 1e-8, 0, false, false, false, 7);
        CpuBackend.Instance.AdamStep(p.View, g.View, m.View, v.View, null, a);
        var pv = p.ToArray<float>();
        var mv = m.ToArray<float>();
        var vv = v.ToArray<float>();
        double bc1 = 1 - Math.Pow(0.9, 7), bc2 = 1 - Math.Pow(0.999, 7);
        for (int i = 0; i < n; i++)
        {
            // PyTorch's order in float64 without any flush.
            double mi = (double)m0[i] * 0.9 + 0.1 * g0[i];
            double vi = (double)v0[i] * 0.999 + 0.001 * g0[i] * (double)g0[i];
            double pi = p0[i] - 1e-3 / bc1 * (mi / (Math.Sqrt(vi) / Math.Sqrt(bc2) + 1e-8));
            Assert.Equal((float)pi, pv[i], 1e-6f);
            Assert.False(float.IsSubnormal(mv[i]) || float.IsSubnormal(vv[i]), $"element {i}: state {mv[i]}, {vv[i]} left subnormal");
            if (g0[i] == 0 && i % 2 == 0)
            {
                Assert.Equal(0f, mv[i]);
                Assert.Equal(0f, vv[i]);
            }
            else Assert.Equal((float)mi, mv[i], Math.Abs((float)mi) * 1e-6f);
        }
    }

    [Fact]
    public void Adam_WithZeroEps_KeepsSubnormalState()
    {
        // Without eps the denominator is sqrt(v) itself: flushing would turn m/sqrt(v) into 0/0.
        using var p = F32(1f, 1f); using var g = F32(0f, 0f); using var m = F32(Sub1, Sub1); using var v = F32(Sub2, Sub2);
        var a = new AdamParams(1e-3, 0.9, 0.999, 0, 0, false, false, false, 3);
        CpuBackend.Instance.AdamStep(p.View, g.View, m.View, v.View, null, a);
        Assert.All(m.ToArray<float>(), x => Assert.True(float.IsSubnormal(x)));
        Assert.All(v.ToArray<float>(), x => Assert.True(float.IsSubnormal(x)));
        Assert.All(p.ToArray<float>(), x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void SgdMomentumAndRmsProp_FlushSubnormalBuffers()
    {
        using var p = Tensor.Ones(9); using var g = Tensor.Zeros(9);
        using var buf = Tensor.Full([9], Sub1);
        CpuBackend.Instance.SgdStep(p.View, g.View, buf.View, new SgdParams(0.1, 0.9, 0, 0, false, false, false));
        Assert.All(buf.ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.All(p.ToArray<float>(), x => Assert.Equal(1f, x));

        using var sq = Tensor.Full([9], Sub2); using var ga = Tensor.Full([9], Sub1); using var mb = Tensor.Full([9], Sub1);
        CpuBackend.Instance.RmsPropStep(p.View, g.View, sq.View, ga.View, mb.View, new RmsPropParams(0.01, 0.99, 1e-8, 0, 0.5, true, false));
        Assert.All(sq.ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.All(ga.ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.All(mb.ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.All(p.ToArray<float>(), x => Assert.Equal(1f, x));
    }
}
