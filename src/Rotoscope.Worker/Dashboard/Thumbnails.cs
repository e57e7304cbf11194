using Microsoft.Extensions.Caching.Memory;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Processing;

namespace Rotoscope.Worker.Dashboard;

/// <summary>Which frame of a render a thumbnail shows: the split (before) or the styled one (after).</summary>
public enum FrameSide
{
    /// <summary>The split frame, as decoded from the input.</summary>
    Source,

    /// <summary>The frame after the style chain.</summary>
    Styled,
}

/// <summary>
/// Small JPEG copies of a render's frames, made with ImageSharp from the frames in the store and kept in memory (a
/// bounded cache). A frame is named by render id, side and number only: the key in the store comes from the render's
/// plan, never from the request.
/// </summary>
public sealed class Thumbnails(IBlobStore store) : IDisposable
{
    /// <summary>Widths served: a strip's and a before/after pair's.</summary>
    public const int Small = 200, Large = 480;

    // Frames in the store never change under a key (a chain's styled frames of a split are the same however often they
    // are made), so an entry stays valid; the bound only caps memory.
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 16 << 20 });

    /// <summary>The thumbnail, or null when the render or the frame is not in the store (yet).</summary>
    public async Task<byte[]?> GetAsync(string renderId, FrameSide side, long frame, int width, CancellationToken cancellationToken)
    {
        width = width >= Large ? Large : Small;
        if (frame < 1 || !BlobKey.TryParse($"renders/{renderId}", out _, out _)
            || await store.TryReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false) is not { } plan)
        {
            return null;
        }

        var key = side == FrameSide.Source ? plan.SplitFrame(frame) : plan.StyledFrame(frame);
        var name = $"{key.Value}@{width}";
        if (cache.TryGetValue(name, out byte[]? cached))
        {
            return cached;
        }

        byte[] bytes;
        try
        {
            bytes = await store.ReadAllBytesAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }

        using var image = Image.Load(bytes);
        image.Mutate(x => x.Resize(Math.Min(width, image.Width), 0));
        using var output = new MemoryStream();
        await image.SaveAsJpegAsync(output, new JpegEncoder { Quality = 80 }, cancellationToken).ConfigureAwait(false);
        var thumbnail = output.ToArray();
        cache.Set(name, thumbnail, new MemoryCacheEntryOptions { Size = thumbnail.Length });
        return thumbnail;
    }

    /// <inheritdoc/>
    public void Dispose() => cache.Dispose();
}
