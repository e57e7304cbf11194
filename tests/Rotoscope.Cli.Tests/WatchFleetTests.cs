using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Rotoscope.Tests;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// The fleet's recurring watches: registered with <c>watch --fleet</c> and <c>review watch --fleet</c> on a real
/// PostgreSQL job database, run by a worker process (the first pass is triggered at registration, so nobody waits for
/// the minute).
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresGroup.Name)]
public sealed class WatchFleetTests(PostgresServer postgres) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly Cli cli = new();
    private DropboxFake? fake;

    public async Task InitializeAsync()
    {
        cli.Variables["ROTOSCOPE_POSTGRES"] = await postgres.CreateDatabaseAsync($"watch_{Guid.NewGuid():N}"[..20]);
        fake = await DropboxFake.StartAsync();
        cli.Variables["TEST_DROPBOX_SECRET"] = fake.AppSecret;
        await RunOkAsync("connectors", "add", "dropbox", "--label", "review", "--folder", "/Rotoscope", "--app-key", fake.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--refresh-token", fake.RefreshToken, "--endpoint", fake.Url, "--write");
    }

    public async Task DisposeAsync() => await fake!.DisposeAsync();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task WatchFleet_RegistersARecurringJobThatAWorkerRuns_AndRegisteringAgainUpdatesIt()
    {
        Directory.CreateDirectory(cli.PathOf("in"));
        File.Move(cli.MakeClip("a.mp4", 64, 36, 10, 1, audio: false), cli.PathOf("in/a.mp4"));
        string[] watch = ["watch", cli.PathOf("in"), "--style", "toon", "--output", cli.PathOf("out"), "--fleet", "--settle", "0s"];

        var registered = await RunOkAsync(watch);
        var again = await RunOkAsync([.. watch, "--json"]);
        var id = JsonDocument.Parse(again.Out).RootElement.GetProperty("id").GetString()!;
        var listed = JsonDocument.Parse((await RunOkAsync("watch", "--list", "--fleet", "--json")).Out).RootElement;
        cli.Start(["worker", "--concurrency", "1"], out _, out _);
        await WaitUntilAsync(() => File.Exists(cli.PathOf("out/a.toon.mp4")), "the watched video's render");
        var removed = await RunOkAsync([.. watch, "--remove"]);
        await RunOkAsync([.. watch, "--strength", "0.5", "--keep-colors"]);
        var adjusted = await RunOkAsync("watch", "--list", "--fleet");
        await RunOkAsync([.. watch, "--strength", "0.5", "--keep-colors", "--remove"]);
        var afterwards = await RunOkAsync("watch", "--list", "--fleet");

        Assert.StartsWith($"watch {id}: the fleet renders new videos of {cli.PathOf("in")} with toon", registered.Out, StringComparison.Ordinal);
        var only = Assert.Single(listed.EnumerateArray());
        Assert.Equal((id, "* * * * *", cli.PathOf("in")), (only.GetProperty("id").GetString(), only.GetProperty("cron").GetString(), only.GetProperty("folder").GetProperty("source").GetString()));
        Assert.Equal(10, Cli.Probe(cli.PathOf("out/a.toon.mp4")).Frames);
        Assert.Equal($"removed watch {id}", removed.Out.Trim());
        // Not on a terminal, the table's rows are not wrapped: a header line, then one line for the (adjusted) watch.
        var row = Assert.Single(adjusted.Out.Split('\n').Where(l => l.StartsWith('│')).Skip(1));
        Assert.Equal("toon (strength 0.5, original colours)", row.Split('│')[3].Trim());
        Assert.Equal("no watches on the fleet", afterwards.Out.Trim());
    }

    [Fact]
    public async Task WatchFleet_SaysWhatIsWrong_WhenTheDatabaseCannotBeReached()
    {
        Directory.CreateDirectory(cli.PathOf("in"));

        var outcome = await cli.RunAsync("watch", cli.PathOf("in"), "--style", "toon", "--output", cli.PathOf("out"), "--fleet", "Host=127.0.0.1;Port=1;Database=nope;Username=u;Password=never-printed");

        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith("rotoscope: cannot use the job database nope at 127.0.0.1:1", outcome.Error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("never-printed", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewWatchFleet_AWorkersRecurringJobPublishesAnApprovalOnce()
    {
        var clip = cli.MakeClip("clip.mp4", 96, 64, 10, 1);
        var rendered = JsonDocument.Parse((await RunOkAsync("render", clip, "--style", "toon", "--review", "dropbox+review://Reviews/", "--publish-to", "data://published/", "--json")).Out).RootElement;
        var id = rendered.GetProperty("renderId").GetString()!;
        var folder = rendered.GetProperty("review").GetProperty("folder").GetString()!;
        fake!.MoveEntry(folder, $"/Rotoscope/Reviews/Approved/{Path.GetFileName(folder)}");

        var registered = await RunOkAsync("review", "watch", "--fleet");
        cli.Start(["worker", "--concurrency", "1"], out _, out _);
        await WaitUntilAsync(() => File.Exists(Path.Combine(cli.DataDirectory, "published", "clip.toon.mp4")), "the approved output");
        var written = File.GetLastWriteTimeUtc(Path.Combine(cli.DataDirectory, "published", "clip.toon.mp4"));
        await WaitForLastRunAsync();

        await RunOkAsync("review", "watch", "--fleet"); // registered again: updated, and a second look now
        await WaitForLastRunAsync();
        var shown = JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement;

        Assert.StartsWith("review watcher rotoscope-review-watch: the fleet takes decisions back from every review root every minute", registered.Out, StringComparison.Ordinal);
        Assert.Equal("approved", shown.GetProperty("state").GetString());
        Assert.Single(shown.GetProperty("history").EnumerateArray(), h => h.GetProperty("what").GetString()!.StartsWith("published to", StringComparison.Ordinal));
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(cli.DataDirectory, "published", "clip.toon.mp4")));
        Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("clip.toon.mp4"))), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(cli.DataDirectory, "published", "clip.toon.mp4"))));
        Assert.Single(Directory.GetFiles(Path.Combine(cli.DataDirectory, "reviews", "roots"))); // the cursor kept between looks
    }

    // The review watcher's latest run (the one its registration triggered) has ended.
    private async Task WaitForLastRunAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var watch = JsonDocument.Parse((await RunOkAsync("watch", "--list", "--fleet", "--json")).Out).RootElement.EnumerateArray().Single();
            if (watch.GetProperty("lastState").GetString() == "Succeeded")
            {
                return;
            }

            Assert.True(clock.Elapsed < Patience, $"the review watcher's run is {watch.GetProperty("lastState")}");
            await Task.Delay(250);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    private async Task<CliOutcome> RunOkAsync(params string[] args)
    {
        var outcome = await cli.RunAsync(args);
        Assert.True(outcome.ExitCode == 0, $"{string.Join(' ', args.Take(3))}: {outcome.Error}");
        return outcome;
    }
}
