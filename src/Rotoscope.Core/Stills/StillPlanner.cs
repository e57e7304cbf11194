using System.Security.Cryptography;
using System.Text;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Stills;

/// <summary>
/// Turns a <see cref="StillRequest"/> into a <see cref="StillPlan"/> and the images still to style: lists the input,
/// resolves the style, checks the output folder, and leaves out what this job has already made from the same input.
/// </summary>
public sealed class StillPlanner(LocalBlobStore data, StyleCatalog catalog, StillStores stores, StillRecords records)
{
    /// <summary>
    /// Plans <paramref name="request"/>; fails with one line on a bad input, style or output before any work. Images of a
    /// recorded batch that <paramref name="isRunning"/> (job id, batch id) says is queued or running are left to it.
    /// </summary>
    public async Task<StillWork> PlanAsync(StillRequest request, Func<string, string, bool> isRunning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.BatchSize < 1)
        {
            throw new RotoscopeException($"batch size must be at least 1 (got {request.BatchSize})");
        }

        var selection = await SelectAsync(request.Input, cancellationToken).ConfigureAwait(false);
        var chain = catalog.Resolve(request.Style, data.ModelPathOf) with { Adjustment = request.Adjustment };
        StyleCatalog.Verify(chain);

        var (outputRoot, excluded) = CheckOutput(request, selection);
        var inputIdentity = StillStores.IdentityOf(selection.Root);
        var outputIdentity = StillStores.IdentityOf(outputRoot);
        var jobId = ShortHash($"{outputIdentity}|{chain.Hash}|q{request.JpegQuality}");
        var plan = new StillPlan(jobId, selection.Root, outputRoot, chain.Models, request.JpegQuality, request.Device) { Adjustment = request.Adjustment };

        // An input's version names where it came from too: the same name from another folder is another image.
        var source = ShortHash(inputIdentity)[..8];
        var (inputs, inputFolder) = stores.Resolve(selection.Root, forWrite: false);
        var images = new List<StillImage>();
        var notImages = new List<string>();
        await foreach (var entry in inputs.ListAsync(inputFolder, cancellationToken).ConfigureAwait(false))
        {
            var name = StillStores.NameOf(inputFolder, entry.Key);
            if ((excluded is not null && name.StartsWith(excluded, StringComparison.Ordinal))
                || (inputs is LocalBlobStore && inputFolder is null && ReferenceEquals(inputs, data) && RenderPlan.ReservedAreas.Contains(name.Split('/')[0]))
                || !selection.Matches(name))
            {
                continue;
            }

            if (StillSelection.IsImageName(name))
            {
                images.Add(new StillImage(name, $"{source}:{entry.Version}"));
            }
            else
            {
                notImages.Add(name);
            }
        }

        if (images.Count == 0)
        {
            var others = notImages.Count > 0 ? $" ({notImages.Count} other files, e.g. {notImages[0]}; only .jpg, .jpeg and .png are styled)" : "";
            throw new RotoscopeException($"no JPEG or PNG images match {request.Input}{others}");
        }

