using System.Security.Cryptography;
using Rotoscope.Core.Storage;
using Rotoscope.Tests;

namespace Rotoscope.Core.Tests.Storage;

/// <summary>The S3 store against a real S3 server (Swift s3api, which checks SigV4 signatures).</summary>
[Trait("Category", "Integration")]
[Collection(S3Group.Name)]
public sealed class S3BlobStoreTests(S3Server server) : IAsyncLifetime, IDisposable
{
    private readonly string bucket = $"test-{Guid.NewGuid():N}"[..20];
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("rotoscope-s3-");
    private Connectors? connectors;

    public async Task InitializeAsync()
    {
        using var admin = server.CreateClient();
        await admin.PutBucketAsync(bucket);
        connectors = Connect(server.SecretKey);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        connectors?.Dispose();
        data.Delete(recursive: true);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1000, true)]
    [InlineData((2 * S3BlobStore.PartSize) + 12345, false)] // unknown length: a multipart upload of three parts
    public async Task WriteThenRead_IsByteExact(int size, bool seekable)
    {
        var (store, key) = Resolve("s3+test://objects/blob.bin");
        var content = RandomNumberGenerator.GetBytes(size);

        await using (var source = seekable ? new MemoryStream(content) : new UnseekableStream(content))
        {
            await store.WriteAsync(key, source, CancellationToken.None);
        }

        Assert.Equal(size, await store.LengthAsync(key, CancellationToken.None));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await store.ReadAllBytesAsync(key, CancellationToken.None)));
    }

    [Fact]
    public async Task WriteThenRead_KeepsUnicodeAndSpacesInKeys()
    {
        var (store, key) = Resolve("s3+test://vidéos/été 2026/über ü+%.mp4");

        await store.WriteAllBytesAsync(key, "ü"u8.ToArray(), CancellationToken.None);

        Assert.Equal("ü"u8.ToArray(), await store.ReadAllBytesAsync(key, CancellationToken.None));
        var listed = await store.ListAsync(BlobKey.Parse("vidéos"), CancellationToken.None).ToListAsync();
        Assert.Equal([(key, 2L)], listed.Select(e => (e.Key, e.Length)));
    }

    [Fact]
    public async Task Read_OfALargeObject_IsByteExactInParallelRanges_WhenConnectionsAreCut()
    {
        var content = RandomNumberGenerator.GetBytes((5 * S3BlobStore.PartSize) + 777);
        var (store, key) = Resolve("s3+test://large/video.mp4");
        await store.WriteAllBytesAsync(key, content, CancellationToken.None);
        await using var proxy = new FaultyProxy(server.Endpoint, seed: 11, maxBytes: 48 * 1024 * 1024);
        using var faulty = Connect(server.SecretKey, proxy.Endpoint);
        var (through, _) = faulty.Resolve(MediaLocation.Parse("s3+test://large/video.mp4"), forWrite: false);

        await using var body = await through.OpenReadAsync(key, CancellationToken.None);
        var read = new MemoryStream();
        await body.CopyToAsync(read, 100_000);

        Assert.Equal(content.Length, body.Length);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(read.ToArray()));
        Assert.True(proxy.Faults >= 1, "no fault was injected");
    }

    [Fact]
    public async Task List_ReturnsEveryKey_WhenThereAreMoreThanAThousand()
    {
        var (store, _) = Resolve("s3+test://many/x");
        await Parallel.ForEachAsync(Enumerable.Range(0, 1005), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await store.WriteAllBytesAsync(BlobKey.Parse($"many/{i:D5}.txt"), "x"u8.ToArray(), ct));

        var keys = await store.ListAsync(BlobKey.Parse("many"), CancellationToken.None).ToListAsync();

        Assert.Equal(1005, keys.Count);
        Assert.Equal("many/01004.txt", keys[^1].Key.Value);
    }

    [Fact]
    public async Task LengthAndDelete_SeeMissingObjects()
    {
        var (store, key) = Resolve("s3+test://gone.txt");
        Assert.Null(await store.LengthAsync(key, CancellationToken.None));
        await store.WriteAllBytesAsync(key, "x"u8.ToArray(), CancellationToken.None);

        await store.DeleteAsync(key, CancellationToken.None);

        Assert.Null(await store.LengthAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.OpenReadAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task AnyRequest_FailsWithOneLineAndNoSecret_WhenTheSecretIsWrong()
    {
        const string wrong = "not-the-secret-0123456789";
        using var refused = Connect(wrong);
        var (store, key) = refused.Resolve(MediaLocation.Parse("s3+test://x.txt"), forWrite: true);

        var error = await Assert.ThrowsAsync<RotoscopeException>(() => store.WriteAllBytesAsync(key, "x"u8.ToArray(), CancellationToken.None));

        Assert.Equal("s3+test://x.txt: the connector's credentials were refused (SignatureDoesNotMatch)", error.Message);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteThenRead_StaysByteExact_WhenTheServerFailsAndDropsConnections()
    {
        await using var proxy = new FaultyProxy(server.Endpoint, seed: 2026);
        using var faulty = Connect(server.SecretKey, proxy.Endpoint);
        var sizes = new[] { 10, 70_000, 300_000, 1_200_000 };
        var contents = Enumerable.Range(0, 40).Select(i => RandomNumberGenerator.GetBytes(sizes[i % sizes.Length])).ToList();

        for (var i = 0; i < contents.Count; i++)
        {
            var (store, key) = faulty.Resolve(MediaLocation.Parse($"s3+test://faulty/{i:D2}.bin"), forWrite: true);
            await using var source = i % 2 == 0 ? new MemoryStream(contents[i]) : new UnseekableStream(contents[i]);
            await store.WriteAsync(key, source, CancellationToken.None);
        }

        for (var i = 0; i < contents.Count; i++)
        {
            var (store, key) = faulty.Resolve(MediaLocation.Parse($"s3+test://faulty/{i:D2}.bin"), forWrite: false);
            Assert.Equal(SHA256.HashData(contents[i]), SHA256.HashData(await store.ReadAllBytesAsync(key, CancellationToken.None)));
        }

        Assert.True(proxy.Faults >= 5, $"only {proxy.Faults} faults were injected");
    }

    private (IBlobStore Store, BlobKey Key) Resolve(string uri) => connectors!.Resolve(MediaLocation.Parse(uri), forWrite: true);

    private Connectors Connect(string secret, string? endpoint = null) => new(
        new ConnectorConfig { S3 = [new S3ConnectorSettings("test", bucket, "", endpoint ?? server.Endpoint, server.Region, Writable: true, new SecretSource(server.AccessKey), new SecretSource(secret))] },
        new Dictionary<string, string?>(),
        new LocalBlobStore(data.FullName));

    /// <summary>A stream whose length is unknown until it ends, like a pipe.</summary>
    private sealed class UnseekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}
