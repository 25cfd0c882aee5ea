namespace NativeNet;

/// <summary>
/// Shape rules for the common ops, used at compile time to know which values have a static shape so that Shape/Size
/// (and the shape arithmetic after them) fold to constants. A rule returns null when it cannot tell; folding then
/// simply does not happen. Ops whose output shape depends on input values only get a rule when those inputs are constants.
/// </summary>
internal static class StaticShapes
{
    static readonly HashSet<string> Broadcasting =
    [
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater", "LessOrEqual",
        "GreaterOrEqual", "And", "Or", "Xor", "Where", "PRelu", "BitShift",
    ];

    static readonly HashSet<string> FirstInputShape =
    [
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization", "LRN", "Dropout", "Softmax",
        "LogSoftmax", "Hardmax", "Clip", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "ThresholdedRelu", "Shrink", "Gelu",
        "CumSum", "Trilu", "MeanVarianceNormalization", "LpNormalization", "Identity", "Cast", "CastLike",
    ];

    /// <summary>The static shape of output 0 of <paramref name="node"/>, or null.</summary>
    internal static int[]? Infer(GraphNode node, int opset, int[]?[] shapes, Tensor?[] constants)
    {
        if (node.Domain.Length != 0) return null;
        try
        {
            return Rule(node, opset, shapes, constants);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null; // malformed attributes: the run reports them
        }
    }

    static int[]? Rule(GraphNode node, int opset, int[]?[] s, Tensor?[] c)
    {
        var a = node.Attributes;
        int[]? In(int i) => i < s.Length ? s[i] : null;
        if (FirstInputShape.Contains(node.OpType)) return In(0);
        if (Broadcasting.Contains(node.OpType))
        {
            if (opset < 7 && a.GetInt("broadcast", 0) != 0) return null;
            int[]? r = null;
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == null) return null;
                r = r == null ? s[i] : ShapeUtil.Broadcast(r, s[i]!, node.OpType);
            }
            return r;
        }
        var x = In(0);
        if (x == null) return null;
        switch (node.OpType)
        {
            case "MatMul":
                {
                    var b = In(1);
                    if (b == null || x.Length < 2 || b.Length < 2) return null;
                    var batch = ShapeUtil.Broadcast(x[..^2], b[..^2], "MatMul");
                    return [.. batch, x[^2], b[^1]];
                }
            case "Gemm":
                {
                    var b = In(1);
                    if (b == null || x.Length != 2 || b.Length != 2) return null;
                    return [a.GetInt("transA", 0) != 0 ? x[1] : x[0], a.GetInt("transB", 0) != 0 ? b[0] : b[1]];
                }
            case "Conv":
                {
                    var w = In(1);
                    if (w == null || w.Length != x.Length || x.Length < 3) return null;
                    int n = x.Length - 2;
                    var k = w[2..];
                    var st = a.GetInts32("strides") ?? Ones(n);
                    var d = a.GetInts32("dilations") ?? Ones(n);
                    var (pb, pe) = PadsOf(node, opset, x[2..], k, st, d);
                    var r = new int[x.Length];
                    r[0] = x[0];
                    r[1] = w[0];
                    for (int i = 0; i < n; i++) r[2 + i] = (x[2 + i] + pb[i] + pe[i] - d[i] * (k[i] - 1) - 1) / st[i] + 1;
                    return r;
                }
            case "MaxPool" or "AveragePool" or "LpPool":
                {
                    var k = a.GetInts32("kernel_shape");
                    if (k == null || k.Length != x.Length - 2) return null;
                    int n = k.Length;
                    var st = a.GetInts32("strides") ?? Ones(n);
                    var d = a.GetInts32("dilations") ?? Ones(n);
                    var (pb, pe) = PadsOf(node, opset, x[2..], k, st, d);
                    bool ceil = a.GetInt("ceil_mode", 0) != 0;
                    var r = (int[])x.Clone();
                    for (int i = 0; i < n; i++) r[2 + i] = Tensor.PoolOutSize(x[2 + i], k[i], st[i], pb[i], pe[i], d[i], ceil);
                    return r;
                }
            case "GlobalAveragePool" or "GlobalMaxPool" or "GlobalLpPool":
                return [.. x[..Math.Min(2, x.Length)], .. Ones(Math.Max(0, x.Length - 2))];
            case "Flatten":
                {
                    long axis = a.GetInt("axis", 1);
                    int ax = (int)(axis < 0 ? axis + x.Length : axis);
                    if (ax < 0 || ax > x.Length) return null;
                    int outer = 1;
                    for (int i = 0; i < ax; i++) outer *= x[i];
                    return [outer, ShapeUtil.NumEl(x) / Math.Max(outer, 1)];
                }
            case "Transpose":
                {
                    var perm = a.GetInts32("perm") ?? Enumerable.Range(0, x.Length).Reverse().ToArray();
                    return perm.Length == x.Length ? perm.Select(p => x[p]).ToArray() : null;
                }
            case "Reshape":
                {
                    if (opset < 5 || c.Length < 2 || c[1] == null) return null;
                    var target = c[1]!.ToArray<long>().Select(v => (int)v).ToArray();
                    bool allowZero = a.GetInt("allowzero", 0) != 0;
                    for (int i = 0; i < target.Length; i++) if (target[i] == 0 && !allowZero && i < x.Length) target[i] = x[i];
                    int known = 1, infer = -1;
                    for (int i = 0; i < target.Length; i++)
                        if (target[i] == -1) infer = i;
                        else known *= target[i];
                    if (infer >= 0 && known > 0) target[infer] = ShapeUtil.NumEl(x) / known;
                    return ShapeUtil.NumEl(target) == ShapeUtil.NumEl(x) ? target : null;
                }
            case "Unsqueeze" or "Squeeze":
                {
                    long[]? axes = opset >= 13 ? (c.Length > 1 ? c[1]?.ToArray<long>() : null) : a.GetInts("axes");
                    if (node.OpType == "Squeeze")
                    {
                        if (axes == null) return opset >= 13 && s.Length > 1 ? null : x.Where(v => v != 1).ToArray();
                        var drop = axes.Select(v => (int)(v < 0 ? v + x.Length : v)).ToHashSet();
                        return x.Where((_, i) => !drop.Contains(i)).ToArray();
                    }
                    if (axes == null) return null;
                    int rank = x.Length + axes.Length;
                    var ins = axes.Select(v => (int)(v < 0 ? v + rank : v)).ToHashSet();
                    var r = new int[rank];
                    for (int i = 0, j = 0; i < rank; i++) r[i] = ins.Contains(i) ? 1 : x[j++];
                    return r;
                }
            case "Concat":
                {
                    if (s.Any(v => v == null)) return null;
                    long axis = a.GetInt("axis");
                    int ax = (int)(axis < 0 ? axis + x.Length : axis);
                    var r = (int[])x.Clone();
                    r[ax] = s.Sum(v => v![ax]);
                    return r;
                }
            case "Gather":
                {
                    if (c.Length < 2 || c[1] == null) return null;
                    long axis = a.GetInt("axis", 0);
                    int ax = (int)(axis < 0 ? axis + x.Length : axis);
                    return [.. x[..ax], .. c[1]!.Shape.ToArray(), .. x[(ax + 1)..]];
                }
            default:
                return null;
        }
    }

    static int[] Ones(int n) => Enumerable.Repeat(1, n).ToArray();

    static (int[] Begin, int[] End) PadsOf(GraphNode node, int opset, int[] input, int[] kernel, int[] stride, int[] dilation) =>
        OpRegistry.Pads(new OpContext(node, opset, [], null), input, kernel, stride, dilation);
}
