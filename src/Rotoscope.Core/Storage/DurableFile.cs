using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Rotoscope.Core.Storage;

/// <summary>
/// Crash-safe file commits: data is flushed to disk before the rename that publishes it, and the folder after it, so a
/// file that exists after a power loss is complete (the pipeline treats "exists" as "done").
/// </summary>
public static partial class DurableFile
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <summary>Moves a written and flushed <paramref name="partial"/> file to <paramref name="target"/> and makes the rename durable.</summary>
    public static void Commit(string partial, string target, bool overwrite = true)
    {
        File.Move(partial, target, overwrite);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
    }

    /// <summary>Flushes a folder's entries (new names, renames) to disk; a no-op where the platform cannot.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, ReadOnlyDirectory);
        if (fd < 0)
        {
            return; // Nothing to sync we may open; the data itself was flushed.
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>SHA-256 of a file's content, lower-case hex.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
