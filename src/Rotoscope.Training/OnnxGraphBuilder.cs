using Google.Protobuf;
using Onnx;

namespace Rotoscope.Training;

/// <summary>
/// Collects the nodes and initializers of one ONNX graph with generated names, and writes it as a model with the
/// renderer's contract: opset 13, IR version 8, float32 [N,3,H,W] images with dynamic N, H, W. Nothing here needs
/// LibTorch, so plain graphs (the filters) are built without it.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX operator set the graphs use (as the built-in models).</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written (as the built-in models).</summary>
    public const int IrVersion = 8;

    private readonly GraphProto graph = new();
    private readonly HashSet<string> constants = new(StringComparer.Ordinal);
    private int nodes;
    private int weights;

    public void Input(string name) => graph.Input.Add(Image(name));

    public void Output(string name) => graph.Output.Add(Image(name));

    /// <summary>The model as bytes: the same calls give the same bytes.</summary>
    public byte[] ToModel(string graphName, string producerName, string producerVersion)
    {
        graph.Name = graphName;
        var model = new ModelProto { IrVersion = IrVersion, ProducerName = producerName, ProducerVersion = producerVersion, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
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
                TensorProto tensor => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = tensor },
                _ => throw new ArgumentException($"attribute {name}: unsupported {value.GetType().Name}", nameof(attributes)),
            });
        }

        graph.Node.Add(node);
        nodes++;
        return output;
    }

    /// <summary>An int64 initializer, added once per name.</summary>
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

    /// <summary>An int64 scalar (0-D) initializer, added once per name.</summary>
    public string Int(string name, long value)
    {
        if (constants.Add(name))
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Int64Data.Add(value);
            graph.Initializer.Add(tensor);
        }

        return name;
    }

    public string Scalar(string name, float value) => Floats(name, [value], []);

    /// <summary>A float initializer, added once per name.</summary>
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

    /// <summary>A float initializer stored as raw little-endian bytes, named <c>w0</c>, <c>w1</c>… in order.</summary>
    public string Weight(float[] values, long[] dims)
    {
        var name = $"w{weights++}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
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
