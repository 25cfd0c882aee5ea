using System.Diagnostics;
using NativeNet.Cli;
using NativeNet.NN;
using NativeNet.Optim;

namespace NativeNet.Bench;

/// <summary>
/// Graph execution vs eager for the issue-2 CNN: inference at batch 1 and 64, and an Adam training step at batch 64.
/// The two sides alternate repeat by repeat (the machine is shared), and the ratio is the median of per-repeat ratios.
/// </summary>
internal static class GraphBenchmarks
{
    internal static void Cnn(Action<string, double, string, string> report)
    {
        Tensor.ManualSeed(0);
        var model = TrainCommand.BuildModel("cnn");
        model.Eval();
        var plan = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28)).Compile();
        foreach (int n in new[] { 1, 64 })
        {
            var x = Tensor.Randn(n, 1, 28, 28);
            var c = Compare(
                () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); model.Call(x); },
                () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); plan.Call(x); },
                repeats: n == 1 ? 201 : 31, repeatSeconds: n == 1 ? 0.02 : 0.2);
            report($"graph: CNN inference batch {n}, eager", c.A * 1e3, "ms", "");
            report($"graph: CNN inference batch {n}, compiled graph", c.B * 1e3, "ms", "");
            report($"graph: CNN inference batch {n}, eager/graph", c.Ratio, "x", $"> 1: graph faster; {c.Spread}");
        }
        // The memory plan (in-place steps + arena) on and off, back to back.
        var noPlan = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28)).Compile(new CompileOptions(MemoryPlan: false));
        var x64 = Tensor.Randn(64, 1, 28, 28);
        var (off, on, mr) = Interleaved(
            () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); noPlan.Call(x64); },
            () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); plan.Call(x64); },
            repeats: 11, repeatSeconds: 0.5);
        report("graph: CNN inference batch 64, memory plan off", off * 1e3, "ms", "");
        report("graph: CNN inference batch 64, memory plan on", on * 1e3, "ms", $"off/on {mr:F3}x");
        var fresh = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28)).Compile();
        for (int i = 0; i < 5; i++) { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); fresh.Call(x64); }
        var (allocs, reuses, requested) = fresh.ArenaCounts;
        report("graph: memory plan, bytes requested per run", requested / 5.0 / 1048576, "MiB", "what the ops ask for");
        report("graph: memory plan, arena size", fresh.ArenaBytes / 1048576.0, "MiB", $"{allocs} buffers allocated in 5 runs, {reuses} requests reused");
        model.Train();
        var trainPlan = Graph.Trace(model, Tensor.Randn(1, 1, 28, 28)).Compile();
        var opt = new Adam(model.Parameters(), lr: 1e-4);
        var ce = new CrossEntropyLoss();
        var xb = Tensor.Randn(64, 1, 28, 28);
        var yb = Tensor.RandInt(0, 10, [64]);
        var t = Compare(
            () => Step(t => model.Call(t), xb, yb, ce, opt),
            () => Step(t => trainPlan.Call(t), xb, yb, ce, opt),
            repeats: 61, repeatSeconds: 0.15);
        report("graph: CNN training step batch 64, eager", t.A * 1e3, "ms", "");
        report("graph: CNN training step batch 64, compiled graph", t.B * 1e3, "ms", "");
        report("graph: CNN training step batch 64, eager/graph", t.Ratio, "x", $">= 1: graph no slower; {t.Spread}");
    }

    internal static void Step(Func<Tensor, Tensor> forward, Tensor x, Tensor y, CrossEntropyLoss ce, Optimizer opt)
    {
        using var scope = Tensor.Scope();
        var loss = ce.Call(forward(x), y);
        opt.ZeroGrad();
        loss.Backward();
        opt.Step();
    }

    /// <summary>
    /// Alternates a and b (ABBA), one timed repeat each; returns both medians and the median of per-repeat ratios a/b.
    /// Short repeats (a few calls) keep both sides of a ratio under the same load on this shared machine.
    /// </summary>
    internal static (double A, double B, double Ratio) Interleaved(Action a, Action b, int repeats, double repeatSeconds)
    {
        var c = Compare(a, b, repeats, repeatSeconds);
        return (c.A, c.B, c.Ratio);
    }

    /// <summary>Medians of a and b, and the median and quartiles of the per-repeat ratios a/b.</summary>
    internal readonly record struct Comparison(double A, double B, double Ratio, double RatioQ1, double RatioQ3)
    {
        /// <summary>"quartiles 1.02-1.12": how much of the ratio is noise.</summary>
        internal string Spread => $"ratio quartiles {RatioQ1:F3}-{RatioQ3:F3}";
    }

    /// <summary>As <see cref="Interleaved"/>, with the quartiles of the ratios.</summary>
    internal static Comparison Compare(Action a, Action b, int repeats, double repeatSeconds)
    {
        for (int i = 0; i < 3; i++) { a(); b(); }
        int Calibrate(Action f)
        {
            var sw = Stopwatch.StartNew();
            int calls = 0;
            while (sw.Elapsed.TotalSeconds < repeatSeconds / 4) { f(); calls++; }
            return Math.Max(1, (int)(calls * repeatSeconds / Math.Max(sw.Elapsed.TotalSeconds, 1e-9)));
        }
        int ka = Calibrate(a), kb = Calibrate(b);
        double Time(Action f, int k)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < k; i++) f();
            return sw.Elapsed.TotalSeconds / k;
        }
        var ta = new double[repeats];
        var tb = new double[repeats];
        var ratios = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            // ABBA order: a drifting load favours neither side.
            if (r % 2 == 0) { ta[r] = Time(a, ka); tb[r] = Time(b, kb); }
            else { tb[r] = Time(b, kb); ta[r] = Time(a, ka); }
            ratios[r] = ta[r] / tb[r];
        }
        Array.Sort(ta);
        Array.Sort(tb);
        Array.Sort(ratios);
        return new Comparison(ta[repeats / 2], tb[repeats / 2], ratios[repeats / 2], ratios[repeats / 4], ratios[3 * repeats / 4]);
    }
}
/// <summary>Per-layer times of the CNN (batch from NB, default 64) and the executor's per-op overhead on a 5-op MLP; with TRAIN=1 the training step eager vs graph (memory plan on, off, fusion off).</summary>
internal static class GraphProf
{
    internal static void Run()
    {
        if (Environment.GetEnvironmentVariable("VARIANTS") is { } vb)
        {
            Tensor.ManualSeed(0);
            var m = TrainCommand.BuildModel("cnn");
            m.Eval();
            var xv = Tensor.Randn(int.Parse(vb), 1, 28, 28);
            foreach (var (fu, mp) in new[] { (true, true), (true, false), (false, true), (false, false) })
            {
                var p = Graph.Trace(m, Tensor.Randn(1, 1, 28, 28)).Compile(new CompileOptions(fu, mp));
                var (e, g, ratio) = GraphBenchmarks.Interleaved(
                    () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); m.Call(xv); },
                    () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); p.Call(xv); }, 21, 0.2);
                Console.WriteLine($"batch {vb}: fusion {fu}, memory plan {mp}: eager {e * 1e3:F3} ms, graph {g * 1e3:F3} ms, eager/graph {ratio:F3}");
            }
            return;
        }
        if (Environment.GetEnvironmentVariable("LOOP") is { } which)
        {
            // A plain loop for an external profiler (perf with DOTNET_PerfMapEnabled=1): LOOP=eager|plan|train-eager|train-plan|tiny-eager|tiny-plan (5-op MLP), NB, SECONDS.
            Tensor.ManualSeed(0);
            Module m = which.StartsWith("tiny") ? new Sequential(new Linear(16, 16), new Relu(), new Linear(16, 16), new Relu(), new Linear(16, 4)) : TrainCommand.BuildModel("cnn");
            bool train = which.StartsWith("train");
            if (!train) m.Eval();
            int nl = int.Parse(Environment.GetEnvironmentVariable("NB") ?? "1");
            var xl = which.StartsWith("tiny") ? Tensor.Randn(nl, 16) : Tensor.Randn(nl, 1, 28, 28);
            var p = Graph.Trace(m, xl).Compile();
            var yl = Tensor.RandInt(0, 10, [xl.Shape[0]]);
            var opt = new Adam(m.Parameters(), lr: 1e-4);
            var ce = new CrossEntropyLoss();
            Action f = which switch
            {
                "eager" or "tiny-eager" => () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); m.Call(xl); },
                "plan" or "tiny-plan" => () => { using var _ = Autograd.NoGrad(); using var s = Tensor.Scope(); p.Call(xl); },
                "train-eager" => () => GraphBenchmarks.Step(t => m.Call(t), xl, yl, ce, opt),
                _ => () => GraphBenchmarks.Step(t => p.Call(t), xl, yl, ce, opt),
            };
            double seconds = double.Parse(Environment.GetEnvironmentVariable("SECONDS") ?? "5");
            var sw = Stopwatch.StartNew();
            long calls = 0;
            while (sw.Elapsed.TotalSeconds < seconds) { f(); calls++; }
            Console.WriteLine($"{which}: {calls} calls, {sw.Elapsed.TotalMilliseconds / calls:F4} ms per call");
            return;
        }
        if (Environment.GetEnvironmentVariable("LAYER") == "1")
        {
            // conv1 of the CNN with gradients, forward+backward: eager Conv, Relu, MaxPool vs the plan's fused step.
            Tensor.ManualSeed(0);
            var xl = Tensor.Randn(64, 1, 28, 28);
            var wl = (Tensor.Randn(32, 1, 3, 3) * 0.3).Detach().RequiresGrad_();
            var bl = Tensor.Zeros(32).RequiresGrad_();
            var up = Tensor.Randn(64, 32, 14, 14);
            int[] one = [1];
            var (e, f, ratio) = GraphBenchmarks.Interleaved(
                () => { using var s = Tensor.Scope(); (F.MaxPool2d(F.Relu(F.Conv2d(xl, wl, bl, padding: 1)), 2) * up).Sum().Backward(); },
                () => { using var s = Tensor.Scope(); (Tensor.Conv2dMaxPool2x2(xl, wl, bl, one, one, one, 1, true)! * up).Sum().Backward(); },
                21, 0.2);
            Console.WriteLine($"conv1+relu+maxpool fwd+bwd: eager {e * 1e3:F2} ms, fused {f * 1e3:F2} ms, eager/fused {ratio:F3}");
            return;
        }
        if (Environment.GetEnvironmentVariable("TRAIN") == "1")
        {
            Tensor.ManualSeed(0);
            var m = TrainCommand.BuildModel("cnn");
            var on = Graph.Trace(m, Tensor.Randn(1, 1, 28, 28)).Compile();
            var off = Graph.Trace(m, Tensor.Randn(1, 1, 28, 28)).Compile(new CompileOptions(MemoryPlan: false));
            var nofuse = Graph.Trace(m, Tensor.Randn(1, 1, 28, 28)).Compile(new CompileOptions(Fusion: false, MemoryPlan: false));
            var opt = new Adam(m.Parameters(), lr: 1e-4);
            var ce = new CrossEntropyLoss();
            var xb = Tensor.Randn(64, 1, 28, 28);
            var yb = Tensor.RandInt(0, 10, [64]);
            void Step(Func<Tensor, Tensor> f)
            {
                using var scope = Tensor.Scope();
                var loss = ce.Call(f(xb), yb);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[] { ("plan on", t => on.Call(t)), ("plan off", t => off.Call(t)), ("no fusion, no plan", t => nofuse.Call(t)) })
            {
                var (e, g, ratio) = GraphBenchmarks.Interleaved(() => Step(t => m.Call(t)), () => Step(f), int.Parse(Environment.GetEnvironmentVariable("REP") ?? "41"), 0.15);
                Console.WriteLine($"training: eager {e * 1e3:F2} ms, graph ({name}) {g * 1e3:F2} ms, eager/graph {ratio:F3}");
            }
            var (u, fz, fr) = GraphBenchmarks.Interleaved(() => Step(t => nofuse.Call(t)), () => Step(t => on.Call(t)), int.Parse(Environment.GetEnvironmentVariable("REP") ?? "41"), 0.15);
            Console.WriteLine($"training: graph no fusion {u * 1e3:F2} ms, graph fused {fz * 1e3:F2} ms, unfused/fused {fr:F3}");
            return;
        }
        Tensor.ManualSeed(0);
        var model = TrainCommand.BuildModel("cnn");
        model.Eval();
        using var _ = Autograd.NoGrad();
        int nb = int.Parse(Environment.GetEnvironmentVariable("NB") ?? "64");
        var x = Tensor.Randn(nb, 1, 28, 28);
        var mods = model.Children().ToList();
        var acts = new List<Tensor> { x };
        foreach (var m in mods) acts.Add(m.Call(acts[^1]));
        for (int i = 0; i < mods.Count; i++)
        {
            var m = mods[i]; var a = acts[i];
            double t = Measure.MedianSecondsPerCall(() => { using var y = m.Call(a); }, repeats: 5, repeatSeconds: 0.2);
            Console.WriteLine($"{i} {m.GetType().Name,-10} {t * 1e3,8:F3} ms  in {ShapeUtil.Format(a.Shape)}");
        }
        var tiny = new Sequential(new Linear(16, 16), new Relu(), new Linear(16, 16), new Relu(), new Linear(16, 4));
        tiny.Eval();
        var tplan = Graph.Trace(tiny, Tensor.Randn(1, 16)).Compile();
        var tx = Tensor.Randn(1, 16);
        var (te, tg, tr) = GraphBenchmarks.Interleaved(() => { using var s = Tensor.Scope(); tiny.Call(tx); }, () => { using var s = Tensor.Scope(); tplan.Call(tx); }, 11, 0.2);
        Console.WriteLine($"tiny MLP 5 ops: eager {te * 1e6:F2} us, graph {tg * 1e6:F2} us, ratio {tr:F3}");
        var (ne, ng, nr) = GraphBenchmarks.Interleaved(
            () => { using var g = Autograd.NoGrad(); using var s = Tensor.Scope(); tiny.Call(tx); },
            () => { using var g = Autograd.NoGrad(); using var s = Tensor.Scope(); tplan.Call(tx); }, 11, 0.2);
        Console.WriteLine($"tiny MLP 5 ops, no grad: eager {ne * 1e6:F2} us, graph {ng * 1e6:F2} us, ratio {nr:F3}");
        var r = acts[1];
        double inplace = Measure.MedianSecondsPerCall(() => { Backend.For(Device.Cpu).Unary(UnaryOp.Relu, r.View, r.View); }, repeats: 5, repeatSeconds: 0.2);
        Console.WriteLine($"relu in place on conv1 output {inplace * 1e3:F3} ms");
    }
}
