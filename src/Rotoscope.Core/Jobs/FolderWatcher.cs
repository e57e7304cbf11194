using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Jobs;

/// <summary>What a watch renders: every video that appears in the folder <paramref name="Source"/>, in <paramref name="Style"/>, into the folder <paramref name="Output"/>.</summary>
/// <param name="Source">A folder: a path, <c>data://videos/</c>, <c>s3://bucket/prefix/</c>, <c>s3+label://prefix/</c>, <c>dropbox+label://folder/</c>.</param>
/// <param name="Output">Where outputs go, named as render names them (<c>NAME.STYLE.EXT</c>), in the input's sub-folder.</param>
public sealed record WatchDefinition(string Source, string Style, string Output)
{
    /// <summary>How long a file must look the same before it is rendered (see <see cref="FolderWatcher"/>).</summary>
    public static readonly TimeSpan DefaultSettle = TimeSpan.FromSeconds(2);

    /// <summary>Output frame rate; default: each source's.</summary>
    public Rational? Fps { get; init; }

    /// <summary>Frames per stylize job.</summary>
    public int BatchSize { get; init; } = RenderPlan.DefaultBatchSize;

    /// <summary>How frames are kept in the frame store.</summary>
    public ImageFormat FrameFormat { get; init; } = ImageFormat.Jpeg;

    /// <summary>Where the models run; on a fleet, which workers take the renders.</summary>
    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;

    /// <summary>Render what decodes of a damaged input instead of failing it.</summary>
    public bool AllowDamaged { get; init; }

    /// <summary>The time between the two looks that must agree before a file is rendered.</summary>
    public TimeSpan Settle { get; init; } = DefaultSettle;

    /// <summary>How much of the style reaches the outputs, and whether the originals' colours are kept.</summary>
    public StyleAdjustment Adjustment { get; init; } = StyleAdjustment.None;

    /// <summary>
    /// Derived from what is watched, the style (with its adjustment, unless none: earlier watches keep their ids) and
    /// where outputs go, so that registering the same watch again is the same watch (with its memory of what it rendered).
    /// </summary>
    [JsonIgnore]
    public string Id =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{FolderIdentity(Source)}|{Style}{(Adjustment.IsNone ? "" : $"~{Adjustment.Key}")}|{FolderIdentity(Output)}")))[..16];

    /// <summary>The request that renders <paramref name="input"/> into <paramref name="outputFolder"/>.</summary>
    public RenderRequest RequestFor(string input, string outputFolder, bool overwrite) => new(input, Style)
    {
        OutputFolder = outputFolder,
        Fps = Fps,
        BatchSize = BatchSize,
        FrameFormat = FrameFormat,
        Device = Device,
        AllowDamaged = AllowDamaged,
        Overwrite = overwrite,
        Adjustment = Adjustment,
    };

    /// <summary>One spelling of a folder for every spelling of it (a full path; Dropbox in lower case), with one trailing slash.</summary>
    internal static string FolderIdentity(string uri) => MediaLocation.Parse((uri.EndsWith('/') ? uri : uri + "/") + "x").Identity[..^1];
}

/// <summary>What a pass of a watch did with one file.</summary>
public enum WatchOutcome
{
    /// <summary>Rendered in this process.</summary>
    Rendered,

    /// <summary>Enqueued on the fleet (follow it with <c>rotoscope status</c>).</summary>
    Queued,

    /// <summary>Its render failed; it is tried again only when the file changes.</summary>
    Failed,

    /// <summary>Its content was rendered before (an identical copy, a rename): not rendered again.</summary>
    Duplicate,

    /// <summary>It changed between two looks: still being written, looked at again on the next pass.</summary>
    Writing,
}

/// <summary>One thing a pass of a watch did: the input (URI), what happened, in words, and the render when there is one.</summary>
public sealed record WatchEvent(string Input, WatchOutcome Outcome, string What, string? RenderId = null, string? Output = null);

