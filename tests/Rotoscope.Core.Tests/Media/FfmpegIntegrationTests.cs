using Rotoscope.Core.Media;

namespace Rotoscope.Core.Tests.Media;

[Trait("Category", "Integration")]
public sealed class FfmpegIntegrationTests(MediaClips clips) : IClassFixture<MediaClips>, IDisposable
{
    private readonly Ffmpeg _ffmpeg = new(new FfmpegTools());
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly string _work = CreateWorkDirectory();

    private CancellationToken Token => _timeout.Token;

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task ProbeAsync_ReportsGeometryRateDurationAndAudio_WhenGeneratedClip()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);

        Assert.Equal("h264", info.VideoCodec);
        Assert.Contains("mp4", info.FormatName, StringComparison.Ordinal);
        Assert.Equal((320, 240, 0), (info.Width, info.Height, info.Rotation));
        Assert.Equal(new Rational(30, 1), info.FrameRate);
        Assert.InRange(info.Duration.TotalSeconds, 1.95, 2.1);
        Assert.Equal(60, info.FrameCount);
        var audio = Assert.Single(info.AudioStreams);
        Assert.Equal(("aac", 1, 48000), (audio.Codec, audio.Channels, audio.SampleRate));
    }

    [Fact]
    public async Task SplitAsync_YieldsEveryFrameAndTheAudio_WhenSourceFps()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);
        var audioPath = Path.Combine(_work, "audio.mka.partial");
        var sizes = new List<int>();

        var count = await _ffmpeg.SplitAsync(clips.Clip, info, info.FrameRate, audioPath, (frame, index, _) =>
        {
            Assert.Equal(sizes.Count, index);
            sizes.Add(frame.Length);
            return ValueTask.CompletedTask;
        }, Token);

        Assert.Equal(60, count.Frames);
        Assert.Equal(60, sizes.Count);
        Assert.All(sizes, size => Assert.Equal(320 * 240 * 3, size));
        var audioError = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.ProbeAsync(audioPath, Token));
        Assert.EndsWith("has no video stream", audioError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SplitAsync_Yields120Frames_WhenResampledTo60Fps()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);

        var count = await _ffmpeg.SplitAsync(
            clips.Clip, info, new Rational(60, 1), audioOutputPath: null, (_, _, _) => ValueTask.CompletedTask, Token);

        Assert.Equal(120, count.Frames);
    }

    [Fact]
    public async Task SplitAsync_YieldsDisplayGeometry_WhenClipHasRotationMetadata()
    {
        var info = await _ffmpeg.ProbeAsync(clips.RotatedClip, Token);
        Assert.Equal((240, 320, 90), (info.Width, info.Height, info.Rotation));
        var sizes = new HashSet<int>();

        var count = await _ffmpeg.SplitAsync(clips.RotatedClip, info, info.FrameRate, null, (frame, _, _) =>
        {
            sizes.Add(frame.Length);
            return ValueTask.CompletedTask;
        }, Token);

        Assert.Equal(60, count.Frames);
        Assert.Equal(240 * 320 * 3, Assert.Single(sizes));
    }

    [Fact]
    public async Task AssembleAsync_KeepsRateCountSizeAndAudio_WhenRoundTripped()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);
        var audioPath = Path.Combine(_work, "audio.mka");
        var frames = new List<byte[]>();
        await _ffmpeg.SplitAsync(clips.Clip, info, info.FrameRate, audioPath, (frame, _, _) =>
        {
            frames.Add(frame.ToArray());
            return ValueTask.CompletedTask;
        }, Token);
        var output = Path.Combine(_work, "out.mp4");
        var spec = new AssembleSpec(output, info.Width, info.Height, info.FrameRate, audioPath, info.AudioStreams);

        await _ffmpeg.AssembleAsync(spec, async (stdin, ct) =>
        {
            foreach (var frame in frames)
            {
                await stdin.WriteAsync(frame, ct);
            }
        }, _ => { }, Token);

        var result = await _ffmpeg.ProbeAsync(output, Token);
        Assert.Equal((320, 240), (result.Width, result.Height));
        Assert.Equal(new Rational(30, 1), result.FrameRate);
        Assert.Equal(60, result.FrameCount);
        Assert.True(result.HasAudio);
        Assert.InRange(Math.Abs((result.Duration - info.Duration).TotalSeconds), 0, 1.0 / 30);
        var again = await _ffmpeg.SplitAsync(output, result, result.FrameRate, null, (_, _, _) => ValueTask.CompletedTask, Token);
        Assert.Equal(60, again.Frames);
    }

    [Fact]
    public async Task AssembleAsync_KeepsOddSizeAndColour_WhenWrittenUnderTemporaryName()
    {
        const int width = 161, height = 91, count = 15;
        var frame = SolidFrame(width, height, red: 200, green: 100, blue: 50);
        var temporary = Path.Combine(_work, "odd.mp4.partial");
        var spec = new AssembleSpec(temporary, width, height, new Rational(15, 1), null, [], ContainerFormat: "mp4");

        await _ffmpeg.AssembleAsync(spec, async (stdin, ct) =>
        {
            for (var i = 0; i < count; i++)
            {
                await stdin.WriteAsync(frame, ct);
            }
        }, _ => { }, Token);

        var output = Path.Combine(_work, "odd.mp4");
        File.Move(temporary, output);
        var info = await _ffmpeg.ProbeAsync(output, Token);
        Assert.Equal((width, height), (info.Width, info.Height));
        Assert.StartsWith("mov,mp4", info.FormatName, StringComparison.Ordinal);
        double[] sums = [0, 0, 0];
        var frames = await _ffmpeg.SplitAsync(output, info, info.FrameRate, null, (pixels, _, _) =>
        {
            var span = pixels.Span;
            for (var i = 0; i < span.Length; i++)
            {
                sums[i % 3] += span[i];
            }

            return ValueTask.CompletedTask;
        }, Token);
        Assert.Equal(count, frames.Frames);
        var pixelsSeen = (double)count * width * height;
        Assert.InRange(sums[0] / pixelsSeen, 197, 203);
        Assert.InRange(sums[1] / pixelsSeen, 97, 103);
        Assert.InRange(sums[2] / pixelsSeen, 47, 53);
    }

    [Theory]
    [InlineData("out.mkv")]
    [InlineData("out.webm")]
    public async Task AssembleAsync_WritesPlayableFileWithAudio_WhenMkvOrWebm(string name)
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);
        var audioPath = Path.Combine(_work, "audio.mka");
        await _ffmpeg.SplitAsync(clips.Clip, info, info.FrameRate, audioPath, (_, _, _) => ValueTask.CompletedTask, Token);
        var output = Path.Combine(_work, name);
        var frame = SolidFrame(64, 48, 10, 20, 30);

        await _ffmpeg.AssembleAsync(
            new AssembleSpec(output, 64, 48, new Rational(30, 1), audioPath, info.AudioStreams),
            async (stdin, ct) =>
            {
                for (var i = 0; i < 30; i++)
                {
                    await stdin.WriteAsync(frame, ct);
                }
            },
            _ => { }, Token);

        var result = await _ffmpeg.ProbeAsync(output, Token);
        Assert.Equal((64, 48), (result.Width, result.Height));
        Assert.True(result.HasAudio);
    }

    [Fact]
    public async Task AssembleAsync_PropagatesAndKillsFfmpeg_WhenWriterThrows()
    {
        var output = Path.Combine(_work, "broken.mp4");
        var spec = new AssembleSpec(output, 64, 48, new Rational(30, 1), null, []);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _ffmpeg.AssembleAsync(spec, async (stdin, ct) =>
        {
            await stdin.WriteAsync(SolidFrame(64, 48, 1, 2, 3), ct);
            throw new InvalidOperationException("styling failed");
        }, _ => { }, Token));

        Assert.Equal("styling failed", error.Message);
    }

    [Fact]
    public async Task AssembleAsync_ThrowsMediaException_WhenWriterWritesPartialFrame()
    {
        var spec = new AssembleSpec(Path.Combine(_work, "partial.mp4"), 64, 48, new Rational(30, 1), null, []);

        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.AssembleAsync(
            spec, (stdin, ct) => stdin.WriteAsync(new byte[100], ct).AsTask(), _ => { }, Token));

        Assert.Contains("wrote 100 bytes, not whole 64x48 rgb24 frames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssembleAsync_ThrowsMediaExceptionWithStderr_WhenFfmpegRejectsTheAudio()
    {
        var audioPath = Path.Combine(_work, "not-audio.mka");
        await File.WriteAllTextAsync(audioPath, "nothing here", Token);
        var spec = new AssembleSpec(Path.Combine(_work, "x.mp4"), 64, 48, new Rational(30, 1), audioPath, [new AudioStream(0, "aac", 2, 48000)]);

        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.AssembleAsync(spec, async (stdin, ct) =>
        {
            var frame = SolidFrame(64, 48, 1, 2, 3);
            for (var i = 0; i < 30; i++)
            {
                await stdin.WriteAsync(frame, ct);
            }
        }, _ => { }, Token));

        Assert.StartsWith($"assemble of {spec.OutputPath} failed: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.NotEqual(0, error.ExitCode);
        Assert.NotEmpty(error.StderrTail);
    }

    [Fact]
    public async Task SplitAsync_ThrowsOperationCanceled_WhenCancelledMidway()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _ffmpeg.SplitAsync(
            clips.Clip, info, new Rational(60, 1), null, (_, index, _) =>
            {
                seen++;
                if (index == 3)
                {
                    cancellation.Cancel();
                }

                return ValueTask.CompletedTask;
            }, cancellation.Token));

        Assert.InRange(seen, 4, 5);
    }

    [Fact]
    public async Task SplitAsync_ThrowsMediaExceptionWithCause_WhenInputUnreadable()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);

        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.SplitAsync(
            clips.Truncated, info, info.FrameRate, null, (_, _, _) => ValueTask.CompletedTask, Token));

        Assert.Equal(
            $"split of {clips.Truncated} failed: Invalid data found when processing input", error.Message);
        Assert.NotEqual(0, error.ExitCode);
    }

    [Fact]
    public async Task SplitAsync_ThrowsPartialFrame_WhenInfoGeometryIsWrong()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);
        var wrong = info with { Width = 7, Height = 1 };

        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.SplitAsync(
            clips.Clip, wrong, new Rational(1, 1), null, (_, _, _) => ValueTask.CompletedTask, Token));

        Assert.Contains("partial frame", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_ThrowsNotFound_WhenInputMissing()
    {
        var missing = Path.Combine(_work, "nope.mp4");

        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.ProbeAsync(missing, Token));

        Assert.Equal($"input not found: {missing}", error.Message);
    }

    [Fact]
    public async Task ProbeAsync_ThrowsNotReadable_WhenFileEmptyTruncatedOrText()
    {
        foreach (var path in new[] { clips.Empty, clips.Truncated, clips.Text })
        {
            var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.ProbeAsync(path, Token));

            Assert.Equal($"{path} is not a readable video: Invalid data found when processing input", error.Message);
            Assert.Equal(1, error.ExitCode);
            Assert.Contains("Invalid data", error.StderrTail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ProbeAsync_ThrowsNoVideo_WhenAudioOnly()
    {
        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.ProbeAsync(clips.AudioOnly, Token));

        Assert.Equal($"{clips.AudioOnly} has no video stream", error.Message);
    }

    [Fact]
    public async Task ProbeAsync_ThrowsStillImage_WhenPng()
    {
        var error = await Assert.ThrowsAsync<MediaException>(() => _ffmpeg.ProbeAsync(clips.Still, Token));

        Assert.Equal($"{clips.Still} is a still image, not a video", error.Message);
    }

    [Fact]
    public async Task ProbeAsync_ThrowsToolNotFound_WhenFfprobeMissing()
    {
        var ffmpeg = new Ffmpeg(new FfmpegTools("/nonexistent/ffmpeg", "/nonexistent/ffprobe"));

        var error = await Assert.ThrowsAsync<MediaException>(() => ffmpeg.ProbeAsync(clips.Clip, Token));

        Assert.Equal("/nonexistent/ffprobe not found; run scripts/bootstrap.sh", error.Message);
    }

    [Fact]
    public async Task SplitAsync_ThrowsToolNotFound_WhenFfmpegMissing()
    {
        var info = await _ffmpeg.ProbeAsync(clips.Clip, Token);
        var ffmpeg = new Ffmpeg(new FfmpegTools(FfmpegPath: "rotoscope-no-such-ffmpeg"));

        var error = await Assert.ThrowsAsync<MediaException>(() => ffmpeg.SplitAsync(
            clips.Clip, info, info.FrameRate, null, (_, _, _) => ValueTask.CompletedTask, Token));

        Assert.Equal("rotoscope-no-such-ffmpeg not found; run scripts/bootstrap.sh", error.Message);
    }

    private static byte[] SolidFrame(int width, int height, byte red, byte green, byte blue)
    {
        var frame = new byte[width * height * 3];
        for (var i = 0; i < frame.Length; i += 3)
        {
            (frame[i], frame[i + 1], frame[i + 2]) = (red, green, blue);
        }

        return frame;
    }

    private static string CreateWorkDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "rotoscope-media-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
