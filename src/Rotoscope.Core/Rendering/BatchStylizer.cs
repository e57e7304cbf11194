using System.Buffers;
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
        // The marker is only a shortcut: the batch's last frame must still be there (styled frames may be pruned).
        if (await store.ExistsAsync(plan.BatchMarker(batch), cancellationToken).ConfigureAwait(false)
            && await store.ExistsAsync(plan.StyledFrame(batch.Last), cancellationToken).ConfigureAwait(false))
        {
            tracker.Advance(RenderStage.Stylizing, batch.Count, wereReused: true);
            return;
        }

        var missing = new List<long>(batch.Count);
        for (var number = batch.First; number <= batch.Last; number++)
        {
            if (!await store.ExistsAsync(plan.StyledFrame(number), cancellationToken).ConfigureAwait(false))
            {
                missing.Add(number);
            }
        }

        tracker.Advance(RenderStage.Stylizing, batch.Count - missing.Count, wereReused: true);
        if (missing.Count > 0)
        {
            await StylizeFramesAsync(plan, missing, tracker, cancellationToken).ConfigureAwait(false);
        }

        await store.WriteAllBytesAsync(plan.BatchMarker(batch), ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
    }

    private async Task StylizeFramesAsync(RenderPlan plan, List<long> frames, RenderTracker tracker, CancellationToken cancellationToken)
    {
        var chain = plan.Chain;
        var (width, height) = (plan.Width, plan.Height);
        var (paddedWidth, paddedHeight) = (plan.ModelWidth, plan.ModelHeight);
        var slot = 3 * paddedWidth * paddedHeight;
        var perCall = runner.FramesPerCall(paddedWidth, paddedHeight, frames.Count);
        var buffer = ArrayPool<float>.Shared.Rent(perCall * slot);
        var scratch = ArrayPool<float>.Shared.Rent(perCall * slot);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        try
        {
            foreach (var chunk in frames.Chunk(perCall))
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, chunk.Length), parallel, async (i, ct) =>
                {
                    var encoded = await store.ReadAllBytesAsync(plan.SplitFrame(chunk[i]), ct).ConfigureAwait(false);
                    using var image = codecs.Decode(encoded);
                    if (image.Width != width || image.Height != height)
                    {
                        throw new InvalidDataException($"split frame {chunk[i]} is {image.Width}x{image.Height}, the plan says {width}x{height}");
                    }

                    PixelLayout.HwcToPlanar(image.Pixels, width, height, buffer.AsSpan(i * slot, slot), paddedWidth, paddedHeight);
                }).ConfigureAwait(false);

                var (styled, inference) = await runner.RunAsync(chain, buffer, scratch, chunk.Length, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false);
                tracker.AddInferenceTime(inference);

                await Parallel.ForEachAsync(Enumerable.Range(0, chunk.Length), parallel, async (i, ct) =>
                {
                    var rgb = ArrayPool<byte>.Shared.Rent(width * height * 3);
                    try
                    {
                        PixelLayout.PlanarToHwc(styled.AsSpan(i * slot, slot), paddedWidth, paddedHeight, rgb.AsSpan(0, width * height * 3), width, height);
                        var encoded = codecs.Encode(rgb.AsSpan(0, width * height * 3), width, height, plan.FrameFormat);
                        await store.WriteAllBytesAsync(plan.StyledFrame(chunk[i]), encoded, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rgb);
                    }
                }).ConfigureAwait(false);

                tracker.Advance(RenderStage.Stylizing, chunk.Length);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
