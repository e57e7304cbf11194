using System.Buffers;
using System.Globalization;
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
            if (existing.Damage is not null && !plan.AllowDamaged)
            {
                throw DamagedInput(plan, existing.Damage);
            }

            return existing;
        }

        tracker.Enter(RenderStage.Splitting, plan.ExpectedFrames, isEstimate: true);
        var work = scratch.Create($"split-{plan.SplitKey}");
        try
        {
            var audioPath = plan.Source.HasAudio ? Path.Combine(work.FullName, "audio.mka") : null;
            var frameBytes = plan.Width * plan.Height * 3;

            // ffmpeg decodes on its own threads; encoding and storing frames runs on a few consumers so neither waits.
            var queue = Channel.CreateBounded<(byte[] Rgb, long Number)>(new BoundedChannelOptions(8) { SingleWriter = true });
            using var prefix = new StoredPrefix(framesStored);
            var consumers = Enumerable.Range(0, InFlight(store.ParallelTransfers, frameBytes))
                .Select(_ => Task.Run(() => StoreFramesAsync(plan, queue, prefix, tracker, cancellationToken), cancellationToken))
                .ToArray();
            SplitOutcome outcome;
            try
            {
                outcome = await ffmpeg.SplitAsync(
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

            var frames = outcome.Frames;
            if (frames == 0)
            {
                throw new RotoscopeException($"no frames could be decoded from {plan.InputPath}");
            }

            var damage = Damage(plan, outcome);
            if (damage is not null && !plan.AllowDamaged)
            {
                throw DamagedInput(plan, damage);
            }

            if (audioPath is not null && File.Exists(audioPath))
            {
                await using var audio = File.OpenRead(audioPath);
                await store.WriteAsync(plan.Audio, audio, cancellationToken).ConfigureAwait(false);
            }

            // The manifest is the commit point: written last, its presence means the whole split is in the store.
            var manifest = new SplitManifest(frames, plan.Width, plan.Height, plan.Fps, plan.FrameFormat, audioPath is not null && File.Exists(audioPath), damage);
            await store.WriteJsonAsync(plan.SplitManifest, manifest, cancellationToken).ConfigureAwait(false);
            return manifest;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Frames worked on at once to keep <paramref name="transfers"/> busy, within 128 MiB of raw frames.</summary>
    internal static int InFlight(int transfers, long frameBytes) =>
        (int)Math.Clamp(128L * 1024 * 1024 / Math.Max(1, frameBytes), 1, Math.Max(1, transfers));

    // What is wrong with a split that decoded: the video ends well short of what the container declares (a truncated
    // file), or ffmpeg reported errors while decoding (damaged data; its fps filter fills the holes with repeats).
    private static string? Damage(RenderPlan plan, SplitOutcome outcome)
    {
        var decoded = outcome.Frames / plan.Fps.ToDouble();
        var declared = plan.Source.DeclaredVideoDuration.TotalSeconds;
        if (declared - decoded > Math.Max(0.5, declared * 0.05))
        {
            return string.Create(CultureInfo.InvariantCulture, $"ends at {decoded:0.00} s of {declared:0.00} s");
        }

        return outcome.DecodeError is { } error ? $"does not decode cleanly ({error})" : null;
    }

    private static RotoscopeException DamagedInput(RenderPlan plan, string damage) =>
        new($"{plan.InputPath} {damage}: the file is truncated or damaged (--allow-damaged renders what decodes)");

    // A split made for this key is reused only when it matches the plan (another ffmpeg could rotate or size
    // differently) and is whole: a crash or a full disk under an older version could leave empty frames. Otherwise
    // the split runs again.
    private async Task<SplitManifest?> ReadReusableManifestAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        try
        {
            var manifest = await store.TryReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false);
            if (manifest is null || manifest.Frames <= 0 || manifest.Width != plan.Width || manifest.Height != plan.Height
                || manifest.Fps != plan.Fps || manifest.Format != plan.FrameFormat)
            {
                return null;
            }

            // One listing of the split, not a request per frame: every frame there and not empty, and the audio too.
            var stored = new Dictionary<BlobKey, long>();
            await foreach (var entry in store.ListAsync(plan.FramesPrefix, cancellationToken).ConfigureAwait(false))
            {
                stored[entry.Key] = entry.Length;
            }

            for (long number = 1; number <= manifest.Frames; number++)
            {
                if (stored.GetValueOrDefault(plan.SplitFrame(number)) <= 0)
                {
                    return null;
                }
            }

            return manifest.HasAudio && !stored.ContainsKey(plan.Audio) ? null : manifest;
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
