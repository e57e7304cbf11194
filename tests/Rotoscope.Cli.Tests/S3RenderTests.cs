using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Rotoscope.Tests;

namespace Rotoscope.Cli.Tests;

/// <summary>Renders from and to S3 through connectors configured with the CLI, against a real S3 server.</summary>
[Trait("Category", "Integration")]
[Collection(S3Group.Name)]
public sealed class S3RenderTests(S3Server server) : IAsyncLifetime, IDisposable
{
    private readonly Cli cli = new();
    private readonly string bucket = $"render-{Guid.NewGuid():N}"[..20];
    private readonly List<CliOutcome> outcomes = [];
    private AmazonS3Client? admin;

    public async Task InitializeAsync()
    {
        admin = server.CreateClient();
        await admin.PutBucketAsync(bucket);
        cli.Variables["TEST_S3_KEY"] = server.AccessKey;
        cli.Variables["TEST_S3_SECRET"] = server.SecretKey;
        await RunOkAsync("connectors", "add", "s3", "--label", "footage", "--bucket", bucket, "--prefix", "raw/", "--endpoint", server.Endpoint, "--region", server.Region, "--access-key-env", "TEST_S3_KEY", "--secret-key-env", "TEST_S3_SECRET");
        await RunOkAsync("connectors", "add", "s3", "--label", "out", "--bucket", bucket, "--prefix", "cooked/", "--endpoint", server.Endpoint, "--region", server.Region, "--access-key", server.AccessKey, "--secret-key", server.SecretKey, "--write");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Render_KeepsFramesAndStateInS3_WhenStoreIsAnS3Uri()
    {
        await RunOkAsync("connectors", "add", "s3", "--label", "frames", "--bucket", bucket, "--prefix", "store/", "--endpoint", server.Endpoint, "--region", server.Region, "--access-key-env", "TEST_S3_KEY", "--secret-key-env", "TEST_S3_SECRET", "--write");
        var clip = cli.MakeClip("shared.mp4", 96, 64, 10, 2);

        var outcome = await RunOkAsync("render", clip, "--style", "toon", "--store", "s3+frames://store/team/", "--json");

        Assert.Equal(20, Cli.Probe(cli.PathOf("shared.toon.mp4")).Frames);
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = "store/team/" };
        ListObjectsV2Response page;
        do
        {
            page = await admin!.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        Assert.Equal(20, keys.Count(k => k.StartsWith("store/team/frames/", StringComparison.Ordinal) && k.EndsWith(".jpg", StringComparison.Ordinal)));
        Assert.Equal(20, keys.Count(k => k.StartsWith("store/team/styled/", StringComparison.Ordinal)));
        Assert.Contains(keys, k => k.StartsWith("store/team/renders/", StringComparison.Ordinal) && k.EndsWith("/result.json", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "frames")), "frames went to the local store");
        Assert.Equal(20, JsonDocument.Parse(outcome.Out).RootElement.GetProperty("frames").GetInt64());
    }

    public void Dispose()
    {
        admin?.Dispose();
        cli.Dispose();
    }

