using System.Buffers;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Stills;

/// <summary>Styles one batch of images: reads each, runs the chain, writes it in its own format under the same name.</summary>
/// <remarks>
/// At-least-once safe: outputs are written atomically (the store's own write), and the batch result is written last,
/// so a batch run again after a crash (no result yet) redoes its images and one that has a result does nothing. An image
/// that cannot be read or decoded is recorded with its reason and the batch goes on; anything else (the model, the
/// store) fails the batch job.
/// </remarks>
public sealed class StillStylizer(IBlobStore store, StillStores stores, StyleRunner runner, CodecPool codecs)
{
    /// <summary>The smallest side styled: below it a style network's padding is larger than the image.</summary>
    public const int MinimumSide = 16;

    /// <summary>Styles <paramref name="batch"/> unless it has a result already; returns its result.</summary>
    public async Task<StillBatchResult> StylizeAsync(StillPlan plan, StillBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(batch);
        var resultKey = StillPlan.ResultKeyOf(plan.JobId, batch.BatchId);
        if (await store.TryReadJsonAsync<StillBatchResult>(resultKey, cancellationToken).ConfigureAwait(false) is { } done)
        {
            return done;
        }

        runner.Prepare(plan.Chain);
        var (inputs, inputFolder) = stores.Resolve(plan.InputRoot, forWrite: false);
        var (outputs, outputFolder) = stores.Resolve(plan.OutputRoot, forWrite: true);
        var outcomes = new List<StillOutcome>(batch.Images.Count);

        // One image at a time (a photo's float buffers can take hundreds of MB); the next one is read while this one is
        // styled, and another batch job's decoding overlaps this one's inference.
        var next = ReadAsync(inputs, inputFolder, batch.Images[0].Name, cancellationToken);
        for (var i = 0; i < batch.Images.Count; i++)
        {
            var image = batch.Images[i];
            var encoded = await next.ConfigureAwait(false);
            next = i + 1 < batch.Images.Count ? ReadAsync(inputs, inputFolder, batch.Images[i + 1].Name, cancellationToken) : Task.FromResult<byte[]?>(null);
            if (encoded is null)
            {
                outcomes.Add(new StillOutcome(image.Name, image.InputVersion, null, "it is gone (moved or deleted since it was listed)"));
                continue;
            }

            var styled = await StyleAsync(plan, encoded, cancellationToken).ConfigureAwait(false);
            if (styled.Error is { } error)
            {
                outcomes.Add(new StillOutcome(image.Name, image.InputVersion, null, error));
                continue;
            }

            await outputs.WriteAllBytesAsync(StillStores.KeyOf(outputFolder, image.Name), styled.Encoded!, cancellationToken).ConfigureAwait(false);
            outcomes.Add(new StillOutcome(image.Name, image.InputVersion, styled.Encoded!.Length));
        }

        var result = new StillBatchResult(batch.BatchId, outcomes);
        await store.WriteJsonAsync(resultKey, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async Task<byte[]?> ReadAsync(IBlobStore inputs, BlobKey? folder, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await inputs.ReadAllBytesAsync(StillStores.KeyOf(folder, name), cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }

    // Decoded, padded to the models' multiple of 4, styled, cropped back, encoded as it came (JPEG or PNG).
    private async Task<(byte[]? Encoded, string? Error)> StyleAsync(StillPlan plan, byte[] encoded, CancellationToken cancellationToken)
    {
        var format = ImageCodec.Detect(encoded);
        RgbImage image;
        byte[]? alpha;
        try
        {
            image = codecs.Decode(encoded, out alpha);
        }
        catch (ImageCodecException e)
        {
            return (null, encoded.Length == 0 ? "it is empty (0 bytes)" : format is null ? "its content is neither JPEG nor PNG" : e.Message);
        }

        // A phone photo stored sideways comes out upright: the output carries no EXIF to say "turn me".
        if (format == ImageFormat.Jpeg && ExifOrientation.Upright(image, ExifOrientation.Read(encoded)) is var upright && upright != image)
        {
            image.Dispose();
            image = upright;
        }

        using (image)
        {
            var (width, height) = (image.Width, image.Height);
            if (width < MinimumSide || height < MinimumSide)
            {
                return (null, $"too small to style ({width}x{height}; at least {MinimumSide}x{MinimumSide})");
            }

            var pixels = await runner.StyleImageAsync(plan.Chain, image.Memory, width, height, cancellationToken).ConfigureAwait(false);

            // A PNG's transparency is not styled: it goes back as it came, around the styled colours.
            return (alpha is not null
                ? ImageCodec.EncodePng(pixels, alpha, width, height)
                : codecs.Encode(pixels, width, height, format!.Value, plan.JpegQuality), null);
        }
    }
}
