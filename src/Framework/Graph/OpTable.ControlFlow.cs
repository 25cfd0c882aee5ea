namespace NativeNet;

/// <summary>Control flow with subgraphs: If, Loop, Scan. Bodies run through their own compiled plans and read outer values.</summary>
internal static partial class OpRegistry
{
    static void RegisterControlFlow()
    {
        AddMulti("If", ctx =>
        {
            bool cond = ctx.Scalar(0) != 0;
            var branch = ctx.A.GetGraph(cond ? "then_branch" : "else_branch");
            var outs = ctx.RunSubgraph(branch, []);
            if (outs.Length != ctx.OutputCount) throw ctx.Fail($"the {(cond ? "then" : "else")} branch returns {outs.Length} values for {ctx.OutputCount} outputs");
            return outs;
        });
        AddMulti("Loop", Loop);
        AddMulti("Scan", Scan);
    }

    /// <summary>
    /// ONNX Loop: inputs (M?, cond?, v_initial...), body (iter, cond, v...) -> (cond, v..., scan...). Outputs the final
    /// loop-carried values and each scan output stacked along a new first axis.
    /// </summary>
    static object?[] Loop(OpContext ctx)
    {
        var body = ctx.A.GetGraph("body");
        long maxTrips = ctx.Has(0) ? (long)ctx.Scalar(0) : long.MaxValue;
        bool cond = !ctx.Has(1) || ctx.Scalar(1) != 0;
        int nCarried = ctx.InputCount - 2;
        if (nCarried < 0) throw ctx.Fail("needs the M and cond inputs (they may be empty names)");
        if (body.Inputs.Count != nCarried + 2) throw ctx.Fail($"body takes {body.Inputs.Count} inputs, expected {nCarried + 2}");
        int nScan = body.Outputs.Count - 1 - nCarried;
        if (nScan < 0) throw ctx.Fail($"body returns {body.Outputs.Count} values, expected at least {nCarried + 1}");
        var carried = new object?[nCarried];
        for (int i = 0; i < nCarried; i++) carried[i] = ctx.Inputs[2 + i];
        var scans = Enumerable.Range(0, nScan).Select(_ => new List<Tensor>()).ToArray();
        long guard = CompiledGraph.MaxLoopIterations;
        for (long it = 0; it < maxTrips && cond; it++)
        {
            if (it >= guard) throw ctx.Fail($"more than {guard} iterations (CompiledGraph.MaxLoopIterations)");
            var args = new object?[2 + nCarried];
            args[0] = Tensor.Scalar(it, DType.Int64);
            args[1] = Tensor.Scalar(1, DType.Bool);
            Array.Copy(carried, 0, args, 2, nCarried);
            var outs = ctx.RunSubgraph(body, args);
            cond = outs[0] is Tensor c ? c.Item() != 0 : throw ctx.Fail("body must return a condition tensor");
            for (int i = 0; i < nCarried; i++) carried[i] = outs[1 + i];
            for (int i = 0; i < nScan; i++) scans[i].Add(outs[1 + nCarried + i] as Tensor ?? throw ctx.Fail("scan outputs must be tensors"));
        }
        var result = new object?[ctx.OutputCount];
        for (int i = 0; i < nCarried && i < result.Length; i++) result[i] = carried[i];
        for (int i = 0; i < nScan && nCarried + i < result.Length; i++)
        {
            if (scans[i].Count > 0) result[nCarried + i] = Tensor.Stack(scans[i]);
            else
            {
                var decl = body.Outputs[1 + nCarried + i];
                var shape = decl.StaticShape ?? [];
                result[nCarried + i] = Tensor.Zeros([0, .. shape], decl.DType ?? DType.Float32);
            }
        }
        return result;
    }

