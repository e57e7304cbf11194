using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Rotoscope.Tests;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// Dropbox connectors configured with the CLI, against a local fake of Dropbox's HTTP API (and a real S3 server for
/// renders from S3 to Dropbox).
/// </summary>
[Trait("Category", "Integration")]
[Collection(S3Group.Name)]
public sealed class DropboxTests(S3Server server) : IAsyncLifetime, IDisposable
{
    private readonly Cli cli = new();
    private readonly string bucket = $"dropbox-{Guid.NewGuid():N}"[..20];
    private readonly List<CliOutcome> outcomes = [];
    private AmazonS3Client? admin;
    private DropboxFake? fake;

    private DropboxFake Fake => fake!;

    public async Task InitializeAsync()
    {
        fake = await DropboxFake.StartAsync();
        admin = server.CreateClient();
        await admin.PutBucketAsync(bucket);
        cli.Variables["TEST_S3_KEY"] = server.AccessKey;
        cli.Variables["TEST_S3_SECRET"] = server.SecretKey;
        cli.Variables["TEST_DROPBOX_SECRET"] = Fake.AppSecret;
        await RunOkAsync("connectors", "add", "s3", "--label", "footage", "--bucket", bucket, "--prefix", "raw/", "--endpoint", server.Endpoint, "--region", server.Region, "--access-key-env", "TEST_S3_KEY", "--secret-key-env", "TEST_S3_SECRET");
        await RunOkAsync("connectors", "add", "dropbox", "--label", "review", "--folder", "/Rotoscope", "--app-key", Fake.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--auth-code", Fake.IssueAuthorizationCode(), "--endpoint", Fake.Url, "--write");
    }

    public async Task DisposeAsync() => await Fake.DisposeAsync();

    public void Dispose()
    {
        admin?.Dispose();
        cli.Dispose();
    }

    [Fact]
    public async Task Render_FromS3ToDropbox_GivesTheSameVideoAsALocalRender_AndNeverPrintsASecret()
    {
        var clip = cli.MakeClip("clip.mp4", 160, 96, 12, 2);
        await admin!.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "raw/clip.mp4", FilePath = clip, UseChunkEncoding = false });

        var remote = await RunOkAsync("render", "s3+footage://raw/clip.mp4", "--style", "toon", "--output", "dropbox+review://Drone/clip.toon.mp4", "--json");
        var local = await RunOkAsync("render", clip, "--style", "toon", "--output", cli.PathOf("local.mp4"), "--json");
        var again = await RunOkAsync("render", "s3+footage://raw/clip.mp4", "--style", "toon", "--output", "dropbox+review://drone/CLIP.toon.mp4", "--json");
        var listing = await RunOkAsync("storage", "ls", "dropbox+review://Drone/");
        await RunOkAsync("connectors", "list");
        var json = await RunOkAsync("connectors", "list", "--json");

