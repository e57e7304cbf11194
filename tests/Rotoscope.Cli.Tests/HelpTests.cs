using System.CommandLine;
using Rotoscope.Cli.Commands;

namespace Rotoscope.Cli.Tests;

[Trait("Category", "Unit")]
public class HelpTests
{
    public static TheoryData<string> Examples() => new(RenderCommand.Examples);

    [Theory]
    [MemberData(nameof(Examples))]
    public void RenderExample_ParsesWithoutErrors_WhenTakenFromHelp(string example)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false);
        var root = new RootCommand { RenderCommand.Create(context) };

        var parsed = root.Parse(example["rotoscope ".Length..].Replace("\"", "", StringComparison.Ordinal));

        Assert.Empty(parsed.Errors);
    }

    public static TheoryData<string> StylizeExamples() => new(StylizeCommand.Examples);

    [Theory]
    [MemberData(nameof(StylizeExamples))]
    public void StylizeExample_ParsesWithoutErrors_WhenTakenFromHelp(string example)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false);
        var root = new RootCommand { StylizeCommand.Create(context) };

        var parsed = root.Parse(example["rotoscope ".Length..].Replace("\"", "", StringComparison.Ordinal));

        Assert.Empty(parsed.Errors);
    }

    public static TheoryData<string> BenchExamples() => new(BenchCommand.Examples);

    [Theory]
    [MemberData(nameof(BenchExamples))]
    public void BenchExample_ParsesWithoutErrors_WhenTakenFromHelp(string example)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false);
        var root = new RootCommand { BenchCommand.Create(context) };

        var parsed = root.Parse(example["rotoscope ".Length..]);

        Assert.Empty(parsed.Errors);
    }

    [Fact]
    public async Task RenderHelp_ListsExamples_WhenAskedForHelp()
    {
        using var stdout = new StringWriter();
        var code = await CliApp.RunAsync(["render", "--help"], new CliContext(stdout, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Contains("Examples:", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains(RenderCommand.Examples[1], stdout.ToString(), StringComparison.Ordinal);
    }
}
