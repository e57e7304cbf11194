using System.Net.Sockets;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Review;

namespace Rotoscope.Core.Jobs;

/// <summary>The job storage a fleet shares: Hangfire's tables in a PostgreSQL database, set up for renders.</summary>
public static class FleetStorage
{
    /// <summary>How often a job that failed for a reason that may pass (a storage error, a lost worker) is tried again.</summary>
    public const int RetryAttempts = 3;

    /// <summary>
    /// The services of a fleet member (a worker, a client that enqueues): the render steps over the frame store of
    /// <paramref name="options"/>, the review loop and the watches, and the jobs in the database at
    /// <paramref name="connectionString"/>.
    /// </summary>
    public static ServiceProvider Compose(RotoscopeOptions options, string connectionString) =>
        new ServiceCollection()
            .AddRotoscope(options)
            .AddReviews()
            .AddWatches(connectionString)
            .AddRenderJobs(Open(connectionString), RetryAttempts)
            .BuildServiceProvider();

    /// <summary>
    /// Opens (and on first use creates) the job tables in the database at <paramref name="connectionString"/> (Npgsql
    /// format). Fails with one line, without the password, when the server cannot be reached or refuses us.
    /// </summary>
    public static PostgreSqlStorage Open(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var options = new PostgreSqlStorageOptions
        {
            // Hangfire's defaults hide a fetched job for 30 minutes after its worker dies, and poll every 15 s. With a
            // sliding invisibility a live worker keeps its job hidden by heartbeat, and a dead one's comes back in ~15 s.
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = TimeSpan.FromSeconds(15),
            QueuePollInterval = TimeSpan.FromSeconds(1),
            DistributedLockTimeout = TimeSpan.FromSeconds(30),
            PrepareSchemaIfNecessary = true,
        };
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            throw new RotoscopeException("the PostgreSQL connection string is not valid (expected Host=…;Port=…;Database=…;Username=…;Password=…)");
        }

        try
        {
            // The storage connects lazily and its server would retry forever: a database that is down or refuses us is
            // found here, once.
            using (var connection = new NpgsqlConnection(connectionString))
            {
                connection.Open();
            }

            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
        }
        catch (Exception e) when (IsDatabaseError(e))
        {
            throw DatabaseError(parsed, e);
        }
    }

    /// <summary>Whether <paramref name="error"/> says the database could not be reached or refused us.</summary>
    internal static bool IsDatabaseError(Exception error) =>
        error is NpgsqlException or SocketException or TimeoutException || error.InnerException is NpgsqlException;

    /// <summary>One line about a database that cannot be used, naming it without the connection string's password.</summary>
    internal static RotoscopeException DatabaseError(NpgsqlConnectionStringBuilder parsed, Exception error)
    {
        // Npgsql's messages name the host and the server's reason; the connection string (with its password) is ours to keep out.
        var reason = (error as PostgresException ?? error.InnerException as PostgresException)?.MessageText ?? error.GetBaseException().Message;
        return new RotoscopeException($"cannot use the job database {parsed.Database} at {parsed.Host}:{parsed.Port} ({reason})", error);
    }
}
