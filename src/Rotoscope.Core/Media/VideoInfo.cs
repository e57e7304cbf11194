using System.Diagnostics.CodeAnalysis;

namespace Rotoscope.Core.Media;

/// <summary>One audio stream of a media file, as ffprobe reports it.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "An audio stream in the media sense, not a System.IO.Stream.")]
/// <param name="Start">The stream's start time in seconds (start_time, edit lists applied).</param>
public sealed record AudioStream(int Index, string Codec, int Channels, int SampleRate, double Start = 0);

/// <summary>What a render needs to know about an input video, from ffprobe.</summary>
/// <param name="FormatName">ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".</param>
/// <param name="Width">Display width: after rotation, so 90/270 swap the coded width and height.</param>
/// <param name="Height">Display height: after rotation.</param>
/// <param name="Rotation">Clockwise degrees needed to display the coded frames upright: 0, 90, 180 or 270.</param>
/// <param name="FrameRate">avg_frame_rate, falling back to r_frame_rate.</param>
/// <param name="FrameCount">nb_frames when the container knows it.</param>
/// <param name="SampleAspectRatio">Pixel shape for display (e.g. 8/9 for NTSC DV), after rotation; null when pixels are square.</param>
/// <param name="VideoStart">When the first video frame is shown, in seconds (start_time, edit lists applied).</param>
/// <param name="VideoDuration">The video stream's own duration when the container says it (the format's may include longer audio).</param>
/// <param name="ColorTags">The video stream's colour tags.</param>
public sealed record VideoInfo(
    string FormatName,
    string VideoCodec,
    int Width,
    int Height,
    int Rotation,
    Rational FrameRate,
    TimeSpan Duration,
    long? FrameCount,
    IReadOnlyList<AudioStream> AudioStreams,
    Rational? SampleAspectRatio = null,
    double VideoStart = 0,
    TimeSpan? VideoDuration = null,
    VideoColorTags? ColorTags = null)
{
    public bool HasAudio => AudioStreams.Count > 0;

    /// <summary>How the video's samples map to RGB: its tags, or the standard for its size.</summary>
    public Colorimetry Colorimetry => Colorimetry.Of(Width, Height, ColorTags ?? VideoColorTags.None);

    /// <summary>How long the video lasts: its stream's duration, or the container's when the stream has none.</summary>
    public TimeSpan DeclaredVideoDuration => VideoDuration ?? Duration;

    /// <summary>How far the video starts after the earliest stream: kept on output so audio stays in sync.</summary>
    public TimeSpan VideoOffset => TimeSpan.FromSeconds(VideoStart - EarliestStart);

    /// <summary>How far the audio starts after the earliest stream.</summary>
    public TimeSpan AudioOffset => HasAudio ? TimeSpan.FromSeconds(AudioStreams.Min(a => a.Start) - EarliestStart) : TimeSpan.Zero;

    /// <summary>Frames the video holds at <paramref name="fps"/>: its declared duration on that frame grid.</summary>
    public long ExpectedFrames(Rational fps) =>
        fps == FrameRate && FrameCount is { } count ? count : (long)Math.Round(DeclaredVideoDuration.TotalSeconds * fps.ToDouble());

    private double EarliestStart => HasAudio ? Math.Min(VideoStart, AudioStreams.Min(a => a.Start)) : VideoStart;
}
