using System.Globalization;
using System.Text;

namespace NativeNet;

/// <summary>
/// PyTorch's <c>repr(tensor)</c>, ported from torch/_tensor_str.py (1.13, default print options: precision 4,
/// threshold 1000, edgeitems 3, linewidth 80): the same int/fixed/scientific modes, column widths, line wrapping,
/// summarisation and suffixes (<c>dtype=torch.float64</c>, <c>size=(2, 0)</c>, <c>requires_grad=True</c>, <c>grad_fn=&lt;…&gt;</c>).
/// </summary>
public partial class Tensor
{
    const int PrintThreshold = 1000;
    const int EdgeItems = 3;
    const int LineWidth = 80;

    /// <summary>Formats like PyTorch's <c>repr(tensor)</c>, with dtype, grad_fn and requires_grad suffixes.</summary>
    public override string ToString()
    {
        if (disposed) return $"tensor(<disposed>, shape={ShapeUtil.Format(shape)}, dtype={DType.Name()})";
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var suffixes = new List<string>();
        if (Device != Device.Cpu) suffixes.Add($"device='{Device}'");
        string body;
        if (numel == 0)
        {
            // Like NumPy, the shape is printed unless it is (0,); an empty tensor always shows a non-default dtype.
            if (shape.Length != 1) suffixes.Add("size=" + PyTuple(shape));
            if (DType != DType.Float32) suffixes.Add("dtype=torch." + DType.Name());
            body = "[]";
        }
        else
        {
            if (DType is not (DType.Float32 or DType.Int64 or DType.Bool)) suffixes.Add("dtype=torch." + DType.Name());
            body = new Printer(this).Render(indent);
        }
        if (gradFn != null) suffixes.Add($"grad_fn=<{gradFn}>");
        else if (RequiresGrad) suffixes.Add("requires_grad=True");
        return AddSuffixes(prefix + body, suffixes, indent);
    }

    static string PyTuple(int[] s) => s.Length == 1 ? $"({s[0]},)" : "(" + string.Join(", ", s) + ")";

    static string AddSuffixes(string tensorStr, List<string> suffixes, int indent)
    {
        var sb = new StringBuilder(tensorStr);
        int lastLineLen = tensorStr.Length - tensorStr.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLen + suffix.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLen = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLineLen += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }

    /// <summary>Row-major values plus PyTorch's _Formatter state for one tensor.</summary>
    sealed class Printer
    {
        static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
        readonly int[] shape;
        readonly double[]? floats;
        readonly long[]? ints;
        readonly bool isBool, floating, summarize;
        bool intMode = true, sciMode;
        int maxWidth = 1;

        internal Printer(Tensor t)
        {
            shape = t.shape;
            floating = t.DType.IsFloatingPoint();
            isBool = t.DType == DType.Bool;
            summarize = t.numel > PrintThreshold;
            var c = t.Contiguous();
            if (floating)
            {
                var d = c.To(DType.Float64);
                floats = d.ToArray<double>();
                if (!ReferenceEquals(d, c)) d.Dispose();
            }
            else
            {
                var l = c.To(DType.Int64);
                ints = l.ToArray<long>();
                if (!ReferenceEquals(l, c)) l.Dispose();
            }
            if (!ReferenceEquals(c, t)) c.Dispose();
            InitFormatter(summarize ? SummarizedIndices() : Enumerable.Range(0, t.numel));
        }

        /// <summary>Flat indices of get_summarized_data: the first and last EdgeItems along every dim longer than 2·EdgeItems.</summary>
        IEnumerable<int> SummarizedIndices()
        {
            var result = new List<int>();
            void Walk(int dim, int offset)
            {
                if (shape.Length == 0) { result.Add(0); return; }
                int n = shape[dim], stride = 1;
                for (int i = dim + 1; i < shape.Length; i++) stride *= shape[i];
                IEnumerable<int> rows = n > 2 * EdgeItems ? Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(n - EdgeItems, EdgeItems)) : Enumerable.Range(0, n);
                foreach (var r in rows)
                {
                    if (dim == shape.Length - 1) result.Add(offset + r);
                    else Walk(dim + 1, offset + r * stride);
                }
            }
            Walk(0, 0);
            return result;
        }

        void InitFormatter(IEnumerable<int> indices)
        {
            if (!floating)
            {
                foreach (var i in indices) maxWidth = Math.Max(maxWidth, IntText(ints![i]).Length);
                return;
            }
            var nz = indices.Select(i => floats![i]).Where(v => double.IsFinite(v) && v != 0).ToArray();
            if (nz.Length == 0) return;
            double min = nz.Min(Math.Abs), max = nz.Max(Math.Abs);
            intMode = nz.All(v => v == Math.Ceiling(v));
            sciMode = intMode ? max / min > 1000.0 || max > 1.0e8 : max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
            foreach (var v in nz)
                maxWidth = Math.Max(maxWidth, sciMode ? Sci(v).Length : intMode ? Fixed(v, 0).Length + 1 : Fixed(v, 4).Length);
        }

        string IntText(long v) => isBool ? (v != 0 ? "True" : "False") : v.ToString(Inv);

        /// <summary>Python's "{:.Nf}": round-half-even on the exact binary value, "nan"/"inf" for non-finite values.</summary>
        static string Fixed(double v, int digits) => double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf") : v.ToString("F" + digits, Inv);

        /// <summary>Python's "{:.4e}": mantissa with 4 decimals, exponent with a sign and at least two digits.</summary>
        static string Sci(double v)
        {
            if (!double.IsFinite(v)) return Fixed(v, 4);
            var s = v.ToString("E4", Inv);
            int e = s.IndexOf('E');
            int exp = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, Inv);
            return s[..e] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", Inv);
        }

        string Format(int i)
        {
            string r;
            if (!floating) r = IntText(ints![i]);
            else
            {
                double v = floats![i];
                if (sciMode) r = Sci(v);
                else if (intMode) r = Fixed(v, 0) + (double.IsFinite(v) ? "." : "");
                else r = Fixed(v, 4);
            }
            return r.Length < maxWidth ? new string(' ', maxWidth - r.Length) + r : r;
        }

        internal string Render(int indent) => shape.Length == 0 ? Format(0) : Render(0, 0, indent);

        string Render(int dim, int offset, int indent)
        {
            int n = shape[dim], stride = 1;
            for (int i = dim + 1; i < shape.Length; i++) stride *= shape[i];
            bool cut = summarize && n > 2 * EdgeItems;
            IEnumerable<int> rows = cut ? Enumerable.Range(0, EdgeItems).Append(-1).Concat(Enumerable.Range(n - EdgeItems, EdgeItems)) : Enumerable.Range(0, n);
            if (dim == shape.Length - 1)
            {
                int perLine = Math.Max(1, (LineWidth - indent) / (maxWidth + 2));
                var data = rows.Select(r => r < 0 ? " ..." : Format(offset + r)).ToList();
                var lines = data.Chunk(perLine).Select(line => string.Join(", ", line));
                return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
            }
            var slices = rows.Select(r => r < 0 ? "..." : Render(dim + 1, offset + r * stride, indent + 1));
            int rest = shape.Length - dim;
            return "[" + string.Join("," + new string('\n', rest - 1) + new string(' ', indent + 1), slices) + "]";
        }
    }
}