    [Fact]
    public async Task Render_FromS3ToS3_GivesTheSameVideoAsALocalRender_AndNeverPrintsASecret()
    {
        var clip = cli.MakeClip("clip.mp4", 160, 96, 12, 2);
        await admin!.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "raw/clip.mp4", FilePath = clip, UseChunkEncoding = false });

        var remote = await RunOkAsync("render", "s3+footage://raw/clip.mp4", "--style", "toon", "--output", "s3+out://cooked/clip.toon.mp4", "--json");
        var local = await RunOkAsync("render", clip, "--style", "toon", "--output", cli.PathOf("local.mp4"), "--json");
        var cached = Directory.GetFiles(Path.Combine(cli.DataDirectory, "cache", "inputs"), "*.mp4").Single();
        var fetched = File.GetLastWriteTimeUtc(cached);
        var again = await RunOkAsync("render", "s3+footage://raw/clip.mp4", "--style", "toon", "--output", "s3+out://cooked/clip.toon.mp4", "--json");
        Assert.Equal(fetched, File.GetLastWriteTimeUtc(cached)); // found by its ETag, not fetched again
        await RunOkAsync("connectors", "list");
        await RunOkAsync("connectors", "list", "--json");

        var downloaded = cli.PathOf("from-s3.mp4");
        using (var response = await admin.GetObjectAsync(bucket, "cooked/clip.toon.mp4"))
        {
            await response.WriteResponseStreamToFileAsync(downloaded, append: false, CancellationToken.None);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("local.mp4")))), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(downloaded))));
        Assert.Equal(24, Cli.Probe(downloaded).Frames);
        Assert.Equal(JsonDocument.Parse(local.Out).RootElement.GetProperty("outputSha256").GetString(), JsonDocument.Parse(remote.Out).RootElement.GetProperty("outputSha256").GetString());
        Assert.True(JsonDocument.Parse(again.Out).RootElement.GetProperty("alreadyRendered").GetBoolean());
        Assert.All(outcomes, o => Assert.DoesNotContain(server.SecretKey, o.Out + o.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stylize_FromS3ToS3_WritesEveryImageUnderItsName_AndSkipsThemTheSecondTime()
    {
        string[] names = ["a.jpg", "sub/b.png"];
        foreach (var name in names)
        {
            var local = cli.PathOf(name.Replace('/', '-'));
            Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-update", "1", "-y", local]);
            await admin!.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"raw/stills/{name}", FilePath = local, UseChunkEncoding = false });
        }

        var first = await RunOkAsync("stylize", "s3+footage://raw/stills/", "--style", "toon", "--output", "s3+out://cooked/stills/", "--json");
        var second = await RunOkAsync("stylize", "s3+footage://raw/stills/", "--style", "toon", "--output", "s3+out://cooked/stills/", "--json");

        Assert.Equal(2, JsonDocument.Parse(first.Out).RootElement.GetProperty("styled").GetInt32());
        Assert.Equal(2, JsonDocument.Parse(second.Out).RootElement.GetProperty("skipped").GetInt32());
        using var png = await admin!.GetObjectAsync(bucket, "cooked/stills/sub/b.png");
        using var content = new MemoryStream();
        await png.ResponseStream.CopyToAsync(content);
        Assert.Equal(Rotoscope.Core.Imaging.ImageFormat.Png, Rotoscope.Core.Imaging.ImageCodec.Detect(content.ToArray()));
        using var jpeg = await admin.GetObjectAsync(bucket, "cooked/stills/a.jpg");
        Assert.True(jpeg.ContentLength > 0);
    }

    [Fact]
    public async Task Render_RefusesWithOneLine_WhenWritingThroughAReadOnlyConnectorOrOutsideTheRoot()
    {
        var clip = cli.MakeClip("clip.mp4", 64, 48, 10, 0.5);

        var readOnly = await cli.RunAsync("render", clip, "--style", "toon", "--output", "s3+footage://raw/out.mp4");
        var outside = await cli.RunAsync("render", clip, "--style", "toon", "--output", "s3+out://raw/out.mp4");

        Assert.Equal(1, readOnly.ExitCode);
        Assert.Equal("rotoscope: cannot write 's3+footage://raw/out.mp4': connector 'footage' is read-only (add it again with --write to allow writes)", readOnly.Error.Trim());
        Assert.Equal(1, outside.ExitCode);
        Assert.Contains("is outside the root of connector 'out'", outside.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "frames")), "work started before the output was checked");
    }

    [Fact]
    public async Task Render_CompletesByteExact_WhenTheS3ServerFailsAndDropsConnections()
    {
        await using var proxy = new FaultyProxy(server.Endpoint, seed: 7, maxBytes: 256 * 1024);
        await RunOkAsync("connectors", "add", "s3", "--label", "flaky", "--bucket", bucket, "--endpoint", proxy.Endpoint, "--region", server.Region, "--access-key-env", "TEST_S3_KEY", "--secret-key-env", "TEST_S3_SECRET", "--write");
        var clip = cli.MakeClip("flaky.mp4", 160, 96, 12, 2);
        await admin!.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "in/flaky.mp4", FilePath = clip, UseChunkEncoding = false });

        var remote = await RunOkAsync("render", "s3+flaky://in/flaky.mp4", "--style", "toon", "--output", "s3+flaky://out/flaky.toon.mp4", "--store", "s3+flaky://store/", "--json");
        var local = await RunOkAsync("render", clip, "--style", "toon", "--output", cli.PathOf("flaky.local.mp4"), "--json");

        var downloaded = cli.PathOf("flaky.from-s3.mp4");
        using (var response = await admin.GetObjectAsync(bucket, "out/flaky.toon.mp4"))
        {
            await response.WriteResponseStreamToFileAsync(downloaded, append: false, CancellationToken.None);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("flaky.local.mp4")))), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(downloaded))));
        Assert.Equal(JsonDocument.Parse(local.Out).RootElement.GetProperty("outputSha256").GetString(), JsonDocument.Parse(remote.Out).RootElement.GetProperty("outputSha256").GetString());
        Assert.True(proxy.Faults >= 3, $"only {proxy.Faults} faults were injected");
    }

    [Fact]
    public async Task Render_RefusesBeforeFetchingTheInput_WhenTheOutputCannotBeWrittenOrTheInputIsMissing()
    {
        var clip = cli.MakeClip("clip.mp4", 64, 48, 10, 0.5);
        await admin!.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "raw/fetch.mp4", FilePath = clip, UseChunkEncoding = false });

        var besideReadOnlyInput = await cli.RunAsync("render", "s3+footage://raw/fetch.mp4", "--style", "toon");
        var missing = await cli.RunAsync("render", "s3+footage://raw/none.mp4", "--style", "toon", "--output", cli.PathOf("none.mp4"));

        Assert.Equal(1, besideReadOnlyInput.ExitCode);
        Assert.Contains("cannot write 's3+footage://raw/fetch.toon.mp4': connector 'footage' is read-only", besideReadOnlyInput.Error, StringComparison.Ordinal);
        Assert.Equal("rotoscope: input not found: s3+footage://raw/none.mp4", missing.Error.Trim());
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "cache")), "the input was fetched before the render was refused");
    }

    private async Task<CliOutcome> RunOkAsync(params string[] args)
    {
        var outcome = await cli.RunAsync(args);
        outcomes.Add(outcome);
        Assert.True(outcome.ExitCode == 0, $"{string.Join(' ', args.Take(2))}: {outcome.Error}");
        return outcome;
    }
}
