using System.Text.Json.Nodes;
using Rotoscope.Core.Styles;
using CliRunner = Rotoscope.Cli.Tests.Cli;

namespace Rotoscope.Training.Tests;

/// <summary><c>rotoscope models build-styles</c>: a neural built-in trained into a copy of models/.</summary>
[Trait("Category", "Integration")]
public sealed class BuiltInStylesTrainingTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("rotoscope-builtin-").FullName;

    public BuiltInStylesTrainingTests() => TrainingSetup.Load();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Train_WritesAVerifiedModelPreviewAndCatalogEntry_AndTheSameModelAgain()
    {
        var models = Path.Combine(directory, "models");
        Directory.CreateDirectory(Path.Combine(models, "mosaic"));
        File.Copy(CliRunner.RepoPath("models", "catalog.json"), Path.Combine(models, "catalog.json"));
        File.Copy(CliRunner.RepoPath("models", "mosaic", "style.jpg"), Path.Combine(models, "mosaic", "style.jpg"));
        CopyFolder(CliRunner.RepoPath("models", "content"), Path.Combine(models, "content"));
        var quick = BuiltInStyles.Get("mosaic") with { Version = "9.0.0", Settings = new TrainingSettings(Steps: 3, Size: 64, Batch: 1) };

        var first = BuiltInStyles.Train(models, quick, TrainingSetup.ResNet18, Path.Combine(directory, "work"), threads: 2, progress: null, CancellationToken.None);
        var bytes = File.ReadAllBytes(first.ModelPath);
        var again = BuiltInStyles.Train(models, quick, TrainingSetup.ResNet18, Path.Combine(directory, "work-again"), threads: 2, progress: null, CancellationToken.None);

        var mosaic = Assert.Single(StyleCatalog.Load(models).Resolve("mosaic").Models);
        StyleCatalog.Verify(new StyleChain([mosaic]));
        Assert.Equal(("9.0.0", StyleKind.Neural, first.Sha256), (mosaic.Version, mosaic.Kind, mosaic.Sha256));
        Assert.True(File.Exists(Path.Combine(models, "mosaic", "preview.jpg")));
        Assert.Equal(bytes, File.ReadAllBytes(again.ModelPath));
        var entry = JsonNode.Parse(File.ReadAllText(Path.Combine(models, "catalog.json")))!["styles"]!.AsArray().Single(s => (string?)s!["id"] == "mosaic")!;
        Assert.Equal(3, (int)entry["made"]!["settings"]!["steps"]!);
        Assert.Equal(StyleCatalog.Load(CliRunner.RepoPath("models")).Styles.Count, StyleCatalog.Load(models).Styles.Count); // replaced, not added
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
