using Rotoscope.Core.Media;

namespace Rotoscope.Core.Tests.Media;

[Trait("Category", "Unit")]
public class FfmpegArgumentsTests
{
    private static readonly AudioStream Aac = new(1, "aac", 2, 48000);
    private static readonly AudioStream Flac = new(1, "flac", 2, 48000);
    private static readonly AudioStream Opus = new(2, "opus", 2, 48000);
    private static readonly AudioStream Vorbis = new(1, "vorbis", 2, 44100);
    private static readonly AudioStream Pcm = new(1, "pcm_s16le", 2, 48000);

    [Fact]
    public void Probe_ReturnsJsonFormatAndStreams_ForInput()
    {
        Assert.Equal(
            ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "/in/clip.mp4"],
            FfmpegArguments.Probe("/in/clip.mp4"));
    }

    [Fact]
    public void Probe_MakesPathAbsolute_WhenPathStartsWithDash()
    {
        var argument = FfmpegArguments.Probe("-clip.mp4")[^1];

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "-clip.mp4"), argument);
    }

    [Fact]
    public void Split_ReturnsRawRgbAtFps_WhenNoAudioRequested()
    {
        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-i", "/in/clip.mp4",
                "-map", "0:V:0",
                "-vf", "setpts=PTS-STARTPTS,fps=30000/1001:eof_action=pass,scale=in_color_matrix=smpte170m:in_range=tv,format=rgb24",
                "-fps_mode", "passthrough",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
            ],
            FfmpegArguments.Split("/in/clip.mp4", new Rational(30000, 1001), Colorimetry.Bt601, audioOutputPath: null));
    }

    [Fact]
    public void Split_CopiesAllAudioToMatroska_WhenAudioPathGiven()
    {
        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-i", "/in/clip.mp4",
                "-map", "0:V:0",
                "-vf", "setpts=PTS-STARTPTS,fps=60/1:eof_action=pass,scale=in_color_matrix=bt709:in_range=pc,format=rgb24",
                "-fps_mode", "passthrough",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
                "-map", "0:a", "-c:a", "copy", "-vn", "-f", "matroska", "/work/audio.mka.tmp",
            ],
            FfmpegArguments.Split("/in/clip.mp4", new Rational(60, 1), Colorimetry.Bt709 with { Range = "pc" }, "/work/audio.mka.tmp"));
    }

    [Fact]
    public void Assemble_EncodesH264Yuv420WithFaststart_WhenMp4EvenSizeWithoutAudio()
    {
        var spec = new AssembleSpec("/out/x.mp4", 320, 240, new Rational(30, 1), AudioPath: null, AudioStreams: []);

        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-progress", "pipe:1", "-nostats",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "320x240", "-framerate", "30/1", "-i", "pipe:0",
                "-map", "0:v",
                "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p",
                "-c:v", "libx264", "-preset", "medium", "-crf", "18",
                "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                "-fps_mode", "passthrough", "-r", "30/1",
                "-movflags", "+faststart",
                "-f", "mp4", "/out/x.mp4",
            ],
            FfmpegArguments.Assemble(spec));
    }

    [Fact]
    public void Assemble_UsesYuv444AndCopiesAudio_WhenOddSizeWithAacAudio()
    {
        var spec = new AssembleSpec(
            "/out/x.mp4.partial", 161, 91, new Rational(30000, 1001), "/work/audio.mka", [Aac], ContainerFormat: "mp4");

        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-progress", "pipe:1", "-nostats",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "161x91", "-framerate", "30000/1001",
                "-i", "pipe:0",
                "-i", "/work/audio.mka",
                "-map", "0:v", "-map", "1:a?",
                "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv444p",
                "-c:v", "libx264", "-preset", "medium", "-crf", "18",
                "-pix_fmt", "yuv444p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                "-fps_mode", "passthrough", "-r", "30000/1001",
                "-c:a", "copy",
                "-movflags", "+faststart",
                "-f", "mp4", "/out/x.mp4.partial",
            ],
            FfmpegArguments.Assemble(spec));
    }

    [Fact]
    public void Assemble_ReencodesAudioToAac_WhenMovGetsFlac()
    {
        var spec = new AssembleSpec("/out/x.mov", 64, 48, new Rational(25, 1), "/work/a.mka", [Flac]);

        var args = FfmpegArguments.Assemble(spec);

        Assert.Equal(["-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", "-f", "mov", "/out/x.mov"], args.TakeLast(9));
    }

    [Fact]
    public void Assemble_UsesMatroskaMuxerWithoutFaststart_WhenMkv()
    {
        var spec = new AssembleSpec("/out/x.mkv", 320, 240, new Rational(24, 1), "/work/a.mka", [Pcm]);

        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-progress", "pipe:1", "-nostats",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "320x240", "-framerate", "24/1", "-i", "pipe:0",
                "-i", "/work/a.mka",
                "-map", "0:v", "-map", "1:a?",
                "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p",
                "-c:v", "libx264", "-preset", "medium", "-crf", "18",
                "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                "-fps_mode", "passthrough", "-r", "24/1",
                "-c:a", "copy",
                "-f", "matroska", "/out/x.mkv",
            ],
            FfmpegArguments.Assemble(spec));
    }

    [Fact]
    public void Assemble_EncodesVp9AndOpus_WhenWebmGetsAac()
    {
        var spec = new AssembleSpec("/out/x.webm", 320, 240, new Rational(30, 1), "/work/a.mka", [Aac]);

        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-progress", "pipe:1", "-nostats",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "320x240", "-framerate", "30/1", "-i", "pipe:0",
                "-i", "/work/a.mka",
                "-map", "0:v", "-map", "1:a?",
                "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p",
                "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", "21", "-b:v", "0",
                "-row-mt", "1", "-tile-columns", "0", "-threads", "1",
                "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                "-fps_mode", "passthrough", "-r", "30/1",
                "-c:a", "libopus", "-b:a", "160k",
                "-f", "webm", "/out/x.webm",
            ],
            FfmpegArguments.Assemble(spec));
    }

    [Fact]
    public void Assemble_UsesMp4Muxer_WhenM4vExtension()
    {
        var spec = new AssembleSpec("/out/x.m4v", 320, 240, new Rational(30, 1), AudioPath: null, AudioStreams: []);

        Assert.Equal(["-movflags", "+faststart", "-f", "mp4", "/out/x.m4v"], FfmpegArguments.Assemble(spec).TakeLast(5));
    }

    [Fact]
    public void Assemble_RecordsPixelShape_WhenSampleAspectRatioIsNotSquare()
    {
        var spec = new AssembleSpec("/out/dv.mkv", 720, 480, new Rational(30000, 1001), null, [], SampleAspectRatio: new Rational(8, 9));

        var args = FfmpegArguments.Assemble(spec);

        Assert.Equal("scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p,setsar=8/9", args[args.ToList().IndexOf("-vf") + 1]);
    }

    [Fact]
    public void Assemble_Throws_WhenContainerUnsupported()
    {
        var spec = new AssembleSpec("/out/x.avi", 320, 240, new Rational(30, 1), AudioPath: null, AudioStreams: []);

        var error = Assert.Throws<MediaException>(() => FfmpegArguments.Assemble(spec));
        Assert.Equal("unsupported output container 'avi'; use mp4, mov, m4v, mkv or webm", error.Message);
    }

    [Theory]
    [InlineData("mp4", "aac", "copy")]
    [InlineData("mp4", "mp3", "copy")]
    [InlineData("mp4", "alac", "copy")]
    [InlineData("mp4", "ac3", "copy")]
    [InlineData("mp4", "eac3", "copy")]
    [InlineData("mp4", "opus", "copy")]
    [InlineData("mp4", "flac", "aac")]
    [InlineData("mp4", "pcm_s16le", "aac")]
    [InlineData("mp4", "vorbis", "aac")]
    [InlineData("m4v", "aac", "copy")]
    [InlineData("m4v", "vorbis", "aac")]
    [InlineData("mov", "aac", "copy")]
    [InlineData("mov", "ac3", "copy")]
    [InlineData("mov", "opus", "aac")]
    [InlineData("mov", "flac", "aac")]
    [InlineData("mkv", "pcm_s16le", "copy")]
    [InlineData("mkv", "vorbis", "copy")]
    [InlineData("mkv", "truehd", "copy")]
    [InlineData("webm", "opus", "copy")]
    [InlineData("webm", "vorbis", "copy")]
    [InlineData("webm", "aac", "libopus")]
    [InlineData("WEBM", "mp3", "libopus")]
    public void AudioCodecFor_ReturnsCopyOrEncoder_ForContainerAndCodec(string container, string codec, string expected)
    {
        Assert.Equal(expected, FfmpegArguments.AudioCodecFor(container, [new AudioStream(1, codec, 2, 48000)]));
    }

    [Fact]
    public void AudioCodecFor_Reencodes_WhenAnyStreamDoesNotFit()
    {
        Assert.Equal("aac", FfmpegArguments.AudioCodecFor("mp4", [Aac, Flac]));
        Assert.Equal("copy", FfmpegArguments.AudioCodecFor("webm", [Opus, Vorbis]));
    }

    [Theory]
    [InlineData("/out/x.mp4.partial", "mp4", "mp4")]
    [InlineData("/out/x.tmp", "MKV", "mkv")]
    [InlineData("/out/x.MOV", null, "mov")]
    [InlineData("/out/x.webm", null, "webm")]
    public void ContainerFor_PrefersContainerFormat_ThenExtension(string outputPath, string? format, string expected)
    {
        Assert.Equal(expected, FfmpegArguments.ContainerFor(outputPath, format));
    }

    [Fact]
    public void Assemble_EncodesWithSourceColorimetryAndKeepsStartOffsets_WhenGiven()
    {
        var spec = new AssembleSpec(
            "/out/x.mkv", 640, 480, new Rational(30, 1), "/work/a.mka", [Aac], Colors: Colorimetry.Bt601,
            VideoOffset: TimeSpan.FromSeconds(0.144), AudioOffset: TimeSpan.FromSeconds(0.02));

        var args = FfmpegArguments.Assemble(spec);

        Assert.Equal(["-itsoffset", "0.144", "-f", "rawvideo"], args.Skip(8).Take(4));
        Assert.Equal(["-itsoffset", "0.02", "-i", "/work/a.mka"], args.Skip(20).Take(4));
        Assert.Contains("scale=out_color_matrix=smpte170m:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p", args);
        Assert.Equal(
            ["-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv"],
            args.SkipWhile(a => a != "-colorspace").Take(8));
    }

    [Fact]
    public void Assemble_UsesVp9TilesAndAllThreads_WhenWebmIsLarge()
    {
        var spec = new AssembleSpec("/out/x.webm", 3840, 2160, new Rational(30, 1), null, [], Threads: 16);

        var args = FfmpegArguments.Assemble(spec);

        Assert.Equal(["-row-mt", "1", "-tile-columns", "3", "-threads", "16"], args.SkipWhile(a => a != "-row-mt").Take(6));
    }

    [Theory]
    [InlineData("pcm_s16le")]
    [InlineData("pcm_s24le")]
    public void AudioCodecFor_CopiesPcm_WhenMov(string codec) =>
        Assert.Equal("copy", FfmpegArguments.AudioCodecFor("mov", [new AudioStream(1, codec, 2, 48000)]));
}
