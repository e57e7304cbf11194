using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope storage ls|cp|rm|du</c>: look at and move what the stores hold, by URI.</summary>
internal static class StorageCommand
{
    internal static readonly string[] Examples =
    [
        "rotoscope storage ls s3+footage://raw/",
        "rotoscope storage cp s3+footage://raw/drone.mp4 drone.mp4",
        "rotoscope storage cp out/drone.mosaic.mp4 s3+out://cooked/drone.mosaic.mp4",
        "rotoscope storage du",
    ];

    public static Command Create(CliContext context)
    {
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("storage", $"List, copy, remove and size what data://, s3:// and s3+label:// hold.\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            List(context, dataDir), Copy(context, dataDir), Remove(context, dataDir), Usage(context, dataDir), Prune(context, dataDir),
        };
        return command;
    }

    private static Command List(CliContext context, Option<string?> dataDir)
    {
        var uri = new Argument<string>("uri") { Description = "A folder (data://videos/, s3+label://prefix/, dropbox+label://folder/) or one object." };
        var json = new Option<bool>("--json") { Description = "Print the listing as JSON." };
        var command = new Command("ls", "List objects with their sizes and dates.") { uri, json, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var connectors = Connect(context, parse.GetValue(dataDir));
            var text = parse.GetValue(uri)!;
            var (store, folder) = connectors.ResolveFolder(text);
            var entries = await store.ListAsync(folder, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
            var prefix = text.EndsWith('/') ? text : text + "/";
            var rows = entries.Select(e => new Listed(prefix + (folder is { } f ? e.Key.Value[(f.Value.Length + 1)..] : e.Key.Value), e.Length, e.Modified)).ToList();
            if (rows.Count == 0 && !text.EndsWith('/') && !text.EndsWith("://", StringComparison.Ordinal))
            {
                // Not a folder: perhaps one object.
                var (holder, key) = connectors.Resolve(MediaLocation.Parse(text), forWrite: false);
                if (await holder.LengthAsync(key, cancellationToken).ConfigureAwait(false) is { } length)
                {
                    rows.Add(new Listed(text, length, null));
                }
            }

            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(rows, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            foreach (var row in rows)
            {
                var date = row.Modified is { } modified ? modified.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "                ";
                await context.Out.WriteLineAsync($"{Size(row.Bytes),10}  {date}  {row.Uri}").ConfigureAwait(false);
            }

            await context.Out.WriteLineAsync($"{rows.Count} objects, {Size(rows.Sum(r => r.Bytes))}").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Copy(CliContext context, Option<string?> dataDir)
    {
        var source = new Argument<string>("source") { Description = "A path or URI to copy from." };
        var target = new Argument<string>("target") { Description = "A path or URI to copy to (written whole or not at all)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the target if it exists." };
        var command = new Command("cp", "Copy one object or file between any two places.") { source, target, overwrite, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var connectors = Connect(context, parse.GetValue(dataDir));
            var from = MediaLocation.Parse(parse.GetValue(source)!);
            var to = MediaLocation.Parse(parse.GetValue(target)!);
            if (from is MediaLocation.LocalFile { Path: var path } && !File.Exists(path))
            {
                throw new RotoscopeException($"not found: {from.Text}");
            }

            // Checked before anything is read: the target's root and write access, and what is there already.
            var (targetStore, targetKey) = to is MediaLocation.LocalFile ? (null, default) : connectors.Resolve(to, forWrite: true);
            var exists = to is MediaLocation.LocalFile file ? File.Exists(file.Path) : await targetStore!.ExistsAsync(targetKey, cancellationToken).ConfigureAwait(false);
            if (exists && !parse.GetValue(overwrite))
            {
                throw new RotoscopeException($"{to.Text} already exists; pass --overwrite to replace it");
            }

            var input = from is MediaLocation.LocalFile local
                ? File.OpenRead(local.Path)
                : await OpenStoredAsync(connectors, from, cancellationToken).ConfigureAwait(false);
            long bytes;
            await using (input.ConfigureAwait(false))
            {
                bytes = input.Length; // every store's read stream knows its length (a file's, an object's Content-Length)
                if (to is MediaLocation.LocalFile destination)
                {
                    await WriteFileAsync(destination.Path, input, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await targetStore!.WriteAsync(targetKey, input, cancellationToken).ConfigureAwait(false);
                }
            }

            await context.Out.WriteLineAsync($"copied {from.Text} → {to.Text} ({Size(bytes)})").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Remove(CliContext context, Option<string?> dataDir)
    {
        var uri = new Argument<string>("uri") { Description = "The object to delete (through a writable connector)." };
        var command = new Command("rm", "Delete one stored object.") { uri, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var connectors = Connect(context, parse.GetValue(dataDir));
            var location = MediaLocation.Parse(parse.GetValue(uri)!);
            if (location is MediaLocation.LocalFile)
            {
                throw new RotoscopeException($"storage rm deletes stored objects (data://, s3://); '{location.Text}' is a local path");
            }

            var (store, key) = connectors.Resolve(location, forWrite: true);
            if (!await store.ExistsAsync(key, cancellationToken).ConfigureAwait(false))
            {
                throw new RotoscopeException($"not found: {location.Text}");
            }

            await store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync($"removed {location.Text}").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Usage(CliContext context, Option<string?> dataDir)
    {
        var uri = new Argument<string>("uri") { Description = "A store or folder (default: the data:// store).", DefaultValueFactory = _ => "data://" };
        var command = new Command("du", "What a store holds: size and count per top-level folder (frames, styled, renders, cache…).") { uri, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var connectors = Connect(context, parse.GetValue(dataDir));
            var (store, folder) = connectors.ResolveFolder(parse.GetValue(uri)!);
            var depth = folder is { } f ? f.Value.Split('/').Length + 1 : 1;
            var areas = new SortedDictionary<string, (long Bytes, int Count)>(StringComparer.Ordinal);
            await foreach (var entry in store.ListAsync(folder, cancellationToken).ConfigureAwait(false))
            {
                var area = string.Join('/', entry.Key.Value.Split('/').Take(depth));
                areas[area] = areas.TryGetValue(area, out var sum) ? (sum.Bytes + entry.Length, sum.Count + 1) : (entry.Length, 1);
            }

            foreach (var (area, (bytes, count)) in areas)
            {
                await context.Out.WriteLineAsync($"{Size(bytes),10}  {count,8} objects  {area}/").ConfigureAwait(false);
            }

            await context.Out.WriteLineAsync($"{Size(areas.Values.Sum(a => a.Bytes)),10}  {areas.Values.Sum(a => a.Count),8} objects  in all").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Prune(CliContext context, Option<string?> dataDir)
    {
        var uri = new Argument<string>("store") { Description = "The frame store: data:// (default) or a store given to render --store.", DefaultValueFactory = _ => "data://" };
        var olderThan = new Option<TimeSpan>("--older-than")
        {
            Description = "Remove renders (and the frames only they use) not touched for this long: 14d, 36h, 90m.",
            DefaultValueFactory = _ => TimeSpan.FromDays(14),
            CustomParser = r => ParseAge(r.Tokens.Count > 0 ? r.Tokens[0].Value : "") ?? Fail(r),
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would be removed." };
        var command = new Command("prune", "Free the store of old renders and of frames no newer render uses; running renders are never touched.") { uri, olderThan, dryRun, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir));
            using var connectors = Connect(context, parse.GetValue(dataDir));
            var store = connectors.StoreAt(parse.GetValue(uri)!);
            var pruner = new StorePruner(store, new RenderLocks(Path.Combine(options.DataDirectory, "locks")));
            var dry = parse.GetValue(dryRun);
            var outcome = await pruner.PruneAsync(DateTimeOffset.UtcNow - parse.GetValue(olderThan), dry, cancellationToken).ConfigureAwait(false);
            foreach (var kept in outcome.Kept)
            {
                await context.Out.WriteLineAsync($"kept {kept}").ConfigureAwait(false);
            }

            await context.Out.WriteLineAsync($"{(dry ? "would remove" : "removed")} {outcome.Renders} renders and {outcome.Objects} objects ({Size(outcome.Bytes)})").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;

        static TimeSpan Fail(System.CommandLine.Parsing.ArgumentResult result)
        {
            result.AddError("--older-than takes a number and a unit: 14d, 36h, 90m");
            return default;
        }
    }

    private static TimeSpan? ParseAge(string text)
    {
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
        {
            return null;
        }

        return text[^1] switch
        {
            'd' => TimeSpan.FromDays(amount),
            'h' => TimeSpan.FromHours(amount),
            'm' => TimeSpan.FromMinutes(amount),
            _ => null,
        };
    }

    private static Connectors Connect(CliContext context, string? dataDirectory)
    {
        var options = CommandOptions.Resolve(context, dataDirectory);
        return new Connectors(ConnectorConfig.Load(options.ConnectorsFile), options.Environment, new LocalBlobStore(options.DataDirectory));
    }

    private static async Task<Stream> OpenStoredAsync(Connectors connectors, MediaLocation location, CancellationToken cancellationToken)
    {
        var (store, key) = connectors.Resolve(location, forWrite: false);
        try
        {
            return await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            throw new RotoscopeException($"not found: {location.Text}");
        }
    }

    // Written beside the target and renamed: the target holds the whole copy or what it held before.
    private static async Task WriteFileAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var partial = Path.Combine(folder.FullName, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            DurableFile.Commit(partial, path);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };

    private sealed record Listed(string Uri, long Bytes, DateTimeOffset? Modified);
}
