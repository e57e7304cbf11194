using Rotoscope.Core.Media;

namespace Rotoscope.Core.Tests.Media;

[Trait("Category", "Unit")]
public class FfprobeOutputTests
{
    private const string PortraitPhoneClip = """
        {
          "streams": [
            {
              "index": 0, "codec_name": "hevc", "codec_type": "video", "width": 1920, "height": 1080,
              "r_frame_rate": "30/1", "avg_frame_rate": "30000/1001", "duration": "4.004000", "nb_frames": "120",
              "disposition": { "default": 1, "attached_pic": 0 },
              "tags": { "rotate": "90" },
              "side_data_list": [
                { "side_data_type": "Display Matrix", "displaymatrix": "\n00000000: 0 65536 0\n", "rotation": -90 }
              ]
            },
            {
              "index": 1, "codec_name": "aac", "codec_type": "audio", "sample_rate": "44100", "channels": 2,
              "r_frame_rate": "0/0", "avg_frame_rate": "0/0"
            },
            {
              "index": 2, "codec_name": "ac3", "codec_type": "audio", "sample_rate": "48000", "channels": 6,
              "r_frame_rate": "0/0", "avg_frame_rate": "0/0"
            }
          ],
          "format": { "format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "4.010000" }
        }
        """;

    [Fact]
    public void Parse_ReturnsDisplayGeometryAndClockwiseRotation_WhenDisplayMatrixSaysMinus90()
    {
        var info = FfprobeOutput.Parse("/in/phone.mov", PortraitPhoneClip);

        Assert.Equal("mov,mp4,m4a,3gp,3g2,mj2", info.FormatName);
        Assert.Equal("hevc", info.VideoCodec);
        Assert.Equal(90, info.Rotation);
        Assert.Equal(1080, info.Width);
        Assert.Equal(1920, info.Height);
        Assert.Equal(new Rational(30000, 1001), info.FrameRate);
        Assert.Equal(TimeSpan.FromSeconds(4.01), info.Duration);
        Assert.Equal(120, info.FrameCount);
    }

    [Fact]
    public void Parse_ReturnsAllAudioStreams_WhenSeveralPresent()
    {
        var info = FfprobeOutput.Parse("/in/phone.mov", PortraitPhoneClip);

        Assert.True(info.HasAudio);
        Assert.Equal([new AudioStream(1, "aac", 2, 44100), new AudioStream(2, "ac3", 6, 48000)], info.AudioStreams);
    }

    [Theory]
    [InlineData("\"side_data_list\": [{ \"rotation\": 90 }]", 270, 240, 320)]
    [InlineData("\"side_data_list\": [{ \"rotation\": -180 }]", 180, 320, 240)]
    [InlineData("\"side_data_list\": [{ \"rotation\": 270 }]", 90, 240, 320)]
    [InlineData("\"tags\": { \"rotate\": \"270\" }", 270, 240, 320)]
    [InlineData("\"tags\": { \"rotate\": \"-90\" }", 270, 240, 320)]
    [InlineData("\"tags\": { \"rotate\": \"0\" }", 0, 320, 240)]
    [InlineData("\"tags\": { \"language\": \"und\" }", 0, 320, 240)]
    public void Parse_NormalizesRotation_FromSideDataOrTag(string rotationJson, int rotation, int width, int height)
    {
        var json = Clip(videoExtra: rotationJson);

        var info = FfprobeOutput.Parse("/in/a.mp4", json);

        Assert.Equal(rotation, info.Rotation);
        Assert.Equal(width, info.Width);
        Assert.Equal(height, info.Height);
    }

    [Theory]
    [InlineData("\"sample_aspect_ratio\": \"8:9\"", 8, 9)]
    [InlineData("\"sample_aspect_ratio\": \"8:9\", \"tags\": { \"rotate\": \"90\" }", 9, 8)]
    public void Parse_ReturnsPixelShape_WhenSampleAspectRatioIsNotSquare(string extra, long numerator, long denominator)
    {
        var info = FfprobeOutput.Parse("/in/dv.mkv", Clip(videoExtra: extra));

        Assert.Equal(new Rational(numerator, denominator), info.SampleAspectRatio);
    }

    [Theory]
    [InlineData("\"sample_aspect_ratio\": \"1:1\"")]
    [InlineData("\"sample_aspect_ratio\": \"0:1\"")]
    [InlineData("\"tags\": { \"language\": \"und\" }")]
    public void Parse_ReturnsSquarePixels_WhenSampleAspectRatioIsOneOrUnknown(string extra) =>
        Assert.Null(FfprobeOutput.Parse("/in/a.mp4", Clip(videoExtra: extra)).SampleAspectRatio);

    [Fact]
    public void Parse_ReturnsNullFrameCountAndNoAudio_WhenNbFramesMissing()
    {
        var info = FfprobeOutput.Parse("/in/a.mkv", Clip(nbFrames: null, format: "matroska,webm"));

        Assert.Null(info.FrameCount);
        Assert.False(info.HasAudio);
        Assert.Equal(TimeSpan.FromSeconds(2), info.Duration);
    }

    [Fact]
    public void Parse_FallsBackToRFrameRate_WhenAvgFrameRateIsZero()
    {
        var info = FfprobeOutput.Parse("/in/a.mp4", Clip(avgFrameRate: "0/0", rFrameRate: "25/1"));

        Assert.Equal(new Rational(25, 1), info.FrameRate);
    }

