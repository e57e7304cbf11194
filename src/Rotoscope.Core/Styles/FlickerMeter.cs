using Rotoscope.Core.Imaging;
using Rotoscope.Core.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Rotoscope.Core.Styles;

/// <summary>A clip of interleaved 8-bit RGB frames (row-major, 3 bytes a pixel), each <c>Width * Height * 3</c> bytes, in display order.</summary>
public sealed record FrameClip(int Width, int Height, IReadOnlyList<byte[]> Frames);

/// <summary>
/// Turns a clip into one of the same length and size, frame for frame. Called once per clip with the frames in display
/// order, so a temporal step (one that remembers earlier frames) starts each clip without history and is measured
/// through the same code as a per-frame style.
/// </summary>
public delegate Task<IReadOnlyList<byte[]>> ClipProcessor(FrameClip clip, CancellationToken cancellationToken);

/// <summary>
/// How the flicker clips are made: a <see cref="Width"/> x <see cref="Height"/> window, <see cref="Frames"/> frames a
/// clip, panning <see cref="PanX"/>, <see cref="PanY"/> whole pixels a frame (positive: the window moves right and
/// down, so the scene moves left and up), fresh Gaussian sensor noise of <see cref="NoiseSigma"/> (on 0..255) in every
/// frame from a generator seeded with <see cref="Seed"/>; figures leave out <see cref="Margin"/> pixels at each edge.
/// </summary>
public sealed record FlickerSpec(
    int Width = 320,
    int Height = 180,
    int Frames = 16,
    int PanX = 2,
    int PanY = 1,
    double NoiseSigma = 2,
    int Margin = 8,
    int Seed = 1)
{
    /// <summary>Why these settings cannot be measured (one line), or null when they can.</summary>
    public string? Problem =>
        Frames < 2 ? "a flicker clip needs at least 2 frames"
        : NoiseSigma is not (> 0 and <= 64) ? "the sensor noise must be in (0, 64]: with none, the input's motion-compensated change is 0 and the pan ratio has no denominator"
        : Math.Abs(PanX) > 64 || Math.Abs(PanY) > 64 ? "the pan must be at most 64 pixels a frame on each axis"
        : Margin < 0 ? "the margin must not be negative"
        : Width - (2 * Margin) - Math.Abs(PanX) < 8 || Height - (2 * Margin) - Math.Abs(PanY) < 8
            ? $"a {Width}x{Height} window leaves too little to measure inside its {Margin}-pixel margin and a pan of {PanX},{PanY} (at least 8 pixels each way)"
        : null;
}

/// <summary>The two generated clips a flicker measurement runs: a slow pan over the scene and a static camera, both with sensor noise.</summary>
public sealed record FlickerClips(FlickerSpec Spec, FrameClip Pan, FrameClip Static);

/// <summary>
/// Flicker figures of one processor (a style, or a style plus a temporal step) on <see cref="FlickerClips"/>. All
/// figures are means of absolute differences over the three channels of the pixels inside the margin, on 0..255.
/// </summary>
/// <param name="PanRatio">
/// <see cref="PanChange"/> / <see cref="InputPanChange"/>: how much more the output changes than the input does between
/// consecutive pan frames once the known motion is compensated. The input's compensated change is exactly its sensor
/// noise (the pan moves whole pixels), so 1 means the output moves with the scene as faithfully as the input;
/// texture that stays put or boils while the scene moves makes it larger. Blurring lowers it too: read it with
/// <see cref="Detail"/>.
/// </param>
/// <param name="NoiseRatio">
/// <see cref="NoiseChange"/> / <see cref="InputNoiseChange"/> on the static clip: how much the output changes between
/// frames that differ only by fresh sensor noise, against how much the input does (1: no amplification).
/// </param>
/// <param name="Detail">Mean spatial gradient |dx| + |dy| (forward differences) of the output's pan frames.</param>
/// <param name="InputDetail">The same of the input's pan frames (its sensor noise included).</param>
/// <param name="PanChange">Mean |out(t) − shift(out(t−1))| over the pan frames' overlap.</param>
/// <param name="InputPanChange">Mean |in(t) − shift(in(t−1))| over the same overlap: the noise floor.</param>
/// <param name="NoiseChange">Mean |out(t) − out(t−1)| over the static clip.</param>
/// <param name="InputNoiseChange">Mean |in(t) − in(t−1)| over the static clip.</param>
public sealed record FlickerFigures(
    double PanRatio,
    double NoiseRatio,
    double Detail,
    double InputDetail,
    double PanChange,
    double InputPanChange,
    double NoiseChange,
    double InputNoiseChange);

