using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Step 2: runs one batch of split frames through the style chain into the styled-frame store.</summary>
/// <remarks>
/// At-least-once safe: a styled frame is written atomically, frames already styled are skipped, and the batch marker is
/// written only after every frame of the batch exists, so a re-run after a crash redoes only what is missing.
/// </remarks>
public sealed class BatchStylizer(IBlobStore store, StyleRunner runner, CodecPool codecs)
{
    // What a second pair of buffers may cost on the CPU: 1080p frames one at a time (2 x 25 MB) overlap, 4K do not.
    private const long SecondPairLimit = 64L << 20;

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
    // likes) and styled frames are written behind it, so a network store's round trips overlap inference. The JPEG work
    // overlaps it too: while one chunk of frames is in the model, the next is decoded into a second pair of buffers and
    // the previous one encoded from it, so a GPU does not wait for the CPU between chunks.
    private async Task StylizeFramesAsync(RenderPlan plan, List<long> frames, FrameBatch batch, long[] sizes, RenderTracker tracker, CancellationToken cancellationToken)
    {
        var (width, height) = (plan.Width, plan.Height);
        var (paddedWidth, paddedHeight) = (plan.ModelWidth, plan.ModelHeight);
        var slot = 3 * paddedWidth * paddedHeight;
        var perCall = StyleRunner.FramesPerCall(runner.Device, paddedWidth, paddedHeight, frames.Count);
        var chunks = frames.Chunk(perCall).ToArray();
        var values = perCall * slot;
        var pairs = new (IMemoryOwner<float> Input, IMemoryOwner<float> Output)[Math.Min(PairsOfBuffers(values), chunks.Length)];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        var ahead = Math.Max(1, store.ParallelTransfers);
        var fetches = new Task<byte[]>?[frames.Count];
        var decodes = new Task?[chunks.Length];
        var encodes = new Task?[pairs.Length];
        var writes = new ConcurrentQueue<Task>();
        try
        {
            for (var p = 0; p < pairs.Length; p++)
            {
                pairs[p] = (runner.RentFrames(values), runner.RentFrames(values));
            }

            for (var k = 0; k < chunks.Length; k++)
            {
                // A pair's input is free again once its last chunk has been through the model, its output once that
                // chunk is encoded.
                for (var next = k; next < Math.Min(chunks.Length, k + pairs.Length); next++)
                {
                    decodes[next] ??= DecodeAsync(next);
                }

                var (input, output) = (pairs[k % pairs.Length].Input.Memory[..values], pairs[k % pairs.Length].Output.Memory[..values]);
                await decodes[k]!.ConfigureAwait(false);
                if (encodes[k % pairs.Length] is { } encoding)
                {
                    await encoding.ConfigureAwait(false);
                }

                // Writes behind the model stay bounded too.
                while (writes.Where(w => !w.IsCompleted).ToList() is { Count: var pending } unfinished && pending > ahead)
                {
                    await Task.WhenAny(unfinished).ConfigureAwait(false);
                }

                var chunk = chunks[k];
                tracker.AddInferenceTime(await runner.RunAsync(plan.Chain, input, output, chunk.Length, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false));
                encodes[k % pairs.Length] = Task.Run(() =>
                {
                    EncodeAndWrite(chunk, output);
                    tracker.Advance(RenderStage.Stylizing, chunk.Length);
                }, cancellationToken);
            }

            await Task.WhenAll(encodes.OfType<Task>()).ConfigureAwait(false);
            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        finally
        {
            // Nothing of this batch reads or writes after it returns, even when it fails (and then with that failure).
            await Task.WhenAll(decodes.OfType<Task>().Concat(encodes.OfType<Task>())).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Task.WhenAll(writes.Concat(fetches.OfType<Task>())).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var (input, output) in pairs)
            {
                input?.Dispose();
                output?.Dispose();
            }
        }

        // Starts fetching this chunk's frames and as many after them as the store takes at once, then decodes the chunk.
        Task DecodeAsync(int k)
        {
            var first = k * perCall;
            var chunk = chunks[k];
            for (var j = first; j < Math.Min(frames.Count, first + chunk.Length + ahead); j++)
            {
                fetches[j] ??= store.ReadAllBytesAsync(plan.SplitFrame(frames[j]), cancellationToken);
            }

            var input = pairs[k % pairs.Length].Input.Memory;
            return Parallel.ForEachAsync(Enumerable.Range(0, chunk.Length), parallel, async (i, ct) =>
            {
                var encoded = await fetches[first + i]!.ConfigureAwait(false);
                fetches[first + i] = null;
                using var image = await DecodeSplitFrameAsync(plan, chunk[i], encoded).ConfigureAwait(false);
                PixelLayout.HwcToPlanar(image.Pixels, width, height, input.Span.Slice(i * slot, slot), paddedWidth, paddedHeight);
            });
        }

        void EncodeAndWrite(long[] chunk, Memory<float> styled) => Parallel.For(0, chunk.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var rgb = ArrayPool<byte>.Shared.Rent(width * height * 3);
            try
            {
                PixelLayout.PlanarToHwc(styled.Span.Slice(i * slot, slot), paddedWidth, paddedHeight, rgb.AsSpan(0, width * height * 3), width, height);
                var encoded = codecs.Encode(rgb.AsSpan(0, width * height * 3), width, height, plan.FrameFormat);
                sizes[chunk[i] - batch.First] = encoded.Length;
                writes.Enqueue(store.WriteAllBytesAsync(plan.StyledFrame(chunk[i]), encoded, cancellationToken));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rgb);
            }
        });
    }

    // Two pairs of buffers let the frame work overlap the model; one pair makes them take turns. On a GPU it is always
    // two; on the CPU (the model takes every core, and concurrent batch jobs overlap each other anyway) only while the
    // second pair is small, so 4K frames keep their memory bound.
    private int PairsOfBuffers(int values) =>
        runner.Device == InferenceDevice.Cuda || (long)values * sizeof(float) * 2 <= SecondPairLimit ? 2 : 1;

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
