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
        var values = await ServerScript.RunAsync("s3-server.sh", "start", directory, TimeSpan.FromMinutes(5));
        Endpoint = values["endpoint"];
        AccessKey = values["access_key"];
        SecretKey = values["secret_key"];
        Region = values["region"];
    }

    public async Task DisposeAsync()
    {
        await ServerScript.RunAsync("s3-server.sh", "stop", directory, TimeSpan.FromMinutes(1));
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>Tests that share the one S3 server of their assembly.</summary>
[CollectionDefinition(Name)]
public sealed class S3Group : ICollectionFixture<S3Server>
{
    public const string Name = "s3";
}
