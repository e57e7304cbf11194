using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>
/// Writes a <see cref="StyleNetwork"/> as an ONNX graph (TorchSharp has no exporter) with the renderer's contract: one
/// input <c>input</c> and one output <c>output</c>, float32 [N,3,H,W] with dynamic N, H, W, RGB 0..255, opset 13,
/// IR version 8 (<see cref="OnnxGraphBuilder"/>). The graph mirrors <see cref="StyleNetwork.forward"/> op for op,
/// including the edge padding to multiples of 4 and the crop back, so any H and W work.
/// </summary>
public static class StyleNetworkOnnx
{
    /// <summary>The graph as bytes: deterministic for the same weights.</summary>
    public static byte[] Write(StyleNetwork network, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(network);
        var graph = new OnnxGraphBuilder();
        graph.Input("input");

        // Pad bottom/right to multiples of 4: pads = [0,0,0,0, 0,0,(4-H%4)%4,(4-W%4)%4].
        var shape = graph.Node("Shape", ["input"]);
        var hw = graph.Node("Gather", [shape, graph.Ints("hw_axes", [2, 3])], ("axis", 0L));
        var four = graph.Ints("four", [4, 4]);
        var extra = graph.Node("Mod", [graph.Node("Sub", [four, graph.Node("Mod", [hw, four])]), four]);
        var pads = graph.Node("Concat", [graph.Ints("zero_pads", [0, 0, 0, 0, 0, 0]), extra], ("axis", 0L));
        var x = graph.Node("Pad", ["input", pads], ("mode", "edge"));
        x = graph.Node("Sub", [graph.Node("Div", [x, graph.Scalar("half_range", 127.5f)]), graph.Scalar("one", 1f)]);

        foreach (var layer in network.Layers())
        {
            x = layer switch
            {
                StyleNetwork.ConvLayer conv => Conv(graph, conv, x),
                StyleNetwork.ResidualBlock block => graph.Node("Add", [x, Conv(graph, block.B, Conv(graph, block.A, x))]),
                _ => throw new InvalidOperationException($"no ONNX form for {layer.GetType().Name}"),
            };
        }

        x = graph.Node("Tanh", [x]);
        x = graph.Node("Mul", [graph.Node("Add", [x, "one"]), "half_range"]);
        x = graph.Node("Clip", [x, graph.Scalar("zero", 0f), graph.Scalar("full", 255f)]);
        graph.Node("Slice", [x, graph.Ints("crop_starts", [0, 0]), hw, "hw_axes"], output: "output");
        graph.Output("output");

        return graph.ToModel("style", "rotoscope-train", producerVersion);
    }

    private static string Conv(OnnxGraphBuilder graph, StyleNetwork.ConvLayer layer, string x)
    {
        if (layer.Upsample)
        {
            // Bilinear x2 as LibTorch does it without align_corners: half-pixel centres, edges clamped.
            x = graph.Node(
                "Resize", [x, "", graph.Floats("up_scales", [1f, 1f, 2f, 2f], [4])],
                ("mode", "linear"), ("coordinate_transformation_mode", "half_pixel"));
        }

        var pad = layer.Kernel / 2;
        x = graph.Node("Pad", [x, graph.Ints($"pads_{pad}", [0, 0, pad, pad, 0, 0, pad, pad])], ("mode", "edge"));
        var weight = Weight(graph, layer.Conv.weight!);
        var bias = Weight(graph, layer.Conv.bias!);
        x = graph.Node("Conv", [x, weight, bias], ("kernel_shape", new long[] { layer.Kernel, layer.Kernel }), ("strides", new long[] { layer.Stride, layer.Stride }));
        if (layer.Norm is { } norm)
        {
            x = graph.Node("InstanceNormalization", [x, Weight(graph, norm.weight!), Weight(graph, norm.bias!)], ("epsilon", (float)StyleNetwork.ConvLayer.InstanceNormEpsilon));
        }

        return layer.Relu ? graph.Node("Relu", [x]) : x;
    }

    private static string Weight(OnnxGraphBuilder graph, Tensor value)
    {
        using var contiguous = value.detach().contiguous();
        return graph.Weight(contiguous.data<float>().ToArray(), value.shape);
    }
}
