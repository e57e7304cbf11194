using System.Security.Cryptography;
using Rotoscope.Tests;

namespace Rotoscope.Cli.Tests;

/// <summary><c>rotoscope storage</c> against the local store and a real S3 server.</summary>
[Trait("Category", "Integration")]
[Collection(S3Group.Name)]
public sealed class StorageCommandTests(S3Server server) : IAsyncLifetime, IDisposable
{
    private readonly Cli cli = new();
    private readonly string bucket = $"storage-{Guid.NewGuid():N}"[..20];

    public async Task InitializeAsync()
    {
        using var admin = server.CreateClient();
        await admin.PutBucketAsync(bucket);
        cli.Variables["TEST_S3_KEY"] = server.AccessKey;
        cli.Variables["TEST_S3_SECRET"] = server.SecretKey;
        await OkAsync("connectors", "add", "s3", "--label", "box", "--bucket", bucket, "--prefix", "box/", "--endpoint", server.Endpoint, "--region", server.Region, "--access-key-env", "TEST_S3_KEY", "--secret-key-env", "TEST_S3_SECRET", "--write");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task CopyListAndRemove_RoundTripByteExact_BetweenFilesDataAndS3()
    {
        var original = cli.PathOf("big.bin");
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);
        await File.WriteAllBytesAsync(original, content);

        await OkAsync("storage", "cp", original, "s3+box://box/in/été.bin");
        await OkAsync("storage", "cp", "s3+box://box/in/été.bin", "data://videos/été.bin");
        await OkAsync("storage", "cp", "data://videos/été.bin", cli.PathOf("back.bin"));
        var listing = await OkAsync("storage", "ls", "s3+box://box/in/");
        var refused = await cli.RunAsync("storage", "cp", original, "s3+box://box/in/été.bin");
        await OkAsync("storage", "rm", "s3+box://box/in/été.bin");
        var empty = await OkAsync("storage", "ls", "s3+box://box/in/");

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("back.bin"))));
        Assert.Contains("s3+box://box/in/été.bin", listing.Out, StringComparison.Ordinal);
        Assert.Contains("1 objects, 3.0 MiB", listing.Out, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("already exists; pass --overwrite", refused.Error, StringComparison.Ordinal);
        Assert.Contains("0 objects", empty.Out, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(cli.Root, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Du_SizesEachAreaOfTheDataStore()
    {
        var clip = cli.MakeClip("du.mp4", 64, 48, 10, 1);
        await OkAsync("render", clip, "--style", "toon");

        var usage = await OkAsync("storage", "du");

        foreach (var area in new[] { "frames/", "styled/", "renders/", "locks/" })
        {
            Assert.Contains(area, usage.Out, StringComparison.Ordinal);
        }

        Assert.Contains("objects  in all", usage.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rm_RefusesOneLine_WhenObjectIsMissingOrOutsideTheRoot()
    {
        var missing = await cli.RunAsync("storage", "rm", "s3+box://box/nothing.bin");
        var outside = await cli.RunAsync("storage", "rm", "s3+box://elsewhere/x.bin");

        Assert.Equal(("rotoscope: not found: s3+box://box/nothing.bin", 1), (missing.Error.Trim(), missing.ExitCode));
        Assert.Contains("outside the root of connector 'box'", outside.Error, StringComparison.Ordinal);
    }

    private async Task<CliOutcome> OkAsync(params string[] args)
    {
        var outcome = await cli.RunAsync(args);
        Assert.True(outcome.ExitCode == 0, $"{string.Join(' ', args.Take(3))}: {outcome.Error}");
        Assert.DoesNotContain(server.SecretKey, outcome.Out + outcome.Error, StringComparison.Ordinal);
        return outcome;
    }
}
