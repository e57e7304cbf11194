using Google.Protobuf;
using Onnx;
using Rotoscope.Core;
using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>
/// ImageNet-pretrained ResNet18 as a fixed feature extractor for the perceptual loss. The weights come from the CNTK
/// export in Microsoft.ML.DnnImageFeaturizer.ResNet18 (ResNet18.onnx): its graph (Conv, BatchNormalization, Relu,
/// MaxPool, Add) is run here in TorchSharp up to the deepest tap, with each batch norm folded into its convolution.
/// Input: NCHW RGB 0..255; the network expects BGR minus the channel means 103/116/123.
/// </summary>
public sealed class ResNetFeatures : IDisposable
{
    /// <summary>ReLU after conv1 (1/2 scale, 64 channels).</summary>
    public const string Stem = "ReLU253_Output_0";

    /// <summary>Output of layer1 (1/4 scale, 64 channels).</summary>
    public const string Layer1 = "ReLU283_Output_0";

    /// <summary>Output of layer2 (1/8 scale, 128 channels).</summary>
    public const string Layer2 = "ReLU315_Output_0";

    /// <summary>Output of layer3 (1/16 scale, 256 channels).</summary>
    public const string Layer3 = "ReLU347_Output_0";

    // What the CNTK ResNet18 subtracts from its BGR 0..255 input.
    private static readonly float[] BgrMeans = [103f, 116f, 123f];

    private readonly List<Step> steps;
    private readonly string inputName;
    private readonly Tensor means;
    private readonly List<Tensor> owned = [];

    private ResNetFeatures(string inputName, List<Step> steps, Tensor means)
    {
        this.inputName = inputName;
        this.steps = steps;
        this.means = means;
    }

    /// <summary>
    /// Reads the graph and weights of <paramref name="onnxPath"/> up to the last of <paramref name="taps"/>, onto
    /// <paramref name="device"/> (the CPU when null).
    /// </summary>
    public static ResNetFeatures Load(string onnxPath, IReadOnlyCollection<string> taps, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(taps);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            throw new RotoscopeException($"cannot read the ResNet18 weights at {onnxPath}: {e.Message} (run scripts/training-setup.sh)", e);
        }

        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = graph.Node.SelectMany(n => n.Input).GroupBy(i => i, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var features = new ResNetFeatures(graph.Input[0].Name, [], tensor(BgrMeans, device: device).reshape(1, 3, 1, 1));
        Tensor ToTensor(TensorProto proto) => ResNetFeatures.ToTensor(proto, device);
        var remaining = new HashSet<string>(taps, StringComparer.Ordinal);
        var nodes = graph.Node.ToList();
        try
        {
            for (var i = 0; i < nodes.Count && remaining.Count > 0; i++)
            {
                var node = nodes[i];
                switch (node.OpType)
                {
                    case "Conv":
                    {
                        var weight = features.Own(ToTensor(initializers[node.Input[1]]));
                        var bias = node.Input.Count > 2 ? features.Own(ToTensor(initializers[node.Input[2]])) : null;
                        var output = node.Output[0];
                        // Fold a batch norm that is this convolution's only reader: w' = w*s, b' = (b - mean)*s + beta.
                        if (i + 1 < nodes.Count && nodes[i + 1].OpType == "BatchNormalization" && nodes[i + 1].Input[0] == output && consumers[output] == 1)
                        {
                            var bn = nodes[++i];
                            var epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
                            using var gamma = ToTensor(initializers[bn.Input[1]]);
                            using var beta = ToTensor(initializers[bn.Input[2]]);
                            using var mean = ToTensor(initializers[bn.Input[3]]);
                            using var variance = ToTensor(initializers[bn.Input[4]]);
                            using var scale = gamma / (variance + epsilon).sqrt();
                            weight = features.Own(weight * scale.reshape(-1, 1, 1, 1));
                            bias = features.Own(((bias is null ? -mean : bias - mean) * scale) + beta);
                            output = bn.Output[0];
                        }

                        var (begin, end) = Pads(node);
                        features.steps.Add(new Step.Convolution(node.Input[0], output, weight, bias, Ints(node, "strides", 1), begin, end));
                        remaining.Remove(output);
                        break;
                    }

                    case "Relu":
                        features.steps.Add(new Step.Relu(node.Input[0], node.Output[0]));
                        break;
                    case "Add":
                        features.steps.Add(new Step.Add(node.Input[0], node.Input[1], node.Output[0]));
                        break;
                    case "MaxPool":
                    {
                        var (begin, end) = Pads(node);
                        features.steps.Add(new Step.MaxPool(node.Input[0], node.Output[0], Ints(node, "kernel_shape", 1), Ints(node, "strides", 1), begin, end));
                        break;
                    }

                    default:
                        throw new RotoscopeException($"{onnxPath}: unexpected {node.OpType} node before the feature taps; is this the ResNet18 of Microsoft.ML.DnnImageFeaturizer.ResNet18?");
                }

                remaining.Remove(node.Output[0]);
            }

            if (remaining.Count > 0)
            {
                throw new RotoscopeException($"{onnxPath} has no output named {string.Join(", ", remaining)}");
            }

            return features;
        }
        catch
        {
            features.Dispose();
            throw;
        }
    }