    [Fact]
    public void Parse_Throws_WhenFrameRateUnknown()
    {
        var error = Assert.Throws<MediaException>(() =>
            FfprobeOutput.Parse("/in/a.mp4", Clip(avgFrameRate: "0/0", rFrameRate: "0/0")));

        Assert.Equal("/in/a.mp4 has an unknown frame rate", error.Message);
    }

    [Theory]
    [InlineData("0.000000")]
    [InlineData(null)]
    public void Parse_Throws_WhenDurationZeroOrMissing(string? duration)
    {
        var error = Assert.Throws<MediaException>(() => FfprobeOutput.Parse("/in/a.mp4", Clip(duration: duration)));

        Assert.Equal("/in/a.mp4 has zero or unknown duration", error.Message);
    }

    [Fact]
    public void Parse_Throws_WhenOnlyAudioAndCoverArt()
    {
        const string json = """
            {
              "streams": [
                { "index": 0, "codec_name": "aac", "codec_type": "audio", "sample_rate": "48000", "channels": 2 },
                { "index": 1, "codec_name": "mjpeg", "codec_type": "video", "width": 600, "height": 600,
                  "r_frame_rate": "90000/1", "avg_frame_rate": "0/0", "disposition": { "attached_pic": 1 } }
              ],
              "format": { "format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "180.0" }
            }
            """;

        var error = Assert.Throws<MediaException>(() => FfprobeOutput.Parse("/in/song.m4a", json));

        Assert.Equal("/in/song.m4a has no video stream", error.Message);
    }

    [Theory]
    [InlineData("png", "png_pipe", null, null)]
    [InlineData("mjpeg", "image2", "1", "0.040000")]
    [InlineData("mjpeg", "jpeg_pipe", null, null)]
    [InlineData("png", "apng", "1", null)]
    public void Parse_Throws_WhenStillImage(string codec, string format, string? nbFrames, string? duration)
    {
        var error = Assert.Throws<MediaException>(() =>
            FfprobeOutput.Parse("/in/photo", Clip(codec: codec, format: format, nbFrames: nbFrames, duration: duration)));

        Assert.Equal("/in/photo is a still image, not a video", error.Message);
    }

    [Fact]
    public void Parse_AcceptsMjpegVideo_WhenManyFramesInAvi()
    {
        var info = FfprobeOutput.Parse("/in/cam.avi", Clip(codec: "mjpeg", format: "avi", nbFrames: "60"));

        Assert.Equal("mjpeg", info.VideoCodec);
    }

    [Fact]
    public void Parse_AcceptsMjpegVideo_WhenMatroskaGivesDurationButNoFrameCount()
    {
        var info = FfprobeOutput.Parse("/in/cam.mkv", Clip(codec: "mjpeg", format: "matroska,webm", nbFrames: null, duration: "3.000000"));

        Assert.Equal("mjpeg", info.VideoCodec);
    }

    [Fact]
    public void Parse_ReturnsStreamStartsDurationAndColourTags_WhenPresent()
    {
        var info = FfprobeOutput.Parse("/in/a.mp4", Clip(videoExtra: """
            "start_time": "0.144000", "duration": "3.000000", "color_space": "bt709", "color_range": "tv",
            "color_primaries": "bt709", "color_transfer": "unknown", "pix_fmt": "yuv420p"
            """, duration: "3.200000"));

        Assert.Equal(0.144, info.VideoStart, 6);
        Assert.Equal(TimeSpan.FromSeconds(3), info.DeclaredVideoDuration);
        Assert.Equal(new VideoColorTags("bt709", "tv", "bt709", "unknown", "yuv420p"), info.ColorTags);
        Assert.Equal(TimeSpan.Zero, info.VideoOffset); // nothing to keep in sync with: no audio
    }

    [Fact]
    public void Parse_Throws_WhenJsonInvalid()
    {
        var error = Assert.Throws<MediaException>(() => FfprobeOutput.Parse("/in/a.mp4", "{ not json"));

        Assert.Equal("/in/a.mp4 is not a readable video: ffprobe printed invalid JSON", error.Message);
    }

    private static string Clip(
        string codec = "h264",
        string format = "mov,mp4,m4a,3gp,3g2,mj2",
        string? nbFrames = "60",
        string? duration = "2.000000",
        string avgFrameRate = "30/1",
        string rFrameRate = "30/1",
        string? videoExtra = null)
    {
        var frames = nbFrames is null ? string.Empty : $"\"nb_frames\": \"{nbFrames}\",";
        var formatDuration = duration is null ? string.Empty : $", \"duration\": \"{duration}\"";
        var extra = videoExtra is null ? string.Empty : videoExtra + ",";
        return $$"""
            {
              "streams": [
                {
                  "index": 0, "codec_name": "{{codec}}", "codec_type": "video", "width": 320, "height": 240,
                  {{frames}} {{extra}}
                  "r_frame_rate": "{{rFrameRate}}", "avg_frame_rate": "{{avgFrameRate}}"
                }
              ],
              "format": { "format_name": "{{format}}"{{formatDuration}} }
            }
            """;
    }
}
