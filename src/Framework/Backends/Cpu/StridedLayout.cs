namespace NativeNet.Backends.Cpu;

/// <summary>
/// Walks up to three strided operands over one shape, row by row: dimensions that are contiguous for
/// every operand are merged first, so the common dense case becomes a single long row.
/// </summary>
internal sealed class StridedLayout
{
    internal readonly int[] Outer;      // sizes of the outer (row) dimensions
    internal readonly int[][] OuterStrides;
    internal readonly int Inner;        // length of the innermost run
    internal readonly int[] InnerStride;
    internal readonly int Rows;

    internal StridedLayout(int[] shape, params int[][] strides)
    {
        int k = strides.Length;
        var dims = new List<int>();
        var st = new List<int[]>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var s = new int[k];
            for (int j = 0; j < k; j++) s[j] = strides[j][d];
            if (dims.Count > 0)
            {
                int last = dims.Count - 1;
                bool merge = true;
                for (int j = 0; j < k; j++)
                    if (st[last][j] != s[j] * shape[d]) { merge = false; break; }
                if (merge)
                {
                    dims[last] *= shape[d];
                    st[last] = s;
                    continue;
                }
            }
            dims.Add(shape[d]);
            st.Add(s);
        }
        if (dims.Count == 0)
        {
            dims.Add(1);
            st.Add(new int[k]);
        }
        int n = dims.Count;
        Inner = dims[n - 1];
        InnerStride = st[n - 1];
        Outer = dims.Take(n - 1).ToArray();
        OuterStrides = new int[k][];
        for (int j = 0; j < k; j++) OuterStrides[j] = st.Take(n - 1).Select(x => x[j]).ToArray();
        long rows = 1;
        foreach (var d in Outer) rows *= d;
        Rows = (int)rows;
    }

    /// <summary>Element offset of operand <paramref name="j"/> at the start of row <paramref name="row"/>.</summary>
    internal int RowOffset(int j, int row)
    {
        int off = 0;
        var s = OuterStrides[j];
        for (int d = Outer.Length - 1; d >= 0 && row > 0; d--)
        {
            int sz = Outer[d];
            off += (row % sz) * s[d];
            row /= sz;
        }
        return off;
    }
}
