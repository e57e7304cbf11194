using System.Buffers;
using System.Text.Json;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Step 2: runs one batch of split frames through the style chain into the styled-frame store.</summary>
/// <remarks>
/// At-least-once safe: a styled frame is written atomically, frames already styled are skipped, and the batch marker is
/// written only after every frame of the batch exists, so a re-run after a crash redoes only what is missing.
/// </remarks>
public sealed class BatchStylizer(IBlobStore store, StyleRunner runner, CodecPool codecs)
{
    /// <summary>Styles the frames of <paramref name="batch"/> that are not styled yet.</summary>
    public async Task StylizeAsync(RenderPlan plan, FrameBatch batch, RenderTracker tracker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(tracker);

        // A frame counts as styled when it has the size its batch marker recorded, or, without a marker, any size but
        // zero: a marker is never trusted blindly (frames may be pruned or damaged since).
        var marker = await ReadMarkerAsync(plan, batch, cancellationToken).ConfigureAwait(false);
        var sizes = new long[batch.Count];
        var found = new long?[batch.Count];
        var transfers = new ParallelOptions { MaxDegreeOfParallelism = store.ParallelTransfers, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), transfers, async (i, ct) =>
            found[i] = await store.LengthAsync(plan.StyledFrame(batch.First + i), ct).ConfigureAwait(false)).ConfigureAwait(false);
        var missing = new List<long>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var expected = marker?.FrameSizes[i];
            if (found[i] is not > 0 || (expected is not null && found[i] != expected))
            {
                missing.Add(batch.First + i);
            }
            else
            {
                sizes[i] = found[i]!.Value;
            }
        }

        tracker.Advance(RenderStage.Stylizing, batch.Count - missing.Count, wereReused: true);
        if (missing.Count == 0 && marker is not null)
        {
            return;
        }

        if (missing.Count > 0)
        {
            await StylizeFramesAsync(plan, missing, batch, sizes, tracker, cancellationToken).ConfigureAwait(false);
        }

        await store.WriteJsonAsync(plan.BatchMarkerKey(batch), new BatchMarker(batch.First, batch.Last, sizes), cancellationToken).ConfigureAwait(false);
    }

    private async Task<BatchMarker?> ReadMarkerAsync(RenderPlan plan, FrameBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            var marker = await store.TryReadJsonAsync<BatchMarker>(plan.BatchMarkerKey(batch), cancellationToken).ConfigureAwait(false);
            return marker is not null && marker.First == batch.First && marker.Last == batch.Last && marker.FrameSizes.Count == batch.Count ? marker : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            return null; // A damaged marker: recheck the frames themselves.
        }
    }

    // Encoded frames are small: the batch's split frames are fetched ahead of the model (as many at once as the store
    // likes) and styled frames are written behind it, so a network store's round trips overlap inference.
    private async Task StylizeFramesAsync(RenderPlan plan, List<long> frames, FrameBatch batch, long[] sizes, RenderTracker tracker, CancellationToken cancellationToken)
    {
        var chain = plan.Chain;
        var (width, height) = (plan.Width, plan.Height);
        var (paddedWidth, paddedHeight) = (plan.ModelWidth, plan.ModelHeight);
        var slot = 3 * paddedWidth * paddedHeight;
        var perCall = runner.FramesPerCall(paddedWidth, paddedHeight, frames.Count);
        var buffer = ArrayPool<float>.Shared.Rent(perCall * slot);
        var scratch = ArrayPool<float>.Shared.Rent(perCall * slot);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        var ahead = Math.Max(1, store.ParallelTransfers);
        var fetches = new Task<byte[]>?[frames.Count];
        var writes = new List<Task>();
        try
        {
            var next = 0;
            foreach (var chunk in frames.Chunk(perCall))
            {
                for (var j = next; j < Math.Min(frames.Count, next + chunk.Length + ahead); j++)
                {
                    fetches[j] ??= store.ReadAllBytesAsync(plan.SplitFrame(frames[j]), cancellationToken);
                }

                var first = next;
                await Parallel.ForEachAsync(Enumerable.Range(0, chunk.Length), parallel, async (i, ct) =>
                {
                    var encoded = await fetches[first + i]!.ConfigureAwait(false);
                    fetches[first + i] = null;
                    using var image = await DecodeSplitFrameAsync(plan, chunk[i], encoded).ConfigureAwait(false);
                    PixelLayout.HwcToPlanar(image.Pixels, width, height, buffer.AsSpan(i * slot, slot), paddedWidth, paddedHeight);
                }).ConfigureAwait(false);

                var (styled, inference) = await runner.RunAsync(chain, buffer, scratch, chunk.Length, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false);
                tracker.AddInferenceTime(inference);

                var written = new Task?[chunk.Length];
                try
                {
                    EncodeAndWrite();
                }
                finally
                {
                    writes.AddRange(written.OfType<Task>()); // awaited below, or in finally if this batch fails
                }

                void EncodeAndWrite() => Parallel.For(0, chunk.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                {
                    var rgb = ArrayPool<byte>.Shared.Rent(width * height * 3);
                    try
                    {
                        PixelLayout.PlanarToHwc(styled.AsSpan(i * slot, slot), paddedWidth, paddedHeight, rgb.AsSpan(0, width * height * 3), width, height);
                        var encoded = codecs.Encode(rgb.AsSpan(0, width * height * 3), width, height, plan.FrameFormat);
                        sizes[chunk[i] - batch.First] = encoded.Length;
                        written[i] = store.WriteAllBytesAsync(plan.StyledFrame(chunk[i]), encoded, cancellationToken);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rgb);
                    }
                });

                // Writes behind the model stay bounded too.
                while (writes.Count(w => !w.IsCompleted) > ahead)
                {
                    await Task.WhenAny(writes.Where(w => !w.IsCompleted)).ConfigureAwait(false);
                }

                next += chunk.Length;
                tracker.Advance(RenderStage.Stylizing, chunk.Length);
            }

            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        finally
        {
            // Nothing of this batch reads or writes after it returns, even when it fails (and then with that failure).
            await Task.WhenAll(writes.Concat(fetches.OfType<Task>())).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // A split frame that does not decode (damaged on disk since the split) cannot be redone alone: it and the split
    // manifest go, so the next run splits again.
    private async Task<RgbImage> DecodeSplitFrameAsync(RenderPlan plan, long number, byte[] encoded)
    {
        var key = plan.SplitFrame(number);
        RgbImage image;
        try
        {
            image = codecs.Decode(encoded);
        }
        catch (ImageCodecException e)
        {
            await store.DeleteAsync(plan.SplitManifest, CancellationToken.None).ConfigureAwait(false);
            await store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            throw new RotoscopeException($"split frame data://{key} is damaged ({e.Message}); it was removed: run the same command again to split again", e);
        }

        if (image.Width != plan.Width || image.Height != plan.Height)
        {
            image.Dispose();
            throw new InvalidDataException($"split frame {number} is {image.Width}x{image.Height}, the plan says {plan.Width}x{plan.Height}");
        }

        return image;
    }
}
