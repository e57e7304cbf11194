using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>
/// Writes a <see cref="StyleNetwork"/> as an ONNX graph (TorchSharp has no exporter) with the renderer's contract: one
/// input <c>input</c> and one output <c>output</c>, float32 [N,3,H,W] with dynamic N, H, W, RGB 0..255, opset 13,
/// IR version 8. The graph mirrors <see cref="StyleNetwork.forward"/> op for op, including the edge padding to
/// multiples of 4 and the crop back, so any H and W work.
/// </summary>
public static class StyleNetworkOnnx
{
    /// <summary>The ONNX operator set the graph uses (as the built-in models).</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written (as the built-in models).</summary>
    public const int IrVersion = 8;

    /// <summary>The graph as bytes: deterministic for the same weights.</summary>
    public static byte[] Write(StyleNetwork network, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(network);
        var graph = new GraphBuilder();
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

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "rotoscope-train",
            ProducerVersion = producerVersion,
            Graph = graph.Build("style"),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    private static string Conv(GraphBuilder graph, StyleNetwork.ConvLayer layer, string x)
    {
        if (layer.Upsample)
        {
            // Nearest x2 as LibTorch does it: asymmetric coordinates, floor.
            x = graph.Node(
                "Resize", [x, "", graph.Floats("up_scales", [1f, 1f, 2f, 2f], [4])],
                ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor"));
        }

        var pad = layer.Kernel / 2;
        x = graph.Node("Pad", [x, graph.Ints($"pads_{pad}", [0, 0, pad, pad, 0, 0, pad, pad])], ("mode", "edge"));
        var weight = graph.Weight(layer.Conv.weight!);
        var bias = graph.Weight(layer.Conv.bias!);
        x = graph.Node("Conv", [x, weight, bias], ("kernel_shape", new long[] { layer.Kernel, layer.Kernel }), ("strides", new long[] { layer.Stride, layer.Stride }));
        if (layer.Norm is { } norm)
        {
            x = graph.Node("InstanceNormalization", [x, graph.Weight(norm.weight!), graph.Weight(norm.bias!)], ("epsilon", (float)StyleNetwork.ConvLayer.InstanceNormEpsilon));
        }

        return layer.Relu ? graph.Node("Relu", [x]) : x;
    }

    /// <summary>Collects nodes and initializers with generated names.</summary>
    private sealed class GraphBuilder
    {
        private readonly GraphProto graph = new();
        private readonly HashSet<string> constants = new(StringComparer.Ordinal);
        private int nodes;
        private int weights;

        public void Input(string name) => graph.Input.Add(Image(name));

        public void Output(string name) => graph.Output.Add(Image(name));

        public GraphProto Build(string name)
        {
            graph.Name = name;
            return graph;
        }

        public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) => Node(op, inputs, null, attributes);

        public string Node(string op, string[] inputs, string? output, params (string Name, object Value)[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = $"{op}_{nodes}" };
            node.Input.AddRange(inputs);
            output ??= $"{op.ToLowerInvariant()}_{nodes}";
            node.Output.Add(output);
            foreach (var (name, value) in attributes)
            {
                node.Attribute.Add(value switch
                {
                    long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                    float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
                    string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
                    long[] ints => IntsAttribute(name, ints),
                    _ => throw new ArgumentException($"attribute {name}: unsupported {value.GetType().Name}", nameof(attributes)),
                });
            }

            graph.Node.Add(node);
            nodes++;
            return output;
        }

        public string Ints(string name, long[] values)
        {
            if (constants.Add(name))
            {
                var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
                tensor.Dims.Add(values.Length);
                tensor.Int64Data.AddRange(values);
                graph.Initializer.Add(tensor);
            }

            return name;
        }

        public string Scalar(string name, float value) => Floats(name, [value], []);

        public string Floats(string name, float[] values, long[] dims)
        {
            if (constants.Add(name))
            {
                var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
                tensor.Dims.AddRange(dims);
                tensor.FloatData.AddRange(values);
                graph.Initializer.Add(tensor);
            }

            return name;
        }

        public string Weight(Tensor value)
        {
            var name = $"w{weights++}";
            using var contiguous = value.detach().contiguous();
            var data = contiguous.data<float>().ToArray();
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(value.shape);
            var bytes = new byte[data.Length * sizeof(float)];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            tensor.RawData = ByteString.CopyFrom(bytes);
            graph.Initializer.Add(tensor);
            return name;
        }

        private static AttributeProto IntsAttribute(string name, long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(values);
            return attribute;
        }

        // float32 [N,3,H,W] with named dynamic dimensions.
        private static ValueInfoProto Image(string name)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 3 });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "H" });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "W" });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
            };
        }
    }
}
