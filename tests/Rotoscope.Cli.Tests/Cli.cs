using System.Diagnostics;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// Runs the CLI in process with captured output and its own data store, and makes test clips with real ffmpeg. CLI
/// processes it started (workers, dashboards) that are still running when it is disposed are killed.
/// </summary>
public sealed class Cli : IDisposable
{
    private readonly List<Process> started = [];

    public Cli()
    {
        Directory.CreateDirectory(DataDirectory);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("rotoscope-cli-").FullName;

    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>More variables for the commands this test runs (e.g. connector credentials).</summary>
    public Dictionary<string, string?> Variables { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string?> Environment => new(Variables, StringComparer.Ordinal)
    {
        ["HOME"] = System.Environment.GetEnvironmentVariable("HOME"),
        ["XDG_DATA_HOME"] = System.Environment.GetEnvironmentVariable("XDG_DATA_HOME"),
        ["ROTOSCOPE_DATA"] = DataDirectory,
        ["TMPDIR"] = Root,
        ["ROTOSCOPE_CONNECTORS"] = Path.Combine(Root, "connectors.json"),
    };

    public void Dispose()
    {
        foreach (var process in started)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // The test disposed it already.
            }
        }

        Directory.Delete(Root, recursive: true);
    }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>A path in the repository (found by walking up to Rotoscope.sln).</summary>
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

    public async Task<CliOutcome> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, new CliContext(stdout, stderr, Environment, ErrorIsTerminal: false), CancellationToken.None);
        return new CliOutcome(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts the CLI as its own process (for kills, signals and concurrent runs), with this test's environment.</summary>
    public Process Start(string[] args, out Task<string> stdout, out Task<string> stderr)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rotoscope.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        started.Add(process);
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
        return process;
    }

    /// <summary>A clip from ffmpeg's lavfi test sources, with a sine audio track unless <paramref name="audio"/> is false.</summary>
    public string MakeClip(string name, int width, int height, int fps, double seconds, bool audio = true, params string[] extra)
    {
        var path = PathOf(name);
        // testsrc2 rounds odd sizes down to even ones: draw one size up and crop to the exact geometry.
        var args = new List<string> { "-v", "error", "-f", "lavfi", "-i", $"testsrc2=size={width + 1}x{height + 1}:rate={fps},format=yuv444p,crop={width}:{height}:0:0" };
        if (audio)
        {
            args.AddRange(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]);
        }

        args.AddRange(["-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c:v", "libx264", "-pix_fmt", width % 2 == 0 && height % 2 == 0 ? "yuv420p" : "yuv444p"]);
        if (audio)
        {
            args.AddRange(["-c:a", "aac"]);
        }

        args.AddRange(extra);
        args.AddRange(["-y", path]);
        Ffmpeg("ffmpeg", args);
        return path;
    }

    /// <summary>Runs an ffmpeg tool and returns its stdout; fails the test when it fails.</summary>
    public static string Ffmpeg(string tool, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {stderr}");
        return stdout.Result;
    }

    /// <summary>Frames, fps, geometry and audio of a video as ffprobe counts them (decoding every frame).</summary>
    public static VideoFacts Probe(string path)
    {
        var video = Ffmpeg("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,width,height,r_frame_rate,avg_frame_rate", "-of", "default=nw=1", path]);
        var audio = Ffmpeg("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path]);
        var duration = Ffmpeg("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]);
        var fields = video.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return new VideoFacts(
            int.Parse(fields["nb_read_frames"], System.Globalization.CultureInfo.InvariantCulture),
            fields["avg_frame_rate"],
            int.Parse(fields["width"], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(fields["height"], System.Globalization.CultureInfo.InvariantCulture),
            audio.Trim().Length > 0,
            double.Parse(duration.Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Frame <paramref name="index"/> (0-based) decoded to RGB24 bytes by ffmpeg, through <paramref name="filters"/>
    /// when given (e.g. an explicit colour matrix, a crop).
    /// </summary>
    public static byte[] FrameRgb(string path, int index, string? filters = null)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        var chain = filters is null ? $"select=eq(n\\,{index})" : $"select=eq(n\\,{index}),{filters}";
        foreach (var arg in new[] { "-v", "error", "-i", path, "-vf", chain, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return buffer.ToArray();
    }
}

public sealed record CliOutcome(int ExitCode, string Out, string Error);

public sealed record VideoFacts(int Frames, string Fps, int Width, int Height, bool HasAudio, double Duration);
