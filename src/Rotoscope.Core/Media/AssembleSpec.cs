namespace Rotoscope.Core.Media;

/// <summary>What to encode: raw rgb24 frames of Width x Height at FrameRate, plus optional audio, into OutputPath.</summary>
/// <param name="OutputPath">Written as is (overwritten); may be a temporary name such as "x.mp4.partial".</param>
/// <param name="AudioPath">An audio file (usually the .mka from a split) whose audio streams are muxed in; null for none.</param>
/// <param name="AudioStreams">The streams in AudioPath, used to decide between copying and re-encoding.</param>
/// <param name="ContainerFormat">mp4, mov, m4v, mkv or webm; null to take it from OutputPath's extension.</param>
/// <param name="SampleAspectRatio">Pixel shape to record for display; null for square pixels.</param>
/// <param name="Colors">Matrix and range to encode with, and the tags to write; null for BT.709.</param>
/// <param name="VideoOffset">When the first frame is shown, after the start of the file (the source's offset).</param>
/// <param name="AudioOffset">When the audio starts, after the start of the file.</param>
/// <param name="Threads">Encoder threads where the encoder needs to be told (VP9).</param>
public sealed record AssembleSpec(
    string OutputPath,
    int Width,
    int Height,
    Rational FrameRate,
    string? AudioPath,
    IReadOnlyList<AudioStream> AudioStreams,
    string? ContainerFormat = null,
    Rational? SampleAspectRatio = null,
    Colorimetry? Colors = null,
    TimeSpan VideoOffset = default,
    TimeSpan AudioOffset = default,
    int Threads = 1);
