using Rotoscope.Core.Imaging;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Tests.Styles;

/// <summary>The flicker figures on synthetic frames and processors whose answers are known.</summary>
[Trait("Category", "Unit")]
public sealed class FlickerMeterTests
{
    private static readonly FlickerSpec Spec = new(Width: 96, Height: 64, Frames: 6, PanX: 2, PanY: 1, NoiseSigma: 2, Margin: 4, Seed: 7);

    // Mean |a − b| of two independent N(0, σ²) samples rounded to integers: σ√2 · √(2/π), the rounding adding 1/12 to σ².
    private static readonly double NoiseFloor = Math.Sqrt(2 * ((Spec.NoiseSigma * Spec.NoiseSigma) + (1.0 / 12))) * Math.Sqrt(2 / Math.PI);

    [Fact]
    public void PanChange_IsTheMeanDifferenceAfterTheShift_OnHandMadeFrames()
    {
        // Frame 1 is frame 0 seen through a window moved 1 pixel right, everything 3 brighter.
        var (width, height) = (12, 10);
        var first = Pattern(width + 1, height, (x, y, c) => (x * 11) + (y * 5) + (c * 30));
        var clip = new FrameClip(width, height, [Crop(first, width + 1, 0, width, height, 0), Crop(first, width + 1, 1, width, height, 3)]);

        Assert.Equal(3.0, FlickerMeter.PanChange(clip, panX: 1, panY: 0, margin: 0), precision: 12);
        Assert.Equal(3.0, FlickerMeter.PanChange(clip, panX: 1, panY: 0, margin: 2), precision: 12);
        Assert.Equal(11 + 3, FlickerMeter.PanChange(clip, panX: 0, panY: 0, margin: 0), precision: 12);
    }

    [Fact]
    public void Detail_IsTheMeanOfBothGradients_OnARamp()
    {
        var clip = new FrameClip(10, 8, [Pattern(10, 8, (x, y, _) => (x * 2) + (y * 5))]);

        Assert.Equal(7.0, FlickerMeter.Detail(clip, margin: 0), precision: 12);
        Assert.Equal(7.0, FlickerMeter.Detail(clip, margin: 3), precision: 12);
    }

    [Fact]
    public async Task MeasureAsync_GivesRatiosOfOne_WhenTheProcessorIsIdentity()
    {
        var clips = Clips(Spec);

        var figures = await FlickerMeter.MeasureAsync(clips, Identity, CancellationToken.None);

        Assert.Equal(1.0, figures.PanRatio, precision: 12);
        Assert.Equal(1.0, figures.NoiseRatio, precision: 12);
        Assert.Equal(figures.InputDetail, figures.Detail);
        // The compensated change of the input is its sensor noise alone: the window moved as the shift assumes.
        Assert.InRange(figures.InputPanChange, 0.9 * NoiseFloor, 1.1 * NoiseFloor);
        Assert.InRange(figures.InputNoiseChange, 0.9 * NoiseFloor, 1.1 * NoiseFloor);
        Assert.True(FlickerMeter.PanChange(clips.Pan, 0, 0, Spec.Margin) > 3 * figures.InputPanChange, "the pan does not move the picture");
    }

    [Fact]
    public async Task MeasureAsync_PanRatioFarAboveOne_WhenTheProcessorAddsAPatternThatStaysPut()
    {
        // Texture fixed to the frame (a halftone screen, a network's grid): it does not move with the scene.
        var random = new Random(3);
        var pattern = Enumerable.Range(0, Spec.Width * Spec.Height * 3).Select(_ => random.Next(-24, 25)).ToArray();
        ClipProcessor fixedPattern = (clip, _) => Task.FromResult<IReadOnlyList<byte[]>>(
            [.. clip.Frames.Select(f => f.Select((v, i) => (byte)Math.Clamp(v + pattern[i], 0, 255)).ToArray())]);

        var figures = await FlickerMeter.MeasureAsync(Clips(Spec), fixedPattern, CancellationToken.None);

        Assert.True(figures.PanRatio > 4, $"pan ratio {figures.PanRatio:0.00}");
        Assert.InRange(figures.NoiseRatio, 0.9, 1.1);
    }

