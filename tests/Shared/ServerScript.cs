using System.Diagnostics;

namespace Rotoscope.Tests;

/// <summary>Runs the scripts that start and stop the tests' servers (scripts/*-server.sh), and other helper programs.</summary>
public static class ServerScript
{
    /// <summary>Runs <c>scripts/SCRIPT VERB FOLDER</c>; returns the <c>key=value</c> lines it printed.</summary>
    public static async Task<Dictionary<string, string>> RunAsync(string script, string verb, string folder, TimeSpan limit)
    {
        var output = await RunProcessAsync(["bash", RepoPath("scripts", script), verb, folder], $"{script} {verb}", limit);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }

    /// <summary>
    /// Runs a program and returns its standard output; throws with its standard error when it fails, and kills it when
    /// it runs past <paramref name="limit"/>. In <paramref name="environment"/>, a null value removes the variable.
    /// </summary>
    public static async Task<string> RunProcessAsync(string[] command, string what, TimeSpan limit, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish within {limit.TotalSeconds} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed: {(await stderr).Trim()}");
        }

        return await stdout;
    }

    /// <summary>A path in this checkout.</summary>
    public static string RepoPath(params string[] parts)
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
