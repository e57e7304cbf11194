namespace Rotoscope.Training.Filters;

/// <summary>
/// A classic image filter as a fixed (untrained) ONNX graph with the renderer's contract: float32 [N,3,H,W] RGB 0..255
/// in and out, clamped inside the graph, any H and W. The record's properties are all its settings.
/// </summary>
public abstract record Filter
{
    /// <summary>The model file: the same settings always give the same bytes.</summary>
    public byte[] ToOnnx(string graphName)
    {
        var builder = new OnnxGraphBuilder();
        builder.Input("input");
        var graph = new FilterGraph(builder);
        graph.Clamp(Apply(graph, "input"), 0, 255, output: "output");
        builder.Output("output");
        return builder.ToModel(graphName, "rotoscope-filters", "1");
    }

    /// <summary>Adds the filter's nodes on <paramref name="input"/>; returns the image before the final clamp to 0..255.</summary>
    internal abstract string Apply(FilterGraph graph, string input);
}

/// <summary>An RGB triple: a colour in 0..255, or per-channel factors.</summary>
public readonly record struct Rgb(float R, float G, float B)
{
    public static Rgb operator -(Rgb a, Rgb b) => new(a.R - b.R, a.G - b.G, a.B - b.B);
}

/// <summary>
/// Cel shading: Gaussian smoothing and a saturation lift, <see cref="Levels"/> flat bands per channel, and dark outlines
/// where the Sobel magnitude of the smoothed luma passes from <see cref="EdgeLow"/> to <see cref="EdgeHigh"/>.
/// </summary>
public sealed record Toon(int Levels, double Sigma, double Saturation, double EdgeLow, double EdgeHigh, double EdgeStrength) : Filter
{
    internal override string Apply(FilterGraph graph, string input)
    {
        var smooth = graph.Blur(input, 3, Sigma);
        var luma = graph.Luma(smooth);
        smooth = graph.Clamp(graph.Add(luma, graph.Mul(graph.Sub(smooth, luma), graph.Constant(Saturation))), 0, 255);
        // Band centres: 254.999 keeps 255 in the top band.
        var step = graph.Constant(255.0 / Levels);
        var bands = graph.Mul(graph.Add(graph.Op("Floor", graph.Div(graph.Clamp(smooth, 0, 254.999), step)), graph.Constant(0.5)), step);
        var magnitude = graph.SobelMagnitude(graph.Luma(smooth));
        var edge = graph.Clamp(graph.Div(graph.Sub(magnitude, graph.Constant(EdgeLow)), graph.Constant(EdgeHigh - EdgeLow)), 0, 1);
        return graph.Mul(bands, graph.Sub(graph.Constant(1), graph.Mul(edge, graph.Constant(EdgeStrength))));
    }
}

/// <summary>
/// Ink lines on paper: the dark side of a difference of Gaussians (sigma and <see cref="K"/> x sigma) plus Sobel
/// contours of the lightly smoothed luma, mapped from <see cref="Paper"/> to <see cref="Ink"/>.
/// </summary>
public sealed record InkLines(
    double Sigma, double K, double DogLow, double DogHigh, double SobelLow, double SobelHigh, Rgb Paper, Rgb Ink) : Filter
{
    internal override string Apply(FilterGraph graph, string input)
    {
        var luma = graph.Luma(input);
        var smooth = graph.Blur(luma, 1, Sigma);
        var dog = graph.Sub(smooth, graph.Blur(luma, 1, Sigma * K));
        var lines = Ramp(graph, graph.Op("Neg", dog), DogLow, DogHigh);
        var contours = Ramp(graph, graph.SobelMagnitude(smooth), SobelLow, SobelHigh);
        var ink = graph.Clamp(graph.Add(lines, contours), 0, 1);
        return graph.Add(graph.PerChannel("paper", Paper), graph.Mul(graph.PerChannel("ink_minus_paper", Ink - Paper), ink));
    }

    private static string Ramp(FilterGraph graph, string x, double low, double high) =>
        graph.Clamp(graph.Div(graph.Sub(x, graph.Constant(low)), graph.Constant(high - low)), 0, 1);
}

