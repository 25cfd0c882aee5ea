namespace NativeNet;

/// <summary>Einstein summation, lowered to diagonals, sums, permutes and batched matrix products (so it differentiates).</summary>
public partial class Tensor
{
    const int EllipsisLabel = 1000;

    /// <summary>
    /// Einstein summation (<c>torch.einsum</c>): e.g. <c>"ij,jk->ik"</c>, <c>"bij,bjk->bik"</c>, <c>"ii->i"</c>,
    /// <c>"...ij->...ji"</c>. Without "->" the output holds the labels that appear once, in alphabetical order.
    /// Operands are contracted left to right, each contraction as one batched matrix product.
    /// </summary>
    public static Tensor Einsum(string equation, params Tensor[] operands)
    {
        string eq = equation.Replace(" ", "");
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow >= 0 ? eq[..arrow] : eq;
        var terms = lhs.Split(',');
        if (terms.Length != operands.Length)
            throw new ArgumentException($"Einsum: equation '{equation}' has {terms.Length} operand term(s) but {operands.Length} tensor(s) were given");
        var parsed = new List<int>[terms.Length];
        int maxEll = 0;
        for (int k = 0; k < terms.Length; k++)
        {
            var (letters, hasEll) = ParseTerm(terms[k], equation);
            int ell = operands[k].Dim - letters.Count(l => l != EllipsisLabel);
            if (ell < 0 || (!hasEll && ell != 0))
                throw new ShapeMismatchException("Einsum", $"term '{terms[k]}' does not match operand {k} of shape {ShapeUtil.Format(operands[k].shape)}");
            maxEll = Math.Max(maxEll, ell);
            parsed[k] = letters;
        }
        var labels = new List<int>[terms.Length];
        for (int k = 0; k < terms.Length; k++)
        {
            int ell = operands[k].Dim - parsed[k].Count(l => l != EllipsisLabel);
            labels[k] = new List<int>();
            foreach (var l in parsed[k])
                if (l == EllipsisLabel) for (int j = maxEll - ell; j < maxEll; j++) labels[k].Add(EllipsisLabel + 1 + j);
                else labels[k].Add(l);
        }
        List<int> output;
        if (arrow >= 0)
        {
            var (outLetters, _) = ParseTerm(eq[(arrow + 2)..], equation);
            output = new List<int>();
            foreach (var l in outLetters)
                if (l == EllipsisLabel) for (int j = 0; j < maxEll; j++) output.Add(EllipsisLabel + 1 + j);
                else output.Add(l);
            foreach (var l in output)
                if (!labels.Any(ls => ls.Contains(l))) throw new ArgumentException($"Einsum: output label '{(char)l}' does not appear in any operand of '{equation}'");
            if (output.Distinct().Count() != output.Count) throw new ArgumentException($"Einsum: output of '{equation}' repeats a label");
        }
        else
        {
            var counts = labels.SelectMany(ls => ls).Where(l => l < EllipsisLabel).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key).OrderBy(l => l);
            output = Enumerable.Range(0, maxEll).Select(j => EllipsisLabel + 1 + j).Concat(counts).ToList();
        }

