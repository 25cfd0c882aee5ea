using System.Numerics;
using System.Runtime.Intrinsics;

namespace NativeNet.Backends.Cpu;

/// <summary>
/// Fused optimizer updates: one vectorized pass over parameter, gradient and state per step, split across cores for
/// large tensors. The arithmetic follows PyTorch 1.13's single-tensor code order, in the parameter's precision.
/// </summary>
internal sealed unsafe partial class CpuBackend
{
    /// <summary>Below this many elements one thread does the whole update (memory-bound, a few loads per element).</summary>
    const int OptimizerWorkPerElement = 4;

    /// <summary>
    /// Optimizer state that decays without new gradient (Adam's moments, momentum buffers of parameters whose gradient
    /// is zero, e.g. dead ReLU units) sinks through the subnormal range, where x86 multiplies take microcode assists:
    /// measured here, an Adam step over subnormal state ran ~35× slower (17–20 ms instead of 0.5 ms for 421k floats).
    /// State below the smallest normal value is therefore stored as zero (flush to zero) where that cannot be seen in
    /// the parameters: a momentum term whose change moves a parameter by less than lr · 1.2e-38 (float; 2.3e-308
    /// double), Adam's first moment when that bound divided by eps stays under 1e-25, a second moment whose square
    /// root is dwarfed by eps.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static Vector256<T> FlushSubnormal<T>(Vector256<T> x, Vector256<T> minNormal) where T : unmanaged, IFloatingPointIeee754<T>
        => Vector256.AndNot(x, Vector256.LessThan(Vector256.Abs(x), minNormal));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static T FlushSubnormal<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.IsSubnormal(x) ? T.Zero : x;

    static T MinNormal<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? (T)(object)BitConverter.Int32BitsToSingle(0x00800000) : (T)(object)BitConverter.Int64BitsToDouble(0x0010000000000000);

    /// <summary>
    /// Whether flushing a subnormal second moment (or square average) is invisible: its square root, scaled by
    /// <paramref name="scale"/>, is below 1e-8 of eps, far under half a unit in the last place of the denominator.
    /// </summary>
    static bool CanFlushSecondMoment<T>(double eps, double scale) where T : unmanaged, IFloatingPointIeee754<T>
        => eps > 0 && Math.Sqrt(double.CreateTruncating(MinNormal<T>())) * scale <= eps * 1e-8;

    public void SgdStep(TensorView p, TensorView g, TensorView? momentumBuffer, in SgdParams a)
    {
        OptimizerViews.Check("SgdStep", p, g, momentumBuffer);
        if (p.DType == DType.Float32) Sgd(P<float>(p), P<float>(g), momentumBuffer is TensorView b ? P<float>(b) : null, p.NumEl, a);
        else Sgd(P<double>(p), P<double>(g), momentumBuffer is TensorView b ? P<double>(b) : null, p.NumEl, a);
    }

    static void Sgd<T>(T* p, T* g, T* buf, int n, SgdParams a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T negLr = T.CreateTruncating(-a.Lr), wd = T.CreateTruncating(a.WeightDecay), mom = T.CreateTruncating(a.Momentum);
        T damp = T.CreateTruncating(1 - a.Dampening);
        bool useWd = a.WeightDecay != 0, useMom = a.Momentum != 0 && buf != null, first = a.FirstStep, nesterov = a.Nesterov, max = a.Maximize;
        For(n, OptimizerWorkPerElement, (s, e) =>
        {
            int i = s;
            if (Vector256.IsHardwareAccelerated)
            {
                var vNegLr = Vector256.Create(negLr); var vWd = Vector256.Create(wd); var vMom = Vector256.Create(mom); var vDamp = Vector256.Create(damp);
                var vMin = Vector256.Create(MinNormal<T>());
                for (; i <= e - Vector256<T>.Count; i += Vector256<T>.Count)
                {
                    var d = Vector256.Load(g + i);
                    if (max) d = -d;
                    var pv = Vector256.Load(p + i);
                    if (useWd) d += vWd * pv;
                    if (useMom)
                    {
                        var b = first ? d : Vector256.Load(buf + i) * vMom + vDamp * d;
                        Vector256.Store(FlushSubnormal(b, vMin), buf + i);
                        d = nesterov ? d + vMom * b : b;
                    }
                    Vector256.Store(pv + vNegLr * d, p + i);
                }
            }
            for (; i < e; i++)
            {
                T d = max ? -g[i] : g[i];
                if (useWd) d += wd * p[i];
                if (useMom)
                {
                    T b = first ? d : buf[i] * mom + damp * d;
                    buf[i] = FlushSubnormal(b);
                    d = nesterov ? d + mom * b : b;
                }
                p[i] += negLr * d;
            }
        });
    }

