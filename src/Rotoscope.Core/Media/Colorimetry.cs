namespace Rotoscope.Core.Media;

/// <summary>
/// How a video's YUV samples map to RGB: the matrix and range used to decode it on split and to encode on assembly
/// (the same on both sides, so an identity style keeps every colour), plus the primaries and transfer tagged on output.
/// </summary>
/// <param name="Matrix">ffmpeg colour space name: bt709, smpte170m, bt470bg, bt2020nc, smpte240m or fcc.</param>
/// <param name="Range">tv (limited) or pc (full).</param>
/// <param name="Primaries">ffmpeg colour primaries name, written as a tag.</param>
/// <param name="Transfer">ffmpeg transfer characteristic name, written as a tag.</param>
public sealed record Colorimetry(string Matrix, string Range, string Primaries, string Transfer)
{
    /// <summary>The standard HD colorimetry (ITU-R BT.709, limited range).</summary>
    public static readonly Colorimetry Bt709 = new("bt709", "tv", "bt709", "bt709");

    /// <summary>The standard SD colorimetry (ITU-R BT.601 525-line, limited range).</summary>
    public static readonly Colorimetry Bt601 = new("smpte170m", "tv", "smpte170m", "smpte170m");

    // The matrices swscale implements, by the names ffprobe prints, and the name its scale filter takes for each.
    private static readonly Dictionary<string, string> ScaleMatrices = new(StringComparer.Ordinal)
    {
        ["bt709"] = "bt709", ["smpte170m"] = "smpte170m", ["bt470bg"] = "bt470", ["bt2020nc"] = "bt2020",
        ["bt2020c"] = "bt2020", ["smpte240m"] = "smpte240m", ["fcc"] = "fcc",
    };

    /// <summary>The matrix by the name ffmpeg's scale filter takes (in_color_matrix / out_color_matrix).</summary>
    public string ScaleMatrix => ScaleMatrices[Matrix];

    /// <summary>
    /// The source's own tags where it has them; otherwise the standard for its size, as players assume: BT.709 from
    /// 720 lines (or 1280 columns) up, BT.601 below; limited range unless the pixel format says full (yuvj*).
    /// </summary>
    public static Colorimetry Of(int width, int height, VideoColorTags tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var standard = height >= 720 || width >= 1280 ? Bt709 : Bt601;
        var matrix = tags.Space is { } space && ScaleMatrices.ContainsKey(space) ? space : standard.Matrix;
        var range = tags.Range is "tv" or "pc" ? tags.Range
            : tags.PixelFormat?.StartsWith("yuvj", StringComparison.Ordinal) == true ? "pc" : "tv";

        // Untagged primaries and transfer follow the matrix they come with.
        var (primaries, transfer) = matrix switch
        {
            "bt709" => ("bt709", "bt709"),
            "bt470bg" => ("bt470bg", "smpte170m"),
            "smpte170m" => ("smpte170m", "smpte170m"),
            "bt2020nc" or "bt2020c" => ("bt2020", "bt2020-10"),
            _ => (standard.Primaries, standard.Transfer),
        };
        return new Colorimetry(matrix, range, Tag(tags.Primaries) ?? primaries, Tag(tags.Transfer) ?? transfer);
    }

    // Tags are passed to ffmpeg as arguments: only its plain names (letters, digits, '-') and never "unknown".
    private static string? Tag(string? value) =>
        value is { Length: > 0 and < 32 } && value != "unknown" && value != "reserved" && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            ? value
            : null;
}

/// <summary>The colour tags ffprobe reports for a video stream; null where the stream has none.</summary>
public sealed record VideoColorTags(string? Space = null, string? Range = null, string? Primaries = null, string? Transfer = null, string? PixelFormat = null)
{
    /// <summary>A stream without colour tags.</summary>
    public static readonly VideoColorTags None = new();
}