/// <summary>
/// Measures how much a style flickers on video, on clips generated from one photo where the true motion is known:
/// a slow pan (a window sliding whole pixels a frame over the photo) and a static camera, both with fresh sensor noise
/// in every frame. Deterministic for a <see cref="FlickerSpec.Seed"/>.
/// </summary>
public static class FlickerMeter
{
    /// <summary>
    /// Makes the clips from <paramref name="photo"/>. The scene is the photo scaled (aspect kept, centre-cropped) to just
    /// cover the area the pan travels over, so the window shows most of the photo whatever its resolution; the pan starts
    /// in the scene's corner it moves away from, and the static clip's window sits in the scene's centre.
    /// </summary>
    public static FlickerClips MakeClips(RgbImage photo, FlickerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem is { } problem)
        {
            throw new ArgumentException(problem, nameof(spec));
        }

        var travelX = (spec.Frames - 1) * Math.Abs(spec.PanX);
        var travelY = (spec.Frames - 1) * Math.Abs(spec.PanY);
        var (sceneWidth, sceneHeight) = (spec.Width + travelX, spec.Height + travelY);
        var scene = Fit(photo, sceneWidth, sceneHeight);
        var noise = new GaussianNoise(spec.Seed, spec.NoiseSigma);

        var pan = new List<byte[]>(spec.Frames);
        var (startX, startY) = (spec.PanX >= 0 ? 0 : travelX, spec.PanY >= 0 ? 0 : travelY);
        for (var t = 0; t < spec.Frames; t++)
        {
            pan.Add(Window(scene, sceneWidth, startX + (t * spec.PanX), startY + (t * spec.PanY), spec.Width, spec.Height, noise));
        }

        var still = new List<byte[]>(spec.Frames);
        for (var t = 0; t < spec.Frames; t++)
        {
            still.Add(Window(scene, sceneWidth, travelX / 2, travelY / 2, spec.Width, spec.Height, noise));
        }