        var uploaded = Fake.FileContent("/Rotoscope/Drone/clip.toon.mp4")!;
        Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("local.mp4"))), SHA256.HashData(uploaded));
        Assert.Equal(JsonDocument.Parse(local.Out).RootElement.GetProperty("outputSha256").GetString(), JsonDocument.Parse(remote.Out).RootElement.GetProperty("outputSha256").GetString());
        Assert.True(JsonDocument.Parse(again.Out).RootElement.GetProperty("alreadyRendered").GetBoolean()); // the same file, in Dropbox's case-insensitive eyes
        Assert.Contains("dropbox+review://Drone/clip.toon.mp4", listing.Out, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"dropbox\"", json.Out, StringComparison.Ordinal);
        var stored = await File.ReadAllTextAsync(Path.Combine(cli.Root, "connectors.json"));
        var refreshToken = JsonDocument.Parse(stored).RootElement.GetProperty("dropbox")[0].GetProperty("refreshToken").GetProperty("value").GetString()!;
        foreach (var secret in new[] { server.SecretKey, Fake.AppSecret, refreshToken })
        {
            Assert.All(outcomes, o => Assert.DoesNotContain(secret, o.Out + o.Error, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Render_CompletesByteExact_WithItsFrameStoreInDropbox_WhenDropboxThrottlesFailsAndDrops()
    {
        var clip = cli.MakeClip("flaky.mp4", 96, 64, 10, 1.5);
        // Fewer in a row than the client's retries (6): one call may meet all of them.
        Fake.FailNext(2, 429, retryAfterSeconds: 1);
        Fake.FailNext(2, 503);
        Fake.DropNext(1);

        var remote = await RunOkAsync("render", clip, "--style", "toon", "--output", "dropbox+review://out/flaky.toon.mp4", "--store", "dropbox+review://store/", "--json");
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "frames")), "frames went to the local store");
        var local = await RunOkAsync("render", clip, "--style", "toon", "--output", cli.PathOf("flaky.local.mp4"), "--json");

        Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("flaky.local.mp4"))), SHA256.HashData(Fake.FileContent("/Rotoscope/out/flaky.toon.mp4")!));
        Assert.Equal(JsonDocument.Parse(local.Out).RootElement.GetProperty("outputSha256").GetString(), JsonDocument.Parse(remote.Out).RootElement.GetProperty("outputSha256").GetString());
        Assert.Contains(Fake.FolderPaths, p => p.StartsWith("/Rotoscope/store/frames/", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(Fake.FolderPaths, p => p.StartsWith("/Rotoscope/store/styled/", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task StorageCopy_RoundTripsByteExact_BetweenFilesAndDropbox()
    {
        var original = cli.PathOf("big.bin");
        var content = RandomNumberGenerator.GetBytes((20 * 1024 * 1024) + 3);
        await File.WriteAllBytesAsync(original, content);

        await RunOkAsync("storage", "cp", original, "dropbox+review://In/été.bin");
        await RunOkAsync("storage", "cp", "dropbox+review://in/ÉTÉ.bin", cli.PathOf("back.bin"));
        var listing = await RunOkAsync("storage", "ls", "dropbox+review://In/");
        await RunOkAsync("storage", "rm", "dropbox+review://In/été.bin");

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("back.bin"))));
        Assert.Contains("1 objects, 20.0 MiB", listing.Out, StringComparison.Ordinal);
        Assert.Null(Fake.FileContent("/Rotoscope/In/été.bin"));
    }

    [Fact]
    public async Task Render_RefusesWithOneLineAndNoRequest_WhenTheDropboxConnectorIsReadOnlyOrThePathOutsideItsRoot()
    {
        await RunOkAsync("connectors", "add", "dropbox", "--label", "inbox", "--folder", "/Inbox", "--app-key", Fake.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--refresh-token", Fake.RefreshToken, "--endpoint", Fake.Url);
        await RunOkAsync("connectors", "add", "dropbox", "--label", "default", "--folder", "/Inbox", "--app-key", Fake.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--refresh-token", Fake.RefreshToken, "--endpoint", Fake.Url, "--write");
        var clip = cli.MakeClip("clip.mp4", 64, 48, 10, 0.5);
        var before = Fake.Requests.Count;

        var readOnly = await cli.RunAsync("render", clip, "--style", "toon", "--output", "dropbox+inbox://out.mp4");
        var outside = await cli.RunAsync("render", clip, "--style", "toon", "--output", "dropbox://Elsewhere/out.mp4");

        Assert.Equal((1, "rotoscope: cannot write 'dropbox+inbox://out.mp4': connector 'inbox' is read-only (add it again with --write to allow writes)"), (readOnly.ExitCode, readOnly.Error.Trim()));
        Assert.Equal((1, "rotoscope: 'dropbox://Elsewhere/out.mp4' is outside the root of connector 'default' (dropbox://Inbox/)"), (outside.ExitCode, outside.Error.Trim()));
        Assert.Equal(before, Fake.Requests.Count);
    }

    private async Task<CliOutcome> RunOkAsync(params string[] args)
    {
        var outcome = await cli.RunAsync(args);
        outcomes.Add(outcome);
        Assert.True(outcome.ExitCode == 0, $"{string.Join(' ', args.Take(2))}: {outcome.Error}");
        return outcome;
    }
}
