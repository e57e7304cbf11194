using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Review;
using Rotoscope.Core.Storage;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// <c>rotoscope review publish|watch|list|show</c>: people approve or reject renders in Dropbox, by moving a folder.
/// </summary>
internal static class ReviewCommand
{
    // How often a watcher on standby (another one holds the lock) tries to take over.
    private static readonly TimeSpan StandbyPoll = TimeSpan.FromSeconds(2);

    /// <summary>Shown in help; a test parses each one, so they stay true.</summary>
    internal static readonly string[] Examples =
    [
        "rotoscope review publish RENDER_ID --to dropbox+review://Reviews/ --publish-to s3+archive://published/",
        "rotoscope review watch",
        "rotoscope review watch --once --json",
        "rotoscope review watch --fleet",
        "rotoscope review watch --fleet --remove",
        "rotoscope review list --state pending",
        "rotoscope review show RENDER_ID --json",
    ];

    public static Command Create(CliContext context)
    {
        var command = new Command("review", $"Publish renders for review in Dropbox and take the reviewers' decisions back (move a folder into Approved/ or Rejected/).\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            Publish(context), Watch(context), List(context), Show(context),
        };
        return command;
    }

    /// <summary>The --publish-to option (render --review has it too).</summary>
    internal static Option<string?> PublishToOption() => new("--publish-to")
    {
        Description = "Where an approval publishes the full-resolution video (a path, data://, s3://, dropbox://; ending in '/': a folder, the output's name is kept).",
    };

