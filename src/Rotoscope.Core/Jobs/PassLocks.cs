using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Makes a pass of a watcher (a folder watch, the review watcher) exclusive, so that what it decides is done once: a
/// lock file under the data store's locks/ (the kernel's flock, released however its holder ends) and, on a fleet, a
/// PostgreSQL session advisory lock on the job database.
/// </summary>
/// <remarks>
/// Not Hangfire's distributed lock: on PostgreSQL it is a row that the next taker deletes once it is older than
/// DistributedLockTimeout (30 s here), with no heartbeat, so a pass longer than that (a large input hashed, planned and
/// uploaded) would lose it silently. A session advisory lock lasts exactly as long as its holder's connection.
/// </remarks>
public sealed class PassLocks(string directory, string? postgres = null)
{
    /// <summary>
    /// Takes the lock named <paramref name="name"/>, or returns null at once when another pass holds it (in this
    /// process, another process of this machine, or, on a fleet, another worker).
    /// </summary>
    public async Task<IDisposable?> TryAcquireAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Directory.CreateDirectory(directory);
        var file = TryLockFile(Path.Combine(directory, $"pass-{name}.lock"));
        if (file is null)
        {
            return null;
        }

        await File.WriteAllTextAsync(Path.Combine(directory, $"pass-{name}.owner"), string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n"), CancellationToken.None).ConfigureAwait(false);
        if (postgres is null)
        {
            return file;
        }

        try
        {
            return await TryLockDatabaseAsync(name, file, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The process of this machine that holds (or last held) the lock <paramref name="name"/>, for messages.</summary>
    public string? HolderOf(string name)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, $"pass-{name}.owner")).Trim() is { Length: > 0 } process ? process : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task<IDisposable?> TryLockDatabaseAsync(string name, FileStream file, CancellationToken cancellationToken)
    {
        // A connection of its own, outside the pool: the lock belongs to the session, which must end with the holder.
        var parsed = new NpgsqlConnectionStringBuilder(postgres) { Pooling = false };
        var key = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"rotoscope:pass:{name}")), 0);
        var connection = new NpgsqlConnection(parsed.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                return new Held(file, connection);
            }
        }
        catch (Exception e) when (FleetStorage.IsDatabaseError(e))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw FleetStorage.DatabaseError(parsed, e);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        file.Dispose();
        return null;
    }

    private static FileStream? TryLockFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            return null; // held (EWOULDBLOCK)
        }
    }

    // Closing the unpooled connection ends the session, and with it the advisory lock.
    private sealed class Held(FileStream file, NpgsqlConnection connection) : IDisposable
    {
        public void Dispose()
        {
            connection.Dispose();
            file.Dispose();
        }
    }
}
