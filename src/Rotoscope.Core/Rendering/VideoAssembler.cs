using Rotoscope.Core.Imaging;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Step 3: encodes the styled frames at the exact plan fps and geometry, muxes the original audio, commits the output.</summary>
public sealed class VideoAssembler(IBlobStore store, Ffmpeg ffmpeg, CodecPool codecs, ScratchSpace scratch)
{
    // Frames decoded ahead of ffmpeg in parallel; ffmpeg's encoder runs meanwhile on its own threads.
    private const int DecodeWindow = 8;

    /// <summary>Writes the output video; the output path holds either the complete video or nothing new.</summary>
    public async Task AssembleAsync(RenderPlan plan, SplitManifest manifest, RenderTracker tracker, CancellationToken cancellationToken)
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

            var spec = new AssembleSpec(partial, plan.Width, plan.Height, plan.Fps, audioPath, plan.Source.AudioStreams, plan.Container, plan.Source.SampleAspectRatio);
            await ffmpeg.AssembleAsync(spec, (stdin, ct) => WriteFramesAsync(plan, manifest.Frames, stdin, tracker, ct), cancellationToken).ConfigureAwait(false);

            switch (output)
            {
                case MediaLocation.LocalFile target:
                    File.Move(partial, target.Path, overwrite: true);
                    break;
                case MediaLocation.StoreObject blob:
                    await using (var encoded = File.OpenRead(partial))
                    {
                        await store.WriteAsync(blob.Key, encoded, cancellationToken).ConfigureAwait(false);
                    }

                    break;
            }
        }
        finally
        {
            File.Delete(partial);
            work.Delete(recursive: true);
        }
    }

    private async Task WriteFramesAsync(RenderPlan plan, long frames, Stream stdin, RenderTracker tracker, CancellationToken cancellationToken)
    {
        var window = new RgbImage[DecodeWindow];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        for (long first = 1; first <= frames; first += DecodeWindow)
        {
            var count = (int)Math.Min(DecodeWindow, frames - first + 1);
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, async (i, ct) =>
                {
                    var encoded = await store.ReadAllBytesAsync(plan.StyledFrame(first + i), ct).ConfigureAwait(false);
                    window[i] = codecs.Decode(encoded);
                }).ConfigureAwait(false);

                for (var i = 0; i < count; i++)
                {
                    await stdin.WriteAsync(window[i].Memory, cancellationToken).ConfigureAwait(false);
                }

                tracker.Advance(RenderStage.Assembling, count);
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
}
