using System.Diagnostics;

namespace Rotoscope.Core.Tests.Media;

/// <summary>Tiny clips made with the real ffmpeg in a temporary directory, shared by the integration tests.</summary>
public sealed class MediaClips : IAsyncLifetime
{
    public string Directory { get; } =
        Path.Combine(Path.GetTempPath(), "rotoscope-media-" + Guid.NewGuid().ToString("N"));

    /// <summary>320x240, 30 fps, 2 s of H.264 with one AAC stream (sine, 48 kHz).</summary>
    public string Clip => PathOf("clip.mp4");

    /// <summary>The clip remuxed with rotation metadata that ffprobe reports as a -90 display matrix (a portrait phone clip).</summary>
    public string RotatedClip => PathOf("rotated.mp4");

    public string AudioOnly => PathOf("audio.m4a");

    public string Still => PathOf("still.png");

    public string Empty => PathOf("empty.mp4");

    public string Truncated => PathOf("truncated.mp4");

    public string Text => PathOf("notes.txt");

    public string PathOf(string name) => Path.Combine(Directory, name);

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await RunFfmpegAsync(
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", Clip);
        // ffmpeg 5.1's mov muxer turns the clockwise "rotate" tag into a display matrix; 270 here reads as -90.
        await RunFfmpegAsync("-i", Clip, "-c", "copy", "-metadata:s:v:0", "rotate=270", RotatedClip);
        await RunFfmpegAsync("-i", Clip, "-vn", "-c:a", "copy", AudioOnly);
        await RunFfmpegAsync("-i", Clip, "-frames:v", "1", Still);
        await File.WriteAllBytesAsync(Empty, []);
        var head = new byte[2048];
        await using (var source = File.OpenRead(Clip))
        {
            await source.ReadExactlyAsync(head);
        }

        await File.WriteAllBytesAsync(Truncated, head);
        await File.WriteAllTextAsync(Text, "these are notes, not a video\n");
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Runs ffmpeg quietly; throws with its stderr if it fails.</summary>
    public static async Task RunFfmpegAsync(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-nostdin", "-v", "error", "-y", .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {stderr}");
        }
    }
}
