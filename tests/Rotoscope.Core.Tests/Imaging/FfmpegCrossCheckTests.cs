using System.Diagnostics;
using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Tests.Imaging;

// Checks the native codecs against an independent implementation: ffmpeg reads what we write and we read what it writes.
[Trait("Category", "Integration")]
public sealed class FfmpegCrossCheckTests : IDisposable
{
    private const int Width = 64, Height = 48;
    private readonly ImageCodec _codec = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rotoscope-imaging-");

    public void Dispose()
    {
        _codec.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Decode_MatchesFfmpegPixels_WhenFfmpegWrotePng()
    {
        var png = Path.Combine(_directory.FullName, "frame.png");
        await RunFfmpeg("-f", "lavfi", "-i", $"testsrc2=size={Width}x{Height}", "-frames:v", "1", png);
        var expected = await DecodeWithFfmpeg(png);

        using var decoded = _codec.Decode(await File.ReadAllBytesAsync(png));

        Assert.Equal((Width, Height), (decoded.Width, decoded.Height));
        Assert.Equal(expected, decoded.Pixels.ToArray());
    }

    // 4:4:4 leaves only IDCT and colour-conversion rounding; 4:2:0 (ffmpeg's default, what the split writes) adds
    // chroma upsampling, where libjpeg's fancy upsampling and swscale legitimately differ at sharp colour edges.
    [Theory]
    [InlineData("yuvj444p", 0.5, 3)]
    [InlineData("yuvj420p", 4.0, 64)]
    public async Task Decode_StaysCloseToFfmpegPixels_WhenFfmpegWroteJpeg(string pixelFormat, double maxMeanError, int maxError)
    {
        var jpeg = Path.Combine(_directory.FullName, "frame.jpg");
        await RunFfmpeg(
            "-f", "lavfi", "-i", $"testsrc2=size={Width}x{Height}", "-frames:v", "1", "-q:v", "2", "-pix_fmt", pixelFormat, jpeg);
        var expected = await DecodeWithFfmpeg(jpeg);

        using var decoded = _codec.Decode(await File.ReadAllBytesAsync(jpeg));

        Assert.Equal((Width, Height), (decoded.Width, decoded.Height));
        var (meanAbsError, worst) = TestImages.Compare(expected, decoded.Pixels);
        Assert.True(meanAbsError < maxMeanError && worst <= maxError, $"mean abs error {meanAbsError:F3}, max {worst}");
    }

    [Fact]
    public async Task Encode_PngIsReadByFfmpegExactly_WhenImageHasOddSize()
    {
        var rgb = TestImages.Gradient(37, 23);
        var png = Path.Combine(_directory.FullName, "ours.png");
        await File.WriteAllBytesAsync(png, _codec.Encode(rgb, 37, 23, ImageFormat.Png));

        Assert.Equal(rgb, await DecodeWithFfmpeg(png));
    }

    [Fact]
    public async Task Encode_JpegIsReadByFfmpeg_WhenImageIsSmooth()
    {
        var rgb = TestImages.Smooth(Width, Height);
        var jpeg = Path.Combine(_directory.FullName, "ours.jpg");
        await File.WriteAllBytesAsync(jpeg, _codec.Encode(rgb, Width, Height, ImageFormat.Jpeg));

        var decoded = await DecodeWithFfmpeg(jpeg);
        var (meanAbsError, _) = TestImages.Compare(rgb, decoded);

        Assert.True(meanAbsError < 3, $"mean abs error {meanAbsError:F3}");
    }

    private async Task<byte[]> DecodeWithFfmpeg(string path)
    {
        var raw = Path.Combine(_directory.FullName, Path.GetFileNameWithoutExtension(path) + ".rgb");
        await RunFfmpeg("-i", path, "-sws_flags", "accurate_rnd+full_chroma_int+bitexact", "-f", "rawvideo", "-pix_fmt", "rgb24", raw);
        return await File.ReadAllBytesAsync(raw);
    }

    private static async Task RunFfmpeg(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-loglevel", "error", "-y", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"ffmpeg {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
    }
}