    [Fact]
    public async Task MeasureAsync_BothRatiosAboveOne_WhenTheProcessorBoils()
    {
        // Texture drawn afresh every frame: the per-frame network's failure on a static shot.
        var random = new Random(5);
        ClipProcessor boiling = (clip, _) => Task.FromResult<IReadOnlyList<byte[]>>(
            [.. clip.Frames.Select(f => f.Select(v => (byte)Math.Clamp(v + random.Next(-12, 13), 0, 255)).ToArray())]);

        var figures = await FlickerMeter.MeasureAsync(Clips(Spec), boiling, CancellationToken.None);

        Assert.True(figures.NoiseRatio > 2, $"noise ratio {figures.NoiseRatio:0.00}");
        Assert.True(figures.PanRatio > 2, $"pan ratio {figures.PanRatio:0.00}");
    }

    [Fact]
    public async Task MeasureAsync_ShowsLessDetail_WhenTheProcessorBlurs()
    {
        ClipProcessor blur = (clip, _) => Task.FromResult<IReadOnlyList<byte[]>>([.. clip.Frames.Select(f => BoxBlur(f, clip.Width, clip.Height))]);

        var figures = await FlickerMeter.MeasureAsync(Clips(Spec), blur, CancellationToken.None);

        // A blur moves with the scene and averages the noise away, so it looks stable: the detail says what it cost.
        Assert.True(figures.PanRatio < 0.8, $"pan ratio {figures.PanRatio:0.00}");
        Assert.True(figures.Detail < 0.7 * figures.InputDetail, $"detail {figures.Detail:0.0} of {figures.InputDetail:0.0}");
    }

    [Fact]
    public async Task MeasureAsync_HandsEachClipOverOnceInOrder_SoATemporalStepCanBeMeasured()
    {
        // A running average over earlier outputs: it needs the frames in order, and history only from its own clip.
        var calls = new List<int>();
        ClipProcessor average = (clip, _) =>
        {
            calls.Add(clip.Frames.Count);
            var outputs = new List<byte[]> { clip.Frames[0] };
            foreach (var frame in clip.Frames.Skip(1))
            {
                outputs.Add([.. frame.Zip(outputs[^1], (now, before) => (byte)((now + before + 1) / 2))]);
            }

            return Task.FromResult<IReadOnlyList<byte[]>>(outputs);
        };

        var figures = await FlickerMeter.MeasureAsync(Clips(Spec), average, CancellationToken.None);

        Assert.Equal([Spec.Frames, Spec.Frames], calls);
        Assert.True(figures.NoiseRatio < 0.75, $"noise ratio {figures.NoiseRatio:0.00}");
        // On the pan the average smears the previous position into the frame: more change after compensation, not less.
        Assert.True(figures.PanRatio > 1.5, $"pan ratio {figures.PanRatio:0.00}");
    }

    [Fact]
    public void MakeClips_AreTheSame_ForTheSameSeedOnly()
    {
        var first = Clips(Spec);
        var again = Clips(Spec);
        var other = Clips(Spec with { Seed = 8 });

        Assert.Equal(Spec.Frames, first.Pan.Frames.Count);
        Assert.Equal(Spec.Frames, first.Static.Frames.Count);
        Assert.All(first.Pan.Frames.Concat(first.Static.Frames), f => Assert.Equal(Spec.Width * Spec.Height * 3, f.Length));
        Assert.Equal(first.Pan.Frames, again.Pan.Frames);
        Assert.Equal(first.Static.Frames, again.Static.Frames);
        Assert.NotEqual(first.Pan.Frames[0], other.Pan.Frames[0]);
    }