    public void AdamStep(TensorView p, TensorView g, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, in AdamParams a)
    {
        OptimizerViews.Check("AdamStep", p, g, expAvg, expAvgSq, maxExpAvgSq);
        if (p.DType == DType.Float32)
            Adam(P<float>(p), P<float>(g), P<float>(expAvg), P<float>(expAvgSq), maxExpAvgSq is TensorView x ? P<float>(x) : null, p.NumEl, a);
        else
            Adam(P<double>(p), P<double>(g), P<double>(expAvg), P<double>(expAvgSq), maxExpAvgSq is TensorView x ? P<double>(x) : null, p.NumEl, a);
    }

    static void Adam<T>(T* p, T* g, T* m, T* v, T* vmax, int n, AdamParams a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bc1 = 1 - Math.Pow(a.Beta1, a.Step), bc2 = 1 - Math.Pow(a.Beta2, a.Step);
        T negStep = T.CreateTruncating(-(a.Lr / bc1)), bc2Sqrt = T.CreateTruncating(Math.Sqrt(bc2)), eps = T.CreateTruncating(a.Eps);
        T b1 = T.CreateTruncating(a.Beta1), omb1 = T.CreateTruncating(1 - a.Beta1), b2 = T.CreateTruncating(a.Beta2), omb2 = T.CreateTruncating(1 - a.Beta2);
        T wd = T.CreateTruncating(a.WeightDecay), decay = T.CreateTruncating(1 - a.Lr * a.WeightDecay);
        bool l2 = a.WeightDecay != 0 && !a.Decoupled, decoupled = a.WeightDecay != 0 && a.Decoupled, ams = a.Amsgrad && vmax != null, max = a.Maximize;
        // A flushed first moment changes the update negStep·m/denom (denom ≥ eps) by at most lr/bc1 · minNormal/eps.
        bool flushM = a.Eps > 0 && a.Lr / bc1 * double.CreateTruncating(MinNormal<T>()) / a.Eps <= 1e-25, flushV = CanFlushSecondMoment<T>(a.Eps, 1 / Math.Sqrt(bc2));
        For(n, OptimizerWorkPerElement, (s, e) =>
        {
            int i = s;
            if (Vector256.IsHardwareAccelerated)
            {
                var vB1 = Vector256.Create(b1); var vOmb1 = Vector256.Create(omb1); var vB2 = Vector256.Create(b2); var vOmb2 = Vector256.Create(omb2);
                var vWd = Vector256.Create(wd); var vDecay = Vector256.Create(decay); var vEps = Vector256.Create(eps);
                var vBc2 = Vector256.Create(bc2Sqrt); var vNegStep = Vector256.Create(negStep);
                var vMin = Vector256.Create(MinNormal<T>());
                for (; i <= e - Vector256<T>.Count; i += Vector256<T>.Count)
                {
                    var gv = Vector256.Load(g + i);
                    if (max) gv = -gv;
                    var pv = Vector256.Load(p + i);
                    if (l2) gv += vWd * pv;
                    if (decoupled) pv *= vDecay;
                    // Stored state is flushed, so loaded state is normal or zero (state loaded from elsewhere costs one slow step).
                    var mv = Vector256.Load(m + i) * vB1 + vOmb1 * gv;
                    var vv = Vector256.Load(v + i) * vB2 + vOmb2 * gv * gv;
                    if (flushM) mv = FlushSubnormal(mv, vMin);
                    if (flushV) vv = FlushSubnormal(vv, vMin);
                    Vector256.Store(mv, m + i);
                    Vector256.Store(vv, v + i);
                    if (ams)
                    {
                        vv = Vector256.Max(Vector256.Load(vmax + i), vv);
                        Vector256.Store(vv, vmax + i);
                    }
                    var denom = Vector256.Sqrt(vv) / vBc2 + vEps;
                    Vector256.Store(pv + vNegStep * (mv / denom), p + i);
                }
            }
            for (; i < e; i++)
            {
                T gi = max ? -g[i] : g[i];
                T pi = p[i];
                if (l2) gi += wd * pi;
                if (decoupled) pi *= decay;
                T mi = m[i] * b1 + omb1 * gi;
                T vi = v[i] * b2 + omb2 * gi * gi;
                if (flushM) mi = FlushSubnormal(mi);
                if (flushV) vi = FlushSubnormal(vi);
                m[i] = mi;
                v[i] = vi;
                if (ams)
                {
                    vi = T.Max(vmax[i], vi);
                    vmax[i] = vi;
                }
                T denom = T.Sqrt(vi) / bc2Sqrt + eps;
                p[i] = pi + negStep * (mi / denom);
            }
        });
    }