    /// <summary>Publishes a render for review with the services of <paramref name="options"/>, and prints the outcome.</summary>
    internal static async Task<ReviewRecord> PublishAsync(RotoscopeOptions options, string renderId, string root, string? publishTo, CancellationToken cancellationToken)
    {
        await using var services = new ServiceCollection().AddRotoscope(options).AddReviews().BuildServiceProvider();
        return await services.GetRequiredService<ReviewPublisher>().PublishAsync(renderId, root, publishTo, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One line about a published review.</summary>
    internal static string Describe(ReviewRecord record) =>
        $"review of {record.Name} ({record.RenderId}): {record.State.ToString().ToLowerInvariant()} in {record.Folder ?? "(folder gone)"}\nlink: {record.Link}";

    private static Command Publish(CliContext context)
    {
        var renderId = new Argument<string>("render") { Description = "The id of a finished render (see 'rotoscope status')." };
        var to = new Option<string>("--to") { Description = "The review root: a Dropbox folder (dropbox+label://Reviews/).", Required = true };
        var publishTo = PublishToOption();
        var (frameStore, dataDir, json) = Common();
        var command = new Command("publish", "Publish a finished render for review: a folder with a small copy, a contact sheet and a README, shared by link. Publishing again updates the same folder.")
        {
            renderId, to, publishTo, frameStore, dataDir, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            var record = await PublishAsync(options, parse.GetValue(renderId)!, parse.GetValue(to)!, parse.GetValue(publishTo), cancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync(parse.GetValue(json) ? JsonSerializer.Serialize(record, CommandOptions.Json) : Describe(record)).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Watch(CliContext context)
    {
        var once = new Option<bool>("--once") { Description = "Look once and exit (default: follow changes until Ctrl+C)." };
        var to = new Option<string?>("--to") { Description = "Watch only this review root (default: every root that has reviews)." };
        var fleet = new Option<string?>("--fleet")
        {
            Description = $"Register the watcher as a recurring job of the fleet whose jobs are in this PostgreSQL database (without a value: ${WorkerCommand.PostgresVariable}): its workers look every --interval.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var interval = WatchCommand.Duration("--interval", "With --fleet: time between looks, whole minutes or hours (default 1m).");
        var remove = new Option<bool>("--remove") { Description = "With --fleet: remove the fleet's review watcher (of --to, or of every root)." };
        var (frameStore, dataDir, json) = Common();
        var command = new Command("watch", "Take decisions back: a folder moved into Approved/ publishes the render's output (once), one moved into Rejected/ keeps the reason from notes.txt.")
        {
            once, to, fleet, interval, remove, frameStore, dataDir, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(fleet) is null && (r.GetValue(remove) || r.GetResult(interval) is not null))
            {
                r.AddError($"{(r.GetValue(remove) ? "--remove" : "--interval")} needs --fleet: a watcher of this machine follows changes as they happen (Ctrl+C ends it)");
            }
            else if (r.GetResult(fleet) is not null && r.GetValue(once))
            {
                r.AddError("--once looks here; with --fleet the workers look (the first time at once)");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            var asJson = parse.GetValue(json);
            var root = parse.GetValue(to);
            if (parse.GetResult(fleet) is not null)
            {
                await using var fleetServices = FleetStorage.Compose(options, WorkerCommand.ConnectionOf(context, parse.GetValue(fleet)));
                var recurring = fleetServices.GetRequiredService<RecurringWatches>();
                if (parse.GetValue(remove))
                {
                    var existing = recurring.List().FirstOrDefault(w => w.ReviewRoot is not null && (root is null ? w.Id == RecurringWatches.ReviewPrefix : w.ReviewRoot == root));
                    if (existing is null || !recurring.Remove(existing.Id))
                    {
                        throw new RotoscopeException($"the fleet has no review watcher{(root is null ? "" : $" of {root}")} (see: rotoscope watch --list --fleet)");
                    }

                    await context.Out.WriteLineAsync($"removed the fleet's review watcher {existing.Id}").ConfigureAwait(false);
                    return CliApp.Ok;
                }

                if (root is not null)
                {
                    _ = ReviewRoot.Resolve(fleetServices.GetRequiredService<Connectors>(), root, forWrite: false); // a wrong root fails here, not on every run
                }

                var every = parse.GetValue(interval) ?? TimeSpan.FromMinutes(1);
                var id = recurring.AddReviewWatch(root, RecurringWatches.CronOf(every));
                await context.Out.WriteLineAsync(asJson
                    ? JsonSerializer.Serialize(new { Id = id, Root = root, Cron = RecurringWatches.CronOf(every) }, CommandOptions.Json)
                    : $"review watcher {id}: the fleet takes decisions back from {root ?? "every review root"} every {WatchCommand.Describe(every)} (the first look runs now; remove it: rotoscope review watch --fleet --remove)").ConfigureAwait(false);
                return CliApp.Ok;
            }

            await using var services = new ServiceCollection().AddRotoscope(options).AddReviews().AddWatches().BuildServiceProvider();
            var watcher = services.GetRequiredService<ReviewWatcher>();
            var locks = services.GetRequiredService<PassLocks>();

            // One watcher at a time takes decisions (the fleet's job too, when it runs on this machine): what one
            // records, another would otherwise record again, or publish again.
            var held = await locks.TryAcquireAsync(WatchJobs.ReviewLock, cancellationToken).ConfigureAwait(false);
            if (held is null && parse.GetValue(once))
            {
                await context.Out.WriteLineAsync($"another review watcher is running (process {locks.HolderOf(WatchJobs.ReviewLock) ?? "?"}): it takes the decisions; nothing done here").ConfigureAwait(false);
                return CliApp.Ok;
            }

            try
            {
                if (held is null)
                {
                    await context.Error.WriteLineAsync($"rotoscope: another review watcher is running (process {locks.HolderOf(WatchJobs.ReviewLock) ?? "?"}); waiting to take over when it stops").ConfigureAwait(false);
                    while (held is null)
                    {
                        await Task.Delay(StandbyPoll, cancellationToken).ConfigureAwait(false);
                        held = await locks.TryAcquireAsync(WatchJobs.ReviewLock, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (parse.GetValue(once))
                {
                    var changes = await watcher.CheckOnceAsync(root, cancellationToken).ConfigureAwait(false);
                    if (asJson)
                    {
                        await context.Out.WriteLineAsync(JsonSerializer.Serialize(changes, CommandOptions.Json)).ConfigureAwait(false);
                    }
                    else
                    {
                        foreach (var change in changes)
                        {
                            await context.Out.WriteLineAsync(Line(change)).ConfigureAwait(false);
                        }

                        if (changes.Count == 0)
                        {
                            await context.Out.WriteLineAsync("no changes").ConfigureAwait(false);
                        }
                    }

                    return CliApp.Ok;
                }

                var compact = new JsonSerializerOptions(CommandOptions.Json) { WriteIndented = false };
                await watcher.WatchAsync(
                    root,
                    change => context.Out.WriteLineAsync(asJson ? JsonSerializer.Serialize(change, compact) : Line(change)),
                    problem => context.Error.WriteLine($"rotoscope: {problem}"),
                    cancellationToken).ConfigureAwait(false);
                return CliApp.Ok;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !parse.GetValue(once))
            {
                // Ctrl+C is how a watch ends (a standby one too): it stops cleanly and says so with exit 0.
                return CliApp.Ok;
            }
            finally
            {
                held?.Dispose();
            }
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var state = new Option<ReviewState?>("--state") { Description = "Only reviews in this state: pending, approved, rejected or missing." };
        var (frameStore, dataDir, json) = Common();
        var command = new Command("list", "List reviews and their decisions, newest first.")
        {
            state, frameStore, dataDir, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            await using var services = new ServiceCollection().AddRotoscope(options).BuildServiceProvider();
            var store = services.GetRequiredService<IBlobStore>();
            var wanted = parse.GetValue(state);
            var records = new List<ReviewRecord>();
            await foreach (var record in ReviewRecord.ListAsync(store, cancellationToken).ConfigureAwait(false))
            {
                if (wanted is null || record.State == wanted)
                {
                    records.Add(record);
                }
            }

            records = [.. records.OrderByDescending(r => r.PublishedAt)];
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(records, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            if (records.Count == 0)
            {
                await context.Out.WriteLineAsync(wanted is null ? $"no reviews in {store.Description}" : $"no {wanted.ToString()!.ToLowerInvariant()} reviews in {store.Description}").ConfigureAwait(false);
                return CliApp.Ok;
            }

            var console = context.OutConsole();
            var table = new Table().AddColumn(new TableColumn("render").NoWrap()).AddColumns("review", "state", "decided", "reason", "published to", "link");
            foreach (var r in records)
            {
                table.AddRow(
                    r.RenderId,
                    Markup.Escape(r.Name),
                    r.State.ToString().ToLowerInvariant(),
                    r.DecidedAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "",
                    Markup.Escape(r.Reason ?? ""),
                    Markup.Escape(r.Publication?.Destination ?? r.PublicationError ?? ""),
                    Markup.Escape(r.Link));
            }

            console.Write(table);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var renderId = new Argument<string>("render") { Description = "The render id." };
        var (frameStore, dataDir, json) = Common();
        var command = new Command("show", "Show one render's review: folder, link, state, decision and reason, publication, history.")
        {
            renderId, frameStore, dataDir, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            await using var services = new ServiceCollection().AddRotoscope(options).BuildServiceProvider();
            var store = services.GetRequiredService<IBlobStore>();
            var id = parse.GetValue(renderId)!;
            var record = await ReviewRecord.ReadAsync(store, id, cancellationToken).ConfigureAwait(false)
                ?? throw new RotoscopeException($"render '{id}' has no review in {store.Description} (publish it: rotoscope review publish {id} --to dropbox+LABEL://Reviews/)");
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(record, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            var lines = new List<string>
            {
                $"review:    {record.Name} (render {record.RenderId}; {record.Input}, {record.Styles})",
                $"state:     {record.State.ToString().ToLowerInvariant()}{(record.DecidedAt is { } at ? $" since {at.ToLocalTime():yyyy-MM-dd HH:mm:ss}" : "")}",
                $"folder:    {record.Folder ?? "(gone)"}",
                $"link:      {record.Link}",
            };
            if (record.Reason is { } reason)
            {
                lines.Add($"reason:    {reason}");
            }

            if (record.Supersedes is { } earlier)
            {
                lines.Add($"follows:   rejected review of render {earlier}");
            }

            lines.Add($"publish:   {(record.Publication is { } p ? $"published to {p.Destination} at {p.At.ToLocalTime():yyyy-MM-dd HH:mm:ss} (sha256 {p.Sha256[..12]})" : record.PublishTo is { } to ? $"on approval, to {to}" : "nothing on approval (no --publish-to)")}");
            if (record.PublicationError is { } error)
            {
                lines.Add($"problem:   {error}");
            }

            lines.Add("history:");
            lines.AddRange(record.History.Select(h => $"  {h.At.ToLocalTime():yyyy-MM-dd HH:mm:ss}  {h.What}"));
            await context.Out.WriteLineAsync(string.Join('\n', lines)).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static string Line(ReviewChange change) => $"{change.Name} ({change.RenderId}): {change.What}";

    private static (Option<string?> FrameStore, Option<string?> DataDir, Option<bool> Json) Common() =>
    (
        new Option<string?>("--store") { Description = "The frame store the renders use (default: data://)." },
        CommandOptions.DataDirectory(),
        new Option<bool>("--json") { Description = "Print JSON." }
    );
}
