using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rotoscope.Core;

namespace Rotoscope.Training;

/// <summary>
/// The repository's <c>models/catalog.json</c> as <c>models build-filters</c> and <c>models build-styles</c> edit it:
/// their own entries replaced or added, every other entry left as it is, written back in the same layout.
/// </summary>
internal sealed class ModelsCatalog
{
    /// <summary>Training and filter settings as the catalog records them (camelCase).</summary>
    public static readonly JsonSerializerOptions SettingsJson = new(JsonSerializerDefaults.Web);

    // As Python's json.dump(indent=2) writes it, but '+' and non-ASCII text left readable.
    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string path;
    private readonly JsonObject root;

    private ModelsCatalog(string path, JsonObject root) => (this.path, this.root) = (path, root);

    private JsonArray Styles => root["styles"]!.AsArray();

    /// <summary>
    /// Fails with one line unless <paramref name="modelsDirectory"/> has a catalog.json: builders write models and
    /// images into the folder they are pointed at, and a wrong one would fill up with them before anything else failed.
    /// </summary>
    public static void CheckIn(string modelsDirectory) => _ = PathIn(modelsDirectory);

    /// <summary>Reads the catalog as it is now (read it again after a long training run: others may have edited it since).</summary>
    public static ModelsCatalog Open(string modelsDirectory)
    {
        var path = PathIn(modelsDirectory);
        return new ModelsCatalog(path, JsonNode.Parse(File.ReadAllText(path))!.AsObject());
    }

    /// <summary>The entry of style <paramref name="id"/>, or null.</summary>
    public JsonObject? Find(string id) => Styles.OfType<JsonObject>().FirstOrDefault(s => (string?)s["id"] == id);

    /// <summary>
    /// Replaces the entry with <paramref name="entry"/>'s id in place, or adds it: a filter after the last filter (the
    /// filters come first), anything else at the end.
    /// </summary>
    public void Put(JsonObject entry)
    {
        var styles = Styles;
        if (Find((string)entry["id"]!) is { } existing)
        {
            styles[styles.IndexOf(existing)] = entry;
        }
        else if ((string?)entry["kind"] == "filter")
        {
            styles.Insert(styles.Select((s, i) => (string?)s?["kind"] == "filter" ? i + 1 : 0).DefaultIfEmpty(0).Max(), entry);
        }
        else
        {
            styles.Add(entry);
        }
    }

    /// <summary>Writes the catalog back: whole or not at all (a stop mid-write leaves the previous file).</summary>
    public void Save()
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temporary, root.ToJsonString(FileJson) + "\n");
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // nothing left behind by a failed write (after the move there is nothing to delete)
        }
    }

    private static string PathIn(string modelsDirectory)
    {
        var path = Path.Combine(modelsDirectory, "catalog.json");
        return File.Exists(path) ? path : throw new RotoscopeException($"no catalog.json in {modelsDirectory}: point --models at the repository's models folder");
    }
}