    /// <summary>The activations at <paramref name="taps"/> for images <paramref name="rgb"/> (NCHW RGB 0..255).</summary>
    public IReadOnlyDictionary<string, Tensor> Forward(Tensor rgb, IReadOnlyCollection<string> taps)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(taps);
        // The export pads asymmetrically (CNTK), so a downsampling block's two paths agree in size only on multiples
        // of 16 (the deepest tap's scale): the bottom and right remainder is left out.
        var height = rgb.shape[2] / 16 * 16;
        var width = rgb.shape[3] / 16 * 16;
        if (height == 0 || width == 0)
        {
            throw new ArgumentException($"ResNet18 features need at least 16x16 pixels (got {rgb.shape[3]}x{rgb.shape[2]})", nameof(rgb));
        }

        var fitted = height == rgb.shape[2] && width == rgb.shape[3] ? rgb : rgb[.., .., ..(int)height, ..(int)width];
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [inputName] = fitted.flip(1) - means };
        var wanted = new HashSet<string>(taps, StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (wanted.All(values.ContainsKey))
            {
                break;
            }

            values[step.Output] = step.Run(values);
        }

        return taps.ToDictionary(t => t, t => values[t], StringComparer.Ordinal);
    }

    public void Dispose()
    {
        foreach (var tensor in owned)
        {
            tensor.Dispose();
        }

        means.Dispose();
        owned.Clear();
    }

    private Tensor Own(Tensor tensor)
    {
        owned.Add(tensor);
        return tensor;
    }

    private static Tensor ToTensor(TensorProto proto, Device? device)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new RotoscopeException($"ResNet18 weight {proto.Name} is not float32");
        }

        float[] values;
        if (proto.FloatData.Count > 0)
        {
            values = [.. proto.FloatData];
        }
        else
        {
            values = new float[proto.RawData.Length / sizeof(float)];
            Buffer.BlockCopy(proto.RawData.ToByteArray(), 0, values, 0, values.Length * sizeof(float));
        }

        return tensor(values, [.. proto.Dims], device: device);
    }

    private static long[] Ints(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? [.. attribute.Ints] : [fallback, fallback];

    // ONNX pads are [h_begin, w_begin, h_end, w_end]; the CNTK export pads asymmetrically (e.g. 3/3/2/2 for conv1).
    private static (long[] Begin, long[] End) Pads(NodeProto node)
    {
        var pads = Ints(node, "pads", 0);
        return pads.Length == 4 ? ([pads[0], pads[1]], [pads[2], pads[3]]) : ([0, 0], [0, 0]);
    }

    private abstract record Step(string Output)
    {
        public abstract Tensor Run(Dictionary<string, Tensor> values);

        public sealed record Convolution(string Input, string Output, Tensor Weight, Tensor? Bias, long[] Strides, long[] Begin, long[] End) : Step(Output)
        {
            public override Tensor Run(Dictionary<string, Tensor> values)
            {
                var x = values[Input];
                if (Begin.Any(p => p != 0) || End.Any(p => p != 0))
                {
                    x = nn.functional.pad(x, [Begin[1], End[1], Begin[0], End[0]]);
                }

                return nn.functional.conv2d(x, Weight, Bias, strides: Strides);
            }
        }

        public sealed record Relu(string Input, string Output) : Step(Output)
        {
            public override Tensor Run(Dictionary<string, Tensor> values) => nn.functional.relu(values[Input]);
        }

        public sealed record Add(string Left, string Right, string Output) : Step(Output)
        {
            public override Tensor Run(Dictionary<string, Tensor> values) => values[Left] + values[Right];
        }

        // Every MaxPool in ResNet18 reads a ReLU output (>= 0), so zero padding equals ONNX's -inf padding here.
        public sealed record MaxPool(string Input, string Output, long[] Kernel, long[] Strides, long[] Begin, long[] End) : Step(Output)
        {
            public override Tensor Run(Dictionary<string, Tensor> values) =>
                nn.functional.max_pool2d(nn.functional.pad(values[Input], [Begin[1], End[1], Begin[0], End[0]]), Kernel, Strides);
        }
    }
}
