using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3.Model;
using Rotoscope.Tests;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// The review loop when everything lives in the cloud: the frame store, the output and the approved publication in
/// Dropbox or S3, with the servers failing on purpose while the approval is published.
/// </summary>
[Trait("Category", "Integration")]
[Collection(S3Group.Name)]
public sealed class ReviewDestinationTests(S3Server s3) : IAsyncLifetime, IDisposable
{
    private const string RootPath = "/Rotoscope/Reviews";
    private readonly Cli cli = new();
    private readonly string bucket = $"review-{Guid.NewGuid():N}"[..20];
    private DropboxFake? fake;

    private DropboxFake Fake => fake!;

    public async Task InitializeAsync()
    {
        fake = await DropboxFake.StartAsync();
        cli.Variables["TEST_DROPBOX_SECRET"] = Fake.AppSecret;
        cli.Variables["TEST_S3_KEY"] = s3.AccessKey;
        cli.Variables["TEST_S3_SECRET"] = s3.SecretKey;
        await RunOkAsync("connectors", "add", "dropbox", "--label", "review", "--folder", "/Rotoscope", "--app-key", Fake.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--refresh-token", Fake.RefreshToken, "--endpoint", Fake.Url, "--write");
    }

    public async Task DisposeAsync() => await Fake.DisposeAsync();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Approval_PublishesByteExactOnceToDropbox_WithFramesInDropbox_Through429s5xxAndExpiredTokens()
    {
        var clip = cli.MakeClip("cloud.mp4", 160, 96, 10, 1.2);
        var store = new[] { "--store", "dropbox+review://store/" };
        var render = await RunOkAsync([
            "render", clip, "--style", "toon", "--output", "dropbox+review://Renders/cloud.toon.mp4", .. store,
            "--review", "dropbox+review://Reviews/", "--publish-to", "dropbox+review://Published/", "--json"]);
        var summary = JsonDocument.Parse(render.Out).RootElement;
        var folder = summary.GetProperty("review").GetProperty("folder").GetString()!;
        Assert.Contains(Fake.FilePaths, p => p.StartsWith("/Rotoscope/store/styled/", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "renders")), "render records went to the local store");

        Fake.MoveEntry(folder, $"{RootPath}/Approved/{Path.GetFileName(folder)}");
        Fake.FailNext(2, 429, "/2/files/upload");
        Fake.FailNext(1, 503, "/2/files/download");
        Fake.FailNext(1, 500, "/2/files/list_folder");
        Fake.ExpireAccessTokens();
        var first = await RunOkAsync(["review", "watch", "--once", .. store]);
        var second = await RunOkAsync(["review", "watch", "--once", .. store]);
        var shown = JsonDocument.Parse((await RunOkAsync(["review", "show", summary.GetProperty("renderId").GetString()!, "--json", .. store])).Out).RootElement;

        Assert.Contains("published to dropbox+review://Published/cloud.toon.mp4", first.Out, StringComparison.Ordinal);
        Assert.Equal("no changes", second.Out.Trim());
        Assert.Equal(summary.GetProperty("outputSha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(Fake.FileContent("/Rotoscope/Published/cloud.toon.mp4")!)));
        Assert.Equal("approved", shown.GetProperty("state").GetString());
        Assert.Single(shown.GetProperty("history").EnumerateArray(), h => h.GetProperty("what").GetString()!.StartsWith("published to", StringComparison.Ordinal));
        Assert.Equal(0, Fake.PendingFaults);
        Assert.Contains($"{RootPath}/Approved/{Path.GetFileName(folder)}/cloud.toon.review.mp4", Fake.FilePaths); // the render's store deletes its own locks, never the review
    }

    [Fact]
    public async Task Approval_PublishesByteExactOnceToS3_ThroughAServerThatFailsAndDropsConnections()
    {
        using var admin = s3.CreateClient();
        await admin.PutBucketAsync(bucket);
        // Seed 16: the proxy's first connection answers 503 SlowDown; later ones may be cut after 64 KiB to 1 MiB.
        await using var proxy = new FaultyProxy(s3.Endpoint, seed: 16, maxBytes: 1024 * 1024);
        await RunOkAsync("connectors", "add", "s3", "--label", "archive", "--bucket", bucket, "--prefix", "published/", "--endpoint", proxy.Endpoint, "--region", s3.Region, "--access-key-env", "TEST_S3_KEY", "--secret-key-env", "TEST_S3_SECRET", "--write");
        var clip = cli.MakeClip("archive.mp4", 320, 192, 10, 2);
        var render = await RunOkAsync("render", clip, "--style", "toon", "--review", "dropbox+review://Reviews/", "--publish-to", "s3+archive://published/2026/", "--json");
        var summary = JsonDocument.Parse(render.Out).RootElement;
        var folder = summary.GetProperty("review").GetProperty("folder").GetString()!;

        Fake.MoveEntry(folder, $"{RootPath}/Approved/{Path.GetFileName(folder)}");
        var first = await RunOkAsync("review", "watch", "--once");
        var second = await RunOkAsync("review", "watch", "--once");

        Assert.True(first.Out.Contains("published to s3+archive://published/2026/archive.toon.mp4", StringComparison.Ordinal), first.Out + first.Error);
        Assert.Equal("no changes", second.Out.Trim());
        using var response = await admin.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "published/2026/archive.toon.mp4" });
        using var published = new MemoryStream();
        await response.ResponseStream.CopyToAsync(published);
        Assert.Equal(summary.GetProperty("outputSha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(published.ToArray())));
        Assert.True(proxy.Faults >= 1, "the proxy injected no fault");
    }

    private async Task<CliOutcome> RunOkAsync(params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var outcome = await cli.RunAsync(args);
        Assert.True(outcome.ExitCode == 0, $"{string.Join(' ', args.Take(3))} ({clock.Elapsed.TotalSeconds:0.0} s): {outcome.Error}");
        return outcome;
    }
}
