using System.Security.Cryptography;
using Rotoscope.Core.Storage;
using Rotoscope.Tests;

namespace Rotoscope.Core.Tests.Storage;

/// <summary>The Dropbox client and store against a local fake that follows Dropbox's documented HTTP contract strictly.</summary>
[Trait("Category", "Integration")]
public sealed class DropboxBlobStoreTests : IAsyncLifetime, IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("rotoscope-dropbox-");
    private DropboxFake? fake;
    private Connectors? connectors;

    private DropboxFake Fake => fake!;

    public async Task InitializeAsync()
    {
        fake = await DropboxFake.StartAsync();
        connectors = Connect(Fake.RefreshToken);
    }

    public async Task DisposeAsync()
    {
        connectors?.Dispose();
        await Fake.DisposeAsync();
    }

    public void Dispose() => data.Delete(recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData((2 * DropboxClient.ChunkSize) + 12345)] // an upload session: start, append, finish
    [InlineData(2 * DropboxClient.ChunkSize)] // chunks exactly: the finishing call carries no bytes
    public async Task WriteThenRead_IsByteExact(int size)
    {
        var (store, key) = Resolve("dropbox+test://objects/blob.bin");
        var content = RandomNumberGenerator.GetBytes(size);

        await using (var source = new MemoryStream(content))
        {
            await store.WriteAsync(key, source, CancellationToken.None);
        }

        Assert.Equal(size, await store.LengthAsync(key, CancellationToken.None));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await store.ReadAllBytesAsync(key, CancellationToken.None)));
        Assert.Equal(content, Fake.FileContent("/Rotoscope/objects/blob.bin"));
    }

    [Fact]
    public async Task WriteThenRead_KeepsUnicodeAndSpacesInPaths_AndFindsThemInAnyCase()
    {
        var (store, key) = Resolve("dropbox+test://Vidéos/Été 2026/über ü+%.mp4");

        await store.WriteAllBytesAsync(key, "ü"u8.ToArray(), CancellationToken.None);

        var (_, otherCase) = Resolve("dropbox+test://VIDÉOS/été 2026/ÜBER ü+%.MP4");
        Assert.Equal("ü"u8.ToArray(), await store.ReadAllBytesAsync(otherCase, CancellationToken.None));
        var listed = await store.ListAsync(BlobKey.Parse("vidéos"), CancellationToken.None).ToListAsync();
        Assert.Equal([("Vidéos/Été 2026/über ü+%.mp4", 2L)], listed.Select(e => (e.Key.Value, e.Length)));
    }

    [Fact]
    public async Task List_GivesEveryFileInKeyOrder_AcrossPages()
    {
        var (store, _) = Resolve("dropbox+test://x");
        var names = Enumerable.Range(0, 1203).Select(i => $"frames/{(i * 7919) % 1203:D6}.jpg").ToList();
        foreach (var name in names)
        {
            Fake.PutFile($"/Rotoscope/{name}", [1, 2, 3]);
        }

        var listed = await store.ListAsync(BlobKey.Parse("frames"), CancellationToken.None).ToListAsync();

        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Select(e => e.Key.Value));
        Assert.Contains("POST /2/files/list_folder/continue", Fake.Requests);
        Assert.Empty(await store.ListAsync(BlobKey.Parse("nothing-here"), CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task Write_Completes_WhenDropboxThrottlesFailsAndDropsConnections()
    {
        var (store, key) = Resolve("dropbox+test://flaky/big.bin");
        var content = RandomNumberGenerator.GetBytes((2 * DropboxClient.ChunkSize) + 99);
        Fake.FailNext(1, 429, "/2/files/upload_session/start", retryAfterSeconds: 1);
        Fake.FailNext(2, 503, "/2/files/upload_session/append_v2");
        Fake.DropNext(1, "/2/files/upload_session/finish");

        await store.WriteAllBytesAsync(key, content, CancellationToken.None);

        Assert.Equal(content, Fake.FileContent("/Rotoscope/flaky/big.bin"));
        Assert.Equal(2, Fake.Requests.Count(r => r == "POST /2/files/upload_session/start"));
        Assert.Equal(3, Fake.Requests.Count(r => r == "POST /2/files/upload_session/append_v2")); // one append, failed twice
    }

    [Fact]
    public async Task Write_ResumesAtTheCorrectOffset_WhenAnAppendWasStoredButItsAnswerLost()
    {
        var (store, key) = Resolve("dropbox+test://lost/answer.bin");
        var content = RandomNumberGenerator.GetBytes((3 * DropboxClient.ChunkSize) + 5);
        Fake.LoseAppendResponseNext(1);

        await store.WriteAllBytesAsync(key, content, CancellationToken.None);

        Assert.Equal(content, Fake.FileContent("/Rotoscope/lost/answer.bin"));
    }

    [Fact]
    public async Task Read_IsByteExact_WhenTheDownloadIsCutMidway()
    {
        var (store, key) = Resolve("dropbox+test://cut/video.mp4");
        var content = RandomNumberGenerator.GetBytes(3_000_000);
        Fake.PutFile("/Rotoscope/cut/video.mp4", content);
        Fake.CutDownloadNext(2, afterBytes: 700_000);

        Assert.Equal(content, await store.ReadAllBytesAsync(key, CancellationToken.None));
        Assert.Equal(3, Fake.Requests.Count(r => r == "POST /2/files/download"));
    }

    [Fact]
    public async Task Calls_RefreshTheAccessTokenOnce_WhenItExpired()
    {
        var (store, key) = Resolve("dropbox+test://token.bin");
        await store.WriteAllBytesAsync(key, new byte[] { 1 }, CancellationToken.None);
        Fake.ExpireAccessTokens();

        await store.WriteAllBytesAsync(key, new byte[] { 2 }, CancellationToken.None);

        Assert.Equal([2], Fake.FileContent("/Rotoscope/token.bin"));
        Assert.Equal(2, Fake.Requests.Count(r => r == "POST /oauth2/token"));
    }

    [Fact]
    public async Task Calls_RefreshTheAccessTokenEarly_WhenItIsAboutToExpire()
    {
        Fake.AccessTokenLifetime = TimeSpan.FromMinutes(10);
        var clock = new ManualClock();
        using var client = new DropboxClient(new DropboxCredentials(Fake.AppKey, Fake.AppSecret, Fake.RefreshToken), new Uri(Fake.Url), TimeSpan.FromMilliseconds(10), clock);

        await client.GetMetadataAsync("/Rotoscope/x", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(4));
        await client.GetMetadataAsync("/Rotoscope/x", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(2)); // four minutes left: inside the five-minute margin
        await client.GetMetadataAsync("/Rotoscope/x", CancellationToken.None);

        Assert.Equal(2, Fake.Requests.Count(r => r == "POST /oauth2/token"));
    }

    [Fact]
    public async Task Move_MovesAFolder_AndRefusesAnOccupiedDestination()
    {
        using var client = new DropboxClient(new DropboxCredentials(Fake.AppKey, Fake.AppSecret, Fake.RefreshToken), new Uri(Fake.Url), TimeSpan.FromMilliseconds(10));
        Fake.PutFile("/Rotoscope/Reviews/Drone/preview.mp4", [1, 2]);
        Fake.PutFile("/Rotoscope/Reviews/Approved/Other/preview.mp4", [3]);

        var moved = await client.MoveAsync("/Rotoscope/Reviews/Drone", "/Rotoscope/Reviews/Approved/Drone", CancellationToken.None);
        var occupied = await Assert.ThrowsAsync<DropboxApiException>(() => client.MoveAsync("/Rotoscope/Reviews/Approved/Drone", "/Rotoscope/Reviews/Approved/Other", CancellationToken.None));

        Assert.Equal((DropboxEntryKind.Folder, "/Rotoscope/Reviews/Approved/Drone"), (moved.Kind, moved.PathDisplay));
        Assert.Equal([1, 2], Fake.FileContent("/rotoscope/reviews/approved/drone/PREVIEW.mp4"));
        Assert.Equal(("to", "conflict"), (occupied.Tag, occupied.InnerTag));
    }

    [Fact]
    public async Task Calls_FailWithOneLineThatHoldsNoSecret_WhenTheRefreshTokenIsRefused()
    {
        const string Wrong = "wrong-refresh-token-never-printed";
        using var refused = Connect(Wrong);
        var (store, key) = refused.Resolve(MediaLocation.Parse("dropbox+test://x.bin"), forWrite: false);

        var error = await Assert.ThrowsAsync<RotoscopeException>(() => store.StatAsync(key, CancellationToken.None));

        Assert.Contains("Dropbox refused to sign in", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Wrong, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Fake.AppSecret, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task Write_IsRefusedWithoutARequest_WhenTheConnectorIsReadOnly()
    {
        using var readOnly = new Connectors(
            new ConnectorConfig { Dropbox = [new DropboxConnectorSettings("ro", "/Rotoscope", Writable: false, Fake.AppKey, new SecretSource(Fake.AppSecret), new SecretSource(Fake.RefreshToken), Fake.Url)] },
            new Dictionary<string, string?>(),
            new LocalBlobStore(data.FullName));

        var error = Assert.Throws<RotoscopeException>(() => readOnly.Resolve(MediaLocation.Parse("dropbox+ro://out.mp4"), forWrite: true));
        var outside = Assert.Throws<RotoscopeException>(() => readOnly.Resolve(MediaLocation.Parse("dropbox+ro://a/../../out.mp4"), forWrite: false));

        Assert.Contains("connector 'ro' is read-only", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid Dropbox path", outside.Message, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task Stat_GivesNull_WhenMissing_AndDeleteIsQuiet()
    {
        var (store, key) = Resolve("dropbox+test://missing.bin");

        Assert.Null(await store.StatAsync(key, CancellationToken.None));
        await store.DeleteAsync(key, CancellationToken.None);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.OpenReadAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Share_ReusesTheExistingLink()
    {
        using var client = new DropboxClient(new DropboxCredentials(Fake.AppKey, Fake.AppSecret, Fake.RefreshToken), new Uri(Fake.Url), TimeSpan.FromMilliseconds(10));
        await client.CreateFolderAsync("/Rotoscope/Reviews/Drone", CancellationToken.None);
        await client.CreateFolderAsync("/Rotoscope/Reviews/Drone", CancellationToken.None); // already there: fine

        var first = await client.ShareAsync("/Rotoscope/Reviews/Drone", CancellationToken.None);
        var second = await client.ShareAsync("/rotoscope/reviews/drone", CancellationToken.None);

        Assert.StartsWith("http", first, StringComparison.Ordinal);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Longpoll_ReportsAChange_WhenSomeoneMovesAFolder()
    {
        using var client = new DropboxClient(new DropboxCredentials(Fake.AppKey, Fake.AppSecret, Fake.RefreshToken), new Uri(Fake.Url), TimeSpan.FromMilliseconds(10));
        Fake.LongpollTimeScale = 0.01;
        await client.CreateFolderAsync("/Rotoscope/Reviews/Drone", CancellationToken.None);
        await client.CreateFolderAsync("/Rotoscope/Reviews/Approved", CancellationToken.None);
        var cursor = await client.GetLatestCursorAsync("/Rotoscope/Reviews", recursive: true, CancellationToken.None);

        var quiet = await client.LongpollAsync(cursor, TimeSpan.FromSeconds(30), CancellationToken.None);
        var waiting = client.LongpollAsync(cursor, TimeSpan.FromSeconds(480), CancellationToken.None);
        await Task.Delay(100);
        Fake.MoveEntry("/Rotoscope/Reviews/Drone", "/Rotoscope/Reviews/Approved/Drone");
        var moved = await waiting;
        var changes = await client.ListFolderContinueAsync(cursor, CancellationToken.None);

        Assert.False(quiet.Changes);
        Assert.True(moved.Changes);
        Assert.Contains(changes.Entries, e => e is { Kind: DropboxEntryKind.Folder, PathLower: "/rotoscope/reviews/approved/drone" });
        Assert.Contains(changes.Entries, e => e is { Kind: DropboxEntryKind.Deleted } && e.PathLower == "/rotoscope/reviews/drone");
    }

    [Fact]
    public void ContentHash_MatchesTheFake_ForContentAcrossBlocks()
    {
        var content = RandomNumberGenerator.GetBytes((2 * DropboxContentHash.BlockSize) + 7);
        using var incremental = new DropboxContentHash();
        foreach (var piece in content.Chunk(1_000_003))
        {
            incremental.Append(piece);
        }

        Assert.Equal(DropboxFake.ContentHash(content), incremental.Finish());
        Assert.Equal(DropboxFake.ContentHash(content), DropboxContentHash.Of(content));
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = DateTimeOffset.UtcNow;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now;
    }

    private (IBlobStore Store, BlobKey Key) Resolve(string uri) => connectors!.Resolve(MediaLocation.Parse(uri), forWrite: true);

    private Connectors Connect(string refreshToken) => new(
        new ConnectorConfig
        {
            Dropbox = [new DropboxConnectorSettings("test", "/Rotoscope", Writable: true, Fake.AppKey, new SecretSource(Variable: "APP_SECRET"), new SecretSource(refreshToken), Fake.Url)],
        },
        new Dictionary<string, string?> { ["APP_SECRET"] = Fake.AppSecret },
        new LocalBlobStore(data.FullName));
}