        var (outputs, outputFolder) = stores.Resolve(outputRoot, forWrite: true);
        var existing = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var entry in outputs.ListAsync(outputFolder, cancellationToken).ConfigureAwait(false))
        {
            existing[StillStores.NameOf(outputFolder, entry.Key)] = entry.Length;
        }

        var (done, claimed, open) = await records.ReadAsync(jobId, cancellationToken).ConfigureAwait(false);
        var inFlight = open.Where(b => isRunning(jobId, b.BatchId)).ToList();
        var running = inFlight.SelectMany(b => b.Images).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var pending = new List<StillImage>();
        var foreign = new List<string>();
        var skipped = 0;
        foreach (var image in images)
        {
            if (running.Contains(image.Name))
            {
                continue; // followed in its batch
            }

            if (!existing.TryGetValue(image.Name, out var length))
            {
                pending.Add(image);
            }
            else if (done.TryGetValue(image.Name, out var made) && made.OutputLength == length)
            {
                // This job's output, untouched since: done unless the input changed.
                if (made.InputVersion == image.InputVersion)
                {
                    skipped++;
                }
                else
                {
                    pending.Add(image);
                }
            }
            else if (claimed.Contains(image.Name) || request.Overwrite)
            {
                pending.Add(image);
            }
            else
            {
                foreign.Add(image.Name);
            }
        }

        if (foreign.Count > 0)
        {
            var which = foreign.Count == 1 ? "an output exists" : $"{foreign.Count} outputs exist";
            throw new RotoscopeException($"{which} that this stylize did not make (e.g. {StillStores.Display(outputRoot, foreign[0])}); pass --overwrite to replace them, or choose another --output");
        }

        return new StillWork(plan, images.Count, pending, skipped, notImages, inFlight);
    }

    /// <summary>Cuts <paramref name="images"/> into batches of at most <paramref name="size"/>, named after <paramref name="run"/>.</summary>
    public static IReadOnlyList<StillBatch> Batches(IReadOnlyList<StillImage> images, int size, string run)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return images.Chunk(size).Select((chunk, i) => new StillBatch($"{run}-{i:D6}", chunk)).ToList();
    }

    // A folder, a glob, or one image (then the root is its folder and the pattern its name).
    private async Task<StillSelection> SelectAsync(string input, CancellationToken cancellationToken)
    {
        var selection = StillSelection.Parse(input);
        if (StillStores.IsLocal(selection.Root))
        {
            var path = StillStores.LocalPath(selection.Root);
            if (selection.Pattern is null && File.Exists(path))
            {
                return new StillSelection(Path.GetDirectoryName(path)!, Literal(Path.GetFileName(path)));
            }

            return Directory.Exists(path) ? selection : throw new RotoscopeException($"input not found: {input} (a folder, a glob such as photos/*.jpg, or an image)");
        }

        // A URI without a glob and without a trailing '/' may name one object.
        if (selection.Pattern is null && !input.EndsWith('/') && !input.EndsWith("://", StringComparison.Ordinal))
        {
            var (store, key) = stores.Resolve(selection.Root, forWrite: false) is var (s, folder) && folder is { } f ? (s, f) : default;
            if (store is not null && await store.StatAsync(key, cancellationToken).ConfigureAwait(false) is not null)
            {
                var slash = input.TrimEnd('/').LastIndexOf('/');
                return new StillSelection(input[..(slash + 1)], Literal(input[(slash + 1)..]));
            }
        }

        return selection;
    }

    // Outputs go to a folder that is not the input's, nor a place Rotoscope keeps its own work; one inside the input
    // folder is left out of the listing, so a second run does not style the styled images.
    private static (string Root, string? Excluded) CheckOutput(StillRequest request, StillSelection selection)
    {
        var output = request.Output;
        if (request.Shared && (StillStores.IsLocal(output) || StillStores.IsLocal(selection.Root) || output.StartsWith("data://", StringComparison.OrdinalIgnoreCase) || selection.Root.StartsWith("data://", StringComparison.OrdinalIgnoreCase)))
        {
            throw new RotoscopeException("with --fleet and a shared --store, images must be where every worker can read and write them: give s3:// or dropbox:// URIs for the input and --output");
        }

        if (output.StartsWith("data://", StringComparison.OrdinalIgnoreCase))
        {
            var area = output["data://".Length..].Split('/')[0];
            if (area.Length == 0 || RenderPlan.ReservedAreas.Contains(area))
            {
                throw new RotoscopeException($"cannot write to {output}: data://{area}/ is where Rotoscope keeps its own work; choose another folder (e.g. data://styled-photos/)");
            }
        }

        var inputIdentity = StillStores.IdentityOf(selection.Root);
        var outputIdentity = StillStores.IdentityOf(output);
        if (outputIdentity == inputIdentity)
        {
            throw new RotoscopeException($"--output {output} is the input folder: the styled images would replace the originals; choose another folder");
        }

        return (output, outputIdentity.StartsWith(inputIdentity, StringComparison.Ordinal) ? outputIdentity[inputIdentity.Length..] : null);
    }

    // A file name as a glob that matches only itself.
    private static string Literal(string name) =>
        string.Concat(name.Select(c => c is '*' or '?' or '[' ? $"[{c}]" : c.ToString()));

    private static string ShortHash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20];
}

/// <summary>A planned stylize: the plan, how many images matched, those still to style, and what was left out.</summary>
/// <param name="Skipped">Images whose output this job already made from the same input.</param>
/// <param name="NotImages">Files under the input that are not JPEG or PNG by name.</param>
/// <param name="InFlight">Batches of an earlier run (detached, or a client that stopped) still queued or running: followed, not redone.</param>
public sealed record StillWork(StillPlan Plan, int Images, IReadOnlyList<StillImage> Pending, int Skipped, IReadOnlyList<string> NotImages, IReadOnlyList<StillBatch> InFlight);
