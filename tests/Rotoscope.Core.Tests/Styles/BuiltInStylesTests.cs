using System.Text.Json.Nodes;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Styles;
using Rotoscope.Core.Tests.Inference;

namespace Rotoscope.Core.Tests.Styles;

/// <summary>Every style the catalog ships loads in ONNX Runtime, keeps the geometry and visibly changes a frame.</summary>
[Trait("Category", "Integration")]
[Collection(OnnxRuntimeTestGroup.Name)]
public sealed class BuiltInStylesTests
{
    private static readonly StyleCatalog Catalog = StyleCatalog.Load(Path.Combine(OnnxRuntimeFixture.RepoRoot(), "models"));

    public static TheoryData<string> StyleIds()
    {
        var ids = new TheoryData<string>();
        foreach (var id in Catalog.Styles.Select(s => s.Id).Distinct())
        {
            ids.Add(id);
        }

        return ids;
    }

    [Fact]
    public void Catalog_HasThirtyNeuralStylesAndTheFilters_WithMatchingHashesAndPreviews()
    {
        var neural = Catalog.Styles.Count(s => s.Kind == StyleKind.Neural);
        Assert.True(neural >= 30, $"{neural} neural styles; the catalog promises at least 30");
        Assert.True(Catalog.Styles.Count(s => s.Kind != StyleKind.Neural) >= 6, "the six filters are missing");
        foreach (var style in Catalog.Styles)
        {
            StyleCatalog.Verify(new StyleChain([style]));
            Assert.True(style.PreviewPath is not null && File.Exists(style.PreviewPath), $"{style.Id} has no preview");
        }
    }

    [Theory]
    [MemberData(nameof(StyleIds))]
    public void CatalogEntry_IsComplete_ForEveryBuiltInStyle(string id)
    {
        // What `rotoscope styles` shows and what redistributing the model needs: a title, a one-line description, a
        // licence, a preview, a version, and how it was made (for a neural style: its style image and that image's source).
        var models = Path.Combine(OnnxRuntimeFixture.RepoRoot(), "models");
        var entry = JsonNode.Parse(File.ReadAllText(Path.Combine(models, "catalog.json")))!["styles"]!.AsArray().Single(s => (string?)s!["id"] == id)!;
        string Text(JsonNode? node) => ((string?)node ?? string.Empty).Trim();

        foreach (var field in new[] { "version", "title", "description", "license", "preview" })
        {
            Assert.False(Text(entry[field]).Length == 0, $"{id} has no {field}");
        }

        Assert.DoesNotContain('\n', Text(entry["description"]));
        Assert.True(File.Exists(Path.Combine(models, Text(entry["preview"]))), $"{id}'s preview is missing");
        var made = entry["made"];
        Assert.False(Text(made?["builder"]).Length == 0, $"{id} does not say how it was made");
        if ((string?)entry["kind"] == "neural")
        {
            Assert.True(File.Exists(Path.Combine(models, Text(made!["styleImage"]))), $"{id}'s style image is missing");
            Assert.False(Text(made["styleImageSource"]).Length == 0, $"{id} does not say where its style image comes from");
        }
    }

    [Theory]
    [MemberData(nameof(StyleIds))]
    public void Run_ChangesPixelsAndKeepsRange_ForEveryBuiltInStyle(string id)
    {
        const int width = 96, height = 64;
        var model = Assert.Single(Catalog.Resolve(id).Models);
        using var session = OnnxStyleSession.Open(model.ModelPath, new InferenceOptions());
        var rgb = Scene(width, height);
        var input = new float[3 * width * height];
        var output = new float[input.Length];
        PixelLayout.HwcToPlanar(rgb, width, height, input, width, height);

        session.Run(input, output, 1, height, width);

        Assert.All(output, v => Assert.InRange(v, 0f, 255f));
        var styled = new byte[rgb.Length];
        PixelLayout.PlanarToHwc(output, width, height, styled, width, height);
        var difference = rgb.Zip(styled, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(difference > 8, $"{id} changed the frame by only {difference:0.0} per channel on average");
    }

    // Sky, hills and a sun: edges and flat areas, like a real frame.
    private static byte[] Scene(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var horizon = height / 2 + (int)(6 * Math.Sin(x / 9.0));
                var sun = ((x - 70) * (x - 70)) + ((y - 12) * (y - 12)) < 64;
                (int r, int g, int b) = sun ? (255, 220, 90) : y < horizon ? (90 + y, 150 + y, 235) : (60 + (x * 3 % 50), 130 + (y * 5 % 60), 50);
                var i = ((y * width) + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = ((byte)r, (byte)g, (byte)b);
            }
        }

        return rgb;
    }
}