    /// <summary>
    /// ONNX Scan (opset 9+): inputs (state..., scan_inputs...), body (state..., scan slices...) -> (state..., scan outputs...);
    /// scan inputs are sliced along their scan axis (optionally reversed), scan outputs stacked along theirs.
    /// </summary>
    static object?[] Scan(OpContext ctx)
    {
        var body = ctx.A.GetGraph("body");
        int nScanIn = ctx.A.GetInt32("num_scan_inputs");
        if (ctx.Opset >= 9)
        {
            var inputs = Enumerable.Range(0, ctx.InputCount).Select(i => ctx.Inputs[i]).ToArray();
            return ScanCore(ctx, body, inputs, nScanIn, ctx.A.GetInts32("scan_input_axes"), ctx.A.GetInts32("scan_input_directions"),
                ctx.A.GetInts32("scan_output_axes"), ctx.A.GetInts32("scan_output_directions"), null);
        }
        // Opset 8: (sequence_lens?, state..., scan...) all with a leading batch axis; scan along axis 1 per batch entry.
        var lens = ctx.Has(0) ? ctx.Ints(0) : null;
        int nState = ctx.InputCount - 1 - nScanIn;
        if (nState < 0) throw ctx.Fail("inconsistent numbers of state and scan inputs");
        var dirs = ctx.A.GetInts32("directions");
        int batch = ctx.In(1).Shape[0];
        var perBatch = new List<object?[]>();
        for (int b = 0; b < batch; b++)
        {
            var ins = new object?[nState + nScanIn];
            for (int i = 0; i < nState + nScanIn; i++) ins[i] = ctx.In(1 + i).Select(0, b);
            int? len = lens != null ? (int)lens[b] : null;
            perBatch.Add(ScanCore(ctx, body, ins, nScanIn, null, dirs, null, null, len));
        }
        var result = new object?[ctx.OutputCount];
        for (int k = 0; k < result.Length; k++)
            result[k] = Tensor.Stack(perBatch.Select(r => r[k] as Tensor ?? throw ctx.Fail("scan values must be tensors")).ToList(), 0);
        return result;
    }

    /// <summary>
    /// The opset-9 Scan loop over already-unbatched inputs (state..., scan inputs...): scan inputs are sliced along their
    /// axis (optionally reversed, at most <paramref name="length"/> steps), scan outputs stacked along theirs.
    /// </summary>
    static object?[] ScanCore(OpContext ctx, Graph body, object?[] inputs, int nScanIn, int[]? inAxesA, int[]? inDirsA, int[]? outAxesA, int[]? outDirsA, int? length)
    {
        int nState = inputs.Length - nScanIn;
        int nScanOut = body.Outputs.Count - nState;
        if (nState < 0 || nScanOut < 0) throw ctx.Fail("inconsistent numbers of state and scan values");
        var inAxes = inAxesA ?? new int[nScanIn];
        var inDirs = inDirsA ?? new int[nScanIn];
        var outAxes = outAxesA ?? new int[nScanOut];
        var outDirs = outDirsA ?? new int[nScanOut];
        var xs = new Tensor[nScanIn];
        var axes = new int[nScanIn];
        int steps = -1;
        for (int i = 0; i < nScanIn; i++)
        {
            xs[i] = inputs[nState + i] as Tensor ?? throw ctx.Fail("scan inputs must be tensors");
            axes[i] = ctx.Axis(inAxes[i], xs[i].Dim);
            int len = xs[i].Shape[axes[i]];
            if (steps >= 0 && len != steps) throw ctx.Fail($"scan inputs have different lengths {steps} and {len}");
            steps = len;
        }
        if (steps < 0) throw ctx.Fail("needs at least one scan input");
        if (length is int l) steps = Math.Clamp(l, 0, steps);
        var state = new object?[nState];
        Array.Copy(inputs, state, nState);
        var outs = Enumerable.Range(0, nScanOut).Select(_ => new List<Tensor>()).ToArray();
        for (int t = 0; t < steps; t++)
        {
            var args = new object?[nState + nScanIn];
            Array.Copy(state, args, nState);
            for (int i = 0; i < nScanIn; i++) args[nState + i] = xs[i].Select(axes[i], inDirs[i] != 0 ? steps - 1 - t : t);
            var r = ctx.RunSubgraph(body, args);
            for (int i = 0; i < nState; i++) state[i] = r[i];
            for (int i = 0; i < nScanOut; i++) outs[i].Add(r[nState + i] as Tensor ?? throw ctx.Fail("scan outputs must be tensors"));
        }
        var result = new object?[nState + nScanOut];
        for (int i = 0; i < nState; i++) result[i] = state[i];
        for (int i = 0; i < nScanOut; i++)
        {
            var items = outs[i];
            if (outDirs[i] != 0) items.Reverse();
            if (items.Count == 0) throw ctx.Fail("a scan over zero steps has no output shape");
            int axis = ctx.Axis(outAxes[i], items[0].Dim + 1);
            result[nState + i] = Tensor.Stack(items, axis);
        }
        return result;
    }
}
