using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Step 1: decodes the source once into numbered frames and its audio in the frame store.</summary>
public sealed class FrameSplitter(IBlobStore store, Ffmpeg ffmpeg, CodecPool codecs, ScratchSpace scratch)
{
    /// <summary>
    /// Splits the plan's input unless a complete split with the same key exists; returns its manifest. While splitting,
    /// <paramref name="framesStored"/> hears how many leading frames are stored, so their batches can start at once.
    /// </summary>
    public async Task<SplitManifest> SplitAsync(RenderPlan plan, RenderTracker tracker, Func<long, CancellationToken, Task> framesStored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(tracker);
        if (await ReadReusableManifestAsync(plan, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        tracker.Enter(RenderStage.Splitting, (long)Math.Round(plan.Source.Duration.TotalSeconds * plan.Fps.ToDouble()));
        var work = scratch.Create($"split-{plan.SplitKey}");
        try
        {
            var audioPath = plan.Source.HasAudio ? Path.Combine(work.FullName, "audio.mka") : null;
            var frameBytes = plan.Width * plan.Height * 3;

            // ffmpeg decodes on its own threads; encoding and storing frames runs on a few consumers so neither waits.
            var queue = Channel.CreateBounded<(byte[] Rgb, long Number)>(new BoundedChannelOptions(8) { SingleWriter = true });
            using var prefix = new StoredPrefix(framesStored);
            var consumers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount))
                .Select(_ => Task.Run(() => StoreFramesAsync(plan, queue, prefix, tracker, cancellationToken), cancellationToken))
                .ToArray();
            long frames;
            try
            {
                frames = await ffmpeg.SplitAsync(
                    plan.InputPath, plan.Source, plan.Fps, audioPath,
                    async (rgb, index, ct) =>
                    {
                        var copy = ArrayPool<byte>.Shared.Rent(frameBytes);
                        rgb.Span.CopyTo(copy);
                        try
                        {
                            await queue.Writer.WriteAsync((copy, index + 1), ct).ConfigureAwait(false);
                        }
                        catch
                        {
                            ArrayPool<byte>.Shared.Return(copy);
                            throw;
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                queue.Writer.TryComplete();
                try
                {
                    await Task.WhenAll(consumers).ConfigureAwait(false);
                }
                finally
                {
                    // Frames left behind by a cancelled or failed split go back to the pool.
                    while (queue.Reader.TryRead(out var left))
                    {
                        ArrayPool<byte>.Shared.Return(left.Rgb);
                    }
                }
            }

            if (frames == 0)
            {
                throw new RotoscopeException($"no frames could be decoded from {plan.InputPath}");
            }

            if (audioPath is not null && File.Exists(audioPath))
            {
                await using var audio = File.OpenRead(audioPath);
                await store.WriteAsync(plan.Audio, audio, cancellationToken).ConfigureAwait(false);
            }

            // The manifest is the commit point: written last, its presence means the whole split is in the store.
            var manifest = new SplitManifest(frames, plan.Width, plan.Height, plan.Fps, plan.FrameFormat, audioPath is not null && File.Exists(audioPath));
            await store.WriteJsonAsync(plan.SplitManifest, manifest, cancellationToken).ConfigureAwait(false);
            return manifest;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // A split made for this key is reused only when it matches the plan (another ffmpeg could rotate or size
    // differently) and is readable (a crash could have left it empty); otherwise the split runs again.
    private async Task<SplitManifest?> ReadReusableManifestAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        if (!await store.ExistsAsync(plan.SplitManifest, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            var manifest = await store.ReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false);
            return manifest.Frames > 0 && manifest.Width == plan.Width && manifest.Height == plan.Height
                && manifest.Fps == plan.Fps && manifest.Format == plan.FrameFormat
                ? manifest
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            return null;
        }
    }

    private async Task StoreFramesAsync(RenderPlan plan, Channel<(byte[] Rgb, long Number)> frames, StoredPrefix prefix, RenderTracker tracker, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (rgb, number) in frames.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var encoded = codecs.Encode(rgb.AsSpan(0, plan.Width * plan.Height * 3), plan.Width, plan.Height, plan.FrameFormat);
                    await store.WriteAllBytesAsync(plan.SplitFrame(number), encoded, cancellationToken).ConfigureAwait(false);
                    tracker.Advance(RenderStage.Splitting, 1);
                    await prefix.StoredAsync(number, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rgb);
                }
            }
        }
        catch (Exception e)
        {
            // Closing the channel with the error stops ffmpeg's reader instead of leaving it blocked on a full queue.
            frames.Writer.TryComplete(e);
            throw;
        }
    }

    /// <summary>Turns out-of-order "frame N stored" events into "frames 1..N are all stored", reported in order.</summary>
    private sealed class StoredPrefix(Func<long, CancellationToken, Task> report) : IDisposable
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private readonly HashSet<long> ahead = [];
        private long contiguous;

        public async Task StoredAsync(long number, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ahead.Add(number);
                var before = contiguous;
                while (ahead.Remove(contiguous + 1))
                {
                    contiguous++;
                }

                if (contiguous > before)
                {
                    await report(contiguous, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                gate.Release();
            }
        }

        public void Dispose() => gate.Dispose();
    }
}
