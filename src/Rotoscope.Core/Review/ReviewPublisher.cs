using System.Globalization;
using System.Text;
using System.Text.Json;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Review;

/// <summary>
/// Publishes a finished render for review: one folder per render under a Dropbox review root with a small review copy
/// (made from the styled frames and the audio in the frame store; no model runs), a contact sheet, a README.txt for
/// the reviewer and a small rotoscope.json; Approved/ and Rejected/ beside it; a shared link; the record in the store.
/// Publishing again updates the same folder, wherever the reviewer has put it. Nothing is ever deleted from Dropbox.
/// </summary>
public sealed class ReviewPublisher(IBlobStore store, Connectors connectors, Ffmpeg ffmpeg, ScratchSpace scratch, TimeProvider time)
{
    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>
    /// Publishes render <paramref name="renderId"/> for review under <paramref name="rootUri"/>; an approval will publish
    /// its output to <paramref name="publishTo"/> (null: keep what an earlier publish said).
    /// </summary>
    public async Task<ReviewRecord> PublishAsync(string renderId, string rootUri, string? publishTo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(renderId);
        var plan = (BlobKey.TryParse($"renders/{renderId}", out _, out _)
                ? await store.TryReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false)
                : null)
            ?? throw new RotoscopeException($"no render '{renderId}' in {store.Description}");
        var result = await store.TryReadJsonAsync<RenderResult>(plan.ResultKey, cancellationToken).ConfigureAwait(false)
            ?? throw new RotoscopeException($"render {renderId} has not finished (see: rotoscope status {renderId}); only a finished render can be reviewed");
        var manifest = await store.ReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false);
        if (publishTo is not null)
        {
            _ = MediaLocation.Parse(OutputPublisher.DestinationOf(plan, publishTo)); // a bad URI fails before any work
        }

        var root = ReviewRoot.Resolve(connectors, rootUri, forWrite: true);
        var existing = await ReviewRecord.ReadAsync(store, renderId, cancellationToken).ConfigureAwait(false);
        var sameRoot = existing is not null && ReviewRoot.Identity(existing.Root) == ReviewRoot.Identity(root.Uri);
        var rendered = (await store.StatAsync(plan.ResultKey, cancellationToken).ConfigureAwait(false))?.Modified ?? time.GetUtcNow();

        // The root and its two decision folders (create_folder leaves existing ones alone).
        foreach (var path in new[] { root.Path, root.PathOf(ReviewRoot.ApprovedName), root.PathOf(ReviewRoot.RejectedName) }.Where(p => p.Length > 0))
        {
            await root.Client.CreateFolderAsync(path, cancellationToken).ConfigureAwait(false);
        }

        var (folder, kept) = await FindOrCreateFolderAsync(root, sameRoot ? existing : null, plan, rendered, cancellationToken).ConfigureAwait(false);
        var work = scratch.Create($"review-{renderId}");
        try
        {
            var copy = Path.Combine(work.FullName, "copy.mp4");
            await MakeCopyAsync(plan, manifest, work, copy, cancellationToken).ConfigureAwait(false);
            var sheet = await MakeContactSheetAsync(plan, manifest, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var effectivePublishTo = publishTo ?? existing?.PublishTo;
            await UploadAsync(root, folder.PathDisplay + "/" + ReviewNames.Copy(plan), File.ReadAllBytes(copy), cancellationToken).ConfigureAwait(false);
            await UploadAsync(root, folder.PathDisplay + "/" + ReviewNames.ContactSheet, sheet, cancellationToken).ConfigureAwait(false);
            await UploadAsync(root, folder.PathDisplay + "/" + ReviewNames.Readme, Encoding.UTF8.GetBytes(Readme(plan, result, manifest, root)), cancellationToken).ConfigureAwait(false);
            var metadata = new { RenderId = renderId, Input = ReviewNames.InputStem(plan), Styles = plan.StylesDescription, result.Frames, result.Fps, result.Width, result.Height, result.Seconds, Rendered = rendered };
            await UploadAsync(root, folder.PathDisplay + "/" + ReviewNames.Metadata, JsonSerializer.SerializeToUtf8Bytes(metadata, MetadataJson), cancellationToken).ConfigureAwait(false);
            var link = await root.Client.ShareAsync(folder.PathDisplay, cancellationToken).ConfigureAwait(false);

            ReviewRecord record;
            if (existing is null || !kept)
            {
                var supersedes = existing is null ? await RejectedReviewOfSameInputAsync(plan, cancellationToken).ConfigureAwait(false) : existing.Supersedes;
                record = new ReviewRecord(
                    renderId, root.Uri, folder.Name, folder.Id, folder.PathDisplay, link, ReviewState.Pending, ReviewNames.InputStem(plan), plan.StylesDescription, plan.InputSha256,
                    existing?.PublishedAt ?? now, now, DecidedAt: null, Reason: null, effectivePublishTo, existing?.Publication, PublicationError: null, supersedes, NotesHash: null,
                    existing?.History ?? []);
                record = record.With(now, existing is null ? $"published for review in {folder.PathDisplay}" : $"published again for review in {folder.PathDisplay}");
            }
            else
            {
                record = (existing with { Folder = folder.PathDisplay, FolderId = folder.Id, Link = link, PublishTo = effectivePublishTo })
                    .With(now, $"review copy updated in {folder.PathDisplay}");
            }

            await record.WriteAsync(store, cancellationToken).ConfigureAwait(false);
            return record;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task UploadAsync(ReviewRoot root, string path, byte[] content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content, writable: false);
        await root.Client.UploadAsync(path, stream, cancellationToken).ConfigureAwait(false);
    }

    // The folder this review had (found by its id, wherever the reviewer moved or renamed it), or a new one whose name
    // is free in the root, in Approved/ and in Rejected/ (so that the reviewer's move cannot collide), or a folder of
    // that name that already belongs to this render (a record lost from the store).
    private static async Task<(DropboxEntry Folder, bool Kept)> FindOrCreateFolderAsync(ReviewRoot root, ReviewRecord? existing, RenderPlan plan, DateTimeOffset rendered, CancellationToken cancellationToken)
    {
        if (existing?.FolderId is { } id && await root.Client.GetMetadataAsync(id, cancellationToken).ConfigureAwait(false) is { Kind: DropboxEntryKind.Folder } found
            && root.StateAt(found.PathLower) != ReviewState.Missing)
        {
            return (found, true);
        }

        var name = ReviewNames.Folder(plan, rendered);
        for (var attempt = 1; ; attempt++)
        {
            var candidate = ReviewNames.Candidate(name, attempt);
            var here = await root.Client.GetMetadataAsync(root.PathOf(candidate), cancellationToken).ConfigureAwait(false);
            if (here is { Kind: DropboxEntryKind.Folder } && await BelongsToAsync(root, here.PathDisplay, plan.RenderId, cancellationToken).ConfigureAwait(false))
            {
                return (here, false);
            }

            if (here is not null
                || await root.Client.GetMetadataAsync(root.PathOf($"{ReviewRoot.ApprovedName}/{candidate}"), cancellationToken).ConfigureAwait(false) is not null
                || await root.Client.GetMetadataAsync(root.PathOf($"{ReviewRoot.RejectedName}/{candidate}"), cancellationToken).ConfigureAwait(false) is not null)
            {
                continue;
            }

            await root.Client.CreateFolderAsync(root.PathOf(candidate), cancellationToken).ConfigureAwait(false);
            var created = await root.Client.GetMetadataAsync(root.PathOf(candidate), cancellationToken).ConfigureAwait(false)
                ?? throw new RotoscopeException($"Dropbox did not keep the review folder {root.PathOf(candidate)}");
            return (created, false);
        }
    }

    private static async Task<bool> BelongsToAsync(ReviewRoot root, string folder, string renderId, CancellationToken cancellationToken)
    {
        try
        {
            using var download = await root.Client.DownloadAsync($"{folder}/{ReviewNames.Metadata}", 0, cancellationToken).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(download.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return document.RootElement.TryGetProperty("renderId", out var id) && id.GetString() == renderId;
        }
        catch (DropboxApiException)
        {
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<string?> RejectedReviewOfSameInputAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        ReviewRecord? latest = null;
        await foreach (var other in ReviewRecord.ListAsync(store, cancellationToken).ConfigureAwait(false))
        {
            if (other.RenderId != plan.RenderId && other.InputSha256 == plan.InputSha256 && other.State == ReviewState.Rejected
                && (latest is null || other.DecidedAt > latest.DecidedAt))
            {
                latest = other;
            }
        }

        return latest?.RenderId;
    }

    // The styled frames go to a scratch folder as they are stored, and ffmpeg reads them as numbered stills.
    private async Task MakeCopyAsync(RenderPlan plan, SplitManifest manifest, DirectoryInfo work, string output, CancellationToken cancellationToken)
    {
        var frames = Directory.CreateDirectory(Path.Combine(work.FullName, "frames")).FullName;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = store.ParallelTransfers, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(LongRange(1, manifest.Frames), parallel, async (number, ct) =>
        {
            var bytes = await ReadFrameAsync(plan.StyledFrame(number), "styled", ct).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Path.Combine(frames, string.Create(CultureInfo.InvariantCulture, $"{number:D6}.{plan.FrameExtension}")), bytes, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);

        string? audio = null;
        if (manifest.HasAudio)
        {
            audio = Path.Combine(work.FullName, "audio.mka");
            await File.WriteAllBytesAsync(audio, await store.ReadAllBytesAsync(plan.Audio, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }

        var (width, height) = ReviewCopySpec.SizeFor(plan.Width, plan.Height);
        var spec = new ReviewCopySpec(
            Path.Combine(frames, $"%06d.{plan.FrameExtension}"), plan.Fps, width, height, audio, output, plan.Source.VideoOffset, plan.Source.AudioOffset);
        await ffmpeg.EncodeReviewCopyAsync(spec, cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> MakeContactSheetAsync(RenderPlan plan, SplitManifest manifest, CancellationToken cancellationToken)
    {
        var layout = ContactSheetLayout.For(plan.Width, plan.Height, manifest.Frames);
        var pairs = new List<ContactSheet.Pair>();
        foreach (var number in ContactSheetLayout.FrameNumbers(manifest.Frames, layout.Pairs))
        {
            pairs.Add(new ContactSheet.Pair(
                await ReadFrameAsync(plan.SplitFrame(number), "source", cancellationToken).ConfigureAwait(false),
                await ReadFrameAsync(plan.StyledFrame(number), "styled", cancellationToken).ConfigureAwait(false),
                ContactSheetLayout.Timecode(number, plan.Fps),
                number));
        }

        var title = $"{ReviewNames.InputStem(plan)} - {ReviewNames.StyleTitle(plan)} | left: before, right: after";
        return ContactSheet.Render(layout, title, pairs);
    }

    private async Task<byte[]> ReadFrameAsync(BlobKey key, string kind, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadAllBytesAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            throw new RotoscopeException($"the {kind} frame {key} is no longer in {store.Description} (pruned?): render again, then publish for review");
        }
    }

    private static IEnumerable<long> LongRange(long first, long count)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return first + i;
        }
    }

    private static string Readme(RenderPlan plan, RenderResult result, SplitManifest manifest, ReviewRoot root)
    {
        var where = root.Path.Length == 0 ? "your Dropbox" : root.Path;
        return string.Create(CultureInfo.InvariantCulture, $"""
            Please review: {ReviewNames.InputStem(plan)}, in the style {ReviewNames.StyleTitle(plan)}
            ({result.Width}x{result.Height}, {result.Seconds:0.##} s, {manifest.Frames} frames at {result.Fps} fps{(result.HasAudio ? ", with sound" : "")}).

            In this folder:
              {ReviewNames.Copy(plan)}   a small copy of the styled video, with its sound
              {ReviewNames.ContactSheet}   frames from across the video: before (left) and after (right), with their times
              {ReviewNames.Metadata}   what Rotoscope needs to know which render this is (please leave it here)

            To decide, move this whole folder:
              into "{ReviewRoot.ApprovedName}" (in {where}) to approve it: the full-resolution video is then published;
              into "{ReviewRoot.RejectedName}" (in {where}) to reject it: nothing is published.
            If you want to say why, add a text file named "{ReviewNames.Notes}" to this folder (before or after moving it).

            Changed your mind? Move the folder back; moving it back beside Approved and Rejected makes it pending again.
            A video that was already published stays published.

            Rotoscope never deletes anything in Dropbox. You may rename this folder or add your own files; that changes nothing.
            Deleting the folder withdraws it from review (nothing is published).
            """);
    }
}
