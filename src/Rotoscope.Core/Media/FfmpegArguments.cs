using System.Globalization;

namespace Rotoscope.Core.Media;

/// <summary>The exact ffmpeg/ffprobe argument lists Rotoscope runs; pure functions.</summary>
public static class FfmpegArguments
{
    private static readonly string[] Quiet = ["-nostdin", "-hide_banner", "-loglevel", "error"];

    // What ffmpeg 5.1 muxes without "-strict": it refuses flac in mp4 (experimental) and flac/opus in mov.
    private static readonly HashSet<string> Mp4AudioCodecs = new(StringComparer.Ordinal) { "aac", "mp3", "alac", "ac3", "eac3", "opus" };
    private static readonly HashSet<string> MovAudioCodecs = new(StringComparer.Ordinal)
    {
        "aac", "mp3", "alac", "ac3", "eac3",
        // Uncompressed audio goes through untouched: QuickTime is where editors keep PCM.
        "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_s32be", "pcm_f32le", "pcm_f32be", "pcm_u8",
    };
    private static readonly HashSet<string> WebmAudioCodecs = new(StringComparer.Ordinal) { "opus", "vorbis" };

    /// <summary>ffprobe: format and streams of <paramref name="inputPath"/> as JSON on stdout.</summary>
    public static IReadOnlyList<string> Probe(string inputPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        return ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", FilePath(inputPath)];
    }

    /// <summary>
    /// ffmpeg: decode the first video stream once, autorotated, as rgb24 raw frames on stdout at exactly
    /// <paramref name="fps"/>, converted with <paramref name="colors"/>' matrix and range; with
    /// <paramref name="audioOutputPath"/>, also copy every audio stream into that Matroska audio file in the same run.
    /// </summary>
    public static IReadOnlyList<string> Split(string inputPath, Rational fps, Colorimetry colors, string? audioOutputPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentNullException.ThrowIfNull(colors);
        ValidateRate(fps);
        List<string> args =
        [
            .. Quiet, "-y",
            "-i", FilePath(inputPath),
            // "V" skips attached pictures (cover art); autorotation stays on so frames come out at display geometry.
            "-map", "0:V:0",
            // Frames are timed from the first one (its start offset is restored on assembly), so a late first frame
            // does not shift the fps grid; the fps filter alone decides which frames exist (CFR at exactly fps), and
            // eof_action=pass keeps a last frame whose stored duration is too short. passthrough stops the muxer
            // from duplicating or dropping any more. The matrix and range are explicit: swscale's default is BT.601.
            "-vf", $"setpts=PTS-STARTPTS,fps={fps}:eof_action=pass,scale=in_color_matrix={colors.ScaleMatrix}:in_range={colors.Range},format=rgb24",
            "-fps_mode", "passthrough",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ];
        if (audioOutputPath is not null)
        {
            args.AddRange(["-map", "0:a", "-c:a", "copy", "-vn", "-f", "matroska", FilePath(audioOutputPath)]);
        }

        return args;
    }

