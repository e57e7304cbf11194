using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Tests.Storage;

[Trait("Category", "Unit")]
public sealed class ConnectorsTests : IDisposable
{
    private const string Secret = "s3cr3t-never-printed";

    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("rotoscope-connectors-");

    private static readonly ConnectorConfig Config = new()
    {
        S3 =
        [
            new S3ConnectorSettings("footage", "drone-footage", "raw/", "http://127.0.0.1:1", "us-east-1", Writable: false, new SecretSource("AKID"), new SecretSource(Secret)),
            new S3ConnectorSettings("out", "renders", "", "http://127.0.0.1:1", "us-east-1", Writable: true, new SecretSource(Variable: "OUT_KEY"), new SecretSource(Variable: "OUT_SECRET")),
            new S3ConnectorSettings("default", null, "", "http://127.0.0.1:1", "us-east-1", Writable: true, null, null),
        ],
        Dropbox =
        [
            new DropboxConnectorSettings("review", "/Rotoscope", Writable: true, "appkey", new SecretSource(Secret), new SecretSource(Secret), "http://127.0.0.1:1"),
            new DropboxConnectorSettings("default", "/Footage", Writable: false, "appkey", null, new SecretSource(Variable: "DROPBOX_TOKEN"), "http://127.0.0.1:1"),
        ],
    };

    public void Dispose() => root.Delete(recursive: true);

    [Theory]
    [InlineData("s3+footage://raw/drone.mp4", "drone-footage", "raw/drone.mp4")]
    [InlineData("s3+out://a/b c/ü.mp4", "renders", "a/b c/ü.mp4")]
    [InlineData("s3://any-bucket/x/y.mp4", "any-bucket", "x/y.mp4")]
    [InlineData("dropbox+review://Reviews/a b/ü.mp4", "dropbox+review://", "Reviews/a b/ü.mp4")]
    [InlineData("dropbox://footage/DRONE.mp4", "dropbox://", "footage/DRONE.mp4")]
    public void Resolve_GivesBucketAndKey_WhenInsideTheRoot(string uri, string bucket, string key)
    {
        using var connectors = Connectors();

        var (store, resolved) = connectors.Resolve(MediaLocation.Parse(uri), forWrite: false);

        Assert.Equal(key, resolved.Value);
        Assert.Contains(bucket == "any-bucket" ? "s3://any-bucket/" : bucket.StartsWith("dropbox", StringComparison.Ordinal) ? bucket : "s3+", store.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3+footage://cooked/drone.mp4", false, "outside the root of connector 'footage' (s3://drone-footage/raw/)")]
    [InlineData("s3+footage://raw/../cooked/x.mp4", false, "not a valid object name")]
    [InlineData("s3+footage://raw/%2e%2e/x.mp4", false, "not a valid object name")]
    [InlineData("s3+footage://raw/out.mp4", true, "connector 'footage' is read-only")]
    [InlineData("s3+nope://x.mp4", false, "no S3 connector labelled 'nope'")]
    [InlineData("dropbox://Other/x.mp4", false, "outside the root of connector 'default' (dropbox://Footage/)")]
    [InlineData("dropbox://Footage2/x.mp4", false, "outside the root of connector 'default'")]
    [InlineData("dropbox://footage/out.mp4", true, "connector 'default' is read-only")]
    [InlineData("dropbox+review://../x.mp4", false, "not a valid Dropbox path")]
    [InlineData("dropbox+review://a/%2E%2E/x.mp4", false, "not a valid Dropbox path")]
    [InlineData("dropbox+nope://x.mp4", false, "no Dropbox connector labelled 'nope'")]
    public void Resolve_RefusesBeforeAnyRequest_WhenOutsideRootOrReadOnly(string uri, bool forWrite, string expected)
    {
        using var connectors = Connectors();

        var error = Assert.Throws<RotoscopeException>(() => connectors.Resolve(MediaLocation.Parse(uri), forWrite));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NamesTheMissingVariable_WhenACredentialIsNotSet()
    {
        using var connectors = Connectors(withVariables: false);

        var error = Assert.Throws<RotoscopeException>(() => connectors.Resolve(MediaLocation.Parse("s3+out://x.mp4"), forWrite: true));

        Assert.Equal("connector 'out': its access key is not set ($OUT_KEY)", error.Message);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Save_WritesAFileOnlyTheOwnerCanRead_AndLoadReadsItBack()
    {
        var path = Path.Combine(root.FullName, "config", "connectors.json");

        Config.Save(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(Config.S3, ConnectorConfig.Load(path).S3);
        Assert.Equal(Config.Dropbox, ConnectorConfig.Load(path).Dropbox);
    }

    [Fact]
    public void ToString_NeverShowsASecret()
    {
        var text = string.Join("\n", Config.S3.Select(c => c.ToString()).Concat(Config.Dropbox.Select(c => c.ToString())));

        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.Contains("$OUT_SECRET", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NamesTheMissingVariable_WhenTheDropboxTokenIsNotSet()
    {
        using var connectors = Connectors(withVariables: false);

        var error = Assert.Throws<RotoscopeException>(() => connectors.Resolve(MediaLocation.Parse("dropbox://Footage/x.mp4"), forWrite: false));

        Assert.Equal("connector 'default': its refresh token is not set ($DROPBOX_TOKEN)", error.Message);
    }

    private Connectors Connectors(bool withVariables = true) =>
        new(Config, withVariables ? new Dictionary<string, string?> { ["OUT_KEY"] = "AKID2", ["OUT_SECRET"] = Secret, ["DROPBOX_TOKEN"] = Secret } : [], new LocalBlobStore(root.FullName));
}
