using System.Diagnostics.CodeAnalysis;

namespace Rotoscope.Core.Media;

/// <summary>One audio stream of a media file, as ffprobe reports it.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "An audio stream in the media sense, not a System.IO.Stream.")]
public sealed record AudioStream(int Index, string Codec, int Channels, int SampleRate);

/// <summary>What a render needs to know about an input video, from ffprobe.</summary>
/// <param name="FormatName">ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".</param>
/// <param name="Width">Display width: after rotation, so 90/270 swap the coded width and height.</param>
/// <param name="Height">Display height: after rotation.</param>
/// <param name="Rotation">Clockwise degrees needed to display the coded frames upright: 0, 90, 180 or 270.</param>
/// <param name="FrameRate">avg_frame_rate, falling back to r_frame_rate.</param>
/// <param name="FrameCount">nb_frames when the container knows it.</param>
/// <param name="SampleAspectRatio">Pixel shape for display (e.g. 8/9 for NTSC DV), after rotation; null when pixels are square.</param>
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
    Rational? SampleAspectRatio = null)
{
    public bool HasAudio => AudioStreams.Count > 0;
}
