using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotoscope.Core.Storage;

/// <summary>Whole-blob reads and writes (bytes, JSON) over any <see cref="IBlobStore"/>.</summary>
public static class BlobStoreExtensions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Whether <paramref name="key"/> holds a complete blob.</summary>
    public static async Task<bool> ExistsAsync(this IBlobStore store, BlobKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.StatAsync(key, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>The size in bytes of the blob at <paramref name="key"/>, or null when there is none.</summary>
    public static async Task<long?> LengthAsync(this IBlobStore store, BlobKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return (await store.StatAsync(key, cancellationToken).ConfigureAwait(false))?.Length;
    }

    /// <summary>Reads a whole blob.</summary>
    public static async Task<byte[]> ReadAllBytesAsync(this IBlobStore store, BlobKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream(stream.CanSeek ? (int)stream.Length : 0);
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }

    /// <summary>Writes a whole blob atomically.</summary>
    public static async Task WriteAllBytesAsync(this IBlobStore store, BlobKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        await store.WriteAsync(key, stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a JSON blob.</summary>
    public static async Task<T> ReadJsonAsync<T>(this IBlobStore store, BlobKey key, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAllBytesAsync(key, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new InvalidDataException($"'{key}' holds no {typeof(T).Name}");
    }

    /// <summary>Reads a JSON blob, or returns null when there is none: one request, where exists-then-read takes two.</summary>
    public static async Task<T?> TryReadJsonAsync<T>(this IBlobStore store, BlobKey key, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await store.ReadJsonAsync<T>(key, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Writes a JSON blob atomically.</summary>
    public static Task WriteJsonAsync<T>(this IBlobStore store, BlobKey key, T value, CancellationToken cancellationToken) =>
        store.WriteAllBytesAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, Json), cancellationToken);
}
