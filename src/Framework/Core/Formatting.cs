using System.Globalization;
using System.Text;

namespace NativeNet;

/// <summary>PyTorch-like printing: <c>tensor([0.6667, 1.3333, 2.0000])</c>, nested brackets, summarised above 1000 elements.</summary>
public partial class Tensor
{
    const int SummarizeThreshold = 1000;
    const int EdgeItems = 3;

    /// <summary>Formats like PyTorch's <c>repr(tensor)</c>, with dtype, grad_fn and requires_grad suffixes.</summary>
    public override string ToString()
    {
        if (disposed) return $"tensor(<disposed>, shape={ShapeUtil.Format(shape)}, dtype={DType.Name()})";
        double[] values;
        using (var cpu = To(DType.Float64)) values = cpu.Contiguous().ToArray<double>();
        var fmt = MakeFormatter(values);
        var sb = new StringBuilder("tensor(");
        bool summarize = numel > SummarizeThreshold;
        if (numel == 0) sb.Append(shape.Length <= 1 ? "[]" : $"[], size={ShapeUtil.Format(shape)}");
        else if (shape.Length == 0) sb.Append(fmt(values[0]));
        else Append(sb, values, 0, 0, fmt, summarize, 7);
        var suffix = new List<string>();
        if (DType is not (DType.Float32 or DType.Int64 or DType.Bool)) suffix.Add($"dtype={DType.Name()}");
        if (Device != Device.Cpu) suffix.Add($"device='{Device}'");
        if (gradFn != null) suffix.Add($"grad_fn=<{gradFn}>");
        else if (RequiresGrad) suffix.Add("requires_grad=True");
        foreach (var s in suffix) sb.Append(", ").Append(s);
        return sb.Append(')').ToString();
    }

    void Append(StringBuilder sb, double[] v, int dim, int offset, Func<double, string> fmt, bool summarize, int indent)
    {
        int n = shape[dim];
        int stride = 1;
        for (int i = dim + 1; i < shape.Length; i++) stride *= shape[i];
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(dim == shape.Length - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1) + (dim < shape.Length - 2 ? "\n" + new string(' ', indent + dim + 1) : ""));
                i = n - EdgeItems - 1;
                continue;
            }
            if (dim == shape.Length - 1) sb.Append(fmt(v[offset + i]));
            else Append(sb, v, dim + 1, offset + i * stride, fmt, summarize, indent);
            if (i < n - 1)
            {
                if (dim == shape.Length - 1) sb.Append(", ");
                else sb.Append(',').Append('\n', shape.Length - 1 - dim).Append(' ', indent + dim + 1);
            }
        }
        sb.Append(']');
    }

    Func<double, string> MakeFormatter(double[] values)
    {
        var inv = CultureInfo.InvariantCulture;
        if (DType == DType.Bool) return x => x != 0 ? "True" : "False";
        if (!DType.IsFloatingPoint())
        {
            int w = values.Length == 0 ? 1 : values.Max(x => ((long)x).ToString(inv).Length);
            return x => ((long)x).ToString(inv).PadLeft(w);
        }
        var finite = values.Where(double.IsFinite).Select(Math.Abs).ToArray();
        bool allInt = values.Where(double.IsFinite).All(x => x == Math.Floor(x));
        double max = finite.Length > 0 ? finite.Max() : 0, minNz = finite.Where(x => x > 0).DefaultIfEmpty(0).Min();
        bool sci = finite.Length > 0 && (max >= 1e8 || (minNz > 0 && (max / minNz > 1000 || minNz < 1e-4)));
        string Raw(double x)
        {
            if (double.IsNaN(x)) return "nan";
            if (double.IsPositiveInfinity(x)) return "inf";
            if (double.IsNegativeInfinity(x)) return "-inf";
            if (sci) return x.ToString("0.0000e+00", inv);
            if (allInt) return x.ToString("0", inv) + ".";
            return x.ToString("0.0000", inv);
        }
        int width = values.Length == 0 ? 1 : values.Take(100_000).Max(x => Raw(x).Length);
        return x => Raw(x).PadLeft(width);
    }
}
