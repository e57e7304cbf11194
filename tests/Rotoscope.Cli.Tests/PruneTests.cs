using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rotoscope.Cli.Tests;

/// <summary><c>rotoscope storage prune</c>: old work goes, what newer or running renders use stays.</summary>
[Trait("Category", "Integration")]
public sealed class PruneTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Prune_RemovesOldRendersAndTheirFrames_ButKeepsWhatNewerRendersUse()
    {
        var shared = cli.MakeClip("shared.mp4", 64, 48, 10, 1);
        var other = cli.MakeClip("other.mp4", 64, 48, 10, 1);
        var oldOnShared = await RenderAsync(shared, "toon");
        var oldOnOther = await RenderAsync(other, "toon");
        Age(TimeSpan.FromDays(30));
        var recent = await RenderAsync(shared, "ink");

        var before = Files();
        var dry = await cli.RunAsync("storage", "prune", "--older-than", "14d", "--dry-run");
        var afterDryRun = Files();
        var pruned = await cli.RunAsync("storage", "prune", "--older-than", "14d");

        Assert.True(dry.ExitCode == 0, dry.Error);
        Assert.StartsWith("would remove 2 renders", dry.Out, StringComparison.Ordinal);
        Assert.Equal(before, afterDryRun);
        Assert.True(pruned.ExitCode == 0, pruned.Error);
        Assert.StartsWith("removed 2 renders", pruned.Out, StringComparison.Ordinal);
        Assert.Equal(["result.json"], Directory.GetFileSystemEntries(Path.Combine(cli.DataDirectory, "renders", oldOnShared)).Select(Path.GetFileName));
        Assert.Equal(["result.json"], Directory.GetFileSystemEntries(Path.Combine(cli.DataDirectory, "renders", oldOnOther)).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(cli.DataDirectory, "renders", recent, "result.json")));
        Assert.Single(Directory.GetDirectories(Path.Combine(cli.DataDirectory, "frames"))); // the shared split stays
        var again = await cli.RunAsync("render", shared, "--style", "ink", "--json");
        Assert.True(JsonDocument.Parse(again.Out).RootElement.GetProperty("alreadyRendered").GetBoolean());
        var recognised = await cli.RunAsync("render", other, "--style", "toon", "--json");
        Assert.True(JsonDocument.Parse(recognised.Out).RootElement.GetProperty("alreadyRendered").GetBoolean());
        File.Delete(cli.PathOf("other.toon.mp4"));
        var redone = await cli.RunAsync("render", other, "--style", "toon", "--json");
        Assert.True(redone.ExitCode == 0, redone.Error);
        Assert.Equal(0, JsonDocument.Parse(redone.Out).RootElement.GetProperty("framesReused").GetInt64());
    }

    [Fact]
    public async Task Prune_NeverTouchesARunningRender()
    {
        var clip = cli.MakeClip("busy.mp4", 64, 48, 10, 1);
        var id = await RenderAsync(clip, "toon");
        Age(TimeSpan.FromDays(30));

        // What a running render holds: the lock on its output.
        var output = cli.PathOf("busy.toon.mp4");
        var lockName = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(output)))[..24];
        using (new FileStream(Path.Combine(cli.DataDirectory, "locks", $"{lockName}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var pruned = await cli.RunAsync("storage", "prune", "--older-than", "1d");

            Assert.True(pruned.ExitCode == 0, pruned.Error);
            Assert.Contains($"kept renders/{id} (running)", pruned.Out, StringComparison.Ordinal);
            Assert.Contains("removed 0 renders", pruned.Out, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(cli.DataDirectory, "renders", id, "plan.json")));
    }

    [Fact]
    public async Task Prune_RefusesAnAgeWithoutAUnit()
    {
        var outcome = await cli.RunAsync("storage", "prune", "--older-than", "14");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("--older-than takes a number and a unit", outcome.Error, StringComparison.Ordinal);
    }

    private async Task<string> RenderAsync(string input, string style)
    {
        var outcome = await cli.RunAsync("render", input, "--style", style, "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        return JsonDocument.Parse(outcome.Out).RootElement.GetProperty("renderId").GetString()!;
    }

    private void Age(TimeSpan age)
    {
        foreach (var file in Directory.EnumerateFiles(cli.DataDirectory, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow - age);
        }
    }

    private List<string> Files() => Directory.EnumerateFiles(cli.DataDirectory, "*", SearchOption.AllDirectories).Order().ToList();
}
