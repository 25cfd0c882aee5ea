using NativeNet.NN;

namespace NativeNet.Interop.Tests.OnnxFormat;

/// <summary>The Graph IR and its compiled plan: validation, ordering, folding, dead code, liveness, gradients.</summary>
public sealed class GraphIrTests
{
    static Graph Chain()
    {
        var g = new Graph("chain");
        g.Inputs.Add(new GraphValue("x", DType.Float32, [GraphDim.Sym("batch"), GraphDim.Of(3)]));
        g.Initializers["w"] = Tensor.FromArray([1f, -2f, 3f, 0.5f, 1f, -1f], [3, 2]);
        g.AddNode("MatMul", ["x", "w"], ["h"]);
        g.AddNode("Relu", ["h"], ["y"]);
        g.Outputs.Add(new GraphValue("y", DType.Float32));
        return g;
    }

    [Fact]
    public void RunsAndMatchesEagerOps()
    {
        var g = Chain();
        using var x = Tensor.FromArray([1f, 2f, 3f, -1f, 0f, 2f], [2, 3]);
        using var y = g.Compile().Call(x);
        using var expected = x.MatMul(g.Initializers["w"]).Relu();
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
        using var x5 = Tensor.Ones(5, 3);
        Assert.Equal([5, 2], g.Compile().Call(x5).Shape.ToArray()); // the symbolic batch takes any size
    }

    [Fact]
    public void UnknownValueReferenceIsATypedError()
    {
        var g = Chain();
        g.AddNode("Add", ["y", "nowhere"], ["z"]);
        var e = Assert.Throws<GraphValidationException>(g.Validate);
        Assert.Contains("nowhere", e.Message);
    }

    [Fact]
    public void ValueDefinedTwiceIsATypedError()
    {
        var g = Chain();
        g.AddNode("Neg", ["x"], ["h"]);
        Assert.Contains("'h' is defined twice", Assert.Throws<GraphValidationException>(g.Validate).Message);
    }

    [Fact]
    public void CycleIsDetectedNotLoopedOn()
    {
        var g = new Graph("cycle");
        g.Inputs.Add(new GraphValue("x", DType.Float32));
        g.AddNode("Add", ["x", "b"], ["a"], name: "n1");
        g.AddNode("Relu", ["a"], ["b"], name: "n2");
        g.AddNode("Neg", ["x"], ["c"], name: "free");
        g.Outputs.Add(new GraphValue("a"));
        var e = Assert.Throws<GraphCycleException>(g.Validate);
        Assert.Equal(["n1", "n2"], e.Nodes.OrderBy(s => s).ToArray());
        Assert.Throws<GraphCycleException>(() => g.Compile());
    }

    [Fact]
    public void NodesOutOfOrderAreSorted()
    {
        var g = new Graph("unordered");
        g.Inputs.Add(new GraphValue("x", DType.Float32));
        g.AddNode("Neg", ["b"], ["y"]);
        g.AddNode("Exp", ["a"], ["b"]);
        g.AddNode("Abs", ["x"], ["a"]);
        g.Outputs.Add(new GraphValue("y"));
        g.Validate();
        Assert.Equal(["Abs", "Exp", "Neg"], g.Nodes.Select(n => n.OpType).ToArray());
        using var x = Tensor.FromArray([-1f, 2f]);
        Assert.Equal([-MathF.E, -MathF.Exp(2)], g.Compile().Call(x).ToArray<float>());
    }

    [Fact]
    public void ShapeArithmeticOverStaticShapesIsFolded()
    {
        // Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) with x [2, 3, 4] folds to a constant shape.
        var g = new Graph("fold");
        g.Inputs.Add(new GraphValue("x", DType.Float32, [GraphDim.Of(2), GraphDim.Of(3), GraphDim.Of(4)]));
        g.Initializers["zero"] = Tensor.Scalar(0, DType.Int64);
        g.Initializers["axes"] = Tensor.FromArray([0L]);
        g.Initializers["minus1"] = Tensor.FromArray([-1L]);
        g.AddNode("Shape", ["x"], ["s"]);
        g.AddNode("Gather", ["s", "zero"], ["n"]);
        g.AddNode("Unsqueeze", ["n", "axes"], ["n1"]);
        g.AddNode("Concat", ["n1", "minus1"], ["shape"], new AttributeBag().Set("axis", 0L));
        g.AddNode("Reshape", ["x", "shape"], ["r"]);
        g.AddNode("Relu", ["r"], ["y"]);
        g.AddNode("Sigmoid", ["x"], ["unused"]);
        g.Outputs.Add(new GraphValue("y"));
        var plan = g.Compile();
        Assert.Equal(4, plan.FoldedNodeCount);
        Assert.Equal(1, plan.RemovedNodeCount);
        Assert.Equal(2, plan.StepCount);
        using var x = Tensor.Randn(2, 3, 4);
        using var y = plan.Call(x);
        Assert.Equal([2, 12], y.Shape.ToArray());
    }

    [Fact]
    public void DynamicShapesAreNotFolded()
    {
        var g = new Graph("dyn");
        g.Inputs.Add(new GraphValue("x", DType.Float32, [GraphDim.Sym("n"), GraphDim.Of(3)]));
        g.AddNode("Shape", ["x"], ["y"]);
        g.Outputs.Add(new GraphValue("y"));
        var plan = g.Compile();
        Assert.Equal(0, plan.FoldedNodeCount);
        Assert.Equal([7L, 3L], plan.Call(Tensor.Zeros(7, 3)).ToArray<long>());
    }

