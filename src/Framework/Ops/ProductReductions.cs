namespace NativeNet;

/// <summary>Products along dims (the reduce kernel's Prod), with a gradient that is exact where no factor is zero.</summary>
public partial class Tensor
{
    /// <summary>Product along one dimension (<c>torch.prod(x, dim, keepdim)</c>).</summary>
    public Tensor Prod(int dim, bool keepDim = false) => Prod([dim], keepDim);

    /// <summary>Product along several dimensions (all when null); Bool and integer inputs multiply as their own dtype.</summary>
    public Tensor Prod(int[]? dims, bool keepDim = false)
    {
        var d = NormalizeDims(dims, "ReduceProd");
        var y = ReduceForward(ReduceOp.Prod, d, keepDim, DType, "ReduceProd");
        if (Autograd.Needs(this))
        {
            var x = Alias();
            var ys = y.Alias();
            int[] kept = ReducedShape(d, true);
            // d(prod)/dx_i = prod / x_i; exact whenever no factor is zero.
            Autograd.Record(y, "ReduceProd", [this], g => [g.Reshape(kept).Mul(ys.Reshape(kept)).Div(x)], x, ys);
        }
        return y;
    }
}
