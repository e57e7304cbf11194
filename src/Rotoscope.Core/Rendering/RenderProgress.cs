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

/// <summary>A snapshot of a render's progress; <see cref="FramesTotal"/> is 0 until the split knows it.</summary>
/// <param name="FramesReused">Styled frames found already done in the store (a resumed or repeated render).</param>
public sealed record RenderProgress(RenderStage Stage, long FramesTotal, long FramesDone, long FramesReused, TimeSpan Elapsed)
{
    /// <summary>Frames newly processed per second in the current stage.</summary>
    public double FramesPerSecond { get; init; }

    /// <summary>Estimated time left in the current stage, when it can be known.</summary>
    public TimeSpan? Remaining => FramesPerSecond > 0 && FramesTotal > 0
        ? TimeSpan.FromSeconds(Math.Max(0, FramesTotal - FramesDone) / FramesPerSecond)
        : null;
}

/// <summary>What a finished render produced.</summary>
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
    IReadOnlyDictionary<string, double> StageSeconds);

/// <summary>One style of a finished render, exactly.</summary>
public sealed record RenderedStyle(string Id, string Version, string Sha256);