    /// <summary>ffmpeg: encode rgb24 raw frames from stdin (and mux the audio file, if any) into spec.OutputPath.</summary>
    /// <remarks>ffmpeg writes encoding progress (frame=N lines) to stdout.</remarks>
    public static IReadOnlyList<string> Assemble(AssembleSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(spec.OutputPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Height);
        ValidateRate(spec.FrameRate);
        var container = ContainerFor(spec.OutputPath, spec.ContainerFormat);
        var size = string.Create(CultureInfo.InvariantCulture, $"{spec.Width}x{spec.Height}");
        var colors = spec.Colors ?? Colorimetry.Bt709;

        // 4:2:0 chroma needs even dimensions; rather than crop or pad (changing the geometry the user asked to keep),
        // odd sizes are encoded 4:4:4, which fewer players decode (H.264 High 4:4:4, VP9 profile 1).
        var pixelFormat = spec.Width % 2 == 0 && spec.Height % 2 == 0 ? "yuv420p" : "yuv444p";
        List<string> args = [.. Quiet, "-y", "-progress", "pipe:1", "-nostats"];

        // Each input starts where its stream started in the source, relative to the earliest: audio stays in sync.
        args.AddRange(Offset(spec.VideoOffset));
        args.AddRange(["-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", size, "-framerate", spec.FrameRate.ToString(), "-i", "pipe:0"]);
        var withAudio = spec.AudioPath is not null;
        if (withAudio)
        {
            args.AddRange(Offset(spec.AudioOffset));
            args.AddRange(["-i", FilePath(spec.AudioPath!)]);
        }

        args.AddRange(["-map", "0:v"]);
        if (withAudio)
        {
            args.AddRange(["-map", "1:a?"]);
        }

        // Convert with the source's matrix and range (the split decoded with the same) and tag the stream so. Accurate
        // rounding here removes swscale's bias of about -2 per channel (measured), and costs nothing on the encode side;
        // on the split it would triple decoding time.
        var sampleAspect = spec.SampleAspectRatio is { } sar ? $",setsar={sar}" : "";
        args.AddRange(["-vf", $"scale=out_color_matrix={colors.ScaleMatrix}:out_range={colors.Range}:flags=accurate_rnd+full_chroma_int,format={pixelFormat}{sampleAspect}"]);
        args.AddRange(container == "webm" ? Vp9(spec) : ["-c:v", "libx264", "-preset", "medium", "-crf", "18"]);
        args.AddRange(
        [
            "-pix_fmt", pixelFormat,
            "-colorspace", colors.Matrix, "-color_primaries", colors.Primaries, "-color_trc", colors.Transfer, "-color_range", colors.Range,
            // Every frame keeps its own time (no duplicates, no drops): the stream rate is exactly the input's.
            "-fps_mode", "passthrough", "-r", spec.FrameRate.ToString(),
        ]);
        if (withAudio)
        {
            var audioCodec = AudioCodecFor(container, spec.AudioStreams);
            args.AddRange(audioCodec switch
            {
                "copy" => ["-c:a", "copy"],
                "aac" => ["-c:a", "aac", "-b:a", "192k"],
                _ => ["-c:a", audioCodec, "-b:a", "160k"],
            });
        }

        if (container is "mp4" or "mov" or "m4v")
        {
            args.AddRange(["-movflags", "+faststart"]);
        }

        args.AddRange(["-f", MuxerFor(container), FilePath(spec.OutputPath)]);
        return args;
    }

    /// <summary>
    /// ffmpeg: a small review copy from numbered stills (see <see cref="ReviewCopySpec"/>): one output frame per still,
    /// H.264 (x264 veryfast, CRF 23, 4:2:0, BT.709 tags) and AAC 128k of the first audio stream, mp4 with faststart.
    /// </summary>
    public static IReadOnlyList<string> ReviewCopy(ReviewCopySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(spec.FramePattern);
        ArgumentException.ThrowIfNullOrEmpty(spec.OutputPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Height);
        ValidateRate(spec.FrameRate);
        List<string> args = [.. Quiet, "-y"];
        args.AddRange(Offset(spec.VideoOffset));
        args.AddRange(["-f", "image2", "-framerate", spec.FrameRate.ToString(), "-start_number", "1", "-i", FilePath(spec.FramePattern)]);
        if (spec.AudioPath is not null)
        {
            args.AddRange(Offset(spec.AudioOffset));
            args.AddRange(["-i", FilePath(spec.AudioPath)]);
        }

        args.AddRange(["-map", "0:v"]);
        if (spec.AudioPath is not null)
        {
            args.AddRange(["-map", "1:a:0?"]);
        }

        args.AddRange(
        [
            "-vf", string.Create(CultureInfo.InvariantCulture, $"scale={spec.Width}:{spec.Height}:flags=bicubic:out_color_matrix=bt709,setsar=1,format=yuv420p"),
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
            "-fps_mode", "passthrough", "-r", spec.FrameRate.ToString(),
        ]);
        if (spec.AudioPath is not null)
        {
            args.AddRange(["-c:a", "aac", "-b:a", "128k", "-ac", "2"]);
        }

        args.AddRange(["-movflags", "+faststart", "-f", "mp4", FilePath(spec.OutputPath)]);
        return args;
    }

