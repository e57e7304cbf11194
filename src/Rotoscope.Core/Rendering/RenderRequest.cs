using Rotoscope.Core.Imaging;
using Rotoscope.Core.Media;

namespace Rotoscope.Core.Rendering;

/// <summary>What a user asked for: an input, a style reference and options. <see cref="RenderPlanner"/> makes it exact.</summary>
/// <param name="Input">A path or URI of the source video.</param>
/// <param name="Style">A style reference: <c>mosaic</c>, <c>mosaic@1.0.0</c>, <c>mosaic|ink</c> or a model path/URI.</param>
public sealed record RenderRequest(string Input, string Style)
{
    /// <summary>Where to write the result; default: beside the input, named <c>name.style.ext</c>.</summary>
    public string? Output { get; init; }

    /// <summary>Without <see cref="Output"/>: the folder (path or URI) the default-named output goes to, instead of beside the input.</summary>
    public string? OutputFolder { get; init; }

    /// <summary>Output frame rate; default: the source's.</summary>
    public Rational? Fps { get; init; }

    /// <summary>How frames are kept in the frame store.</summary>
    public ImageFormat FrameFormat { get; init; } = ImageFormat.Jpeg;

    /// <summary>Frames per stylize job.</summary>
    public int BatchSize { get; init; } = RenderPlan.DefaultBatchSize;

    /// <summary>Replace an existing output that is not this render's result (otherwise the render is refused).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Render what decodes of a damaged or truncated input instead of failing.</summary>
    public bool AllowDamaged { get; init; }

    /// <summary>Its steps may run on other machines (a fleet): the input is copied into the frame store for them.</summary>
    public bool Shared { get; init; }

    /// <summary>Where its models should run; on a fleet, which workers take its jobs.</summary>
    public Inference.InferenceDevice Device { get; init; } = Inference.InferenceDevice.Cpu;

    /// <summary>How much of the style reaches the output, and whether the original's colours are kept.</summary>
    public Styles.StyleAdjustment Adjustment { get; init; } = Styles.StyleAdjustment.None;
}
