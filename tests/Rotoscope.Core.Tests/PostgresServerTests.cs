using System.Net;
using System.Net.Sockets;
using Rotoscope.Tests;

namespace Rotoscope.Core.Tests;

/// <summary>The PostgreSQL fixture itself: a real server, databases of their own for test classes, and a stop that stops.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresGroup.Name)]
public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task CreateDatabase_GivesAnEmptyDatabaseOfItsOwn()
    {
        var name = $"test_{Guid.NewGuid():N}";

        var connection = await server.CreateDatabaseAsync(name);
        await PostgresServer.QueryAsync(connection, "CREATE TABLE jobs (id int); INSERT INTO jobs VALUES (1), (2)");

        Assert.Contains($"Database={name};", connection, StringComparison.Ordinal);
        Assert.Equal($"{name}|rotoscope|2", await PostgresServer.QueryAsync(connection, "SELECT current_database(), current_user, count(*) FROM jobs"));
        Assert.Equal("0", await PostgresServer.QueryAsync(server.ConnectionString, "SELECT count(*) FROM pg_tables WHERE tablename = 'jobs'"));
        Assert.True(int.Parse(await PostgresServer.QueryAsync(server.ConnectionString, "SHOW max_connections"), System.Globalization.CultureInfo.InvariantCulture) >= 100);
    }

    [Fact]
    public async Task CreateDatabase_RefusesNamesThatNeedQuoting() =>
        await Assert.ThrowsAsync<ArgumentException>(() => server.CreateDatabaseAsync("x\"; DROP DATABASE rotoscope; --"));

    [Fact]
    public async Task Stop_LeavesNoServerBehind()
    {
        var own = new PostgresServer();
        await own.InitializeAsync();
        Assert.Equal("1", await PostgresServer.QueryAsync(own.ConnectionString, "SELECT 1"));
        Assert.NotEmpty(Postmasters(own.Folder));

        await own.DisposeAsync();

        Assert.Empty(Postmasters(own.Folder));
        Assert.False(Directory.Exists(own.Folder));
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, own.Port));
    }

    /// <summary>The live processes whose command line names the folder (the postmaster: postgres -D FOLDER/data).</summary>
    private static List<int> Postmasters(string folder) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => (Pid: int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0, Dir: d))
            .Where(p => p.Pid > 0 && ReadOrEmpty(Path.Combine(p.Dir, "cmdline")).Contains(folder, StringComparison.Ordinal))
            .Select(p => p.Pid)];

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
