namespace NativeNet;

/// <summary>N-gram features over integer token ids (TfIdfVectorizer); string inputs are not supported.</summary>
internal static partial class OpRegistry
{
    static void RegisterText()
    {
        Add("TfIdfVectorizer", TfIdf, (n, _) => n.Attributes.Has("pool_strings") ? "pool_strings: NativeNet has no string tensors" : null);
    }

    static Tensor TfIdf(OpContext ctx)
    {
        var x = ctx.In(0);
        if (x.Dim is not (1 or 2)) throw ctx.Fail($"input must be [C] or [N, C], got {ShapeUtil.Format(x.Shape)}");
        var a = ctx.A;
        string mode = a.GetString("mode");
        int minN = a.GetInt32("min_gram_length"), maxN = a.GetInt32("max_gram_length"), maxSkip = a.GetInt32("max_skip_count");
        var pool = a.GetInts("pool_int64s") ?? throw ctx.Fail("pool_int64s is required");
        var counts = a.GetInts("ngram_counts") ?? throw ctx.Fail("ngram_counts is required");
        var indexes = a.GetInts("ngram_indexes") ?? throw ctx.Fail("ngram_indexes is required");
        var weights = a.GetFloats("weights");
        if (minN < 1 || maxN < minN || maxSkip < 0 || counts.Length < maxN) throw ctx.Fail("inconsistent n-gram attributes");
        int outLen = indexes.Length == 0 ? 0 : (int)indexes.Max() + 1;
        // Pool entries of level k (k+1-grams) start at ngram_counts[k]; ngram_indexes numbers them in pool order.
        var lookup = new Dictionary<string, long>();
        int ordinal = 0;
        for (int k = 0; k < counts.Length; k++)
        {
            long start = counts[k], end = k + 1 < counts.Length ? counts[k + 1] : pool.Length;
            for (long i = start; i + k + 1 <= end; i += k + 1, ordinal++)
            {
                if (ordinal >= indexes.Length) throw ctx.Fail("ngram_indexes is shorter than the pool");
                lookup[(k + 1) + ":" + string.Join(",", pool.Skip((int)i).Take(k + 1))] = indexes[ordinal];
            }
        }
        var v = ctx.Ints(0);
        int rows = x.Dim == 1 ? 1 : x.Shape[0], cols = x.Shape[^1];
        var y = new double[rows * outLen];
        for (int r = 0; r < rows; r++)
        {
            var row = v.AsSpan(r * cols, cols);
            for (int n = minN; n <= maxN; n++)
                for (int skip = 0; skip <= (n == 1 ? 0 : maxSkip); skip++)
                {
                    int step = skip + 1;
                    for (int i = 0; i + (n - 1) * step < cols; i++)
                    {
                        var gram = new long[n];
                        for (int j = 0; j < n; j++) gram[j] = row[i + j * step];
                        if (lookup.TryGetValue(n + ":" + string.Join(",", gram), out long at)) y[r * outLen + at]++;
                    }
                }
        }
        for (int f = 0; f < y.Length; f++)
        {
            double w = weights != null && f % Math.Max(outLen, 1) < weights.Length ? weights[f % outLen] : 1;
            y[f] = mode switch
            {
                "TF" => y[f],
                "IDF" => y[f] > 0 ? w : 0,
                "TFIDF" => y[f] * w,
                _ => throw ctx.Fail($"unknown mode '{mode}'"),
            };
        }
        var t = Tensor.FromArray(y, x.Dim == 1 ? [outLen] : [rows, outLen]);
        return t.To(DType.Float32);
    }
}
