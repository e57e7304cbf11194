namespace Rotoscope.Core.Media;

/// <summary>
/// A small review copy: numbered still frames (<paramref name="FramePattern"/>, e.g. <c>/tmp/x/%06d.jpg</c>, from 1) at
/// <paramref name="FrameRate"/>, scaled to <paramref name="Width"/> x <paramref name="Height"/>, H.264 4:2:0 with the
/// first audio stream of <paramref name="AudioPath"/> as AAC, into an mp4 at <paramref name="OutputPath"/>.
/// </summary>
/// <param name="VideoOffset">When the first frame is shown (the source's offset), as in <see cref="AssembleSpec"/>.</param>
/// <param name="AudioOffset">When the audio starts.</param>
public sealed record ReviewCopySpec(
    string FramePattern,
    Rational FrameRate,
    int Width,
    int Height,
    string? AudioPath,
    string OutputPath,
    TimeSpan VideoOffset = default,
    TimeSpan AudioOffset = default)
{
    /// <summary>Height of a review copy: 480 lines, or the source's own when it is smaller (never upscaled).</summary>
    public const int MaxHeight = 480;

    /// <summary>The review size of a <paramref name="width"/> x <paramref name="height"/> video: even, aspect kept, at most 480 high.</summary>
    public static (int Width, int Height) SizeFor(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var h = Math.Max(2, Math.Min(MaxHeight, height) / 2 * 2);
        var w = Math.Max(2, (int)Math.Round((double)width * h / height / 2, MidpointRounding.AwayFromZero) * 2);
        return (w, h);
    }
}
