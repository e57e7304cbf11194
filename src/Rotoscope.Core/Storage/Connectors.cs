using System.Collections.Concurrent;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Rotoscope.Core.Storage;

/// <summary>
/// Turns a stored location (<c>data://</c>, <c>s3://bucket/key</c>, <c>s3+label://key</c>, <c>dropbox://path</c>,
/// <c>dropbox+label://path</c>) into the store and key that hold it, through the user's connectors. Roots and read-only
/// limits are checked here, before any request is made.
/// </summary>
public sealed class Connectors(ConnectorConfig config, IReadOnlyDictionary<string, string?> environment, LocalBlobStore data) : IDisposable
{
    private readonly ConcurrentDictionary<string, IAmazonS3> clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DropboxClient> dropboxClients = new(StringComparer.Ordinal);

    /// <summary>The store and key of <paramref name="location"/>; <paramref name="forWrite"/> also requires a writable connector.</summary>
    public (IBlobStore Store, BlobKey Key) Resolve(MediaLocation location, bool forWrite)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location switch
        {
            MediaLocation.StoreObject blob => (data, blob.Key),
            MediaLocation.Remote { Kind: "s3" } remote => ResolveS3(remote, forWrite),
            MediaLocation.Remote { Kind: "dropbox" } remote => ResolveDropbox(remote, forWrite),
            _ => throw new RotoscopeException($"'{location.Text}' is not a stored location"),
        };
    }

    /// <summary>
    /// The store and folder a folder URI names (<c>data://</c>, <c>data://videos/</c>, <c>s3://bucket/</c>,
    /// <c>s3+label://prefix/</c>); the folder is null for a whole store or bucket.
    /// </summary>
    public (IBlobStore Store, BlobKey? Folder) ResolveFolder(string uri, bool forWrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);

        // A folder is resolved as a key inside it, so that it meets the same root and write checks as any key.
        var inside = uri.EndsWith("://", StringComparison.Ordinal) ? uri + "x" : uri.TrimEnd('/') + "/x";
        var (store, key) = Resolve(MediaLocation.Parse(inside), forWrite);
        var slash = key.Value.LastIndexOf('/');
        return (store, slash > 0 ? BlobKey.Parse(key.Value[..slash]) : null);
    }

    /// <summary>
    /// The frame store at <paramref name="uri"/>: <c>data://</c> itself, or a folder reached through a writable connector
    /// (<c>s3://bucket/prefix/</c>, <c>s3+label://prefix/</c>, <c>dropbox+label://folder/</c>), where split and styled
    /// frames, audio and render state go, so that several machines can share them.
    /// </summary>
    public IBlobStore StoreAt(string uri)
    {
        var (store, folder) = ResolveFolder(uri, forWrite: true);
        return store switch
        {
            LocalBlobStore when folder is null => store,
            S3BlobStore s3 => s3.Under(folder),
            DropboxBlobStore dropbox => dropbox.Under(folder),
            _ => throw new RotoscopeException($"a frame store is data:// itself or a connector's folder (s3://bucket/prefix/, s3+label://prefix/, dropbox+label://folder/), not '{uri}'"),
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in clients.Values)
        {
            client.Dispose();
        }

        foreach (var client in dropboxClients.Values)
        {
            client.Dispose();
        }
    }

    private (IBlobStore, BlobKey) ResolveS3(MediaLocation.Remote remote, bool forWrite)
    {
        var label = remote.Label ?? "default";
        var connector = config.S3.FirstOrDefault(c => c.Label == label)
            ?? throw new RotoscopeException(remote.Label is null
                ? $"'{remote.Text}': no default S3 connector is configured (add one: rotoscope connectors add s3 --label default …, or name one: s3+LABEL://)"
                : $"'{remote.Text}': no S3 connector labelled '{label}' (see 'rotoscope connectors list')");

        // s3://bucket/key names its bucket; s3+label://key is a key in the connector's bucket.
        string bucket, path;
        if (remote.Label is null)
        {
            var slash = remote.Path.IndexOf('/', StringComparison.Ordinal);
            (bucket, path) = slash > 0 ? (remote.Path[..slash], remote.Path[(slash + 1)..]) : (remote.Path, "");
        }
        else
        {
            (bucket, path) = (connector.Bucket!, remote.Path);
        }

        if (!BlobKey.TryParse(path, out var key, out var reason))
        {
            throw new RotoscopeException($"'{remote.Text}' is not a valid object name: {reason}");
        }

        if ((connector.Bucket is not null && bucket != connector.Bucket) || !key.Value.StartsWith(connector.Prefix, StringComparison.Ordinal))
        {
            throw new RotoscopeException($"'{remote.Text}' is outside the root of connector '{label}' ({connector.Root})");
        }

        if (forWrite && !connector.Writable)
        {
            throw new RotoscopeException($"cannot write '{remote.Text}': connector '{label}' is read-only (add it again with --write to allow writes)");
        }

        var description = remote.Label is null ? $"s3://{bucket}/" : $"s3+{label}://";
        return (new S3BlobStore(clients.GetOrAdd(label, _ => CreateClient(connector)), bucket, root: "", connector.Writable, description), key);
    }

    // dropbox://path is a path from the Dropbox root; dropbox+label://path one inside the connector's folder. Dropbox
    // compares paths case-insensitively, and so does the root check.
    private (IBlobStore, BlobKey) ResolveDropbox(MediaLocation.Remote remote, bool forWrite)
    {
        var label = remote.Label ?? "default";
        var connector = config.Dropbox.FirstOrDefault(c => c.Label == label)
            ?? throw new RotoscopeException(remote.Label is null
                ? $"'{remote.Text}': no default Dropbox connector is configured (add one: rotoscope connectors add dropbox --label default …, or name one: dropbox+LABEL://)"
                : $"'{remote.Text}': no Dropbox connector labelled '{label}' (see 'rotoscope connectors list')");
        if (!BlobKey.TryParse(remote.Path.TrimStart('/'), out var key, out var reason))
        {
            throw new RotoscopeException($"'{remote.Text}' is not a valid Dropbox path: {reason}");
        }

        var folder = connector.Folder.Trim('/');
        string root;
        if (remote.Label is null)
        {
            if (folder.Length > 0 && !key.Value.StartsWith(folder + "/", StringComparison.OrdinalIgnoreCase))
            {
                throw new RotoscopeException($"'{remote.Text}' is outside the root of connector '{label}' ({connector.Root})");
            }

            // The store is rooted at the Dropbox root, so that keys are the paths as typed.
            root = "";
        }
        else
        {
            root = folder.Length > 0 ? "/" + folder : "";
        }

        if (forWrite && !connector.Writable)
        {
            throw new RotoscopeException($"cannot write '{remote.Text}': connector '{label}' is read-only (add it again with --write to allow writes)");
        }

        var description = remote.Label is null ? "dropbox://" : $"dropbox+{label}://";
        return (new DropboxBlobStore(dropboxClients.GetOrAdd(label, _ => CreateClient(connector)), root, connector.Writable, description), key);
    }

    private DropboxClient CreateClient(DropboxConnectorSettings connector)
    {
        var refreshToken = connector.RefreshToken.Resolve(environment)
            ?? throw new RotoscopeException($"connector '{connector.Label}': its refresh token is not set ({connector.RefreshToken})");
        string? appSecret = null;
        if (connector.AppSecret is { } source)
        {
            appSecret = source.Resolve(environment) ?? throw new RotoscopeException($"connector '{connector.Label}': its app secret is not set ({source})");
        }

        return new DropboxClient(new DropboxCredentials(connector.AppKey, appSecret, refreshToken), connector.Endpoint is { } url ? new Uri(url) : null);
    }

    private AmazonS3Client CreateClient(S3ConnectorSettings connector)
    {
        var settings = new AmazonS3Config
        {
            // The SDK's standard retry mode: exponential backoff with jitter on 5xx, throttling and dropped connections.
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 6,
            // Checksums only where S3 requires them: S3-compatible servers reject trailing-checksum bodies.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (connector.Endpoint is { } endpoint)
        {
            settings.ServiceURL = endpoint;
            settings.ForcePathStyle = true;
            settings.AuthenticationRegion = connector.Region;
        }
        else
        {
            settings.RegionEndpoint = RegionEndpoint.GetBySystemName(connector.Region);
        }

        if (connector.AccessKey is null && connector.SecretKey is null)
        {
            return new AmazonS3Client(settings); // the AWS credential chain: environment, profile, instance role
        }

        var access = connector.AccessKey?.Resolve(environment);
        var secret = connector.SecretKey?.Resolve(environment);
        if (access is null || secret is null)
        {
            var missing = access is null ? connector.AccessKey : connector.SecretKey;
            throw new RotoscopeException($"connector '{connector.Label}': its {(access is null ? "access key" : "secret key")} is not set ({missing})");
        }

        return new AmazonS3Client(new BasicAWSCredentials(access, secret), settings);
    }
}
