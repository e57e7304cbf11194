using System.Security.Cryptography;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Tests.Storage;

[Trait("Category", "Unit")]
public sealed class LocalBlobStoreTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-store-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task WriteAsync_RoundTripsBytesExactly_WhenReadBack()
    {
        var store = new LocalBlobStore(root);
        var content = RandomNumberGenerator.GetBytes(300_000);
        var key = BlobKey.Parse("frames/k/000001.jpg");

        await store.WriteAllBytesAsync(key, content, CancellationToken.None);

        Assert.True(await store.ExistsAsync(key, CancellationToken.None));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await store.ReadAllBytesAsync(key, CancellationToken.None)));
        Assert.Equal(Path.Combine(root, "frames", "k", "000001.jpg"), store.PathOf(key));
    }

    [Fact]
    public async Task WriteAsync_LeavesNoBlob_WhenContentStreamFails()
    {
        var store = new LocalBlobStore(root);
        var key = BlobKey.Parse("frames/k/000002.jpg");

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync(key, new FailingStream(), CancellationToken.None));

        Assert.False(await store.ExistsAsync(key, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ListAsync_ReturnsKeysInOrder_AndSkipsPartialFiles()
    {
        var store = new LocalBlobStore(root);
        foreach (var name in new[] { "000003.jpg", "000001.jpg", "000002.jpg" })
        {
            await store.WriteAllBytesAsync(BlobKey.Parse($"f/{name}"), new byte[] { 1 }, CancellationToken.None);
        }

        await File.WriteAllBytesAsync(Path.Combine(root, "f", "000004.jpg.abc.partial"), [1]);

        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(BlobKey.Parse("f"), CancellationToken.None))
        {
            keys.Add(entry.Key.Value);
            Assert.Equal(1, entry.Length);
        }

        Assert.Equal(["f/000001.jpg", "f/000002.jpg", "f/000003.jpg"], keys);
    }

    [Fact]
    public async Task OpenReadAsync_ThrowsBlobNotFound_WhenMissing()
    {
        var store = new LocalBlobStore(root);
        var error = await Assert.ThrowsAsync<BlobNotFoundException>(() => store.OpenReadAsync(BlobKey.Parse("nope/x"), CancellationToken.None));
        Assert.Contains("nope/x", error.Message, StringComparison.Ordinal);
    }

    private sealed class FailingStream : MemoryStream
    {
        public FailingStream() : base(new byte[100_000])
        {
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position > 0 ? throw new IOException("disk on fire") : base.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
