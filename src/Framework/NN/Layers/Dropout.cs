namespace NativeNet.NN;

/// <summary>
/// Inverted dropout (<c>torch.nn.Dropout(p)</c>): in training zeroes elements with probability p and scales the rest by
/// 1/(1-p); identity in eval. The mask is drawn from the seeded generator (<see cref="Tensor.ManualSeed"/>).
/// </summary>
public class Dropout : Module
{
    /// <summary>Creates the layer with drop probability <paramref name="p"/>.</summary>
    public Dropout(double p = 0.5)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1]");
        P = p;
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>Applies dropout when training.</summary>
    public override Tensor Forward(Tensor x) => F.Dropout(x, P, IsTraining);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>
/// A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c> (<c>torch.nn.Embedding</c>), initialized
/// from N(0, 1); the row at <c>paddingIdx</c> starts at zero and receives no gradient.
/// </summary>
public class Embedding : Module
{
    /// <summary>Creates the table (<c>nn.Embedding(num_embeddings, embedding_dim, padding_idx)</c>).</summary>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding: sizes must be positive, got {numEmbeddings}x{embeddingDim}");
        if (paddingIdx is int pi)
        {
            if (pi < -numEmbeddings || pi >= numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(paddingIdx), $"Embedding: padding_idx {pi} must be within num_embeddings {numEmbeddings}");
            paddingIdx = pi < 0 ? pi + numEmbeddings : pi;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx;
        var w = RegisterParameter("weight", Parameter.Adopt(Tensor.Empty([numEmbeddings, embeddingDim], dtype, device ?? Device.Default)));
        Init.Normal(w);
        if (paddingIdx is int p)
            using (Autograd.NoGrad())
            using (var row = w.Select(0, p)) row.FillInPlace(0);
    }

    /// <summary>Number of rows.</summary>
    public int NumEmbeddings { get; }
    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }
    /// <summary>The padding row, or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table [num_embeddings, embedding_dim] (<c>embedding.weight</c>).</summary>
    public Parameter Weight => GetParameter("weight")!;

    /// <summary>Looks up Int64 indices of any shape; the result is [..shape, embedding_dim].</summary>
    public override Tensor Forward(Tensor x) => F.Embedding(x, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", padding_idx={p}" : "");
}
