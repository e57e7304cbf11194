using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotoscope.Core.Storage;

/// <summary>A secret as configured: inline, or the name of an environment variable that holds it.</summary>
/// <remarks>Never printed: <see cref="ToString"/> says where the secret comes from, not what it is.</remarks>
public sealed record SecretSource(string? Value = null, string? Variable = null)
{
    /// <summary>The secret, or null when it is not set (an unset variable).</summary>
    public string? Resolve(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Value ?? (Variable is { } name && environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null);
    }

    /// <inheritdoc/>
    public override string ToString() => Variable is { } name ? $"${name}" : "(inline)";
}

/// <summary>
/// An S3 connector: a bucket (or any bucket, for the default one) on an endpoint, limited to keys under
/// <paramref name="Prefix"/>, read-only unless <paramref name="Writable"/>.
/// </summary>
/// <param name="Label">Names the connector in URIs: <c>s3+LABEL://key</c>; "default" serves plain <c>s3://bucket/key</c>.</param>
/// <param name="Bucket">The bucket; null only for a default connector that may reach any bucket its credentials can.</param>
/// <param name="Prefix">Keys must start with it (empty: the whole bucket).</param>
/// <param name="Endpoint">An S3-compatible endpoint (path-style addressing); null for AWS.</param>
/// <param name="AccessKey">With <paramref name="SecretKey"/>: static credentials; both null: the AWS credential chain.</param>
public sealed record S3ConnectorSettings(
    string Label,
    string? Bucket,
    string Prefix,
    string? Endpoint,
    string Region,
    bool Writable,
    SecretSource? AccessKey,
    SecretSource? SecretKey)
{
    /// <summary>The connector's root as a URI, for messages: <c>s3://bucket/prefix</c>.</summary>
    public string Root => $"s3://{Bucket ?? "*"}/{Prefix}";
}

/// <summary>
/// A Dropbox connector: an app signed in with a refresh token, limited to <paramref name="Folder"/> and what is below it,
/// read-only unless <paramref name="Writable"/>.
/// </summary>
/// <param name="Label">Names the connector in URIs: <c>dropbox+LABEL://path</c>; "default" serves plain <c>dropbox://path</c>.</param>
/// <param name="Folder">The root, e.g. <c>/Rotoscope</c>; empty for the whole Dropbox. Compared case-insensitively, as Dropbox does.</param>
/// <param name="AppSecret">Null for an app that signs in with PKCE (no secret).</param>
/// <param name="Endpoint">One base URL for Dropbox's api, content and notify hosts (a local fake in tests); null for Dropbox itself.</param>
public sealed record DropboxConnectorSettings(
    string Label,
    string Folder,
    bool Writable,
    string AppKey,
    SecretSource? AppSecret,
    SecretSource RefreshToken,
    string? Endpoint = null)
{
    /// <summary>The connector's root as a URI, for messages: <c>dropbox://Rotoscope/</c>.</summary>
    public string Root => $"dropbox://{Folder.TrimStart('/')}{(Folder.Length > 0 ? "/" : "")}";
}

/// <summary>The user's connectors, kept in a file only its owner can read (mode 0600): it may hold secrets.</summary>
public sealed record ConnectorConfig
{
    /// <summary>No connectors.</summary>
    public static readonly ConnectorConfig Empty = new();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The S3 connectors.</summary>
    public IReadOnlyList<S3ConnectorSettings> S3 { get; init; } = [];

    /// <summary>The Dropbox connectors.</summary>
    public IReadOnlyList<DropboxConnectorSettings> Dropbox { get; init; } = [];

    /// <summary>Reads <paramref name="path"/>; a missing file is no connectors.</summary>
    public static ConnectorConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            return Empty;
        }

        try
        {
            return JsonSerializer.Deserialize<ConnectorConfig>(File.ReadAllBytes(path), Json) ?? Empty;
        }
        catch (JsonException e)
        {
            // The position, not the content: the file may hold secrets.
            throw new RotoscopeException($"cannot read the connectors file {path}: it is not valid JSON (line {e.LineNumber + 1})", e);
        }
    }

    /// <summary>Writes the file atomically, readable by its owner only.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var partial = $"{path}.{Guid.NewGuid():N}.partial";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var file = new FileStream(partial, options))
            {
                JsonSerializer.Serialize(file, this, Json);
                file.Flush(flushToDisk: true);
            }

            DurableFile.Commit(partial, path);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>This configuration with <paramref name="connector"/> added, replacing one with the same label.</summary>
    public ConnectorConfig With(S3ConnectorSettings connector)
    {
        ArgumentNullException.ThrowIfNull(connector);
        return this with { S3 = [.. S3.Where(c => c.Label != connector.Label), connector] };
    }

    /// <summary>This configuration with <paramref name="connector"/> added, replacing one with the same label.</summary>
    public ConnectorConfig With(DropboxConnectorSettings connector)
    {
        ArgumentNullException.ThrowIfNull(connector);
        return this with { Dropbox = [.. Dropbox.Where(c => c.Label != connector.Label), connector] };
    }

    /// <summary>This configuration without the connectors labelled <paramref name="label"/>, of any kind.</summary>
    public ConnectorConfig Without(string label) =>
        this with { S3 = [.. S3.Where(c => c.Label != label)], Dropbox = [.. Dropbox.Where(c => c.Label != label)] };
}