    public void RmsPropStep(TensorView p, TensorView g, TensorView squareAvg, TensorView? gradAvg, TensorView? momentumBuffer, in RmsPropParams a)
    {
        OptimizerViews.Check("RmsPropStep", p, g, squareAvg, gradAvg, momentumBuffer);
        if (p.DType == DType.Float32)
            RmsProp(P<float>(p), P<float>(g), P<float>(squareAvg), gradAvg is TensorView ga ? P<float>(ga) : null,
                momentumBuffer is TensorView b ? P<float>(b) : null, p.NumEl, a);
        else
            RmsProp(P<double>(p), P<double>(g), P<double>(squareAvg), gradAvg is TensorView ga ? P<double>(ga) : null,
                momentumBuffer is TensorView b ? P<double>(b) : null, p.NumEl, a);
    }

    static void RmsProp<T>(T* p, T* g, T* sq, T* ga, T* buf, int n, RmsPropParams a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T negLr = T.CreateTruncating(-a.Lr), alpha = T.CreateTruncating(a.Alpha), oma = T.CreateTruncating(1 - a.Alpha);
        T eps = T.CreateTruncating(a.Eps), wd = T.CreateTruncating(a.WeightDecay), mom = T.CreateTruncating(a.Momentum);
        bool useWd = a.WeightDecay != 0, centered = a.Centered && ga != null, useMom = a.Momentum > 0 && buf != null, max = a.Maximize;
        // The square average sits under sqrt(·) + eps; the gradient average is squared there. Neither shows when flushed
        // under eps > 0, and the momentum buffer's flush changes an update by less than lr · 1.2e-38.
        bool flushSq = CanFlushSecondMoment<T>(a.Eps, 1);
        For(n, OptimizerWorkPerElement, (s, e) =>
        {
            int i = s;
            if (Vector256.IsHardwareAccelerated)
            {
                var vAlpha = Vector256.Create(alpha); var vOma = Vector256.Create(oma); var vEps = Vector256.Create(eps);
                var vWd = Vector256.Create(wd); var vMom = Vector256.Create(mom); var vNegLr = Vector256.Create(negLr);
                var vMin = Vector256.Create(MinNormal<T>());
                for (; i <= e - Vector256<T>.Count; i += Vector256<T>.Count)
                {
                    var gv = Vector256.Load(g + i);
                    if (max) gv = -gv;
                    var pv = Vector256.Load(p + i);
                    if (useWd) gv += vWd * pv;
                    var sv = Vector256.Load(sq + i) * vAlpha + vOma * gv * gv;
                    if (flushSq) sv = FlushSubnormal(sv, vMin);
                    Vector256.Store(sv, sq + i);
                    Vector256<T> avg;
                    if (centered)
                    {
                        var gav = Vector256.Load(ga + i) * vAlpha + vOma * gv;
                        if (flushSq) gav = FlushSubnormal(gav, vMin);
                        Vector256.Store(gav, ga + i);
                        avg = Vector256.Sqrt(sv - gav * gav) + vEps;
                    }
                    else avg = Vector256.Sqrt(sv) + vEps;
                    if (useMom)
                    {
                        var b = Vector256.Load(buf + i) * vMom + gv / avg;
                        Vector256.Store(FlushSubnormal(b, vMin), buf + i);
                        Vector256.Store(pv + vNegLr * b, p + i);
                    }
                    else Vector256.Store(pv + vNegLr * (gv / avg), p + i);
                }
            }
            for (; i < e; i++)
            {
                T gi = max ? -g[i] : g[i];
                if (useWd) gi += wd * p[i];
                T si = sq[i] * alpha + oma * gi * gi;
                if (flushSq) si = FlushSubnormal(si);
                sq[i] = si;
                T avg;
                if (centered)
                {
                    T gai = ga[i] * alpha + oma * gi;
                    if (flushSq) gai = FlushSubnormal(gai);
                    ga[i] = gai;
                    avg = T.Sqrt(si - gai * gai) + eps;
                }
                else avg = T.Sqrt(si) + eps;
                if (useMom)
                {
                    T b = buf[i] * mom + gi / avg;
                    buf[i] = FlushSubnormal(b);
                    p[i] += negLr * b;
                }
                else p[i] += negLr * (gi / avg);
            }
        });
    }
}