        return new FlickerClips(spec, new FrameClip(spec.Width, spec.Height, pan), new FrameClip(spec.Width, spec.Height, still));
    }

    /// <summary>Runs both clips through <paramref name="process"/> (once each) and computes the figures.</summary>
    public static async Task<FlickerFigures> MeasureAsync(FlickerClips clips, ClipProcessor process, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clips);
        ArgumentNullException.ThrowIfNull(process);
        var spec = clips.Spec;
        var pan = Output(clips.Pan, await process(clips.Pan, cancellationToken).ConfigureAwait(false));
        var still = Output(clips.Static, await process(clips.Static, cancellationToken).ConfigureAwait(false));

        var panChange = PanChange(pan, spec.PanX, spec.PanY, spec.Margin);
        var inputPanChange = PanChange(clips.Pan, spec.PanX, spec.PanY, spec.Margin);
        var noiseChange = PanChange(still, 0, 0, spec.Margin);
        var inputNoiseChange = PanChange(clips.Static, 0, 0, spec.Margin);
        return new FlickerFigures(
            panChange / inputPanChange,
            noiseChange / inputNoiseChange,
            Detail(pan, spec.Margin),
            Detail(clips.Pan, spec.Margin),
            panChange,
            inputPanChange,
            noiseChange,
            inputNoiseChange);
    }

    /// <summary>A style chain applied to each frame on its own (what renders do today): no memory between frames.</summary>
    public static ClipProcessor PerFrame(StyleRunner runner, StyleChain chain)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(chain);
        return async (clip, cancellationToken) =>
        {
            var styled = new List<byte[]>(clip.Frames.Count);
            foreach (var frame in clip.Frames)
            {
                styled.Add(await runner.StyleImageAsync(chain, frame, clip.Width, clip.Height, cancellationToken).ConfigureAwait(false));
            }

            return styled;
        };
    }

    /// <summary>
    /// Mean |f(t)(x, y) − f(t−1)(x + panX, y + panY)| over consecutive frames, channels and the pixels whose both ends
    /// lie inside the margin: the change between frames once a window motion of (panX, panY) pixels a frame is
    /// compensated (0, 0: the plain frame-to-frame change).
    /// </summary>
    public static double PanChange(FrameClip clip, int panX, int panY, int margin)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var (width, height) = (clip.Width, clip.Height);
        var (x0, x1) = (Math.Max(margin, margin - panX), Math.Min(width - margin, width - margin - panX));
        var (y0, y1) = (Math.Max(margin, margin - panY), Math.Min(height - margin, height - margin - panY));
        if (clip.Frames.Count < 2 || x1 <= x0 || y1 <= y0)
        {
            throw new ArgumentException($"a {width}x{height} clip of {clip.Frames.Count} frames has no overlap to compare inside a {margin}-pixel margin with a pan of {panX},{panY}", nameof(clip));
        }

        long total = 0;
        var offset = 3 * ((panY * width) + panX);
        for (var t = 1; t < clip.Frames.Count; t++)
        {
            var (current, previous) = (clip.Frames[t], clip.Frames[t - 1]);
            for (var y = y0; y < y1; y++)
            {
                var row = current.AsSpan(3 * ((y * width) + x0), 3 * (x1 - x0));
                var shifted = previous.AsSpan((3 * ((y * width) + x0)) + offset, row.Length);
                total += SumOfAbsoluteDifferences(row, shifted);
            }
        }

        return (double)total / ((clip.Frames.Count - 1) * 3L * (x1 - x0) * (y1 - y0));
    }

    /// <summary>
    /// Mean spatial gradient of a clip's frames: |f(x+1, y) − f(x, y)| + |f(x, y+1) − f(x, y)| per channel, averaged over
    /// channels, frames and the pixels inside the margin (both neighbours inside too).
    /// </summary>
    public static double Detail(FrameClip clip, int margin)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var (width, height) = (clip.Width, clip.Height);
        var (x0, x1, y0, y1) = (margin, width - margin - 1, margin, height - margin - 1);
        if (clip.Frames.Count == 0 || x1 <= x0 || y1 <= y0)
        {
            throw new ArgumentException($"a {width}x{height} clip of {clip.Frames.Count} frames has no pixels inside a {margin}-pixel margin", nameof(clip));
        }

        long total = 0;
        foreach (var frame in clip.Frames)
        {
            for (var y = y0; y < y1; y++)
            {
                var row = frame.AsSpan(3 * ((y * width) + x0), 3 * (x1 - x0));
                total += SumOfAbsoluteDifferences(row, frame.AsSpan((3 * ((y * width) + x0)) + 3, row.Length));
                total += SumOfAbsoluteDifferences(row, frame.AsSpan(3 * (((y + 1) * width) + x0), row.Length));
            }
        }

        return (double)total / (clip.Frames.Count * 3L * (x1 - x0) * (y1 - y0));
    }

    private static long SumOfAbsoluteDifferences(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum;
    }

    private static FrameClip Output(FrameClip input, IReadOnlyList<byte[]> frames)
    {
        var length = input.Width * input.Height * 3;
        if (frames.Count != input.Frames.Count || frames.Any(f => f.Length != length))
        {
            throw new InvalidOperationException($"the processor returned {frames.Count} frames for {input.Frames.Count}, or frames of another size than {input.Width}x{input.Height}");
        }

        return input with { Frames = frames };
    }

    private static byte[] Fit(RgbImage photo, int width, int height)
    {
        using var image = Image.LoadPixelData<Rgb24>(photo.Pixels, photo.Width, photo.Height);
        image.Mutate(i => i.Resize(new ResizeOptions { Size = new Size(width, height), Mode = ResizeMode.Crop }));
        var pixels = new byte[width * height * 3];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static byte[] Window(byte[] scene, int sceneWidth, int left, int top, int width, int height, GaussianNoise noise)
    {
        var frame = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            var source = scene.AsSpan(3 * (((top + y) * sceneWidth) + left), 3 * width);
            var target = frame.AsSpan(3 * y * width, 3 * width);
            for (var i = 0; i < source.Length; i++)
            {
                target[i] = (byte)Math.Clamp(Math.Round(source[i] + noise.Next()), 0, 255);
            }
        }

        return frame;
    }

    // Box-Muller pairs from a seeded generator: System.Random with a seed gives the same sequence on every run and machine.
    private sealed class GaussianNoise(int seed, double sigma)
    {
        private readonly Random random = new(seed);
        private double? spare;

        public double Next()
        {
            if (spare is { } value)
            {
                spare = null;
                return value;
            }

            var radius = sigma * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            var angle = 2 * Math.PI * random.NextDouble();
            spare = radius * Math.Sin(angle);
            return radius * Math.Cos(angle);
        }
    }
}
