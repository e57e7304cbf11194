using System.Text.RegularExpressions;

namespace Rotoscope.Tests;

/// <summary>
/// A real PostgreSQL 15 server for the tests of one assembly, on 127.0.0.1, started by scripts/pg-server.sh in a
/// throw-away folder and stopped (by the PID it recorded) when the tests end. Test classes that need a database of
/// their own (Hangfire schemas, say) ask <see cref="CreateDatabaseAsync"/> for one.
/// </summary>
public sealed partial class PostgresServer : IAsyncLifetime
{
    /// <summary>Debian's psql 15 (postgresql-client-15, which the script installs).</summary>
    public const string Psql = "/usr/lib/postgresql/15/bin/psql";

    /// <summary>The folder the server lives in while it runs (data/, run/, log/, pg.env); deleted on dispose.</summary>
    public string Folder { get; } = Path.Combine("/tmp", $"rotoscope-pg-{Guid.NewGuid():N}");

    /// <summary>An Npgsql connection string to the database <c>rotoscope</c>, as the role <c>rotoscope</c> (which may create databases).</summary>
    public string ConnectionString { get; private set; } = "";

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        var values = await ServerScript.RunAsync("pg-server.sh", "start", Folder, TimeSpan.FromMinutes(5));
        ConnectionString = values["connection"];
        Port = int.Parse(values["port"], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        await ServerScript.RunAsync("pg-server.sh", "stop", Folder, TimeSpan.FromMinutes(1));
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>Creates an empty database owned by the <c>rotoscope</c> role and returns the connection string to it.</summary>
    /// <param name="name">Lower-case letters, digits and underscores, starting with a letter or underscore; at most 63.</param>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain database name ([a-z_][a-z0-9_]*, at most 63 characters)", nameof(name));
        }

        await QueryAsync(ConnectionString, $"CREATE DATABASE \"{name}\"");
        return WithDatabase(ConnectionString, name);
    }

    /// <summary>
    /// Runs SQL through psql over TCP with the parts of an Npgsql connection string (Host, Port, Database, Username,
    /// Password); returns what it printed, unaligned and without headers (one row a line, columns split by '|').
    /// Throws with psql's message when the SQL fails.
    /// </summary>
    public static async Task<string> QueryAsync(string connectionString, string sql)
    {
        var parts = Parse(connectionString);
        // No libpq variable of the test run's own may steer psql elsewhere.
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToDictionary(k => k, string? (_) => null);
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["PGHOST"] = parts.GetValueOrDefault("host", "127.0.0.1"),
            ["PGPORT"] = parts.GetValueOrDefault("port", "5432"),
            ["PGDATABASE"] = parts.GetValueOrDefault("database", "rotoscope"),
            ["PGUSER"] = parts.GetValueOrDefault("username", "rotoscope"),
            ["PGPASSWORD"] = parts.GetValueOrDefault("password", ""),
            ["PGCONNECT_TIMEOUT"] = "10",
        })
        {
            environment[key] = value;
        }

        var output = await ServerScript.RunProcessAsync([Psql, "-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], "psql", TimeSpan.FromMinutes(1), environment);
        return output.TrimEnd('\n');
    }

    private static string WithDatabase(string connectionString, string database) =>
        string.Join(';', connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)[0].Trim().Equals("Database", StringComparison.OrdinalIgnoreCase) ? $"Database={database}" : p));

    // (the script's connection strings hold no quoted values: the password is hex)
    private static Dictionary<string, string> Parse(string connectionString) =>
        connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}

/// <summary>Tests that share the one PostgreSQL server of their assembly.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
