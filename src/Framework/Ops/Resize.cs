namespace NativeNet;

/// <summary>How <see cref="Tensor.Resize"/> maps output coordinates to input coordinates and interpolates (ONNX Resize's attributes).</summary>
/// <param name="Mode">"nearest", "linear" (N-linear) or "cubic".</param>
/// <param name="CoordinateTransformationMode">"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn" or "tf_crop_and_resize".</param>
/// <param name="NearestMode">"round_prefer_floor", "round_prefer_ceil", "floor" or "ceil".</param>
/// <param name="CubicCoeffA">The cubic kernel's a (-0.75 like PyTorch and ONNX; -0.5 like TensorFlow).</param>
/// <param name="ExcludeOutside">Give taps outside the input zero weight and renormalize.</param>
/// <param name="ExtrapolationValue">Value of outputs mapped outside the input in tf_crop_and_resize mode.</param>
/// <param name="Roi">For tf_crop_and_resize: normalized region starts for every dim, then ends.</param>
public sealed record ResizeOptions(
    string Mode = "nearest", string CoordinateTransformationMode = "half_pixel", string NearestMode = "round_prefer_floor",
    double CubicCoeffA = -0.75, bool ExcludeOutside = false, double ExtrapolationValue = 0, double[]? Roi = null);

/// <summary>Resizing (interpolation) one dim at a time: nearest as an index-select, linear and cubic as a weight-matrix product.</summary>
public partial class Tensor
{
    /// <summary>
    /// Upsamples or downsamples (<c>torch.nn.functional.interpolate</c>): <paramref name="mode"/> "nearest", "linear",
    /// "bilinear", "trilinear", "bicubic" or "nearest-exact" over the dims after the first two; give <paramref name="size"/>
    /// or <paramref name="scaleFactor"/>. Linear and cubic modes use half-pixel centers unless <paramref name="alignCorners"/>.
    /// </summary>
    public static Tensor Interpolate(Tensor input, int[]? size = null, double[]? scaleFactor = null, string mode = "nearest", bool alignCorners = false)
    {
        int nsp = input.Dim - 2;
        if (nsp < 1) throw new ShapeMismatchException("Resize", $"Interpolate needs an [N, C, ...] input, got {ShapeUtil.Format(input.Shape)}");
        var outSizes = input.shape.ToArray();
        var scales = Enumerable.Repeat(1.0, input.Dim).ToArray();
        for (int i = 0; i < nsp; i++)
        {
            if (size != null) outSizes[2 + i] = size.Length == 1 ? size[0] : size[i];
            else if (scaleFactor != null) outSizes[2 + i] = (int)Math.Floor(input.shape[2 + i] * (scaleFactor.Length == 1 ? scaleFactor[0] : scaleFactor[i]));
            else throw new ArgumentException("Interpolate: give size or scaleFactor");
            scales[2 + i] = scaleFactor != null && size == null ? (scaleFactor.Length == 1 ? scaleFactor[0] : scaleFactor[i]) : (double)outSizes[2 + i] / input.shape[2 + i];
        }
        var o = mode switch
        {
            "nearest" => new ResizeOptions("nearest", "asymmetric", "floor"),
            "nearest-exact" => new ResizeOptions("nearest", "half_pixel", "round_prefer_ceil"),
            "linear" or "bilinear" or "trilinear" => new ResizeOptions("linear", alignCorners ? "align_corners" : "pytorch_half_pixel"),
            "bicubic" => new ResizeOptions("cubic", alignCorners ? "align_corners" : "pytorch_half_pixel"),
            _ => throw new ArgumentException($"Interpolate: unknown mode '{mode}'"),
        };
        return Resize(input, outSizes, scales, o);
    }

    /// <summary>
    /// Resizes every dim to <paramref name="outSizes"/> with the per-dim <paramref name="scales"/> (output/input) used by
    /// the coordinate transform (ONNX Resize). Dims whose size and scale are unchanged are left alone.
    /// </summary>
    public static Tensor Resize(Tensor input, int[] outSizes, double[] scales, ResizeOptions options)
    {
        input.ThrowIfDisposed();
        if (outSizes.Length != input.Dim || scales.Length != input.Dim)
            throw new ShapeMismatchException("Resize", $"sizes and scales need {input.Dim} entries for input {ShapeUtil.Format(input.shape)}");
        if (options.Mode is not ("nearest" or "linear" or "cubic")) throw new ArgumentException($"Resize: unknown mode '{options.Mode}'");
        if (options.Mode != "nearest" && !input.DType.IsFloatingPoint())
            throw new DTypeMismatchException("Resize", $"{options.Mode} interpolation needs a floating-point input, got {input.DType.Name()}");
        var x = input;
        for (int d = 0; d < input.Dim; d++)
        {
            if (outSizes[d] < 0) throw new ShapeMismatchException("Resize", $"negative output size {outSizes[d]}");
            bool crop = options.CoordinateTransformationMode == "tf_crop_and_resize" && options.Roi is { } roi && (roi[d] != 0 || roi[input.Dim + d] != 1);
            if (outSizes[d] == x.shape[d] && scales[d] == 1 && !crop) continue;
            x = ResizeDim(x, d, outSizes[d], scales[d], options);
        }
        return ReferenceEquals(x, input) ? input.Clone() : x;
    }

