using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Tests.Styles;

[Trait("Category", "Unit")]
public sealed class StyleCatalogTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("rotoscope-catalog-").FullName;

    public StyleCatalogTests()
    {
        var entries = new List<string>();
        foreach (var (id, version) in new[] { ("mosaic", "1.0.0"), ("mosaic", "1.10.0"), ("mosaic", "1.2.0"), ("ink", "1.0.0"), ("toon", "2.0.0") })
        {
            var file = $"{id}-{version}.onnx";
            File.WriteAllText(Path.Combine(directory, file), $"model {id} {version}");
            var sha = StyleCatalog.HashFile(Path.Combine(directory, file));
            entries.Add($$"""{ "id": "{{id}}", "version": "{{version}}", "title": "{{id}}", "description": "d", "kind": "{{(id == "mosaic" ? "neural" : "filter")}}", "file": "{{file}}", "sha256": "{{sha}}", "preview": null, "license": "MIT" }""");
        }

        File.WriteAllText(Path.Combine(directory, "catalog.json"), $$"""{ "version": 1, "styles": [ {{string.Join(",", entries)}} ] }""");
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Resolve_PicksNewestVersion_WhenOnlyIdGiven()
    {
        var chain = StyleCatalog.Load(directory).Resolve("mosaic");
        Assert.Equal("1.10.0", Assert.Single(chain.Models).Version);
        Assert.Equal(StyleKind.Neural, chain.Models[0].Kind);
    }

    [Fact]
    public void Resolve_PicksExactVersion_WhenIdAtVersionGiven() =>
        Assert.Equal("1.2.0", Assert.Single(StyleCatalog.Load(directory).Resolve("mosaic@1.2.0").Models).Version);

    [Fact]
    public void Resolve_KeepsOrder_WhenChainGiven()
    {
        var chain = StyleCatalog.Load(directory).Resolve("mosaic|ink");
        Assert.Equal(["mosaic", "ink"], chain.Models.Select(m => m.Id));
        Assert.Equal("mosaic|ink", chain.Name);
        Assert.NotEqual(chain.Hash, StyleCatalog.Load(directory).Resolve("ink|mosaic").Hash);
    }

    [Fact]
    public void Resolve_ListsNearMatches_WhenIdIsMisspelled()
    {
        var error = Assert.Throws<StyleNotFoundException>(() => StyleCatalog.Load(directory).Resolve("mosiac"));
        Assert.Equal(["mosaic"], error.NearMatches);
        Assert.Contains("did you mean mosaic?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_SaysWhichVersionsExist_WhenVersionIsUnknown()
    {
        var error = Assert.Throws<RotoscopeException>(() => StyleCatalog.Load(directory).Resolve("ink@9.9.9"));
        Assert.Contains("available: 1.0.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_HashesModelFile_WhenPathGiven()
    {
        var path = Path.Combine(directory, "ink-1.0.0.onnx");
        var model = Assert.Single(StyleCatalog.Load(directory).Resolve(path).Models);
        Assert.Equal(StyleCatalog.HashFile(path), model.Sha256);
        Assert.Equal("file", model.Version);
    }

    [Fact]
    public void Resolve_Throws_WhenModelPathIsMissing()
    {
        var error = Assert.Throws<RotoscopeException>(() => StyleCatalog.Load(directory).Resolve("/nowhere/mine.onnx"));
        Assert.Contains("style model not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Throws_WhenModelFileNoLongerMatchesItsHash()
    {
        var catalog = StyleCatalog.Load(directory);
        File.AppendAllText(Path.Combine(directory, "toon-2.0.0.onnx"), "corruption");

        var error = Assert.Throws<RotoscopeException>(() => StyleCatalog.Verify(catalog.Resolve("toon")));
        Assert.Contains("is corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ThrowsClearError_WhenCatalogIsMissing()
    {
        var error = Assert.Throws<RotoscopeException>(() => StyleCatalog.Load(Path.Combine(directory, "nope")));
        Assert.Contains("style catalog not found", error.Message, StringComparison.Ordinal);
    }
}
