using System.Diagnostics;
using System.Globalization;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// Scratch folders for one step's temporary files, under the temp root. Each is named after the process that owns it,
/// so that a later run can remove what a killed one left behind.
/// </summary>
public sealed class ScratchSpace(string root)
{
    /// <summary>Creates a fresh folder for <paramref name="purpose"/> (e.g. <c>split-KEY</c>); the caller deletes it.</summary>
    public DirectoryInfo Create(string purpose) =>
        Directory.CreateDirectory(Path.Combine(root, $"{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}"));

    /// <summary>Deletes the folders of processes that no longer run (a render killed with SIGKILL, a crash).</summary>
    public void SweepAbandoned()
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            var parts = Path.GetFileName(folder).Split('-');
            if (parts.Length >= 3 && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && !IsRunning(owner))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another user's folder, or one being removed concurrently: not ours to insist on.
                }
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
