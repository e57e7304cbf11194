using Rotoscope.Core.Imaging;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Step 3: encodes the styled frames at the exact plan fps and geometry, muxes the original audio, commits the output.</summary>
public sealed class VideoAssembler(IBlobStore store, Ffmpeg ffmpeg, CodecPool codecs, ScratchSpace scratch, Connectors connectors)
{
    // Frames decoded ahead of ffmpeg in parallel (at least); ffmpeg's encoder runs meanwhile on its own threads.
    private const int DecodeWindow = 8;

    /// <summary>
    /// Writes the output video and returns its SHA-256; the output path holds either the complete video or nothing new.
    /// </summary>
    public async Task<string> AssembleAsync(RenderPlan plan, SplitManifest manifest, RenderTracker tracker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(tracker);
        tracker.Enter(RenderStage.Assembling, manifest.Frames);
        var work = scratch.Create($"assemble-{plan.RenderId}");
        var output = MediaLocation.Parse(plan.Output);

        // Encode to a temporary name and move it into place only when complete: no half-written output, ever.
        var partial = output is MediaLocation.LocalFile file
            ? Path.Combine(Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!).FullName, $".{Path.GetFileName(file.Path)}.{plan.RenderId}.partial")
            : Path.Combine(work.FullName, "output.partial");
        try
        {
            string? audioPath = null;
            if (manifest.HasAudio)
            {
                audioPath = Path.Combine(work.FullName, "audio.mka");
                await using var audio = await store.OpenReadAsync(plan.Audio, cancellationToken).ConfigureAwait(false);
                await using var local = File.Create(audioPath);
                await audio.CopyToAsync(local, cancellationToken).ConfigureAwait(false);
            }

            var source = plan.Source;
            var spec = new AssembleSpec(
                partial, plan.Width, plan.Height, plan.Fps, audioPath, source.AudioStreams, plan.Container, source.SampleAspectRatio,
                source.Colorimetry, source.VideoOffset, source.AudioOffset, Environment.ProcessorCount);

            // Progress is what the encoder has finished, not what it was handed: encoders buffer frames ahead.
            long framesEncoded = 0;
            await ffmpeg.AssembleAsync(
                spec,
                (stdin, ct) => WriteFramesAsync(plan, manifest.Frames, stdin, ct),
                frames => tracker.Advance(RenderStage.Assembling, frames - Interlocked.Exchange(ref framesEncoded, frames)),
                cancellationToken).ConfigureAwait(false);

            await using (var written = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite))
            {
                written.Flush(flushToDisk: true);
            }

            var sha256 = await DurableFile.Sha256Async(partial, cancellationToken).ConfigureAwait(false);
            switch (output)
            {
                case MediaLocation.LocalFile target:
                    DurableFile.Commit(partial, target.Path);
                    break;
                default:
                    // data:// or a connector: the store's write is atomic (a rename, a PUT, a completed multipart upload).
                    var (holder, key) = connectors.Resolve(output, forWrite: true);
                    await using (var encoded = File.OpenRead(partial))
                    {
                        await holder.WriteAsync(key, encoded, cancellationToken).ConfigureAwait(false);
                    }

                    break;
            }

            return sha256;
        }
        finally
        {
            File.Delete(partial);
            work.Delete(recursive: true);
        }
    }

    private async Task WriteFramesAsync(RenderPlan plan, long frames, Stream stdin, CancellationToken cancellationToken)
    {
        // A network store needs more reads in flight than the cores; the window stays within the same memory budget.
        var size = Math.Max(DecodeWindow, FrameSplitter.InFlight(store.ParallelTransfers, 3L * plan.Width * plan.Height));
        var window = new RgbImage[size];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = store.ParallelTransfers, CancellationToken = cancellationToken };
        for (long first = 1; first <= frames; first += size)
        {
            var count = (int)Math.Min(size, frames - first + 1);
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, async (i, ct) =>
                {
                    window[i] = await ReadStyledFrameAsync(plan, first + i, frames, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);

                for (var i = 0; i < count; i++)
                {
                    await stdin.WriteAsync(window[i].Memory, cancellationToken).ConfigureAwait(false);
                }

            }
            finally
            {
                for (var i = 0; i < count; i++)
                {
                    window[i]?.Dispose();
                    window[i] = null!;
                }
            }
        }
    }

    // A styled frame that does not decode (damaged on disk since it was written) goes, with its batch marker, so the
    // next run styles it again.
    private async Task<RgbImage> ReadStyledFrameAsync(RenderPlan plan, long number, long frames, CancellationToken cancellationToken)
    {
        var key = plan.StyledFrame(number);
        var encoded = await store.ReadAllBytesAsync(key, cancellationToken).ConfigureAwait(false);
        try
        {
            return codecs.Decode(encoded);
        }
        catch (ImageCodecException e)
        {
            var batch = plan.Batches(frames)[(int)((number - 1) / plan.BatchSize)];
            await store.DeleteAsync(plan.BatchMarkerKey(batch), CancellationToken.None).ConfigureAwait(false);
            await store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            throw new RotoscopeException($"styled frame data://{key} is damaged ({e.Message}); it was removed: run the same command again to style it again", e);
        }
    }
}
