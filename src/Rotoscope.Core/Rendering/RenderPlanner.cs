using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Rendering;

/// <summary>Turns a <see cref="RenderRequest"/> into an exact <see cref="RenderPlan"/>, failing early on bad input.</summary>
public sealed class RenderPlanner(LocalBlobStore store, StyleCatalog catalog, Ffmpeg ffmpeg, Connectors connectors)
{
    private static readonly Dictionary<string, string> Containers = new(StringComparer.OrdinalIgnoreCase)
    {
        [".mp4"] = "mp4", [".m4v"] = "mp4", [".mov"] = "mov", [".mkv"] = "matroska", [".webm"] = "webm",
    };

    /// <summary>Resolves the input, probes it, resolves the styles and the output, and derives the render id.</summary>
    public async Task<RenderPlan> PlanAsync(RenderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.BatchSize < 1)
        {
            throw new RotoscopeException($"batch size must be at least 1 (got {request.BatchSize})");
        }

        var input = MediaLocation.Parse(request.Input);
        var inputPath = input switch
        {
            MediaLocation.LocalFile file => file.Path,
            MediaLocation.StoreObject blob => store.PathOf(blob.Key),
            _ => null,
        };
        IBlobStore? source = null;
        var remote = default(BlobEntry);
        if (inputPath is null)
        {
            (source, var key) = connectors.Resolve(input, forWrite: false);
            remote = await source.StatAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new RotoscopeException($"input not found: {request.Input}");
        }
        else if (Directory.Exists(inputPath))
        {
            throw new RotoscopeException($"input is a directory, not a video: {request.Input}");
        }
        else if (!File.Exists(inputPath))
        {
            throw new RotoscopeException($"input not found: {request.Input}");
        }

        var chain = catalog.Resolve(request.Style, store.ModelPathOf) with { Adjustment = request.Adjustment };
        StyleCatalog.Verify(chain);

        // Everything that can be refused without the video is checked before a remote input is fetched.
        var (output, container) = ResolveOutput(request, input, inputPath ?? input.Text, chain);
        string? inputHash = null;
        if (inputPath is null)
        {
            (inputPath, inputHash) = await FetchAsync(source!, remote, cancellationToken).ConfigureAwait(false);
        }

        var probed = await ffmpeg.ProbeAsync(inputPath, cancellationToken).ConfigureAwait(false);
        var fps = request.Fps ?? probed.FrameRate;
        inputHash ??= await DurableFile.Sha256Async(inputPath, cancellationToken).ConfigureAwait(false);

