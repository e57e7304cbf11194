using System.Diagnostics;
using System.Text.Json;
using Rotoscope.Tests;
using Xunit.Abstractions;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// Renders on a fleet: worker processes on a real PostgreSQL job database, sharing this machine's data:// store, and a
/// client that enqueues with <c>render --fleet</c> and follows the render through the store.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresGroup.Name)]
public sealed class FleetTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly Cli cli = new();

    public async Task InitializeAsync() =>
        cli.Variables["ROTOSCOPE_POSTGRES"] = await postgres.CreateDatabaseAsync($"fleet_{Guid.NewGuid():N}"[..20]);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        cli.Dispose();
    }

    [Fact]
    public async Task Render_OnTwoWorkers_EqualsALocalRenderFrameForFrame_WhenOneWorkerIsKilledMidRender()
    {
        var clip = cli.MakeClip("fleet.mp4", 480, 270, 24, 8); // 192 frames, 48 batches
        var doomed = Start("worker", "--concurrency", "1");

        var client = cli.Start(["render", clip, "--style", "toon", "--fleet", "--batch-size", "4", "--output", cli.PathOf("fleet.toon.mp4"), "--json"], out var stdout, out var stderr);

        // One job at a time: the split is done before the first batch, and the doomed worker is busy with a batch when
        // it dies. That batch stays with the job database until its invisibility lapses, then runs on the survivor.
        await WaitUntilAsync(() => Markers() >= 3, "three batches done");
        doomed.Kill(); // SIGKILL
        var killed = Stopwatch.StartNew();
        var doneAtKill = Markers();
        var survivor = Start("worker", "--concurrency", "1");
        using (var timeout = new CancellationTokenSource(Patience))
        {
            await client.WaitForExitAsync(timeout.Token);
        }

        output.WriteLine($"killed after {doneAtKill} of 48 batches; the render completed {killed.Elapsed.TotalSeconds:0.0} s later");
        Assert.InRange(doneAtKill, 3, 40);

        Assert.True(client.ExitCode == 0, await stderr);
        var local = await cli.RunAsync("render", clip, "--style", "toon", "--output", cli.PathOf("local.mp4"));
        Assert.Equal(0, local.ExitCode);
        var fleetFrames = FrameHashes(cli.PathOf("fleet.toon.mp4"));
        Assert.Equal(192, fleetFrames.Count);
        Assert.Equal(FrameHashes(cli.PathOf("local.mp4")), fleetFrames);
        Assert.Equal(192, JsonDocument.Parse(await stdout).RootElement.GetProperty("frames").GetInt64());
        Assert.False(survivor.HasExited, "the surviving worker stopped");
    }

    [Fact]
    public async Task Worker_HandsItsJobBackAtOnce_WhenStoppedWithSigterm()
    {
        var clip = cli.MakeClip("handover.mp4", 480, 270, 24, 6); // 144 frames, 36 batches
        var leaving = Start("worker", "--concurrency", "1");
        var client = cli.Start(["render", clip, "--style", "toon", "--fleet", "--batch-size", "4", "--json"], out _, out var stderr);
        await WaitUntilAsync(() => Markers() >= 3, "three batches done");

        using (var term = Process.Start("kill", ["-TERM", leaving.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        var stopped = Stopwatch.StartNew();
        using (var timeout = new CancellationTokenSource(Patience))
        {
            await leaving.WaitForExitAsync(timeout.Token);
        }

        var exitedIn = stopped.Elapsed;
        var doneAtStop = Markers();
        Start("worker", "--concurrency", "1");
        using (var timeout = new CancellationTokenSource(Patience))
        {
            await client.WaitForExitAsync(timeout.Token);
        }

        output.WriteLine($"stopped after {doneAtStop} of 36 batches, exited in {exitedIn.TotalSeconds:0.0} s; the render completed {stopped.Elapsed.TotalSeconds:0.0} s after the signal");
        Assert.Equal(0, leaving.ExitCode);
        Assert.True(client.ExitCode == 0, await stderr);
        Assert.InRange(doneAtStop, 3, 30);
        Assert.Equal(144, FrameHashes(cli.PathOf("handover.toon.mp4")).Count);
    }

    [Fact]
    public async Task Render_FailsOnceWithTheWorkersReason_WhenTheInputCannotBeSplit()
    {
        var clip = cli.MakeClip("damaged.mp4", 96, 64, 10, 3, true, "-movflags", "+faststart");
        using (var file = File.OpenWrite(clip))
        {
            file.SetLength(file.Length / 2); // a truncated upload: it probes, but ends early
        }

        Start("worker", "--concurrency", "1");

        var outcome = await cli.RunAsync("render", clip, "--style", "toon", "--fleet");

        Assert.Equal(1, outcome.ExitCode);
        var line = Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.Contains("truncated or damaged", line, StringComparison.Ordinal);
        var status = JsonDocument.Parse((await cli.RunAsync("status", "--json")).Out).RootElement[0];
        Assert.Equal("failed", status.GetProperty("state").GetString());
        Assert.Contains("truncated or damaged", status.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_FollowsADetachedRender_FromQueuedToSucceeded()
    {
        var clip = cli.MakeClip("detached.mp4", 96, 64, 10, 1);

        var queued = await cli.RunAsync("render", clip, "--style", "toon", "--fleet", "--detach", "--json");
        Assert.True(queued.ExitCode == 0, queued.Error);
        var id = JsonDocument.Parse(queued.Out).RootElement.GetProperty("renderId").GetString()!;
        Assert.Equal("queued", await StateAsync(id));
        Start("worker", "--concurrency", "1");
        var clock = Stopwatch.StartNew();
        while (await StateAsync(id) != "succeeded")
        {
            Assert.True(clock.Elapsed < Patience, $"render {id} did not succeed; it is {await StateAsync(id)}");
            await Task.Delay(250);
        }

        var table = await cli.RunAsync("status");
        var unknown = await cli.RunAsync("status", "nope");

        Assert.Equal(10, Cli.Probe(cli.PathOf("detached.toon.mp4")).Frames);
        Assert.Contains(id, table.Out, StringComparison.Ordinal);
        Assert.Contains("succeeded", table.Out, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("rotoscope: no render 'nope' in data://", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_WaitsForAGpuWorker_WhenItAsksForCuda()
    {
        var clip = cli.MakeClip("gpu.mp4", 96, 64, 10, 1);
        Start("worker", "--concurrency", "1"); // serves the cpu queue

        var queued = await cli.RunAsync("render", clip, "--style", "toon", "--fleet", "--detach", "--device", "cuda", "--json");
        Assert.True(queued.ExitCode == 0, queued.Error);
        var id = JsonDocument.Parse(queued.Out).RootElement.GetProperty("renderId").GetString()!;
        await Task.Delay(TimeSpan.FromSeconds(4)); // four polling rounds of the CPU worker
        Assert.Equal("queued", await StateAsync(id));

        Start("worker", "--concurrency", "1", "--queues", "gpu"); // a stand-in: its models run on the CPU
        var clock = Stopwatch.StartNew();
        while (await StateAsync(id) != "succeeded")
        {
            Assert.True(clock.Elapsed < Patience, $"render {id} did not succeed; it is {await StateAsync(id)}");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task Cancel_EndsAQueuedRender_AndRefusesOneThatIsNotRunning()
    {
        var clip = cli.MakeClip("cancel.mp4", 96, 64, 10, 1);
        var queued = await cli.RunAsync("render", clip, "--style", "toon", "--fleet", "--detach", "--json");
        var id = JsonDocument.Parse(queued.Out).RootElement.GetProperty("renderId").GetString()!;

        var cancelled = await cli.RunAsync("cancel", id);
        var again = await cli.RunAsync("cancel", id);

        Assert.Equal((0, $"cancelled render {id}"), (cancelled.ExitCode, cancelled.Out.Trim()));
        Assert.Equal("cancelled", await StateAsync(id));
        Assert.Equal((1, $"rotoscope: render '{id}' is not running (see 'rotoscope status {id}')"), (again.ExitCode, again.Error.Trim()));
    }

    [Fact]
    public async Task Render_StopsFollowingButLeavesTheRenderQueued_WhenTheClientIsInterrupted()
    {
        var clip = cli.MakeClip("interrupted.mp4", 96, 64, 10, 1);
        var client = cli.Start(["render", clip, "--style", "toon", "--fleet"], out _, out var stderr);
        var renders = Path.Combine(cli.DataDirectory, "renders");
        await WaitUntilAsync(() => Directory.Exists(renders) && Directory.EnumerateFiles(renders, "plan.json", SearchOption.AllDirectories).Any(), "the plan");
        await Task.Delay(2000); // enqueued right after the plan is written

        using (var interrupt = Process.Start("kill", ["-INT", client.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        using (var timeout = new CancellationTokenSource(Patience))
        {
            await client.WaitForExitAsync(timeout.Token);
        }

        var line = (await stderr).Trim().Split('\n')[^1];
        var id = Path.GetFileName(Path.GetDirectoryName(Directory.EnumerateFiles(renders, "plan.json", SearchOption.AllDirectories).Single()))!;
        Assert.Equal(1, client.ExitCode);
        Assert.Equal($"rotoscope: stopped following render {id}; it goes on in the fleet (rotoscope status {id}, rotoscope cancel {id})", line);
        Assert.Equal("queued", await StateAsync(id));
    }

    [Fact]
    public async Task Render_OnAWorker_AppliesStrengthAndKeptColours_AsARenderOfThisMachineDoes()
    {
        var clip = cli.MakeClip("adjusted.mp4", 96, 64, 10, 1, audio: false);
        string[] adjusted = ["--style", "mosaic", "--strength", "0.4", "--keep-colors"];
        Start("worker", "--concurrency", "1");

        var fleet = await cli.RunAsync(["render", clip, .. adjusted, "--fleet", "--output", cli.PathOf("fleet.mp4"), "--json"]);
        // Here, in a store of its own: nothing styled on the worker is reused.
        var local = await cli.RunAsync(["render", clip, .. adjusted, "--output", cli.PathOf("local.mp4"), "--data-dir", cli.PathOf("local-data")]);
        var plain = await cli.RunAsync("render", clip, "--style", "mosaic", "--output", cli.PathOf("plain.mp4"), "--data-dir", cli.PathOf("local-data"));

        Assert.True(fleet.ExitCode == 0, fleet.Error);
        Assert.True(local.ExitCode == 0 && plain.ExitCode == 0, local.Error + plain.Error);
        var summary = JsonDocument.Parse(fleet.Out).RootElement;
        Assert.Equal((0.4, true), (summary.GetProperty("strength").GetDouble(), summary.GetProperty("keepColors").GetBoolean()));
        var frames = FrameHashes(cli.PathOf("fleet.mp4"));
        Assert.Equal(FrameHashes(cli.PathOf("local.mp4")), frames);
        Assert.NotEqual(FrameHashes(cli.PathOf("plain.mp4")), frames);
    }

    [Fact]
    public async Task Stylize_OnAWorker_StylesEveryImage_AndSkipsThemAllTheSecondTime()
    {
        var input = cli.PathOf("stills");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        string[] names = ["a.jpg", "b.png", "sub/c.jpg"];
        foreach (var name in names)
        {
            Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-update", "1", "-y", Path.Combine(input, name)]);
        }

        Start("worker", "--concurrency", "1");

        var first = await cli.RunAsync("stylize", input, "--style", "toon", "--output", cli.PathOf("styled"), "--fleet", "--batch-size", "2", "--json");
        var second = await cli.RunAsync("stylize", input, "--style", "toon", "--output", cli.PathOf("styled"), "--fleet", "--json");

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal(3, JsonDocument.Parse(first.Out).RootElement.GetProperty("styled").GetInt32());
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(3, JsonDocument.Parse(second.Out).RootElement.GetProperty("skipped").GetInt32());
        Assert.All(names, name => Assert.True(File.Exists(cli.PathOf(Path.Combine("styled", name))), name));

        // Once folded into the manifest, a batch's job id is dropped from the job database too.
        var recorded = await PostgresServer.QueryAsync(cli.Variables["ROTOSCOPE_POSTGRES"]!, "SELECT count(*) FROM hangfire.hash WHERE key LIKE 'rotoscope:stills:%'");
        Assert.Equal("0", recorded);
    }

    [Fact]
    public async Task Stylize_FollowsTheBatchesOfADetachedRun_InsteadOfQueueingThemAgain()
    {
        var input = cli.PathOf("stills");
        Directory.CreateDirectory(input);
        string[] names = ["a.jpg", "b.jpg", "c.png"];
        foreach (var name in names)
        {
            Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-update", "1", "-y", Path.Combine(input, name)]);
        }

        string[] args = ["stylize", input, "--style", "toon", "--output", cli.PathOf("styled"), "--fleet", "--batch-size", "2", "--json"];
        var detached = await cli.RunAsync([.. args, "--detach"]);
        var again = await cli.RunAsync([.. args, "--detach"]);
        var batches = Directory.GetFiles(Path.Combine(cli.DataDirectory, "stills"), "*.json", SearchOption.AllDirectories).Count(f => f.Contains("/batches/", StringComparison.Ordinal));
        Start("worker", "--concurrency", "1");
        var followed = await cli.RunAsync(args);

        Assert.True(detached.ExitCode == 0, detached.Error);
        Assert.Equal(3, JsonDocument.Parse(detached.Out).RootElement.GetProperty("queued").GetInt32());
        Assert.Equal(3, JsonDocument.Parse(again.Out).RootElement.GetProperty("queued").GetInt32());
        Assert.Equal(2, batches); // the second run queued nothing new
        Assert.True(followed.ExitCode == 0, followed.Error);
        var summary = JsonDocument.Parse(followed.Out).RootElement;
        Assert.Equal((3, 0), (summary.GetProperty("styled").GetInt32(), summary.GetProperty("skipped").GetInt32()));
        Assert.All(names, name => Assert.True(File.Exists(cli.PathOf(Path.Combine("styled", name))), name));
    }

    private async Task<string?> StateAsync(string renderId)
    {
        var outcome = await cli.RunAsync("status", renderId, "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        return JsonDocument.Parse(outcome.Out).RootElement.GetProperty("state").GetString();
    }

    [Fact]
    public async Task Worker_SaysWhatIsWrong_WhenTheDatabaseCannotBeReached()
    {
        var outcome = await cli.RunAsync("worker", "--postgres", "Host=127.0.0.1;Port=1;Database=nope;Username=u;Password=never-printed");

        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith("rotoscope: cannot use the job database nope at 127.0.0.1:1", outcome.Error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("never-printed", outcome.Error, StringComparison.Ordinal);
    }

    private Process Start(params string[] args) => cli.Start(args, out _, out _);

    private int Markers()
    {
        var renders = Path.Combine(cli.DataDirectory, "renders");
        return Directory.Exists(renders) ? Directory.EnumerateFiles(renders, "*.json", SearchOption.AllDirectories).Count(f => f.Contains("/batches/", StringComparison.Ordinal)) : 0;
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

    // One MD5 per decoded frame: equal lists mean the same frames, none missing, none twice.
    private static List<string> FrameHashes(string video) =>
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-i", video, "-map", "0:v", "-f", "framemd5", "-"])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(',')[^1].Trim())
            .ToList();
}
