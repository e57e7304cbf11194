using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;

namespace Rotoscope.Tests;

/// <summary>
/// A real S3 server for the tests of one assembly: OpenStack Swift with s3api on 127.0.0.1, started by
/// scripts/s3-server.sh in a throw-away folder and stopped (by the PIDs it recorded) when the tests end.
/// </summary>
public sealed class S3Server : IAsyncLifetime
{
    private readonly string directory = Path.Combine("/tmp", $"rotoscope-s3-{Guid.NewGuid():N}");

    public string Endpoint { get; private set; } = "";

    public string AccessKey { get; private set; } = "";

    public string SecretKey { get; private set; } = "";

    public string Region { get; private set; } = "";

    /// <summary>A client of the server with full rights, for what tests set up or check behind Rotoscope's back.</summary>
    public AmazonS3Client CreateClient() =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = Region });

    public async Task InitializeAsync()
    {
        var lines = await RunAsync("start", directory);
        var values = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        Endpoint = values["endpoint"];
        AccessKey = values["access_key"];
        SecretKey = values["secret_key"];
        Region = values["region"];
    }

    public async Task DisposeAsync()
    {
        await RunAsync("stop", directory);
        Directory.Delete(directory, recursive: true);
    }

    private static async Task<string> RunAsync(string verb, string folder)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { RepoPath("scripts", "s3-server.sh"), verb, folder })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"s3-server.sh {verb} failed: {await stderr}");
        }

        return await stdout;
    }

    private static string RepoPath(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rotoscope.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException($"no Rotoscope.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Tests that share the one S3 server of their assembly.</summary>
[CollectionDefinition(Name)]
public sealed class S3Group : ICollectionFixture<S3Server>
{
    public const string Name = "s3";
}
