using System.Security.Cryptography;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Review;

/// <summary>
/// Publishes a render's full-resolution output to a destination URI (a path, <c>data://</c>, S3, Dropbox): exactly the
/// bytes the render wrote (checked by SHA-256), never replacing something else that is there.
/// </summary>
public sealed class OutputPublisher(Connectors connectors, ScratchSpace scratch, TimeProvider time)
{
    /// <summary>
    /// Where <paramref name="publishTo"/> puts the output of <paramref name="plan"/>: the URI itself, or inside it (with the
    /// output's file name) when it ends with '/'.
    /// </summary>
    public static string DestinationOf(RenderPlan plan, string publishTo)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentException.ThrowIfNullOrEmpty(publishTo);
        if (!publishTo.EndsWith('/'))
        {
            return publishTo;
        }

        var output = plan.Output.TrimEnd('/');
        return publishTo + output[(Math.Max(output.LastIndexOf('/'), output.LastIndexOf('\\')) + 1)..];
    }

    /// <summary>Copies the output to the destination; a destination that already holds exactly it is left as it is.</summary>
    public async Task<ReviewPublication> PublishAsync(RenderPlan plan, RenderResult result, string publishTo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(result);
        var destination = MediaLocation.Parse(DestinationOf(plan, publishTo));
        var work = scratch.Create($"publish-{plan.RenderId}");
        try
        {
            var copy = Path.Combine(work.FullName, "output");
            var sha256 = await FetchAsync(MediaLocation.Parse(plan.Output), copy, cancellationToken).ConfigureAwait(false);
            if (sha256 is null || sha256 != result.OutputSha256)
            {
                throw new RotoscopeException($"the render's output {plan.Output} is {(sha256 is null ? "gone" : "no longer what the render wrote")}: render it again to publish it");
            }

            var there = await FetchAsync(destination, Path.Combine(work.FullName, "there"), cancellationToken).ConfigureAwait(false);
            if (there == sha256)
            {
                return new ReviewPublication(destination.Text, sha256, time.GetUtcNow()); // published before (a lost record)
            }

            if (there is not null)
            {
                throw new RotoscopeException($"{destination.Text} already holds something else; Rotoscope replaces nothing there (publish again with another --publish-to)");
            }

            if (destination is MediaLocation.LocalFile file)
            {
                var partial = Path.Combine(Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!).FullName, $".{Path.GetFileName(file.Path)}.{plan.RenderId}.partial");
                File.Copy(copy, partial, overwrite: true);
                DurableFile.Commit(partial, file.Path, overwrite: false);
            }
            else
            {
                var (store, key) = connectors.Resolve(destination, forWrite: true);
                var content = File.OpenRead(copy);
                await using (content.ConfigureAwait(false))
                {
                    await store.WriteAsync(key, content, cancellationToken).ConfigureAwait(false);
                }
            }

            return new ReviewPublication(destination.Text, sha256, time.GetUtcNow());
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // Copies what is at the location into a local file and returns its SHA-256, or null when nothing is there.
    private async Task<string?> FetchAsync(MediaLocation location, string localPath, CancellationToken cancellationToken)
    {
        Stream source;
        if (location is MediaLocation.LocalFile file)
        {
            if (!File.Exists(file.Path))
            {
                return null;
            }

            source = File.OpenRead(file.Path);
        }
        else
        {
            var (store, key) = connectors.Resolve(location, forWrite: false);
            try
            {
                source = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (BlobNotFoundException)
            {
                return null;
            }
        }

        await using (source.ConfigureAwait(false))
        {
            var target = File.Create(localPath);
            await using (target.ConfigureAwait(false))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                return Convert.ToHexStringLower(hash.GetHashAndReset());
            }
        }
    }
}
