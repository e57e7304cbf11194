namespace Rotoscope.Core.Media;

/// <summary>Where the ffmpeg and ffprobe executables are: names looked up on PATH, or full paths.</summary>
public sealed record FfmpegTools(string FfmpegPath = "ffmpeg", string FfprobePath = "ffprobe");
