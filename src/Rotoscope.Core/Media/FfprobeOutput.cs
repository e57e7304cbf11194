using System.Globalization;
using System.Text.Json;

namespace Rotoscope.Core.Media;

/// <summary>Turns `ffprobe -print_format json -show_format -show_streams` output into a VideoInfo, or a clear refusal.</summary>
internal static class FfprobeOutput
{
    // Single-image codecs: one of these with at most one frame (or no duration) is a picture, not a video.
    private static readonly HashSet<string> StillCodecs = new(StringComparer.Ordinal)
    {
        "png", "mjpeg", "jpegls", "bmp", "tiff", "webp", "jpeg2000", "jpegxl", "qoi", "ppm", "pgm", "pam", "targa",
    };

    public static VideoInfo Parse(string inputPath, string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new MediaException($"{inputPath} is not a readable video: ffprobe printed invalid JSON", e);
        }

        using (document)
        {
            return Parse(inputPath, document.RootElement);
        }
    }

    private static VideoInfo Parse(string inputPath, JsonElement root)
    {
        var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        var streams = root.TryGetProperty("streams", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().ToArray()
            : [];

        var video = streams.FirstOrDefault(IsVideo);
        if (video.ValueKind != JsonValueKind.Object)
        {
            throw new MediaException($"{inputPath} has no video stream");
        }

        var formatName = GetString(format, "format_name") ?? string.Empty;
        var codec = GetString(video, "codec_name") ?? "unknown";
        var frameCount = ParseLong(GetString(video, "nb_frames"));
        var videoDuration = ParseSeconds(GetString(video, "duration"));
        var duration = ParseSeconds(GetString(format, "duration")) ?? videoDuration;
        _ = Rational.TryParse(GetString(video, "avg_frame_rate"), out var averageRate);
        if (IsStillImage(formatName, codec, frameCount, duration, averageRate, video))
        {
            throw new MediaException($"{inputPath} is a still image, not a video");
        }

        var codedWidth = GetInt(video, "width") ?? 0;
        var codedHeight = GetInt(video, "height") ?? 0;
        if (codedWidth <= 0 || codedHeight <= 0)
        {
            throw new MediaException($"{inputPath} is not a readable video: ffprobe reports no frame size");
        }

        if (!Rational.TryParse(GetString(video, "avg_frame_rate"), out var frameRate)
            && !Rational.TryParse(GetString(video, "r_frame_rate"), out frameRate))
        {
            throw new MediaException($"{inputPath} has an unknown frame rate");
        }

        if (duration is not { } seconds || seconds <= 0)
        {
            throw new MediaException($"{inputPath} has zero or unknown duration");
        }

        var rotation = Rotation(video);
        var swap = rotation is 90 or 270;
        var audio = streams
            .Where(e => GetString(e, "codec_type") == "audio")
            .Select(e => new AudioStream(
                GetInt(e, "index") ?? 0,
                GetString(e, "codec_name") ?? "unknown",
                GetInt(e, "channels") ?? 0,
                GetInt(e, "sample_rate") ?? 0,
                ParseStart(GetString(e, "start_time"))))
            .ToArray();

        return new VideoInfo(
            formatName,
            codec,
            swap ? codedHeight : codedWidth,
            swap ? codedWidth : codedHeight,
            rotation,
            frameRate,
            TimeSpan.FromSeconds(seconds),
            frameCount,
            audio,
            SampleAspectRatio(video, swap),
            ParseStart(GetString(video, "start_time")),
            videoDuration is > 0 ? TimeSpan.FromSeconds(videoDuration.Value) : null,
            new VideoColorTags(
                GetString(video, "color_space"), GetString(video, "color_range"), GetString(video, "color_primaries"),
                GetString(video, "color_transfer"), GetString(video, "pix_fmt")));
    }

    // Start times may be negative (encoder delay) and are absent for some streams: 0 then.
    private static double ParseStart(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && Math.Abs(value) < 1e6
            ? value
            : 0;

    // "8:9" means each coded pixel is displayed 8/9 as wide as tall; "1:1", "0:1" and a missing value mean square.
    // Autorotation by 90 or 270 degrees turns the pixels too, inverting the ratio.
    private static Rational? SampleAspectRatio(JsonElement video, bool swap)
    {
        var text = GetString(video, "sample_aspect_ratio")?.Replace(':', '/');
        if (!Rational.TryParse(text, out var ratio) || ratio == new Rational(1, 1))
        {
            return null;
        }

        return swap ? new Rational(ratio.Denominator, ratio.Numerator) : ratio;
    }

    // Cover art in audio files shows up as a video stream with the attached_pic disposition.
    private static bool IsVideo(JsonElement stream) =>
        GetString(stream, "codec_type") == "video" && !HasDisposition(stream, "attached_pic");

    // An image codec is a video when the container gives it time: two or more frames by count, or by duration and rate
    // (Matroska and WebM never count frames, so MJPEG there is judged by duration).
    private static bool IsStillImage(string formatName, string codec, long? frameCount, double? duration, Rational averageRate, JsonElement video)
    {
        if (formatName == "image2" || formatName.EndsWith("_pipe", StringComparison.Ordinal)
            || HasDisposition(video, "still_image"))
        {
            return true;
        }

        if (!StillCodecs.Contains(codec))
        {
            return false;
        }

        if (frameCount is { } frames)
        {
            return frames <= 1;
        }

        return duration is not { } seconds || averageRate.Numerator <= 0 || averageRate.Denominator <= 0
            || seconds * averageRate.ToDouble() < 1.5;
    }

    /// <summary>Clockwise degrees, normalized to 0/90/180/270.</summary>
    private static int Rotation(JsonElement video)
    {
        // The display matrix angle ffprobe prints is counter-clockwise (a phone's portrait clip reads -90);
        // the legacy "rotate" tag is clockwise.
        double? clockwise = null;
        if (video.TryGetProperty("side_data_list", out var sideData) && sideData.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in sideData.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object
                    && entry.TryGetProperty("rotation", out var r)
                    && ParseDouble(r) is { } counterClockwise)
                {
                    clockwise = -counterClockwise;
                    break;
                }
            }
        }

        if (clockwise is null
            && video.TryGetProperty("tags", out var tags)
            && tags.ValueKind == JsonValueKind.Object
            && tags.TryGetProperty("rotate", out var rotate))
        {
            clockwise = ParseDouble(rotate);
        }

        if (clockwise is not { } degrees || double.IsNaN(degrees) || double.IsInfinity(degrees))
        {
            return 0;
        }

        var quarterTurns = (long)Math.Round(degrees / 90.0);
        return (int)(((quarterTurns % 4) + 4) % 4 * 90);
    }

    private static bool HasDisposition(JsonElement stream, string name) =>
        stream.TryGetProperty("disposition", out var disposition)
        && disposition.ValueKind == JsonValueKind.Object
        && disposition.TryGetProperty(name, out var flag)
        && flag.ValueKind == JsonValueKind.Number
        && flag.GetInt32() != 0;

    private static string? GetString(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    // ffprobe prints some numbers as JSON numbers (width) and others as strings (sample_rate, nb_frames).
    private static int? GetInt(JsonElement element, string name) =>
        int.TryParse(GetString(element, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static long? ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    private static double? ParseSeconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
        && double.IsFinite(value) && value >= 0 && value < TimeSpan.MaxValue.TotalSeconds
            ? value
            : null;

    private static double? ParseDouble(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when double.TryParse(
            value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };
}
