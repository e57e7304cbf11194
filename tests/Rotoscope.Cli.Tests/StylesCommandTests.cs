using System.Text.Json;

namespace Rotoscope.Cli.Tests;

[Trait("Category", "Integration")]
public sealed class StylesCommandTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Styles_ListsBuiltInCatalogWithHashes_WhenJsonRequested()
    {
        var outcome = await cli.RunAsync("styles", "--json");

        Assert.Equal(0, outcome.ExitCode);
        var styles = JsonDocument.Parse(outcome.Out).RootElement.EnumerateArray().ToList();
        Assert.True(styles.Count >= 5, $"only {styles.Count} styles");
        Assert.Contains(styles, s => s.GetProperty("kind").GetString() == "neural");
        foreach (var style in styles)
        {
            var file = style.GetProperty("file").GetString()!;
            Assert.True(File.Exists(file), file);
            Assert.Equal(style.GetProperty("sha256").GetString(), Rotoscope.Core.Styles.StyleCatalog.HashFile(file));
        }
    }

    [Fact]
    public async Task Styles_PrintsTable_WhenRunPlain()
    {
        var outcome = await cli.RunAsync("styles");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("toon", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("mosaic", outcome.Out, StringComparison.Ordinal);
    }
}
