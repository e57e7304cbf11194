using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Onnx;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Styles;
using Rotoscope.Training.Filters;
using CliRunner = Rotoscope.Cli.Tests.Cli;

namespace Rotoscope.Training.Tests.Filters;

/// <summary>The committed filter models are exactly what the C# definitions write (no LibTorch needed).</summary>
[Trait("Category", "Unit")]
public sealed class BuiltInFiltersUnitTests
{
    public static TheoryData<string> Ids() => new(BuiltInFilters.All.Select(f => f.Id));

    [Theory]
    [MemberData(nameof(Ids))]
    public void ToOnnx_IsByteIdenticalToTheCommittedModelAndItsCatalogHash(string id)
    {
        var model = StyleCatalog.Load(CliRunner.RepoPath("models")).Resolve(id).Models[0];

        var bytes = BuiltInFilters.Get(id).Filter.ToOnnx(id);

        // A failure here means the filter code changed: rebuild with `./rotoscope models build-filters --models models`.
        Assert.Equal(StyleKind.Filter, model.Kind);
        Assert.Equal(model.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(File.ReadAllBytes(model.ModelPath), bytes);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void ToOnnx_FollowsTheRendererContract(string id)
    {
        var model = ModelProto.Parser.ParseFrom(BuiltInFilters.Get(id).Filter.ToOnnx(id));

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(13, Assert.Single(model.OpsetImport).Version);
        Assert.Equal("input", Assert.Single(model.Graph.Input).Name);
        Assert.Equal("output", Assert.Single(model.Graph.Output).Name);
        foreach (var value in new[] { model.Graph.Input[0], model.Graph.Output[0] })
        {
            Assert.Equal((int)TensorProto.Types.DataType.Float, value.Type.TensorType.ElemType);
            Assert.Equal(["N", "", "H", "W"], value.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
            Assert.Equal(3, value.Type.TensorType.Shape.Dim[1].DimValue);
        }

        // Clamped inside the graph: the last node makes the output.
        Assert.Equal(("Clip", "output"), (model.Graph.Node[^1].OpType, model.Graph.Node[^1].Output[0]));
    }
}

/// <summary>The filters' graphs through ONNX Runtime, and the maintainer's rebuild of models/.</summary>
[Trait("Category", "Integration")]
public sealed class BuiltInFiltersTests : IDisposable
{
    private static readonly Rgb Paper = new(250, 246, 236);

    private readonly string directory = Directory.CreateTempSubdirectory("rotoscope-filters-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Toon_GivesFlatBandsAwayFromEdgesAndDarkOutlinesAtThem_OnAnOddSize()
    {
        const int width = 53;
        const int height = 37;
        const int boundary = 26;
        // Two flat colours split by a vertical edge, orange left, blue right.
        var rgb = new byte[width * height * 3];
        for (var i = 0; i < width * height; i++)
        {
            byte[] colour = i % width < boundary ? [200, 120, 40] : [30, 60, 220];
            colour.CopyTo(rgb, i * 3);
        }

        var output = Run("toon", rgb, width, height);

        // Each region, beyond the blur and Sobel reach (5 + 1 px) of the edge, is one band centre (k + 0.5) x 42.5 per channel.
        float[] centres = [.. Enumerable.Range(0, 6).Select(k => (k + 0.5f) * 42.5f)];
        foreach (var (from, to) in new[] { (0, boundary - 7), (boundary + 7, width) })
        {
            for (var channel = 0; channel < 3; channel++)
            {
                var values = Region(output, width, height, channel, from, to).Distinct().ToList();
                var value = Assert.Single(values);
                Assert.Contains(value, centres);
            }
        }

        var flatLeft = Region(output, width, height, 0, 0, boundary - 7).First();
        var atEdge = Region(output, width, height, 0, boundary - 1, boundary + 1).Min();
        Assert.True(atEdge < flatLeft * 0.5f, $"the outline is not dark: red {atEdge} at the edge, {flatLeft} in the flat area");
    }

    [Fact]
    public void Ink_IsMostlyPaperWithSomeDarkLines_OnAPhoto()
    {
        using var codec = new ImageCodec();
        using var photo = codec.Decode(File.ReadAllBytes(CliRunner.RepoPath("models", "content", "chelsea.jpg")));

        var output = Run("ink", photo.Pixels.ToArray(), photo.Width, photo.Height);

        var plane = photo.Width * photo.Height;
        var paper = Enumerable.Range(0, plane).Count(i => output[i] == Paper.R && output[plane + i] == Paper.G && output[2 * plane + i] == Paper.B);
        var dark = Enumerable.Range(0, plane).Count(i => output[i] < 60);
        Assert.InRange(paper / (double)plane, 0.5, 0.99);
        Assert.InRange(dark / (double)plane, 0.005, 0.3);
    }

    [Fact]
    public void Write_RebuildsModelPreviewAndCatalogEntry_AndLeavesTheOtherStylesAsTheyAre()
    {
        var models = CliRunner.RepoPath("models");
        File.Copy(Path.Combine(models, "catalog.json"), Path.Combine(directory, "catalog.json"));
        Directory.CreateDirectory(Path.Combine(directory, "content"));
        File.Copy(Path.Combine(models, BuiltInFilters.PreviewPhoto), Path.Combine(directory, BuiltInFilters.PreviewPhoto));
        var before = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "catalog.json")))!["styles"]!.AsArray();
        before.OfType<JsonObject>().Single(s => (string?)s["id"] == "ink")["sha256"] = "stale";
        File.WriteAllText(Path.Combine(directory, "catalog.json"), new JsonObject { ["version"] = 1, ["styles"] = before.DeepClone() }.ToJsonString());

        var written = Assert.Single(BuiltInFilters.Write(directory, [BuiltInFilters.Get("ink")]));

        Assert.True(written.Changed);
        var ink = StyleCatalog.Load(directory).Resolve("ink");
        StyleCatalog.Verify(ink);
        Assert.Equal(File.ReadAllBytes(Path.Combine(models, "ink", "model.onnx")), File.ReadAllBytes(written.ModelPath));
        using var codec = new ImageCodec();
        using var preview = codec.Decode(File.ReadAllBytes(Path.Combine(directory, "ink", "preview.jpg")));
        Assert.Equal((256, 144), (preview.Width, preview.Height));
        var after = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "catalog.json")))!["styles"]!.AsArray();
        Assert.Equal(before.Select(s => (string?)s!["id"]), after.Select(s => (string?)s!["id"]));
        foreach (var (old, now) in before.Zip(after).Where(p => (string?)p.First!["id"] != "ink"))
        {
            Assert.True(JsonNode.DeepEquals(old, now), $"{old!["id"]} changed");
        }
    }

    // Planar float output of a rebuilt filter over one interleaved RGB image.
    private float[] Run(string id, byte[] rgb, int width, int height)
    {
        var path = Path.Combine(directory, id + ".onnx");
        File.WriteAllBytes(path, BuiltInFilters.Get(id).Filter.ToOnnx(id));
        var input = new float[rgb.Length];
        PixelLayout.HwcToPlanar(rgb, width, height, input, width, height);
        var output = new float[rgb.Length];
        using var session = OnnxStyleSession.Open(path, new InferenceOptions());
        session.Run(input, output, 1, height, width);
        return output;
    }

    private static IEnumerable<float> Region(float[] planar, int width, int height, int channel, int fromColumn, int toColumn) =>
        from y in Enumerable.Range(0, height)
        from x in Enumerable.Range(fromColumn, toColumn - fromColumn)
        select planar[(channel * height + y) * width + x];
}
