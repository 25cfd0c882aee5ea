namespace NativeNet;

/// <summary>Sampling and detection: GridSample, RoiAlign, MaxUnpool, NonMaxSuppression.</summary>
internal static partial class OpRegistry
{
    static void RegisterMisc()
    {
        Add("GridSample", GridSample);
        Add("RoiAlign", RoiAlign);
        Add("MaxUnpool", ctx =>
        {
            var x = ctx.In(0);
            var idx = ctx.In(1);
            int nsp = x.Dim - 2;
            var kernel = ctx.A.GetInts32("kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
            var stride = ctx.A.GetInts32("strides") ?? Ones(nsp);
            var pads = ctx.A.GetInts32("pads") ?? new int[2 * nsp];
            // Indices address the natural unpooled shape; a larger output_shape pads it with zeros at the end.
            var natural = x.Shape.ToArray();
            for (int i = 0; i < nsp; i++) natural[2 + i] = (x.Shape[2 + i] - 1) * stride[i] + kernel[i] - pads[i] - pads[nsp + i];
            var flat = Tensor.Zeros([ShapeUtil.NumEl(ctx.Guard(natural))], x.DType);
            var y = flat.ScatterAdd(0, idx.Reshape(-1), x.Reshape(-1)).Reshape(natural);
            if (!ctx.Has(2)) return y;
            var outShape = ctx.Guard(ctx.Int32s(ctx.Ints(2), "output_shape"));
            if (outShape.Length != x.Dim) throw ctx.Fail($"output_shape needs {x.Dim} values");
            var pad = new int[2 * nsp];
            for (int i = 0; i < nsp; i++) pad[2 * (nsp - 1 - i) + 1] = outShape[2 + i] - natural[2 + i];
            return y.Pad(pad);
        });
        Add("NonMaxSuppression", NonMaxSuppression);
        Add("MaxRoiPool", MaxRoiPool);
    }

    /// <summary>y[b, c, p] = Σ_t w[b, p, t]·x[b, c, idx[b, p, t]] for x [B, C, L]: bilinear/bicubic sampling as gather + weighted sum.</summary>
    static Tensor SampleTaps(Tensor x, long[] idx, double[] w, int points, int taps)
    {
        int b = x.Shape[0], c = x.Shape[1];
        using var it = Tensor.FromArray(idx, [b, 1, points * taps]);
        using var full = it.Expand(b, c, points * taps).Contiguous();
        using var wt = Tensor.FromArray(w, [b, 1, points, taps]).To(x.DType);
        return x.Gather(2, full).Reshape(b, c, points, taps).Mul(wt).Sum(3);
    }

    static Tensor GridSample(OpContext ctx)
    {
        var x = ctx.In(0);
        var grid = ctx.In(1);
        if (x.Dim != 4 || grid.Dim != 4 || grid.Shape[3] != 2 || grid.Shape[0] != x.Shape[0])
            throw ctx.Fail($"supports 2-D sampling: X [N, C, H, W] and grid [N, H_out, W_out, 2], got {ShapeUtil.Format(x.Shape)} and {ShapeUtil.Format(grid.Shape)}");
        string mode = ctx.A.GetString("mode", "bilinear"), padding = ctx.A.GetString("padding_mode", "zeros");
        bool align = ctx.A.GetInt("align_corners", 0) != 0;
        if (mode is not ("bilinear" or "nearest" or "bicubic")) throw ctx.Fail($"unknown mode '{mode}'");
        if (padding is not ("zeros" or "border" or "reflection")) throw ctx.Fail($"unknown padding_mode '{padding}'");
        int n = x.Shape[0], h = x.Shape[2], w = x.Shape[3], ho = grid.Shape[1], wo = grid.Shape[2], points = ho * wo;
        int taps = mode switch { "nearest" => 1, "bilinear" => 4, _ => 16 };
        var g = ToDoubles(grid);
        var idx = new long[n * points * taps];
        var wts = new double[idx.Length];
        double Unnorm(double v, int size) => align ? (v + 1) / 2 * (size - 1) : ((v + 1) * size - 1) / 2;
        double Reflect(double v, double lo2, double hi2)
        {
            if (lo2 == hi2) return 0;
            double min = lo2 / 2, span = (hi2 - lo2) / 2;
            v = Math.Abs(v - min);
            double extra = v % span;
            int flips = (int)Math.Floor(v / span);
            return flips % 2 == 0 ? extra + min : span - extra + min;
        }
        double Pad(double v, int size)
        {
            if (padding == "border") return Math.Clamp(v, 0, size - 1);
            if (padding == "reflection")
            {
                v = align ? Reflect(v, 0, 2 * (size - 1)) : Reflect(v, -1, 2 * size - 1);
                return Math.Clamp(v, 0, size - 1);
            }
            return v;
        }
        for (int b = 0; b < n; b++)
            for (int p = 0; p < points; p++)
            {
                double ix = Unnorm(g[(b * points + p) * 2], w), iy = Unnorm(g[(b * points + p) * 2 + 1], h);
                int o = (b * points + p) * taps;
                void Tap(int k, long yy, long xx, double wt)
                {
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) return;
                    idx[o + k] = yy * w + xx;
                    wts[o + k] = wt;
                }
                if (mode == "bicubic")
                {
                    double fx = Math.Floor(ix), fy = Math.Floor(iy), tx = ix - fx, ty = iy - fy;
                    var cx = CubicWeights(tx);
                    var cy = CubicWeights(ty);
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++)
                        {
                            // Bicubic pads each tap, not the sampling point.
                            double yy = Pad(fy - 1 + i, h), xx = Pad(fx - 1 + j, w);
                            Tap(i * 4 + j, (long)yy, (long)xx, cy[i] * cx[j]);
                        }
                    continue;
                }
                ix = Pad(ix, w);
                iy = Pad(iy, h);
                if (mode == "nearest")
                {
                    Tap(0, (long)Math.Round(iy, MidpointRounding.ToEven), (long)Math.Round(ix, MidpointRounding.ToEven), 1);
                    continue;
                }
                double x0 = Math.Floor(ix), y0 = Math.Floor(iy), lx = ix - x0, ly = iy - y0;
                Tap(0, (long)y0, (long)x0, (1 - ly) * (1 - lx));
                Tap(1, (long)y0, (long)x0 + 1, (1 - ly) * lx);
                Tap(2, (long)y0 + 1, (long)x0, ly * (1 - lx));
                Tap(3, (long)y0 + 1, (long)x0 + 1, ly * lx);
            }
        var y = SampleTaps(x.Reshape(n, x.Shape[1], h * w), idx, wts, points, taps);
        return y.Reshape(n, x.Shape[1], ho, wo);
    }

    /// <summary>Keys' cubic convolution weights (a = -0.75, PyTorch's) for the 4 taps around a fractional offset t.</summary>
    static double[] CubicWeights(double t)
    {
        const double a = -0.75;
        static double C1(double x) => ((a + 2) * x - (a + 3)) * x * x + 1;
        static double C2(double x) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return [C2(t + 1), C1(t), C1(1 - t), C2(2 - t)];
    }

    static Tensor RoiAlign(OpContext ctx)
    {
        var x = ctx.In(0);
        var rois = ToDoubles(ctx.In(1));
        var batchIdx = ctx.Ints(2);
        if (x.Dim != 4) throw ctx.Fail($"X must be [N, C, H, W], got {ShapeUtil.Format(x.Shape)}");
        int r = batchIdx.Length, c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (rois.Length != r * 4) throw ctx.Fail($"rois must be [{r}, 4]");
        int ph = ctx.A.GetInt32("output_height", 1), pw = ctx.A.GetInt32("output_width", 1), ratio = ctx.A.GetInt32("sampling_ratio", 0);
        double scale = ctx.A.GetFloat("spatial_scale", 1f);
        bool half = ctx.A.GetString("coordinate_transformation_mode", ctx.Opset >= 16 ? "half_pixel" : "output_half_pixel") == "half_pixel";
        bool max = ctx.A.GetString("mode", "avg") == "max";
        if (max) throw ctx.Fail("mode=max is not supported (avg is)");
        int maxTaps = 0;
        var perPoint = new List<(long, double)>[r * ph * pw];
        for (int n = 0; n < r; n++)
        {
            if (batchIdx[n] < 0 || batchIdx[n] >= x.Shape[0]) throw ctx.Fail($"batch index {batchIdx[n]} is out of range");
            double off = half ? 0.5 : 0;
            double sw = rois[n * 4] * scale - off, sh = rois[n * 4 + 1] * scale - off, ew = rois[n * 4 + 2] * scale - off, eh = rois[n * 4 + 3] * scale - off;
            double rw = ew - sw, rh = eh - sh;
            if (!half) { rw = Math.Max(rw, 1); rh = Math.Max(rh, 1); }
            double bh = rh / ph, bw = rw / pw;
            int gh = ratio > 0 ? ratio : (int)Math.Ceiling(rh / ph), gw = ratio > 0 ? ratio : (int)Math.Ceiling(rw / pw);
            double count = Math.Max(gh * gw, 1);
            for (int py = 0; py < ph; py++)
                for (int px = 0; px < pw; px++)
                {
                    var list = new List<(long, double)>();
                    for (int iy = 0; iy < gh; iy++)
                        for (int ix = 0; ix < gw; ix++)
                        {
                            double yy = sh + py * bh + (iy + 0.5) * bh / gh, xx = sw + px * bw + (ix + 0.5) * bw / gw;
                            if (yy < -1 || yy > h || xx < -1 || xx > w) continue;
                            yy = Math.Max(yy, 0);
                            xx = Math.Max(xx, 0);
                            int y0 = (int)yy, x0 = (int)xx, y1, x1;
                            if (y0 >= h - 1) { y1 = y0 = h - 1; yy = y0; } else y1 = y0 + 1;
                            if (x0 >= w - 1) { x1 = x0 = w - 1; xx = x0; } else x1 = x0 + 1;
                            double ly = yy - y0, lx = xx - x0;
                            list.Add((y0 * w + x0, (1 - ly) * (1 - lx) / count));
                            list.Add((y0 * w + x1, (1 - ly) * lx / count));
                            list.Add((y1 * w + x0, ly * (1 - lx) / count));
                            list.Add((y1 * w + x1, ly * lx / count));
                        }
                    perPoint[(n * ph + py) * pw + px] = list;
                    maxTaps = Math.Max(maxTaps, list.Count);
                }
        }
        maxTaps = Math.Max(maxTaps, 1);
        int points = ph * pw;
        var idx = new long[r * points * maxTaps];
        var wts = new double[idx.Length];
        for (int i = 0; i < perPoint.Length; i++)
            for (int t = 0; t < perPoint[i].Count; t++) (idx[i * maxTaps + t], wts[i * maxTaps + t]) = perPoint[i][t];
        using var bi = Tensor.FromArray(batchIdx);
        var xs = x.IndexSelect(0, bi).Reshape(r, c, h * w);
        return SampleTaps(xs, idx, wts, points, maxTaps).Reshape(r, c, ph, pw);
    }

    static Tensor NonMaxSuppression(OpContext ctx)
    {
        var boxes = ctx.In(0);
        var scores = ctx.In(1);
        if (boxes.Dim != 3 || boxes.Shape[2] != 4 || scores.Dim != 3 || scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1])
            throw ctx.Fail($"boxes must be [B, N, 4] and scores [B, classes, N], got {ShapeUtil.Format(boxes.Shape)} and {ShapeUtil.Format(scores.Shape)}");
        long maxOut = ctx.Has(2) && ctx.In(2).NumEl > 0 ? (long)ctx.Scalar(2) : 0;
        double iouThr = ctx.Has(3) && ctx.In(3).NumEl > 0 ? ctx.Scalar(3) : 0;
        double? scoreThr = ctx.Has(4) && ctx.In(4).NumEl > 0 ? ctx.Scalar(4) : null;
        bool center = ctx.A.GetInt("center_point_box", 0) != 0;
        var bv = ToDoubles(boxes);
        var sv = ToDoubles(scores);
        int nb = boxes.Shape[0], n = boxes.Shape[1], nc = scores.Shape[1];
        (double Y1, double X1, double Y2, double X2) Box(int b, int i)
        {
            int o = (b * n + i) * 4;
            if (center)
            {
                double xc = bv[o], yc = bv[o + 1], bw = bv[o + 2], bh = bv[o + 3];
                return (yc - bh / 2, xc - bw / 2, yc + bh / 2, xc + bw / 2);
            }
            return (Math.Min(bv[o], bv[o + 2]), Math.Min(bv[o + 1], bv[o + 3]), Math.Max(bv[o], bv[o + 2]), Math.Max(bv[o + 1], bv[o + 3]));
        }
        double Iou(int b, int i, int j)
        {
            var p = Box(b, i);
            var q = Box(b, j);
            double ih = Math.Min(p.Y2, q.Y2) - Math.Max(p.Y1, q.Y1), iw = Math.Min(p.X2, q.X2) - Math.Max(p.X1, q.X1);
            if (ih <= 0 || iw <= 0) return 0;
            double inter = ih * iw, union = (p.Y2 - p.Y1) * (p.X2 - p.X1) + (q.Y2 - q.Y1) * (q.X2 - q.X1) - inter;
            return union <= 0 ? 0 : inter / union;
        }
        var selected = new List<long>();
        for (int b = 0; b < nb; b++)
            for (int c = 0; c < nc; c++)
            {
                var cand = Enumerable.Range(0, n).Where(i => scoreThr is not double t || sv[(b * nc + c) * n + i] > t)
                    .OrderByDescending(i => sv[(b * nc + c) * n + i]).ThenBy(i => i).ToList();
                var keep = new List<int>();
                foreach (var i in cand)
                {
                    if (keep.Count >= maxOut) break;
                    if (keep.All(k => Iou(b, k, i) <= iouThr)) keep.Add(i);
                }
                foreach (var k in keep) selected.AddRange([b, c, k]);
            }
        return Tensor.FromArray(selected.ToArray(), [selected.Count / 3, 3]);
    }

    /// <summary>Caffe's ROI pooling: the maximum over each of pooled_shape bins of each (batch, x1, y1, x2, y2) region.</summary>
    static Tensor MaxRoiPool(OpContext ctx)
    {
        var x = ctx.In(0);
        var rois = ToDoubles(ctx.In(1));
        if (x.Dim != 4 || ctx.In(1).Dim != 2 || ctx.In(1).Shape[1] != 5) throw ctx.Fail("needs X [N, C, H, W] and rois [R, 5]");
        var pooled = ctx.A.GetInts32("pooled_shape") ?? throw ctx.Fail("pooled_shape is required");
        if (pooled.Length != 2 || pooled[0] <= 0 || pooled[1] <= 0) throw ctx.Fail("pooled_shape must be two positive sizes");
        double scale = ctx.A.GetFloat("spatial_scale", 1f);
        int r = ctx.In(1).Shape[0], n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], ph = pooled[0], pw = pooled[1];
        var v = ToDoubles(x);
        var idx = new long[r * c * ph * pw];
        var valid = new bool[idx.Length];
        for (int i = 0; i < r; i++)
        {
            int b = (int)rois[i * 5];
            if (b < 0 || b >= n) throw ctx.Fail($"roi {i} names batch {b} of {n}");
            int x1 = (int)Math.Round(rois[i * 5 + 1] * scale), y1 = (int)Math.Round(rois[i * 5 + 2] * scale);
            int x2 = (int)Math.Round(rois[i * 5 + 3] * scale), y2 = (int)Math.Round(rois[i * 5 + 4] * scale);
            double bh = Math.Max(y2 - y1 + 1, 1) / (double)ph, bw = Math.Max(x2 - x1 + 1, 1) / (double)pw;
            for (int ch = 0; ch < c; ch++)
                for (int py = 0; py < ph; py++)
                    for (int px = 0; px < pw; px++)
                    {
                        int hs = Math.Clamp((int)Math.Floor(py * bh) + y1, 0, h), he = Math.Clamp((int)Math.Ceiling((py + 1) * bh) + y1, 0, h);
                        int ws = Math.Clamp((int)Math.Floor(px * bw) + x1, 0, w), we = Math.Clamp((int)Math.Ceiling((px + 1) * bw) + x1, 0, w);
                        int o = ((i * c + ch) * ph + py) * pw + px;
                        long best = -1;
                        for (int yy = hs; yy < he; yy++)
                            for (int xx = ws; xx < we; xx++)
                            {
                                long at = (((long)b * c + ch) * h + yy) * w + xx;
                                if (best < 0 || v[at] > v[best]) best = at;
                            }
                        idx[o] = Math.Max(best, 0);
                        valid[o] = best >= 0;
                    }
        }
        using var it = Tensor.FromArray(idx);
        var y = x.Reshape(-1).IndexSelect(0, it).Reshape(r, c, ph, pw);
        using var mask = Tensor.FromArray(valid, [r, c, ph, pw]);
        using var zero = Tensor.Scalar(0, x.DType);
        return Tensor.Where(mask, y, zero);
    }
}
