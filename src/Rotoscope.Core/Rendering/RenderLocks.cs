using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// One writer per output: a render holds an exclusive lock on a file named after its output (under the data store's
/// locks/ folder) from planning to the end. The lock is the kernel's (flock, through FileShare.None), so it is released
/// when the process ends, however it ends; the lock files themselves stay and are reused.
/// </summary>
public sealed class RenderLocks(string directory)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Takes the lock of <paramref name="plan"/>'s output. When the same render holds it in another process, waits for
    /// it (telling <paramref name="waiting"/> once), so its finished result can be reused; when a different render
    /// holds it, fails at once naming that render.
    /// </summary>
    public Task<IDisposable> AcquireAsync(RenderPlan plan, Action<string> waiting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return AcquireAsync(MediaLocation.Parse(plan.Output).Identity, plan.Output, plan.RenderId, $"render {plan.RenderId}", waiting, cancellationToken);
    }

    /// <summary>
    /// Takes the lock of <paramref name="output"/> (the identity of a file or a folder of outputs, as the user wrote it:
    /// <paramref name="outputText"/>) for <paramref name="ownerId"/> (<paramref name="description"/> in messages): waits while the same owner holds it in another process, fails at
    /// once when another owner does.
    /// </summary>
    public async Task<IDisposable> AcquireAsync(string output, string outputText, string ownerId, string description, Action<string> waiting, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        ArgumentNullException.ThrowIfNull(waiting);
        Directory.CreateDirectory(directory);
        var name = NameOf(output);
        var lockPath = Path.Combine(directory, $"{name}.lock");
        var ownerPath = Path.Combine(directory, $"{name}.owner");
        var toldWaiting = false;
        while (true)
        {
            if (TryLock(lockPath) is { } held)
            {
                await File.WriteAllTextAsync(ownerPath, string.Create(CultureInfo.InvariantCulture, $"{ownerId} {Environment.ProcessId}\n"), CancellationToken.None).ConfigureAwait(false);
                return held;
            }

            // A line whose process is gone is the previous holder's: the new one has not written its own yet.
            var (owner, process) = ReadOwner(ownerPath);
            if (owner is not null && owner != ownerId && Directory.Exists($"/proc/{process}"))
            {
                throw new RotoscopeException($"{outputText} is being written by another render ({owner}, process {process}); wait for it to finish or choose another --output");
            }

            if (!toldWaiting)
            {
                waiting($"{description} is already running in process {process ?? "?"}; waiting for it to finish, to reuse its result");
                toldWaiting = true;
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a render holds the lock of <paramref name="output"/> right now.</summary>
    public bool IsHeld(string output)
    {
        var path = Path.Combine(directory, $"{NameOf(MediaLocation.Parse(output).Identity)}.lock");
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = TryLock(path);
        return probe is null;
    }

    private static string NameOf(string identity) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..24];

    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            return null; // Held by another process (EWOULDBLOCK).
        }
    }

    // Written by the holder right after it locks; a reader may find the previous holder's line for a moment.
    private static (string? RenderId, string? Process) ReadOwner(string path)
    {
        try
        {
            var parts = File.ReadAllText(path).Split(' ', 2, StringSplitOptions.TrimEntries);
            return parts.Length == 2 ? (parts[0], parts[1]) : (null, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, null);
        }
    }
}
