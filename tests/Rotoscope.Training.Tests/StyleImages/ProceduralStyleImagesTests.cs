using Rotoscope.Training.StyleImages;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using CliRunner = Rotoscope.Cli.Tests.Cli;

namespace Rotoscope.Training.Tests.StyleImages;

/// <summary>The style images our own code draws, and the built-in styles' records of every style image.</summary>
[Trait("Category", "Unit")]
public sealed class ProceduralStyleImagesTests
{
    public static TheoryData<string> Procedural() => new(ProceduralStyleImages.All.Select(i => i.Id));

    public static TheoryData<string> Styles() => new(BuiltInStyles.All.Select(s => s.Id));

    [Theory]
    [MemberData(nameof(Procedural))]
    public void Render_DrawsTheSamePixels_ForTheSameSeed(string id)
    {
        var image = ProceduralStyleImages.Get(id);

        var first = image.Render(96);
        var again = image.Render(96);

        Assert.Equal((96, 96), (first.Width, first.Height));
        Assert.Equal(first.ToRgb24(), again.ToRgb24());
        Assert.NotEqual(first.ToRgb24(), (image with { Seed = image.Seed + 1 }).Render(96).ToRgb24());
    }

    [Theory]
    [MemberData(nameof(Procedural))]
    public void CommittedStyleImage_IsWhatTheGeneratorDraws(string id)
    {
        var image = ProceduralStyleImages.Get(id);

        // Compared as pixels with a tolerance, not bytes: another libm may round a few pixels the other way.
        // A failure here means a generator changed: redraw with `./rotoscope models draw-styles --models models --only ID`.
        using var committed = Image.Load<Rgb24>(CliRunner.RepoPath("models", id, "style.jpg"));
        using var drawn = Image.Load<Rgb24>(image.ToJpeg());
        Assert.Equal((ProceduralStyleImage.Side, ProceduralStyleImage.Side), (committed.Width, committed.Height));
        Assert.True(MeanDifference(committed, drawn) < 0.5, $"models/{id}/style.jpg is not what {image.Generator}.cs draws");
    }

    [Theory]
    [MemberData(nameof(Styles))]
    public void EveryBuiltInStyle_HasAModestStyleImageAndRecordsItsSourceAndLicence(string id)
    {
        var style = BuiltInStyles.Get(id);
        var path = CliRunner.RepoPath("models", id, "style.jpg");

        StyleTrainer.CheckStyleImage(path, path); // what build-styles checks before it trains (no LibTorch needed)
        using var image = Image.Load<Rgb24>(path);
        Assert.InRange(Math.Min(image.Width, image.Height), 256, 512);
        Assert.InRange(new FileInfo(path).Length, 1, 200 * 1024);
        Assert.Matches("^[a-z][a-z0-9-]*$", style.Id);
        Assert.Matches(@"MIT|GPL|CC0|CC-BY|public domain", style.StyleImageSource);
        Assert.True(style.Description.EndsWith('.') && !style.Description.Contains('\n', StringComparison.Ordinal), $"{id}: one sentence, please");
    }

    [Fact]
    public void All_HaveDistinctIds_AndEveryProceduralImageIsABuiltInStyleThatNamesIt()
    {
        Assert.Equal(BuiltInStyles.All.Count, BuiltInStyles.All.Select(s => s.Id).Distinct().Count());
        Assert.True(BuiltInStyles.All.Count >= 30);
        foreach (var image in ProceduralStyleImages.All)
        {
            Assert.Equal(image.Source, BuiltInStyles.Get(image.Id).StyleImageSource);
            Assert.Contains($"seed {image.Seed}", image.Source, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DrawStyles_WritesTheChosenImages_AndLeavesThemUnchangedTheSecondTime()
    {
        using var cli = new CliRunner();
        var models = cli.PathOf("models");
        Directory.CreateDirectory(models);
        File.Copy(CliRunner.RepoPath("models", "catalog.json"), Path.Combine(models, "catalog.json"));

        var first = await cli.RunAsync("models", "draw-styles", "--models", models, "--only", "mondrian", "neon");
        var again = await cli.RunAsync("models", "draw-styles", "--models", models, "--only", "mondrian");
        var unknown = await cli.RunAsync("models", "draw-styles", "--models", models, "--only", "mosaic");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(models, "neon", "style.jpg")), ProceduralStyleImages.Get("neon").ToJpeg());
        Assert.Contains("mondrian: mondrian/style.jpg written", first.Out, StringComparison.Ordinal);
        Assert.Contains("mondrian: mondrian/style.jpg unchanged", again.Out, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no procedural style image 'mosaic'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildStyles_Missing_TrainsOnlyStylesNotInTheCatalogAtTheirVersion()
    {
        using var cli = new CliRunner();
        var models = cli.PathOf("models");
        Directory.CreateDirectory(Path.Combine(models, "mosaic"));
        File.Copy(CliRunner.RepoPath("models", "catalog.json"), Path.Combine(models, "catalog.json"));
        File.Copy(CliRunner.RepoPath("models", "mosaic", "model.onnx"), Path.Combine(models, "mosaic", "model.onnx"));
        var mosaic = BuiltInStyles.Get("mosaic");

        // Nothing to train: done without loading LibTorch.
        var outcome = await cli.RunAsync("models", "build-styles", "--models", models, "--only", "mosaic", "--missing");

        Assert.Equal((0, "0 to train: none"), (outcome.ExitCode, outcome.Out.Trim()));
        Assert.True(BuiltInStyles.IsBuilt(models, mosaic));
        Assert.False(BuiltInStyles.IsBuilt(models, mosaic with { Version = "9.0.0" }));
        Assert.False(BuiltInStyles.IsBuilt(models, BuiltInStyles.Get("brush")));
        Assert.False(BuiltInStyles.IsBuilt(models, BuiltInStyles.Get("fire")));
    }

    private static double MeanDifference(Image<Rgb24> a, Image<Rgb24> b)
    {
        var total = 0L;
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                var (p, q) = (a[x, y], b[x, y]);
                total += Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B);
            }
        }

        return total / (3.0 * a.Width * a.Height);
    }
}
