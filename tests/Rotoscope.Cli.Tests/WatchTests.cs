using System.CommandLine;
using System.Text.Json;
using Rotoscope.Cli.Commands;

namespace Rotoscope.Cli.Tests;

/// <summary><c>rotoscope watch</c> in this process: tiny clips in a local folder, one pass at a time (--once).</summary>
[Trait("Category", "Integration")]
public sealed class WatchTests : IDisposable
{
    private readonly Cli cli = new();

    public WatchTests()
    {
        Directory.CreateDirectory(cli.PathOf("in"));
    }

    public void Dispose() => cli.Dispose();

    public static TheoryData<string> Examples() => new(WatchCommand.Examples);

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(Examples))]
    public void WatchExample_ParsesWithoutErrors_WhenTakenFromHelp(string example)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false);
        var root = new RootCommand { WatchCommand.Create(context) };

        Assert.Empty(root.Parse(example["rotoscope ".Length..]).Errors);
    }

    [Fact]
    public async Task Watch_RendersEachVideoOnce_NotAnIdenticalCopy_AndAChangedFileAgain()
    {
        var a = Clip("a.mp4", 1);
        Clip("b.mp4", 0.5);
        await File.WriteAllTextAsync(cli.PathOf("in/notes.txt"), "not a video");

        var first = await PassAsync();
        var second = await cli.RunAsync(Args());
        File.Copy(a, cli.PathOf("in/copy of a.mp4"));
        var copied = await PassAsync();
        Clip("b.mp4", 0.8); // b changes
        var changed = await PassAsync();

        Assert.Equal(["rendered:a.mp4", "rendered:b.mp4"], first);
        Assert.Equal((0, "nothing new"), (second.ExitCode, second.Out.Trim()));
        Assert.Equal(["duplicate:copy of a.mp4"], copied);
        Assert.Equal(["rendered:b.mp4"], changed);
        Assert.Equal(["a.toon.mp4", "b.toon.mp4"], Directory.GetFiles(cli.PathOf("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(10, Cli.Probe(cli.PathOf("out/a.toon.mp4")).Frames);
        Assert.Equal(8, Cli.Probe(cli.PathOf("out/b.toon.mp4")).Frames);
    }

    [Fact]
    public async Task Watch_SkipsAFileStillBeingWritten_AndRendersItOnceItStopsChanging()
    {
        var whole = await File.ReadAllBytesAsync(Clip("whole.mp4", 1, folder: ""));
        var growing = cli.PathOf("in/growing.mp4");
        await File.WriteAllBytesAsync(growing, whole.AsSpan(0, whole.Length / 4).ToArray());

        // A slow copy: a chunk every 100 ms for about 3 s, longer than the pass's two looks 1 s apart.
        var writer = Task.Run(async () =>
        {
            var chunk = (whole.Length - whole.Length / 4 + 29) / 30;
            for (var at = whole.Length / 4; at < whole.Length; at += chunk)
            {
                await Task.Delay(100);
                await using var file = new FileStream(growing, FileMode.Append);
                await file.WriteAsync(whole.AsMemory(at, Math.Min(chunk, whole.Length - at)));
            }
        });
        var during = await PassAsync("1s");
        await writer;
        var after = await PassAsync("1s");

        Assert.Equal(["writing:growing.mp4"], during);
        Assert.Equal(["rendered:growing.mp4"], after);
        Assert.Equal(10, Cli.Probe(cli.PathOf("out/growing.toon.mp4")).Frames);
    }

    [Theory]
    [InlineData("in", "nope", "out", "rotoscope: unknown style 'nope'")]
    [InlineData("nowhere", "toon", "out", "rotoscope: watched folder not found: ")]
    [InlineData("ftp://host/in/", "toon", "out", "rotoscope: 'ftp://host/in/': unknown URI scheme 'ftp'")]
    [InlineData("s3+nolabel://in/", "toon", "out", "rotoscope: 's3+nolabel://in/x': no S3 connector labelled 'nolabel'")]
    [InlineData("in", "toon", "in/", "rotoscope: --output in/ is the watched folder")]
    public async Task Watch_FailsWithOneLine_WhenTheFolderStyleOrOutputIsWrong(string folder, string style, string output, string expected)
    {
        var outcome = await cli.RunAsync("watch", folder.Contains("://", StringComparison.Ordinal) ? folder : cli.PathOf(folder), "--style", style, "--output", output.StartsWith("in", StringComparison.Ordinal) ? cli.PathOf(output) : output, "--once");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.StartsWith(expected.Replace("--output in/", $"--output {cli.PathOf("in/")}", StringComparison.Ordinal), outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("watch in --style toon", "watch needs a folder, --style and --output")]
    [InlineData("watch --list", "--list needs --fleet")]
    [InlineData("watch in --style toon --output out --interval soon", "'soon' is not a duration for --interval")]
    [InlineData("watch in --style toon --output out --fleet --once", "--once runs a pass here")]
    public async Task Watch_IsAUsageError_WhenTheCommandLineIsIncomplete(string line, string expected)
    {
        var outcome = await cli.RunAsync(line.Split(' '));

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(expected, outcome.Error, StringComparison.Ordinal);
    }

    private string Clip(string name, double seconds, string folder = "in")
    {
        var made = cli.MakeClip($"clip-{Guid.NewGuid():N}.mp4", 64, 36, 10, seconds, audio: false);
        var path = cli.PathOf(Path.Combine(folder, name));
        File.Move(made, path, overwrite: true);
        return path;
    }

    private string[] Args(string settle = "0s") => ["watch", cli.PathOf("in"), "--style", "toon", "--output", cli.PathOf("out"), "--once", "--settle", settle];

    // What a pass did, as "outcome:file name" in file order.
    private async Task<string[]> PassAsync(string settle = "0s")
    {
        var outcome = await cli.RunAsync([.. Args(settle), "--json"]);
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        return JsonDocument.Parse(outcome.Out).RootElement.EnumerateArray()
            .Select(e => $"{e.GetProperty("outcome").GetString()}:{Path.GetFileName(e.GetProperty("input").GetString())}")
            .ToArray();
    }
}
