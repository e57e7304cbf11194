using Rotoscope.Core.Imaging;
using Rotoscope.Core.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Rotoscope.Core.Styles;

/// <summary>
/// <c>rotoscope styles --gallery</c>: one frame through every style, as a labelled contact sheet (JPEG). The frame is
/// styled at <see cref="StyledWidth"/> pixels wide, the size of a typical video frame's detail, then shown smaller; a
/// neural style's tile carries its style image in a corner, so a reader sees what it was trained to imitate.
/// </summary>
public static class StyleGallery
{
    /// <summary>Width the frame is styled at.</summary>
    public const int StyledWidth = 640;

    /// <summary>Width of one tile on the sheet.</summary>
    public const int TileWidth = 320;

    /// <summary>Tiles in a row.</summary>
    public const int Columns = 4;

    private const int Margin = 10;
    private const int TextScale = 2;
    private const int LabelHeight = (2 * PixelFont.GlyphHeight * TextScale) + 14;
    private const int InsetWidth = 84;
    private static readonly string[] StyleImageNames = ["style.jpg", "style.jpeg", "style.png"];
    private static readonly Rgb24 Background = new(24, 24, 24);
    private static readonly Rgb24 Ink = new(235, 235, 235);
    private static readonly Rgb24 Dim = new(150, 150, 150);

    /// <summary>
    /// The sheet for <paramref name="frame"/> (an encoded JPEG or PNG) and <paramref name="styles"/>, in their order,
    /// after a first tile with the frame as it is; <paramref name="progress"/> hears each style's id as it is done.
    /// </summary>
    public static async Task<byte[]> RenderAsync(StyleRunner runner, byte[] frame, IReadOnlyList<StyleModel> styles, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(styles);
        using var original = Image.Load<Rgb24>(frame);
        original.Mutate(i => i.Resize(StyledWidth, 0));
        var height = original.Height;
        var tileHeight = (int)Math.Round((double)TileWidth * height / StyledWidth);
        var tiles = styles.Count + 1;
        var rows = (tiles + Columns - 1) / Columns;
        var columns = Math.Min(Columns, tiles);
        using var sheet = new Image<Rgb24>(Margin + (columns * (TileWidth + Margin)), Margin + (rows * (tileHeight + LabelHeight + Margin)), Background);

        Place(sheet, original, 0, tileHeight, "original", "the frame as it is", inset: null);
        for (var i = 0; i < styles.Count; i++)
        {
            var style = styles[i];
            using var styled = await StyleAsync(runner, original, style, cancellationToken).ConfigureAwait(false);
            using var inset = style.Kind == StyleKind.Neural && StyleImageOf(style) is { } path ? Image.Load<Rgb24>(path) : null;
            var subtitle = string.Equals(style.Title, style.Id, StringComparison.OrdinalIgnoreCase) ? $"{style.Kind} {style.Version}" : style.Title;
            Place(sheet, styled, i + 1, tileHeight, style.Id, subtitle, inset);
            progress?.Report(style.Id);
        }

        using var encoded = new MemoryStream();
        await sheet.SaveAsJpegAsync(encoded, new JpegEncoder { Quality = 88 }, cancellationToken).ConfigureAwait(false);
        return encoded.ToArray();
    }

    /// <summary>The style image beside a model (<c>style.jpg</c> or <c>style.png</c>, as the catalogs keep it), if any.</summary>
    public static string? StyleImageOf(StyleModel style)
    {
        ArgumentNullException.ThrowIfNull(style);
        var folder = Path.GetDirectoryName(style.ModelPath);
        return folder is null ? null : StyleImageNames.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
    }

    private static async Task<Image<Rgb24>> StyleAsync(StyleRunner runner, Image<Rgb24> image, StyleModel style, CancellationToken cancellationToken)
    {
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        var styled = await runner.StyleImageAsync(new StyleChain([style]), pixels, image.Width, image.Height, cancellationToken).ConfigureAwait(false);
        return Image.LoadPixelData<Rgb24>(styled, image.Width, image.Height);
    }

    private static void Place(Image<Rgb24> sheet, Image<Rgb24> image, int index, int tileHeight, string id, string title, Image<Rgb24>? inset)
    {
        var x = Margin + (index % Columns * (TileWidth + Margin));
        var y = Margin + (index / Columns * (tileHeight + LabelHeight + Margin));
        using var tile = image.Clone(i => i.Resize(TileWidth, tileHeight));
        sheet.Mutate(s => s.DrawImage(tile, new Point(x, y), 1f));
        if (inset is not null)
        {
            // The style image in the top-right corner, on a thin light frame so it reads as a separate picture.
            inset.Mutate(i => i.Resize(InsetWidth, 0));
            var at = new Point(x + TileWidth - InsetWidth - 4, y + 4);
            using var frame = new Image<Rgb24>(inset.Width + 4, inset.Height + 4, Ink);
            sheet.Mutate(s => s.DrawImage(frame, new Point(at.X - 2, at.Y - 2), 1f).DrawImage(inset, at, 1f));
        }

        PixelFont.Draw(sheet, Fit(id), x, y + tileHeight + 5, TextScale, Ink);
        PixelFont.Draw(sheet, Fit(title), x, y + tileHeight + 9 + (PixelFont.GlyphHeight * TextScale), TextScale, Dim);
    }

    // Labels are cut to the tile's width rather than drawn into the next tile.
    private static string Fit(string text)
    {
        var characters = ((TileWidth / TextScale) + 1) / PixelFont.Advance;
        return text.Length <= characters ? text : text[..(characters - 3)] + "...";
    }
}