    static Tensor ResizeDim(Tensor x, int d, int outSize, double scale, ResizeOptions o)
    {
        int inSize = x.shape[d];
        if (inSize == 0) throw new ShapeMismatchException("Resize", $"cannot resize an empty dimension {d}");
        int taps = o.Mode == "cubic" ? 4 : 2;
        var weights = new double[outSize * inSize];
        var outside = new bool[outSize];
        var nearest = new long[outSize];
        double outWidth = scale * inSize;
        for (int i = 0; i < outSize; i++)
        {
            double xo = SourceCoordinate(i, scale, inSize, outWidth, d, x.Dim, o);
            if (o.CoordinateTransformationMode == "tf_crop_and_resize" && (xo < 0 || xo > inSize - 1))
            {
                outside[i] = true;
                continue;
            }
            double fl = Math.Floor(xo);
            double baseIdx = xo == fl ? xo - 1 : fl, ratio = xo == fl ? 1 : xo - fl;
            var c = new double[taps];
            switch (o.Mode)
            {
                case "nearest":
                    bool second = ratio == 1 || o.NearestMode switch
                    {
                        "round_prefer_floor" => ratio > 0.5,
                        "round_prefer_ceil" => ratio >= 0.5,
                        "floor" => false,
                        "ceil" => true,
                        _ => throw new ArgumentException($"Resize: unknown nearest_mode '{o.NearestMode}'"),
                    };
                    nearest[i] = (long)Math.Clamp(baseIdx + (second ? 1 : 0), 0, inSize - 1);
                    continue;
                case "linear":
                    c[0] = 1 - ratio;
                    c[1] = ratio;
                    break;
                default:
                    double a = o.CubicCoeffA, r1 = ratio + 1, r2 = 1 - ratio, r3 = 2 - ratio;
                    c[0] = ((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a;
                    c[1] = ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1;
                    c[2] = ((a + 2) * r2 - (a + 3)) * r2 * r2 + 1;
                    c[3] = ((a * r3 - 5 * a) * r3 + 8 * a) * r3 - 4 * a;
                    break;
            }
            long first = (long)baseIdx - (taps / 2 - 1);
            if (o.ExcludeOutside)
            {
                double sum = 0;
                for (int t = 0; t < taps; t++)
                {
                    long at = first + t;
                    if (at < 0 || at >= inSize) c[t] = 0;
                    sum += c[t];
                }
                if (sum != 0) for (int t = 0; t < taps; t++) c[t] /= sum;
            }
            for (int t = 0; t < taps; t++)
                weights[i * inSize + Math.Clamp(first + t, 0, inSize - 1)] += c[t];
        }
        Tensor y;
        if (o.Mode == "nearest")
        {
            using var idx = FromArray(nearest).To(x.Device);
            y = x.IndexSelect(d, idx);
        }
        else
        {
            // y = x ·_d Wᵀ: move d last, multiply by the [in, out] weight matrix, move it back.
            using var w = FromArray(weights, [outSize, inSize]).To(x.DType, x.Device);
            var moved = d == x.Dim - 1 ? x : x.Transpose(d, -1);
            y = moved.MatMul(w.T);
            if (d != x.Dim - 1) y = y.Transpose(d, -1).Contiguous();
        }
        if (outside.Any(b => b))
        {
            var shape = Enumerable.Repeat(1, x.Dim).ToArray();
            shape[d] = outSize;
            using var mask = FromArray(outside, shape).To(x.Device);
            using var fill = Scalar(o.ExtrapolationValue, y.DType, y.Device);
            y = Where(mask, fill, y);
        }
        return y;
    }

    static double SourceCoordinate(int i, double scale, int inSize, double outWidth, int d, int rank, ResizeOptions o)
    {
        switch (o.CoordinateTransformationMode)
        {
            case "half_pixel": return (i + 0.5) / scale - 0.5;
            case "pytorch_half_pixel": return outWidth == 1 ? -0.5 : (i + 0.5) / scale - 0.5;
            case "align_corners": return outWidth == 1 ? 0 : i * (inSize - 1) / (outWidth - 1);
            case "asymmetric": return i / scale;
            case "tf_half_pixel_for_nn": return (i + 0.5) / scale;
            case "tf_crop_and_resize":
                if (o.Roi == null || o.Roi.Length != 2 * rank) throw new ArgumentException($"Resize: tf_crop_and_resize needs a roi of {2 * rank} values");
                double s = o.Roi[d], e = o.Roi[rank + d];
                double xo = outWidth == 1 ? (e - s) * (inSize - 1) / 2 : i * (e - s) * (inSize - 1) / (outWidth - 1);
                return xo + s * (inSize - 1);
            default: throw new ArgumentException($"Resize: unknown coordinate_transformation_mode '{o.CoordinateTransformationMode}'");
        }
    }
}