        var xs = new Tensor[operands.Length];
        for (int k = 0; k < operands.Length; k++)
        {
            var x = operands[k];
            var ls = labels[k];
            for (int i = 0; i < ls.Count; i++)
                for (int j = ls.Count - 1; j > i; j--)
                    if (ls[j] == ls[i])
                    {
                        x = x.TakeDiagonal(i, j);
                        ls.RemoveAt(j);
                    }
            var lonely = new List<int>();
            for (int i = 0; i < ls.Count; i++)
                if (!output.Contains(ls[i]) && !labels.Where((_, o) => o != k).Any(o => o.Contains(ls[i]))) lonely.Add(i);
            if (lonely.Count > 0)
            {
                x = x.Sum(lonely.ToArray());
                for (int i = lonely.Count - 1; i >= 0; i--) ls.RemoveAt(lonely[i]);
            }
            xs[k] = x;
        }
        var cur = xs[0];
        var curLabels = labels[0];
        for (int k = 1; k < xs.Length; k++)
        {
            var needed = new HashSet<int>(output);
            for (int o = k + 1; o < xs.Length; o++) needed.UnionWith(labels[o]);
            (cur, curLabels) = Contract(cur, curLabels, xs[k], labels[k], needed);
        }
        var extra = Enumerable.Range(0, curLabels.Count).Where(i => !output.Contains(curLabels[i])).ToArray();
        if (extra.Length > 0)
        {
            cur = cur.Sum(extra);
            curLabels = curLabels.Where(l => output.Contains(l)).ToList();
        }
        var perm = output.Select(l => curLabels.IndexOf(l)).ToArray();
        var y = perm.Length == 0 ? cur : cur.Permute(perm);
        return ReferenceEquals(y, operands[0]) ? y.Clone() : y;
    }

    static (List<int> Labels, bool HasEllipsis) ParseTerm(string term, string equation)
    {
        var r = new List<int>();
        bool ell = false;
        for (int i = 0; i < term.Length; i++)
        {
            if (term[i] == '.')
            {
                if (ell || !term.AsSpan(i).StartsWith("..."))
                    throw new ArgumentException($"Einsum: malformed ellipsis in '{equation}'");
                ell = true;
                r.Add(EllipsisLabel);
                i += 2;
            }
            else if (char.IsAsciiLetter(term[i])) r.Add(term[i]);
            else throw new ArgumentException($"Einsum: invalid character '{term[i]}' in '{equation}'");
        }
        return (r, ell);
    }

    static (Tensor, List<int>) Contract(Tensor a, List<int> la, Tensor b, List<int> lb, HashSet<int> needed)
    {
        var shared = la.Where(lb.Contains).ToList();
        var batch = shared.Where(needed.Contains).ToList();
        var contracted = shared.Where(l => !needed.Contains(l)).ToList();
        var aOnly = la.Where(l => !shared.Contains(l)).ToList();
        var bOnly = lb.Where(l => !shared.Contains(l)).ToList();
        int Size(int l)
        {
            int sa = la.Contains(l) ? a.shape[la.IndexOf(l)] : 1, sb = lb.Contains(l) ? b.shape[lb.IndexOf(l)] : 1;
            if (sa != sb && sa != 1 && sb != 1)
                throw new ShapeMismatchException("Einsum", $"label '{(l < EllipsisLabel ? ((char)l).ToString() : "...")}' has sizes {sa} and {sb}");
            return Math.Max(sa, sb);
        }
        var aOrder = batch.Concat(aOnly).Concat(contracted).ToList();
        var bOrder = batch.Concat(contracted).Concat(bOnly).ToList();
        var at = a.Permute(aOrder.Select(l => la.IndexOf(l)).ToArray()).Expand(aOrder.Select(l => aOnly.Contains(l) ? a.shape[la.IndexOf(l)] : Size(l)).ToArray());
        var bt = b.Permute(bOrder.Select(l => lb.IndexOf(l)).ToArray()).Expand(bOrder.Select(l => bOnly.Contains(l) ? b.shape[lb.IndexOf(l)] : Size(l)).ToArray());
        int Prod(IEnumerable<int> sizes) => sizes.Aggregate(1, (p, s) => p * s);
        int pb = Prod(batch.Select(Size)), pc = Prod(contracted.Select(Size));
        int pa = Prod(aOnly.Select(l => a.shape[la.IndexOf(l)])), pbo = Prod(bOnly.Select(l => b.shape[lb.IndexOf(l)]));
        var c = at.Reshape(pb, pa, pc).MatMul(bt.Reshape(pb, pc, pbo));
        var outShape = batch.Select(Size).Concat(aOnly.Select(l => a.shape[la.IndexOf(l)])).Concat(bOnly.Select(l => b.shape[lb.IndexOf(l)])).ToArray();
        return (c.Reshape(outShape), batch.Concat(aOnly).Concat(bOnly).ToList());
    }

    /// <summary>The diagonal of dims <paramref name="i"/> and <paramref name="j"/> (i &lt; j) kept at position i; a view.</summary>
    Tensor TakeDiagonal(int i, int j)
    {
        if (shape[i] != shape[j])
            throw new ShapeMismatchException("Einsum", $"a repeated label needs equal sizes, got {shape[i]} and {shape[j]}");
        var ns = shape.Where((_, k) => k != j).ToArray();
        var st = strides.Where((_, k) => k != j).ToArray();
        st[i] = strides[i] + strides[j];
        int[] from = shape;
        return ViewOp(ns, st, offset, "Einsum", g => ScatterIntoView(from, g, t => t.TakeDiagonal(i, j)));
    }
}
