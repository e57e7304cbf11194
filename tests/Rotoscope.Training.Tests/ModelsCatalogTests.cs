using System.Text.Json.Nodes;
using Rotoscope.Core;

namespace Rotoscope.Training.Tests;

[Trait("Category", "Unit")]
public sealed class ModelsCatalogTests : IDisposable
{
    private readonly string models = Directory.CreateTempSubdirectory("rotoscope-models-").FullName;

    public ModelsCatalogTests()
    {
        File.WriteAllText(Path.Combine(models, "catalog.json"), """
            {
              "styles": [
                { "id": "toon", "kind": "filter", "description": "old" },
                { "id": "mosaic", "kind": "neural" }
              ]
            }
            """);
    }

    public void Dispose() => Directory.Delete(models, recursive: true);

    [Fact]
    public void Put_ReplacesInPlace_AddsFiltersAfterTheFilters_AndOtherStylesAtTheEnd()
    {
        var catalog = ModelsCatalog.Open(models);

        catalog.Put(new JsonObject { ["id"] = "toon", ["kind"] = "filter", ["description"] = "new" });
        catalog.Put(new JsonObject { ["id"] = "ink", ["kind"] = "filter" });
        catalog.Put(new JsonObject { ["id"] = "brush", ["kind"] = "neural" });
        catalog.Save();

        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(models, "catalog.json")))!["styles"]!.AsArray();
        Assert.Equal(["toon", "ink", "mosaic", "brush"], saved.Select(s => (string)s!["id"]!));
        Assert.Equal("new", (string)saved[0]!["description"]!);
        Assert.Equal(["catalog.json"], Directory.GetFiles(models).Select(Path.GetFileName)); // no temporary left
    }

    [Fact]
    public void Open_SaysWhatIsWrong_WhenTheFolderHasNoCatalog()
    {
        var empty = Path.Combine(models, "elsewhere");
        Directory.CreateDirectory(empty);

        var error = Assert.Throws<RotoscopeException>(() => ModelsCatalog.Open(empty));

        Assert.Equal($"no catalog.json in {empty}: point --models at the repository's models folder", error.Message);
        Assert.Throws<RotoscopeException>(() => ModelsCatalog.CheckIn(empty));
    }
}
