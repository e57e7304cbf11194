using System.Globalization;

namespace Rotoscope.Training.Filters;

/// <summary>
/// The image operations the filters are made of, as ONNX nodes on float32 [N,C,H,W] tensors: arithmetic with
/// constants, clamping, Rec.601 luma, separable Gaussian blur and Sobel magnitude with edge padding (the output is the
/// input's size, whatever H and W are).
/// </summary>
internal sealed class FilterGraph(OnnxGraphBuilder graph)
{
    public string Add(string a, string b) => graph.Node("Add", [a, b]);

    public string Sub(string a, string b) => graph.Node("Sub", [a, b]);

    public string Mul(string a, string b) => graph.Node("Mul", [a, b]);

    public string Div(string a, string b) => graph.Node("Div", [a, b]);

    public string Op(string op, params string[] inputs) => graph.Node(op, inputs);

    /// <summary>A float32 scalar constant, one initializer per value.</summary>
    public string Constant(double value)
    {
        var single = (float)value;
        return graph.Scalar(string.Create(CultureInfo.InvariantCulture, $"c{single:R}"), single);
    }

    /// <summary>A float32 [1,3,1,1] constant: one value per RGB channel.</summary>
    public string PerChannel(string name, Rgb value) => graph.Floats(name, [value.R, value.G, value.B], [1, 3, 1, 1]);

    public string Clamp(string x, double low, double high, string? output = null) =>
        graph.Node("Clip", [x, Constant(low), Constant(high)], output);

    /// <summary>RGB [N,3,H,W] to Rec.601 luma [N,1,H,W], as a 1x1 convolution.</summary>
    public string Luma(string rgb) =>
        graph.Node("Conv", [rgb, graph.Floats("luma", [0.299f, 0.587f, 0.114f], [1, 3, 1, 1])], ("kernel_shape", new long[] { 1, 1 }));

    /// <summary>
    /// Separable depthwise Gaussian blur, rows then columns, each with edge padding of r = max(1, ceil(3 sigma)); the
    /// kernel is computed in double and normalized before it is rounded to float.
    /// </summary>
    public string Blur(string x, int channels, double sigma)
    {
        var radius = Math.Max(1, (int)Math.Ceiling(3.0 * sigma));
        var weights = new double[2 * radius + 1];
        for (var i = 0; i < weights.Length; i++)
        {
            double offset = i - radius;
            weights[i] = Math.Exp(-(offset * offset) / (2 * sigma * sigma));
        }

        var sum = weights.Sum();
        var kernel = new float[channels * weights.Length];
        for (var i = 0; i < kernel.Length; i++)
        {
            kernel[i] = (float)(weights[i % weights.Length] / sum);
        }

        var size = weights.Length;
        var name = string.Create(CultureInfo.InvariantCulture, $"gauss{sigma:R}x{channels}");
        var rows = graph.Floats(name + "_w", kernel, [channels, 1, 1, size]);
        var columns = graph.Floats(name + "_h", kernel, [channels, 1, size, 1]);
        x = graph.Node("Pad", [x, graph.Ints($"pads_w{radius}", [0, 0, 0, radius, 0, 0, 0, radius])], ("mode", "edge"));
        x = graph.Node("Conv", [x, rows], ("group", (long)channels), ("kernel_shape", new long[] { 1, size }));
        x = graph.Node("Pad", [x, graph.Ints($"pads_h{radius}", [0, 0, radius, 0, 0, 0, radius, 0])], ("mode", "edge"));
        return graph.Node("Conv", [x, columns], ("group", (long)channels), ("kernel_shape", new long[] { size, 1 }));
    }

    /// <summary>Sobel gradient magnitude sqrt(gx² + gy² + 1e-6) of a 1-channel image, edge padded.</summary>
    public string SobelMagnitude(string gray)
    {
        float[] gx = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
        float[] gy = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
        var kernels = graph.Floats("sobel", [.. gx, .. gy], [2, 1, 3, 3]);
        var padded = graph.Node("Pad", [gray, graph.Ints("pads_1", [0, 0, 1, 1, 0, 0, 1, 1])], ("mode", "edge"));
        var d = graph.Node("Conv", [padded, kernels], ("kernel_shape", new long[] { 3, 3 }));
        var energy = graph.Node("ReduceSum", [Mul(d, d), graph.Ints("channel_axis", [1])], ("keepdims", 1L));
        return graph.Node("Sqrt", [Add(energy, Constant(1e-6))]);
    }

    /// <summary>Float32 [N,1,H,W] planes of each pixel's column (x) and row (y) index, from running sums of ones.</summary>
    public (string X, string Y) Coordinates(string image)
    {
        var shape = graph.Node("Shape", [image]);
        var n = graph.Node("Gather", [shape, graph.Ints("batch_axis", [0])], ("axis", 0L));
        var hw = graph.Node("Gather", [shape, graph.Ints("hw_axes", [2, 3])], ("axis", 0L));
        var planeShape = graph.Node("Concat", [n, graph.Ints("one_channel", [1]), hw], ("axis", 0L));
        var one = new Onnx.TensorProto { DataType = (int)Onnx.TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { 1f } };
        var ones = graph.Node("ConstantOfShape", [planeShape], ("value", one));
        var x = Sub(graph.Node("CumSum", [ones, graph.Int("axis_w", 3)]), Constant(1));
        var y = Sub(graph.Node("CumSum", [ones, graph.Int("axis_h", 2)]), Constant(1));
        return (x, y);
    }
}