/// <summary>
/// Renders each new video of a folder once. A pass lists the folder, takes the files that have looked the same (size
/// and version: modification time in a folder, the ETag in S3, the revision in Dropbox) on two looks at least
/// <see cref="WatchDefinition.Settle"/> apart (the last pass's look counts, else the pass looks again after that
/// long), and renders each whose content (SHA-256) it has not rendered before: a renamed or copied file is not
/// rendered again, a changed one is. What it has seen and rendered is kept in the frame store at
/// <c>watches/ID/seen.json</c>, so a pass may run anywhere (in this process, or as a fleet's recurring job).
/// </summary>
/// <remarks>Passes of one watch must not overlap (<see cref="PassLocks"/>): each reads, then rewrites, the record.</remarks>
public sealed class FolderWatcher(IBlobStore store, Connectors connectors, RenderPlanner planner, TimeProvider time)
{
    // What ffmpeg reads as video and people keep videos as; anything else in the folder (notes, partial copies, our own
    // temporaries, hidden files) is left alone.
    private static readonly HashSet<string> VideoExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts", ".wmv", ".flv", ".3gp",
    };

    /// <summary>The key of the record of what watch <paramref name="watchId"/> has seen and rendered.</summary>
    public static BlobKey StateKeyOf(string watchId) => BlobKey.Parse($"watches/{watchId}/seen.json");

    /// <summary>
    /// Checks <paramref name="watch"/> before anything is watched, each with one line: the folder resolves (and, on
    /// this machine, exists), the style is known, the output is a folder that is not the watched one.
    /// </summary>
    public void Validate(WatchDefinition watch)
    {
        ArgumentNullException.ThrowIfNull(watch);
        _ = Open(watch);
        planner.ResolveStyle(watch.Style);
        if (WatchDefinition.FolderIdentity(watch.Output) == WatchDefinition.FolderIdentity(watch.Source))
        {
            throw new RotoscopeException($"--output {watch.Output} is the watched folder: its outputs would be watched too (use a sub-folder or another place)");
        }

        _ = MediaLocation.Parse(JoinFolder(watch.Output, "x.mp4"));
    }

    /// <summary>
    /// One pass: renders (through <paramref name="render"/>, which turns a request into what happened) each file that
    /// is ready and new, and returns what it did; files it left as they were are not reported.
    /// </summary>
    public async Task<IReadOnlyList<WatchEvent>> PassAsync(WatchDefinition watch, Func<RenderRequest, CancellationToken, Task<WatchEvent>> render, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentNullException.ThrowIfNull(render);
        var folder = Open(watch);
        var stateKey = StateKeyOf(watch.Id);
        var state = await store.TryReadJsonAsync<WatchState>(stateKey, cancellationToken).ConfigureAwait(false) ?? WatchState.Empty;
        var files = new Dictionary<string, WatchedFile>(StringComparer.Ordinal);
        var contents = new Dictionary<string, WatchedContent>(state.Contents, StringComparer.Ordinal);
        var events = new List<WatchEvent>();
        var seenAt = time.GetUtcNow();
        var look = await folder.LookAsync(cancellationToken).ConfigureAwait(false);

        // Files gone from the folder are forgotten; the contents rendered are not (a copy put back is not rendered again).
        var waiting = new List<BlobEntry>();
        var ready = new List<BlobEntry>();
        foreach (var entry in look.Values)
        {
            var known = state.Files.GetValueOrDefault(entry.Key.Value);
            var sameLook = known is not null && known.Length == entry.Length && known.Version == entry.Version;
            if (sameLook && known!.Sha256 is { } sha && contents.ContainsKey(sha))
            {
                files[entry.Key.Value] = known;
            }
            else if (sameLook && seenAt - known!.SeenAt >= watch.Settle)
            {
                files[entry.Key.Value] = known;
                ready.Add(entry);
            }
            else
            {
                files[entry.Key.Value] = new WatchedFile(entry.Length, entry.Version, sameLook ? known!.SeenAt : seenAt, null);
                waiting.Add(entry);
            }
        }

        if (waiting.Count > 0)
        {
            await Task.Delay(watch.Settle, time, cancellationToken).ConfigureAwait(false);
            var second = await folder.LookAsync(cancellationToken).ConfigureAwait(false);
            foreach (var entry in waiting)
            {
                if (second.GetValueOrDefault(entry.Key.Value) is { } again && again.Length == entry.Length && again.Version == entry.Version)
                {
                    ready.Add(entry);
                }
                else
                {
                    events.Add(new WatchEvent(folder.UriOf(entry.Key), WatchOutcome.Writing, "still being written: looked at again on the next pass"));
                }
            }
        }

        foreach (var entry in ready.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
        {
            var key = entry.Key.Value;
            var input = folder.UriOf(entry.Key);
            var sha256 = files[key].Sha256 ?? await planner.ContentHashAsync(input, cancellationToken).ConfigureAwait(false);
            files[key] = files[key] with { Sha256 = sha256 };
            if (contents.GetValueOrDefault(sha256) is { } earlier)
            {
                events.Add(new WatchEvent(input, WatchOutcome.Duplicate, $"same content as {earlier.Input}: not rendered again", earlier.RenderId, earlier.Output));
                continue;
            }

            // A changed file replaces the output its earlier content was rendered to; any other existing output is refused.
            var rerender = contents.Values.Any(c => c.Input == input && c.Output is not null);
            var happened = await render(watch.RequestFor(input, JoinFolder(watch.Output, folder.RelativeFolderOf(entry.Key)), rerender), cancellationToken).ConfigureAwait(false);
            events.Add(happened);
            contents[sha256] = new WatchedContent(input, happened.Outcome, happened.What, happened.RenderId, happened.Output, time.GetUtcNow());

            // Recorded at once: a pass stopped later does not render this content again.
            await store.WriteJsonAsync(stateKey, new WatchState(files, contents), cancellationToken).ConfigureAwait(false);
        }

        await store.WriteJsonAsync(stateKey, new WatchState(files, contents), cancellationToken).ConfigureAwait(false);
        return events;
    }

    private static string JoinFolder(string folder, string name) =>
        name.Length == 0 ? folder : folder.EndsWith('/') ? folder + name : $"{folder}/{name}";

    private WatchedFolder Open(WatchDefinition watch)
    {
        var outputs = WatchDefinition.FolderIdentity(watch.Output);
        var location = MediaLocation.Parse(watch.Source);
        if (location is MediaLocation.LocalFile local)
        {
            if (!Directory.Exists(local.Path))
            {
                throw new RotoscopeException(File.Exists(local.Path) ? $"{watch.Source} is a file; watch a folder" : $"watched folder not found: {watch.Source}");
            }

            return new WatchedFolder(new LocalBlobStore(local.Path), null, key => Path.Combine(local.Path, key.Value), outputs);
        }

        var (source, under) = connectors.ResolveFolder(watch.Source);
        var scheme = watch.Source[..watch.Source.IndexOf("://", StringComparison.Ordinal)];

        // s3://bucket/key names its bucket; every other URI is its scheme and the key (data://, s3+label://, dropbox…://).
        var prefix = location is MediaLocation.Remote { Kind: "s3", Label: null } s3 ? $"{scheme}://{s3.Path.Split('/')[0]}/" : $"{scheme}://";
        return new WatchedFolder(source, under, key => prefix + key.Value, outputs);
    }

    // The folder as listed: its videos by key, without those under the watch's own output folder.
    private sealed record WatchedFolder(IBlobStore Store, BlobKey? Folder, Func<BlobKey, string> UriOf, string OutputsIdentity)
    {
        public async Task<Dictionary<string, BlobEntry>> LookAsync(CancellationToken cancellationToken)
        {
            var videos = new Dictionary<string, BlobEntry>(StringComparer.Ordinal);
            await foreach (var entry in Store.ListAsync(Folder, cancellationToken).ConfigureAwait(false))
            {
                var name = entry.Key.Value[(entry.Key.Value.LastIndexOf('/') + 1)..];
                if (entry.Length > 0 && !name.StartsWith('.') && VideoExtensions.Contains(Path.GetExtension(name))
                    && !MediaLocation.Parse(UriOf(entry.Key)).Identity.StartsWith(OutputsIdentity, StringComparison.Ordinal))
                {
                    videos[entry.Key.Value] = entry;
                }
            }

            return videos;
        }

        // The input's folder below the watched one ("" at its top): outputs keep the same layout.
        public string RelativeFolderOf(BlobKey key)
        {
            var relative = Folder is { } folder ? key.Value[(folder.Value.Length + 1)..] : key.Value;
            var slash = relative.LastIndexOf('/');
            return slash < 0 ? "" : relative[..slash];
        }
    }
}

/// <summary>What a watch has seen (by key) and rendered (by content), kept at <see cref="FolderWatcher.StateKeyOf"/>.</summary>
public sealed record WatchState(IReadOnlyDictionary<string, WatchedFile> Files, IReadOnlyDictionary<string, WatchedContent> Contents)
{
    /// <summary>A watch that has seen nothing yet.</summary>
    public static WatchState Empty { get; } = new(new Dictionary<string, WatchedFile>(), new Dictionary<string, WatchedContent>());
}

/// <summary>A file as last looked at: size, version, when it was first seen so, and its content hash once it was ready.</summary>
public sealed record WatchedFile(long Length, string Version, DateTimeOffset SeenAt, string? Sha256);

/// <summary>A content the watch has rendered (or enqueued, or failed to render): the input it came from and the outcome.</summary>
public sealed record WatchedContent(string Input, WatchOutcome Outcome, string What, string? RenderId, string? Output, DateTimeOffset At);
