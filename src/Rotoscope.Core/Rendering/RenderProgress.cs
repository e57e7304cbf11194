namespace Rotoscope.Core.Rendering;

/// <summary>The step a render is in.</summary>
public enum RenderStage
{
    /// <summary>Waiting for the split job to start.</summary>
    Queued,

    /// <summary>Decoding the source into frames.</summary>
    Splitting,

    /// <summary>Running frame batches through the style chain.</summary>
    Stylizing,

    /// <summary>Encoding styled frames and muxing the audio.</summary>
    Assembling,

    /// <summary>The output is written.</summary>
    Done,
}

/// <summary>A snapshot of a render's progress; <see cref="FramesTotal"/> is the same for every stage.</summary>
/// <param name="FramesReused">Styled frames found already done in the store (a resumed or repeated render).</param>
public sealed record RenderProgress(RenderStage Stage, long FramesTotal, long FramesDone, long FramesReused, TimeSpan Elapsed)
{
    /// <summary>Frames newly processed per second in the current stage.</summary>
    public double FramesPerSecond { get; init; }

    /// <summary>Whether <see cref="FramesTotal"/> is still the planner's estimate (the split has not counted yet).</summary>
    public bool TotalIsEstimate { get; init; }

    /// <summary>Estimated time left in the current stage, when it can be known.</summary>
    public TimeSpan? Remaining => FramesPerSecond > 0 && FramesTotal > 0
        ? TimeSpan.FromSeconds(Math.Max(0, FramesTotal - FramesDone) / FramesPerSecond)
        : null;
}

/// <summary>What a finished render produced; times in seconds to the millisecond, rates to 3 decimals.</summary>
/// <param name="OutputSha256">Content hash of the output as written: how a later run knows the output is still this render's.</param>
/// <param name="InputDamage">Set when the input was damaged and rendered anyway (<c>--allow-damaged</c>): what was wrong.</param>
public sealed record RenderResult(
    string RenderId,
    string Output,
    long Frames,
    string Fps,
    int Width,
    int Height,
    double Seconds,
    double ElapsedSeconds,
    double FramesPerSecond,
    double InferenceSeconds,
    long FramesReused,
    bool HasAudio,
    IReadOnlyList<RenderedStyle> Styles,
    IReadOnlyDictionary<string, double> StageSeconds,
    string OutputSha256,
    string? InputDamage)
{
    /// <summary>True when the output already held exactly this render's result and nothing was done.</summary>
    public bool AlreadyRendered { get; init; }

    /// <summary>How much of the style the output has (1: all of it; see <see cref="Rotoscope.Core.Styles.StyleAdjustment"/>).</summary>
    public double Strength { get; init; } = 1;

    /// <summary>True when the output keeps the input's colours and takes only the style's luma.</summary>
    public bool KeepColors { get; init; }
}

/// <summary>One style of a finished render, exactly.</summary>
public sealed record RenderedStyle(string Id, string Version, string Sha256);
