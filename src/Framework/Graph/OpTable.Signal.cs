namespace NativeNet;

/// <summary>Signal processing: DFT, STFT, window functions and the mel filter bank, as matrix products.</summary>
internal static partial class OpRegistry
{
    static void RegisterSignal()
    {
        Add("HannWindow", ctx => Window(ctx, [0.5, 0.5]));
        Add("HammingWindow", ctx => Window(ctx, [25.0 / 46, 21.0 / 46]));
        Add("BlackmanWindow", ctx => Window(ctx, [0.42, 0.5, 0.08]));
        Add("DFT", ctx =>
        {
            var x = ctx.In(0);
            int axis = ctx.Axis(ctx.A.GetInt("axis", 1), x.Dim - 1);
            long? len = ctx.Has(1) && ctx.In(1).NumEl > 0 ? (long)ctx.Scalar(1) : null;
            return Dft(ctx, x, axis, len, ctx.A.GetInt("inverse", 0) != 0, ctx.A.GetInt("onesided", 0) != 0);
        });
        Add("STFT", ctx =>
        {
            var signal = ctx.In(0);
            if (signal.Dim != 3) throw ctx.Fail($"signal must be [batch, length, 1 or 2], got {ShapeUtil.Format(signal.Shape)}");
            long step = (long)ctx.Scalar(1);
            var window = ctx.Opt(2);
            long frame = ctx.Has(3) ? (long)ctx.Scalar(3) : window?.NumEl ?? throw ctx.Fail("needs a window or a frame_length");
            int length = signal.Shape[1];
            if (step <= 0 || frame <= 0 || frame > length) throw ctx.Fail($"frame_step {step} and frame_length {frame} do not fit a signal of {length}");
            int frames = (int)((length - frame) / step + 1);
            var idx = new long[frames * frame];
            for (int f = 0; f < frames; f++)
                for (int i = 0; i < frame; i++) idx[f * frame + i] = f * step + i;
            using var it = Tensor.FromArray(idx);
            var framed = signal.IndexSelect(1, it).Reshape(signal.Shape[0], frames, (int)frame, signal.Shape[2]);
            if (window != null) framed = framed.Mul(window.To(signal.DType).Reshape(1, 1, (int)frame, 1));
            return Dft(ctx, framed, 2, null, false, ctx.A.GetInt("onesided", 1) != 0);
        });
        Add("MelWeightMatrix", MelWeightMatrix);
    }

    static Tensor Window(OpContext ctx, double[] a)
    {
        long size = (long)ctx.Scalar(0);
        if (size < 0 || size > int.MaxValue) throw ctx.Fail($"size {size} is out of range");
        bool periodic = ctx.A.GetInt("periodic", 1) != 0;
        double denom = periodic ? size : size - 1;
        var v = new double[size];
        for (int n = 0; n < size; n++)
        {
            double s = 0, sign = 1;
            for (int k = 0; k < a.Length; k++, sign = -sign) s += sign * a[k] * Math.Cos(2 * Math.PI * k * n / denom);
            v[n] = s;
        }
        return Tensor.FromArray(v).To(DTypeAttr(ctx, "output_datatype", DType.Float32));
    }

    /// <summary>DFT along <paramref name="axis"/> of x [..., 1 or 2] (real or complex last dim); returns [..., 2].</summary>
    static Tensor Dft(OpContext ctx, Tensor x, int axis, long? length, bool inverse, bool onesided)
    {
        int c = x.Shape[^1];
        if (c is not (1 or 2)) throw ctx.Fail($"the last dimension must be 1 (real) or 2 (complex), got {c}");
        if (!x.DType.IsFloatingPoint()) x = x.To(DType.Float32);
        int n = (int)(length ?? x.Shape[axis]);
        if (n <= 0) throw ctx.Fail($"dft_length {n} must be positive");
        var re = x.Select(-1, 0);
        var im = c == 2 ? x.Select(-1, 1) : null;
        // Pad or truncate to n along axis, then move it last.
        Tensor Fit(Tensor t)
        {
            int have = t.Shape[axis];
            if (have > n) t = t.Narrow(axis, 0, n);
            else if (have < n)
            {
                var pad = new int[2 * t.Dim];
                pad[2 * (t.Dim - 1 - axis) + 1] = n - have;
                t = t.Pad(pad);
            }
            return t.Transpose(axis, -1);
        }
        re = Fit(re);
        im = im == null ? null : Fit(im);
        int k = onesided ? n / 2 + 1 : n;
        var cos = new double[n * k];
        var sin = new double[n * k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
            {
                double ang = 2 * Math.PI * ((long)i * j % n) / n;
                cos[i * k + j] = Math.Cos(ang);
                sin[i * k + j] = inverse ? Math.Sin(ang) : -Math.Sin(ang);
            }
        var ct = Tensor.FromArray(cos, [n, k]).To(x.DType);
        var st = Tensor.FromArray(sin, [n, k]).To(x.DType);
        // (re + i·im)(cos + i·sin) = re·cos - im·sin + i(re·sin + im·cos)
        var yr = re.MatMul(ct);
        var yi = re.MatMul(st);
        if (im != null)
        {
            yr = yr.Sub(im.MatMul(st));
            yi = yi.Add(im.MatMul(ct));
        }
        if (inverse)
        {
            yr = yr.Div((double)n);
            yi = yi.Div((double)n);
        }
        return Tensor.Stack([yr.Transpose(axis, -1), yi.Transpose(axis, -1)], -1);
    }

    static Tensor MelWeightMatrix(OpContext ctx)
    {
        long bins = (long)ctx.Scalar(0), dft = (long)ctx.Scalar(1), rate = (long)ctx.Scalar(2);
        float lo = (float)ctx.Scalar(3), hi = (float)ctx.Scalar(4);
        if (bins <= 0 || dft <= 0 || rate <= 0 || bins > 1 << 16 || dft > 1 << 24) throw ctx.Fail("num_mel_bins, dft_length and sample_rate must be positive and moderate");
        int spec = (int)(dft / 2 + 1);
        // The reference computes the mel edges in float32 and divides the range into num_mel_bins + 2 steps.
        float loMel = 2595f * MathF.Log10(1 + lo / 700f), hiMel = 2595f * MathF.Log10(1 + hi / 700f);
        float step = (hiMel - loMel) / (bins + 2);
        var edges = new long[bins + 2];
        for (int i = 0; i < edges.Length; i++)
        {
            double mel = i * (double)step + loMel;
            double hz = 700 * (Math.Pow(10, mel / 2595) - 1);
            edges[i] = (long)Math.Floor((dft + 1) * hz / rate);
        }
        var m = new double[spec * bins];
        for (int i = 0; i < bins; i++)
        {
            long l = edges[i], c = edges[i + 1], h = edges[i + 2];
            if (c - l == 0) { if (c >= 0 && c < spec) m[c * bins + i] = 1; }
            else for (long j = l; j <= c; j++) if (j >= 0 && j < spec) m[j * bins + i] = (double)(j - l) / (c - l);
            if (h - c > 0) for (long j = c; j < h; j++) if (j >= 0 && j < spec) m[j * bins + i] = (double)(h - j) / (h - c);
        }
        return Tensor.FromArray(m, [spec, (int)bins]).To(DTypeAttr(ctx, "output_datatype", DType.Float32));
    }
}
