using System.Globalization;

namespace Rotoscope.Cli.Tests;

/// <summary>Frame timing is exact for every input: the planned rate, the planned count, audio in sync.</summary>
[Trait("Category", "Integration")]
public sealed class TimingTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    public static TheoryData<string, int, string> LateClips => new()
    {
        // A phone's portrait clip: the first frame 0.144 s after the audio, rotated either way, in both mp4 and mov
        // (mov with a phone's 1/600 time base, where the last frame's stored duration is a single tick).
        { "late.mp4", 90, "mp4" },
        { "late.mov", 270, "mov" },
        { "late270.mp4", 270, "mp4" },
        { "late90.mov", 90, "mkv" },
    };

    [Theory]
    [MemberData(nameof(LateClips))]
    public async Task Render_KeepsExactRateCountAndAudioSync_WhenVideoStartsLateAndIsRotated(string name, int rotate, string outputExtension)
    {
        var input = MakeLateClip(name, rotate, startSeconds: 0.144);
        var output = cli.PathOf($"{name}.out.{outputExtension}");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", output);

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var facts = Cli.Probe(output);
        Assert.Equal((90, 240, 320), (facts.Frames, facts.Width, facts.Height));
        var streams = Streams(output);
        Assert.Equal(("30/1", "30/1"), (streams["video"].Rate, streams["video"].AverageRate));
        var sourceStreams = Streams(input);
        var sourceLead = sourceStreams["video"].Start - sourceStreams["audio"].Start;
        var outputLead = streams["video"].Start - streams["audio"].Start;
        Assert.InRange(outputLead - sourceLead, -1.0 / 30, 1.0 / 30);
    }

    [Fact]
    public async Task Render_KeepsTheCount_WhenResampledFromALateStart()
    {
        var input = MakeLateClip("late60.mp4", rotate: 0, startSeconds: 0.144);
        var output = cli.PathOf("late60.out.mp4");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", output, "--fps", "60");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.InRange(Cli.Probe(output).Frames, 179, 180);
        Assert.Equal(("60/1", "60/1"), (Streams(output)["video"].Rate, Streams(output)["video"].AverageRate));
    }

    private string MakeLateClip(string name, int rotate, double startSeconds)
    {
        var video = cli.PathOf($"{name}.video.mp4");
        var audio = cli.PathOf($"{name}.audio.m4a");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", video]);
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3.2", "-c:a", "aac", "-y", audio]);
        var path = cli.PathOf(name);
        List<string> args =
        [
            "-v", "error", "-itsoffset", startSeconds.ToString(CultureInfo.InvariantCulture), "-i", video, "-i", audio,
            "-map", "0:v", "-map", "1:a", "-c", "copy",
        ];
        if (rotate != 0)
        {
            args.AddRange(["-metadata:s:v:0", $"rotate={rotate}"]);
        }

        if (name.EndsWith(".mov", StringComparison.Ordinal))
        {
            args.AddRange(["-video_track_timescale", "600"]);
        }

        args.AddRange(["-y", path]);
        Cli.Ffmpeg("ffmpeg", args);
        return path;
    }

    private static Dictionary<string, (double Start, string Rate, string AverageRate)> Streams(string path) =>
        Cli.Ffmpeg("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,start_time,r_frame_rate,avg_frame_rate", "-of", "csv=p=0", path])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(','))
            .GroupBy(f => f[0])
            .ToDictionary(g => g.Key, g => (double.Parse(g.First()[3], CultureInfo.InvariantCulture), g.First()[1], g.First()[2]));
}