    [Fact]
    public void InputsAreCheckedAgainstDeclaredTypes()
    {
        var plan = Chain().Compile();
        Assert.Throws<DTypeMismatchException>(() => plan.Call(Tensor.Zeros([2, 3], DType.Float64)));
        Assert.Throws<ShapeMismatchException>(() => plan.Call(Tensor.Zeros(2, 4)));
        Assert.Throws<ArgumentException>(() => plan.Run());
    }

    [Fact]
    public void OpErrorsNameTheNode()
    {
        var g = new Graph("bad");
        g.Inputs.Add(new GraphValue("a", DType.Float32));
        g.Inputs.Add(new GraphValue("b", DType.Float32));
        g.AddNode("MatMul", ["a", "b"], ["y"], name: "mm");
        g.Outputs.Add(new GraphValue("y"));
        var e = Assert.Throws<GraphExecutionException>(() => g.Compile().Call(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Equal("mm", e.NodeName);
        Assert.IsType<ShapeMismatchException>(e.InnerException);
    }

    [Fact]
    public void UnsupportedOperatorsAreAllListed()
    {
        var g = Chain();
        g.AddNode("NoSuchOp", ["y"], ["z1"], name: "first");
        g.AddNode("AlsoMissing", ["z1"], ["z2"], name: "second", domain: "com.example");
        g.Outputs.Add(new GraphValue("z2"));
        var e = Assert.Throws<UnsupportedOperatorException>(() => g.Compile());
        Assert.Equal(2, e.Operators.Count);
        Assert.Equal(("NoSuchOp", "", "first"), (e.Operators[0].OpType, e.Operators[0].Domain, e.Operators[0].NodeName));
        Assert.Equal("com.example", e.Operators[1].Domain);
        Assert.Contains("opset", e.Message);
    }

    [Fact]
    public void WrongAttributeTypeIsATypedError()
    {
        var g = new Graph("attr");
        g.Inputs.Add(new GraphValue("x", DType.Float32));
        g.AddNode("Flatten", ["x"], ["y"], new AttributeBag().Set("axis", 1.5f));
        g.Outputs.Add(new GraphValue("y"));
        var e = Assert.Throws<GraphExecutionException>(() => g.Compile().Call(Tensor.Zeros(2, 3)));
        Assert.IsType<GraphAttributeException>(e.InnerException);
    }

    [Fact]
    public void GradientsFlowThroughAGraphModule()
    {
        var g = Chain();
        var module = new GraphModule(g);
        var w = module.Parameters().Single();
        Assert.True(w.RequiresGrad);
        using var x = Tensor.FromArray([1f, 2f, 3f, -1f, 0f, 2f], [2, 3]);
        module.Call(x).Sum().Backward();
        // Eager reference: d/dW sum(relu(xW)) = xᵀ · 1[xW > 0].
        using var wRef = g.Initializers["w"].Detach().RequiresGrad_();
        x.MatMul(wRef).Relu().Sum().Backward();
        Assert.Equal(wRef.Grad!.ToArray<float>(), w.Grad!.ToArray<float>());
    }

    [Fact]
    public void ParameterUpdatesAreSeenByTheNextCall()
    {
        var module = new GraphModule(Chain());
        using var x = Tensor.Ones(1, 3);
        float before = module.Call(x).Sum().Item<float>();
        using (Autograd.NoGrad()) module.Parameters().Single().MulInPlace(2.0);
        float after = module.Call(x).Sum().Item<float>();
        Assert.Equal(2 * before, after, 5);
    }

    [Fact]
    public void OnnxLoadReturnsAModule()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nativenet-mlp-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, OnnxModels.Bytes(OnnxModels.Mlp()));
        try
        {
            Module imported = Onnx.Load(path);
            Assert.Equal(3, imported.Parameters().Count());
            imported.Eval();
            using (Autograd.NoGrad())
            {
                var y = imported.Call(Tensor.Randn(2, 4));
                Assert.Equal([2, 2], y.Shape.ToArray());
                Assert.Equal(1f, y.Sum(1).ToArray<float>()[0], 5);
            }
        }
        finally { File.Delete(path); }
    }
}

/// <summary>Liveness: intermediates go back to the pool as soon as their last reader ran (reads process-wide pool counters).</summary>
[Collection("OnnxSerial")]
public sealed class GraphMemoryTests
{
    [Fact]
    public void IntermediatesAreFreedAfterTheirLastUse()
    {
        var g = new Graph("long");
        g.Inputs.Add(new GraphValue("v0", DType.Float32, [GraphDim.Of(1 << 20)]));
        for (int i = 0; i < 12; i++) g.AddNode(i % 2 == 0 ? "Neg" : "Abs", [$"v{i}"], [$"v{i + 1}"]);
        g.Outputs.Add(new GraphValue("v12"));
        var plan = g.Compile();
        using var x = Tensor.Ones(1 << 20);
        using (Autograd.NoGrad()) plan.Call(x).Dispose();
        long before = MemoryStats.CpuBytesInUse;
        using (Autograd.NoGrad())
        {
            using var y = plan.Call(x);
            long held = MemoryStats.CpuBytesInUse - before;
            // One 4 MiB output is alive; without liveness all twelve intermediates would be (48 MiB).
            Assert.True(held < 3 * (4L << 20), $"{held} bytes still in use after the run");
        }
    }
}

[CollectionDefinition("OnnxSerial", DisableParallelization = true)]
public sealed class OnnxSerialCollection
{
}