/// <summary>Poster colours: smoothing, saturation and contrast lifts, then <see cref="Levels"/> levels per channel.</summary>
public sealed record Posterize(int Levels, double Sigma, double Saturation, double Contrast) : Filter
{
    internal override string Apply(FilterGraph graph, string input)
    {
        var smooth = graph.Blur(input, 3, Sigma);
        var luma = graph.Luma(smooth);
        var lifted = graph.Add(luma, graph.Mul(graph.Sub(smooth, luma), graph.Constant(Saturation)));
        lifted = graph.Add(graph.Mul(graph.Sub(lifted, graph.Constant(128)), graph.Constant(Contrast)), graph.Constant(128));
        var steps = Levels - 1.0;
        var level = graph.Op("Round", graph.Mul(graph.Div(graph.Clamp(lifted, 0, 255), graph.Constant(255)), graph.Constant(steps)));
        return graph.Mul(level, graph.Constant(255.0 / steps));
    }
}

/// <summary>
/// Pencil sketch: the lightly smoothed luma colour-dodged with its blurred inverse, darkened by <see cref="Gamma"/>,
/// on a paper tone (<see cref="Tint"/>, per-channel factors).
/// </summary>
public sealed record Sketch(double Sigma, double PreSigma, double Gamma, Rgb Tint) : Filter
{
    internal override string Apply(FilterGraph graph, string input)
    {
        var gray = graph.Blur(graph.Luma(input), 1, PreSigma);
        var full = graph.Constant(255);
        var blurredInverse = graph.Blur(graph.Sub(full, gray), 1, Sigma);
        var dodge = graph.Div(graph.Mul(gray, full), graph.Add(graph.Sub(full, blurredInverse), graph.Constant(1)));
        dodge = graph.Div(graph.Clamp(dodge, 0, 255), full);
        var pencil = graph.Op("Pow", graph.Add(dodge, graph.Constant(1e-6)), graph.Constant(Gamma));
        return graph.Mul(graph.Mul(pencil, full), graph.PerChannel("tint", Tint));
    }
}

/// <summary>
/// CMY halftone: each ink printed as a dot screen of <see cref="Period"/> pixels, rotated by its angle, whose dots
/// grow with the smoothed ink amount; paper white where there is no ink. The screens follow absolute pixel
/// coordinates, so a tiled render shows seams.
/// </summary>
public sealed record Halftone(double Period, double CyanAngle, double MagentaAngle, double YellowAngle, double Sigma, double Sharpness) : Filter
{
    internal override string Apply(FilterGraph graph, string input)
    {
        var smooth = graph.Blur(input, 3, Sigma);
        var (x, y) = graph.Coordinates(smooth);
        // Each channel's screen: cos(u) + cos(v) over its rotated coordinates u, v, in radians per pixel.
        var frequency = 2.0 * Math.PI / Period;
        double[] angles = [CyanAngle, MagentaAngle, YellowAngle];
        var cos = angles.Select(a => (float)(Math.Cos(a * (Math.PI / 180.0)) * frequency)).ToArray();
        var sin = angles.Select(a => (float)(Math.Sin(a * (Math.PI / 180.0)) * frequency)).ToArray();
        var negativeSin = sin.Select(s => -s).ToArray();
        var u = graph.Add(graph.Mul(x, Channels(graph, "screen_ux", cos)), graph.Mul(y, Channels(graph, "screen_uy", sin)));
        var v = graph.Add(graph.Mul(x, Channels(graph, "screen_vx", negativeSin)), graph.Mul(y, Channels(graph, "screen_vy", cos)));
        var screen = graph.Add(graph.Constant(0.5), graph.Mul(graph.Constant(0.25), graph.Add(graph.Op("Cos", u), graph.Op("Cos", v))));
        var inkAmount = graph.Sub(graph.Constant(1), graph.Div(smooth, graph.Constant(255)));
        var mask = graph.Clamp(graph.Add(graph.Mul(graph.Sub(inkAmount, screen), graph.Constant(Sharpness)), graph.Constant(0.5)), 0, 1);
        return graph.Mul(graph.Constant(255), graph.Sub(graph.Constant(1), mask));
    }

    private static string Channels(FilterGraph graph, string name, float[] values) => graph.PerChannel(name, new Rgb(values[0], values[1], values[2]));
}

/// <summary>Two-ink print: the smoothed luma through a smoothstep, mapped from <see cref="Dark"/> to <see cref="Light"/>.</summary>
public sealed record Duotone(double Sigma, Rgb Dark, Rgb Light) : Filter
{
    internal override string Apply(FilterGraph graph, string input)
    {
        var t = graph.Clamp(graph.Div(graph.Blur(graph.Luma(input), 1, Sigma), graph.Constant(255)), 0, 1);
        t = graph.Mul(graph.Mul(t, t), graph.Sub(graph.Constant(3), graph.Mul(t, graph.Constant(2))));
        return graph.Add(graph.PerChannel("dark", Dark), graph.Mul(graph.PerChannel("light_minus_dark", Light - Dark), t));
    }
}