        // Frames are shared by key (split: input + fps + format; styled: chain + split); the render id also covers
        // the output and batching, so two requests that differ only there never share plan or batch markers.
        var splitKey = ShortHash($"{inputHash}|{fps}|{request.FrameFormat}");
        var renderId = ShortHash($"{splitKey}|{chain.Hash}|{probed.Width}x{probed.Height}|{container}|{MediaLocation.Parse(output).Identity}|{request.BatchSize}");
        return new RenderPlan(renderId, inputPath, inputHash, probed, fps, chain.Models, splitKey, request.FrameFormat, request.BatchSize, output, container)
        {
            AllowDamaged = request.AllowDamaged,
            Device = request.Device,
            Adjustment = request.Adjustment,
        };
    }

    private (string Output, string Container) ResolveOutput(RenderRequest request, MediaLocation input, string inputPath, StyleChain chain)
    {
        // '_' joins a chain: ids never contain it, and it is safe in file names and store keys alike.
        // An adjusted render is named for its adjustment too, so it does not take the plain render's name.
        var styleName = string.Join('_', chain.Models.Select(m => SafeName(m.Id)))
            + (chain.Adjustment.Strength == 1 ? "" : $"-strength{chain.Adjustment.Strength.ToString(CultureInfo.InvariantCulture)}")
            + (chain.Adjustment.KeepColors ? "-keep-colors" : "");
        if (request.Output is null)
        {
            var extension = Path.GetExtension(inputPath);
            if (!Containers.ContainsKey(extension))
            {
                extension = ".mp4";
            }

            var name = $"{Path.GetFileNameWithoutExtension(inputPath)}.{styleName}{extension}";
            if (request.OutputFolder is { } folder)
            {
                return ResolveGivenOutput(folder.EndsWith('/') ? folder + name : $"{folder}/{name}", input, inputPath);
            }

            if (input is MediaLocation.Remote)
            {
                name = $"{Path.GetFileNameWithoutExtension(input.Text)}.{styleName}{extension}";
                return CheckRemoteOutput(input.Text[..(input.Text.LastIndexOf('/') + 1)] + name, input);
            }

            if (input is MediaLocation.StoreObject blob)
            {
                var slash = blob.Key.Value.LastIndexOf('/');
                return CheckStoreOutput(slash < 0 ? name : $"{blob.Key.Value[..slash]}/{name}", input);
            }

            return CheckLocalOutput(Path.Combine(Path.GetDirectoryName(inputPath)!, name), inputPath);
        }

        return ResolveGivenOutput(request.Output, input, inputPath);
    }

    private (string Output, string Container) ResolveGivenOutput(string output, MediaLocation input, string inputPath) =>
        MediaLocation.Parse(output) switch
        {
            MediaLocation.LocalFile file => CheckLocalOutput(file.Path, inputPath),
            MediaLocation.StoreObject blob => CheckStoreOutput(blob.Key.Value, input),
            _ => CheckRemoteOutput(output, input),
        };

    /// <summary>Resolves <paramref name="style"/> to exact catalog entries (fails with one line for an unknown style).</summary>
    public StyleChain ResolveStyle(string style) => catalog.Resolve(style, store.ModelPathOf);

    /// <summary>
    /// The SHA-256 of the video at <paramref name="input"/> (a path or URI). A remote one is fetched into the store's
    /// cache as a render would fetch it, so rendering it next finds it there.
    /// </summary>
    public async Task<string> ContentHashAsync(string input, CancellationToken cancellationToken)
    {
        var location = MediaLocation.Parse(input);
        switch (location)
        {
            case MediaLocation.LocalFile file:
                return await DurableFile.Sha256Async(file.Path, cancellationToken).ConfigureAwait(false);
            case MediaLocation.StoreObject blob:
                return await DurableFile.Sha256Async(store.PathOf(blob.Key), cancellationToken).ConfigureAwait(false);
            default:
                var (source, key) = connectors.Resolve(location, forWrite: false);
                var version = await source.StatAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new RotoscopeException($"input not found: {input}");
                return (await FetchAsync(source, version, cancellationToken).ConfigureAwait(false)).Sha256;
        }
    }

    // Checked without a request: a connector for the scheme, inside its root, writable.
    private (string, string) CheckRemoteOutput(string uri, MediaLocation input)
    {
        var output = MediaLocation.Parse(uri);
        var (_, key) = connectors.Resolve(output, forWrite: true);
        if (input is MediaLocation.Remote source && output is MediaLocation.Remote target && source with { Text = "" } == target with { Text = "" })
        {
            throw new RotoscopeException($"output would overwrite the input: {uri}");
        }

        return (uri, ContainerOf(key.Value));
    }

    // A remote input is fetched into the store's cache under its content hash (hashed while it arrives): ffmpeg reads
    // a local file, and renders of the same content share the cached copy and its split. An index by location and
    // version (ETag) finds it again without fetching while the object is unchanged.
    private async Task<(string Path, string Sha256)> FetchAsync(IBlobStore source, BlobEntry version, CancellationToken cancellationToken)
    {
        var key = version.Key;
        var cache = Directory.CreateDirectory(Path.Combine(store.Root, "cache", "inputs"));
        var index = Path.Combine(Directory.CreateDirectory(Path.Combine(cache.FullName, "sources")).FullName, ShortHash($"{source.Description}{key}|{version.Length}|{version.Version}"));
        if (File.Exists(index) && (await File.ReadAllTextAsync(index, cancellationToken).ConfigureAwait(false)).Trim() is { Length: > 0 } known
            && File.Exists(Path.Combine(cache.FullName, known)))
        {
            return (Path.Combine(cache.FullName, known), Path.GetFileNameWithoutExtension(known));
        }

        var partial = Path.Combine(cache.FullName, $"{Guid.NewGuid():N}.partial");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var remote = await source.OpenReadAsync(key, cancellationToken).ConfigureAwait(false))
            await using (var local = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await remote.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await local.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                local.Flush(flushToDisk: true);
            }

            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            var name = sha256 + Path.GetExtension(key.Value).ToLowerInvariant();
            DurableFile.Commit(partial, Path.Combine(cache.FullName, name));
            await File.WriteAllTextAsync(partial, name, cancellationToken).ConfigureAwait(false);
            DurableFile.Commit(partial, index);
            return (Path.Combine(cache.FullName, name), sha256);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static (string, string) CheckStoreOutput(string key, MediaLocation input)
    {
        if (!BlobKey.TryParse(key, out var parsed, out var reason))
        {
            throw new RotoscopeException($"cannot write data://{key}: {reason}");
        }

        var area = parsed.Value.Split('/')[0];
        if (RenderPlan.ReservedAreas.Contains(area))
        {
            throw new RotoscopeException($"cannot write data://{key}: data://{area}/ is where Rotoscope keeps its own work; choose another place (e.g. data://videos/)");
        }

        if (input is MediaLocation.StoreObject source && source.Key == parsed)
        {
            throw new RotoscopeException($"output would overwrite the input: data://{key}");
        }

        return ($"data://{key}", ContainerOf(key));
    }

    // Ids of models given by path come from file names, which may hold anything.
    private static string SafeName(string id) =>
        string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-'));

    private static (string, string) CheckLocalOutput(string path, string inputPath)
    {
        var container = ContainerOf(path);
        if (string.Equals(Path.GetFullPath(path), Path.GetFullPath(inputPath), StringComparison.Ordinal))
        {
            throw new RotoscopeException($"output would overwrite the input: {path}");
        }

        if (Directory.Exists(path))
        {
            throw new RotoscopeException($"output is a directory: {path} (give a file name, e.g. {Path.Combine(path, "styled.mp4")})");
        }

        // Fail now, not after an hour of stylizing, when the output cannot be written. Missing folders are made only
        // when the video is written, so a failed render leaves none behind; here the nearest existing one must be
        // a writable folder.
        var directory = Path.GetDirectoryName(path)!;
        var existing = directory;
        while (!Directory.Exists(existing) && !File.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        try
        {
            if (File.Exists(existing))
            {
                throw new IOException("it is a file, not a folder");
            }

            var probe = Path.Combine(existing, $".rotoscope-write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RotoscopeException($"cannot write to {existing}: {WhyUnwritable(e)}", e);
        }

        return (path, container);
    }

    private static string ContainerOf(string path)
    {
        var extension = Path.GetExtension(path);
        return Containers.TryGetValue(extension, out var container)
            ? container
            : throw new RotoscopeException($"unsupported output type '{extension}' for {path} (use .mp4, .m4v, .mov, .mkv or .webm)");
    }

    // What the user can act on, not our probe file's name: errno values as Linux reports them through IOException.
    private static string WhyUnwritable(Exception error) => error switch
    {
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "it does not accept new files",
        IOException { HResult: 30 } => "read-only file system",
        IOException { HResult: 28 } => "no space left on device",
        IOException { HResult: 122 } => "disk quota exceeded",
        _ => error.Message,
    };

    private static string ShortHash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20];
}