    // libvpx-vp9's real-time mode with row multithreading and tiles: about ten times faster than its default ("good",
    // cpu-used 1) at the quality of our H.264 path (measured at 720p: PSNR 49.7 dB against x264 CRF 18's 49.8 dB).
    private static string[] Vp9(AssembleSpec spec)
    {
        // Tiles must be at least 256 pixels wide; more columns let more threads work on one frame.
        var tileColumns = Math.Clamp((int)Math.Log2(Math.Max(1, spec.Width / 256)), 0, 4);
        return
        [
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", "21", "-b:v", "0",
            "-row-mt", "1", "-tile-columns", tileColumns.ToString(CultureInfo.InvariantCulture),
            "-threads", Math.Max(1, spec.Threads).ToString(CultureInfo.InvariantCulture),
        ];
    }

    private static string[] Offset(TimeSpan offset) =>
        offset > TimeSpan.Zero ? ["-itsoffset", offset.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture)] : [];

    /// <summary>
    /// ffmpeg: a synthetic H.264 clip (moving test pattern with a 440 Hz tone) for benchmarks and samples, so they need
    /// no footage.
    /// </summary>
    public static IReadOnlyList<string> TestClip(string outputPath, int width, int height, Rational fps, double seconds)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        ValidateRate(fps);
        var pixelFormat = width % 2 == 0 && height % 2 == 0 ? "yuv420p" : "yuv444p";
        return
        [
            .. Quiet, "-y",
            "-f", "lavfi", "-i", string.Create(CultureInfo.InvariantCulture, $"testsrc2=size={width}x{height}:rate={fps}"),
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-pix_fmt", pixelFormat, "-c:a", "aac", "-shortest",
            "-f", "mp4", FilePath(outputPath),
        ];
    }

    /// <summary>
    /// "copy" when every stream's codec can go into <paramref name="container"/> as is, otherwise the encoder to use:
    /// "aac" (192k) for mp4/mov/m4v/mkv, "libopus" for webm.
    /// </summary>
    public static string AudioCodecFor(string container, IReadOnlyList<AudioStream> audioStreams)
    {
        ArgumentNullException.ThrowIfNull(audioStreams);
        var normalized = NormalizeContainer(container);
        HashSet<string>? copyable = normalized switch
        {
            "mp4" or "m4v" => Mp4AudioCodecs,
            "mov" => MovAudioCodecs,
            "webm" => WebmAudioCodecs,
            _ => null, // mkv holds anything a split (which writes .mka) produced
        };
        if (copyable is null || audioStreams.All(s => copyable.Contains(s.Codec)))
        {
            return "copy";
        }

        return normalized == "webm" ? "libopus" : "aac";
    }

    /// <summary>
    /// The container to write: <paramref name="containerFormat"/> when given, otherwise from the extension of
    /// <paramref name="outputPath"/>. One of mp4, mov, m4v, mkv, webm.
    /// </summary>
    public static string ContainerFor(string outputPath, string? containerFormat)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        var name = containerFormat ?? Path.GetExtension(outputPath).TrimStart('.');
        return NormalizeContainer(name);
    }

    private static string NormalizeContainer(string container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var name = container.Trim().TrimStart('.').ToLowerInvariant();
        return name switch
        {
            "mp4" or "mov" or "m4v" or "mkv" or "webm" => name,
            "matroska" => "mkv",
            _ => throw new MediaException(
                $"unsupported output container '{container}'; use mp4, mov, m4v, mkv or webm"),
        };
    }

    // ffmpeg's "m4v" muxer writes a raw MPEG-4 elementary stream, so .m4v files go through the mp4 muxer.
    private static string MuxerFor(string container) => container switch
    {
        "mp4" or "m4v" => "mp4",
        "mkv" => "matroska",
        _ => container,
    };

    // Absolute paths keep ffmpeg from reading a leading '-' as an option or "name:" as a protocol.
    private static string FilePath(string path) => Path.GetFullPath(path);

    private static void ValidateRate(Rational rate)
    {
        if (rate.Numerator <= 0 || rate.Denominator <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "frame rate must be positive");
        }
    }
}
