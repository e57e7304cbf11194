using System.Globalization;
using Rotoscope.Core.Imaging;
using Rational = Rotoscope.Core.Media.Rational;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Rotoscope.Core.Review;

/// <summary>
/// Where everything goes on a contact sheet of <see cref="Pairs"/> before/after pairs (two pairs a row, the source frame
/// left, the styled one right, its timecode below), for frames of <paramref name="FrameWidth"/> x <paramref name="FrameHeight"/>.
/// </summary>
public sealed record ContactSheetLayout(int FrameWidth, int FrameHeight, int Pairs)
{
    /// <summary>At most this many pairs, evenly spaced over the video.</summary>
    public const int MaxPairs = 8;

    /// <summary>Pairs side by side in a row.</summary>
    public const int Columns = 2;

    /// <summary>Width of one thumbnail.</summary>
    public const int ThumbnailWidth = 320;

    /// <summary>Space around and between pairs.</summary>
    public const int Margin = 12;

    /// <summary>Space between a pair's two thumbnails.</summary>
    public const int Gap = 4;

    /// <summary>Scale of the pixel font: 5x7 glyphs drawn 10x14.</summary>
    public const int TextScale = 2;

    /// <summary>Height of the title strip at the top.</summary>
    public const int HeaderHeight = (PixelFont.GlyphHeight * TextScale) + 16;

    /// <summary>Height of the timecode strip under each pair.</summary>
    public const int LabelHeight = (PixelFont.GlyphHeight * TextScale) + 8;

    /// <summary>Height of one thumbnail: the frame's aspect at <see cref="ThumbnailWidth"/>.</summary>
    public int ThumbnailHeight => Math.Max(1, (int)Math.Round((double)ThumbnailWidth * FrameHeight / FrameWidth, MidpointRounding.AwayFromZero));

    /// <summary>Width of a pair.</summary>
    public static int PairWidth => (2 * ThumbnailWidth) + Gap;

    /// <summary>Rows of pairs.</summary>
    public int Rows => (Pairs + Columns - 1) / Columns;

    /// <summary>Width of the sheet.</summary>
    public int Width => (2 * Margin) + (Math.Min(Columns, Math.Max(1, Pairs)) * PairWidth) + ((Math.Min(Columns, Math.Max(1, Pairs)) - 1) * Margin);

    /// <summary>Height of the sheet.</summary>
    public int Height => Margin + HeaderHeight + (Rows * (ThumbnailHeight + LabelHeight)) + (Math.Max(0, Rows - 1) * Margin) + Margin;

    /// <summary>The layout for a video of <paramref name="frames"/> frames.</summary>
    public static ContactSheetLayout For(int frameWidth, int frameHeight, long frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frames);
        return new ContactSheetLayout(frameWidth, frameHeight, (int)Math.Min(MaxPairs, frames));
    }

    /// <summary>The 1-based frame numbers shown: the middle of each of <see cref="Pairs"/> equal stretches of the video.</summary>
    public static IReadOnlyList<long> FrameNumbers(long frames, int pairs) =>
        [.. Enumerable.Range(0, pairs).Select(i => Math.Clamp((long)Math.Floor((i + 0.5) * frames / pairs) + 1, 1, frames))];

    /// <summary>Top-left corner of pair <paramref name="index"/>.</summary>
    public (int X, int Y) PairOrigin(int index) =>
        (Margin + (index % Columns * (PairWidth + Margin)), Margin + HeaderHeight + (index / Columns * (ThumbnailHeight + LabelHeight + Margin)));

    /// <summary>The timecode of frame <paramref name="number"/> (1-based) at <paramref name="fps"/>: H:MM:SS.cc.</summary>
    public static string Timecode(long number, Rational fps)
    {
        var seconds = (number - 1) * (double)fps.Denominator / fps.Numerator;
        var time = TimeSpan.FromSeconds(seconds);
        return string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}.{time.Milliseconds / 10:00}");
    }
}

/// <summary>Draws a contact sheet (JPEG) from encoded before/after frames with ImageSharp.</summary>
public static class ContactSheet
{
    private static readonly Rgb24 Background = new(24, 24, 24);
    private static readonly Rgb24 Ink = new(230, 230, 230);
    private static readonly Rgb24 Dim = new(150, 150, 150);

    /// <summary>One pair: the source frame and the styled one, encoded (JPEG or PNG), and the frame's timecode.</summary>
    public sealed record Pair(byte[] Before, byte[] After, string Timecode, long Frame);

    /// <summary>The sheet as a JPEG.</summary>
    public static byte[] Render(ContactSheetLayout layout, string title, IReadOnlyList<Pair> pairs)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(pairs);
        using var sheet = new Image<Rgb24>(layout.Width, layout.Height, Background);
        PixelFont.Draw(sheet, Fit(title, layout.Width - (2 * ContactSheetLayout.Margin)), ContactSheetLayout.Margin, ContactSheetLayout.Margin, ContactSheetLayout.TextScale, Ink);
        for (var i = 0; i < pairs.Count; i++)
        {
            var (x, y) = layout.PairOrigin(i);
            Place(sheet, pairs[i].Before, x, y, layout);
            Place(sheet, pairs[i].After, x + ContactSheetLayout.ThumbnailWidth + ContactSheetLayout.Gap, y, layout);
            var labelY = y + layout.ThumbnailHeight + 4;
            PixelFont.Draw(sheet, pairs[i].Timecode, x, labelY, ContactSheetLayout.TextScale, Ink);
            var frame = string.Create(CultureInfo.InvariantCulture, $"FRAME {pairs[i].Frame}");
            PixelFont.Draw(sheet, frame, x + ContactSheetLayout.PairWidth - PixelFont.MeasureWidth(frame, ContactSheetLayout.TextScale), labelY, ContactSheetLayout.TextScale, Dim);
        }

        using var encoded = new MemoryStream();
        sheet.SaveAsJpeg(encoded, new JpegEncoder { Quality = 85 });
        return encoded.ToArray();
    }

    private static void Place(Image<Rgb24> sheet, byte[] encoded, int x, int y, ContactSheetLayout layout)
    {
        using var frame = Image.Load<Rgb24>(encoded);
        frame.Mutate(f => f.Resize(ContactSheetLayout.ThumbnailWidth, layout.ThumbnailHeight));
        sheet.Mutate(s => s.DrawImage(frame, new Point(x, y), 1f));
    }

    // The title is cut to the sheet's width rather than drawn past it.
    private static string Fit(string title, int width)
    {
        var characters = Math.Max(1, (width / ContactSheetLayout.TextScale + 1) / PixelFont.Advance);
        return title.Length <= characters ? title : title[..(characters - 3)] + "...";
    }
}