    [Theory]
    [InlineData(-3, 2)]
    [InlineData(0, -2)]
    [InlineData(4, 0)]
    public void MakeClips_MoveTheWindowByThePan_InEitherDirection(int panX, int panY)
    {
        var spec = Spec with { PanX = panX, PanY = panY };

        var clips = Clips(spec);

        Assert.InRange(FlickerMeter.PanChange(clips.Pan, panX, panY, spec.Margin), 0.9 * NoiseFloor, 1.1 * NoiseFloor);
        Assert.True(FlickerMeter.PanChange(clips.Pan, -panX, -panY, spec.Margin) > 3 * NoiseFloor);
        Assert.InRange(FlickerMeter.PanChange(clips.Static, 0, 0, spec.Margin), 0.9 * NoiseFloor, 1.1 * NoiseFloor);
    }

    [Fact]
    public async Task MeasureAsync_Fails_WhenTheProcessorReturnsAnotherNumberOfFrames()
    {
        ClipProcessor dropsOne = (clip, _) => Task.FromResult<IReadOnlyList<byte[]>>([.. clip.Frames.Skip(1)]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => FlickerMeter.MeasureAsync(Clips(Spec), dropsOne, CancellationToken.None));
    }

    [Fact]
    public void Problem_NamesWhatCannotBeMeasured()
    {
        Assert.Null(Spec.Problem);
        Assert.Null(new FlickerSpec().Problem);
        Assert.Contains("noise", (Spec with { NoiseSigma = 0 }).Problem, StringComparison.Ordinal);
        Assert.Contains("2 frames", (Spec with { Frames = 1 }).Problem, StringComparison.Ordinal);
        Assert.Contains("20x20", (Spec with { Width = 20, Height = 20, Margin = 8 }).Problem, StringComparison.Ordinal);
        using var photo = Photo();
        Assert.Throws<ArgumentException>(() => FlickerMeter.MakeClips(photo, Spec with { NoiseSigma = 0 }));
    }

    private static Task<IReadOnlyList<byte[]>> Identity(FrameClip clip, CancellationToken cancellationToken) => Task.FromResult(clip.Frames);

    private static FlickerClips Clips(FlickerSpec spec)
    {
        using var photo = Photo();
        return FlickerMeter.MakeClips(photo, spec);
    }

    // A photo-like scene: smooth shading plus texture at a few scales, different in each channel.
    private static RgbImage Photo()
    {
        var (width, height) = (160, 100);
        var image = RgbImage.Create(width, height);
        Pattern(width, height, (x, y, c) => (int)(128 + (60 * Math.Sin((x * 0.31) + c) * Math.Cos(y * 0.23)) + (40 * Math.Sin(((x + (2 * y)) * 0.05) + (2 * c))) + (20 * Math.Sin((x * 1.3) + (y * 0.9) + c)))).CopyTo(image.Pixels);
        return image;
    }

    private static byte[] Pattern(int width, int height, Func<int, int, int, int> value)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    pixels[(3 * ((y * width) + x)) + c] = (byte)Math.Clamp(value(x, y, c), 0, 255);
                }
            }
        }

        return pixels;
    }

    private static byte[] Crop(byte[] source, int sourceWidth, int left, int width, int height, int add)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var i = 0; i < width * 3; i++)
            {
                pixels[(y * width * 3) + i] = (byte)(source[(((y * sourceWidth) + left) * 3) + i] + add);
            }
        }

        return pixels;
    }

    private static byte[] BoxBlur(byte[] frame, int width, int height)
    {
        var blurred = new byte[frame.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var (sum, count) = (0, 0);
                    for (var dy = -2; dy <= 2; dy++)
                    {
                        for (var dx = -2; dx <= 2; dx++)
                        {
                            var (sx, sy) = (x + dx, y + dy);
                            if (sx >= 0 && sx < width && sy >= 0 && sy < height)
                            {
                                sum += frame[(3 * ((sy * width) + sx)) + c];
                                count++;
                            }
                        }
                    }

                    blurred[(3 * ((y * width) + x)) + c] = (byte)((sum + (count / 2)) / count);
                }
            }
        }

        return blurred;
    }
}
