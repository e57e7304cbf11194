using Rotoscope.Core.Imaging;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Rendering;

/// <summary>An exact, immutable description of a render; every job of the render reads it from the store.</summary>
/// <param name="RenderId">Derived from everything that determines the output pixels, so the same request is the same render.</param>
/// <param name="InputPath">The local file ffmpeg reads.</param>
/// <param name="InputSha256">Content hash of the input.</param>
/// <param name="Source">What ffprobe said about the input.</param>
/// <param name="Fps">The exact rate frames are split and assembled at.</param>
/// <param name="Styles">The exact style models, applied in order.</param>
/// <param name="SplitKey">Names the split frames: input hash + fps + frame format, shared by every style.</param>
/// <param name="Output">Where the video goes: an absolute path or a <c>data://</c> URI.</param>
/// <param name="Container">The output muxer: mp4, mov, matroska or webm.</param>
public sealed record RenderPlan(
    string RenderId,
    string InputPath,
    string InputSha256,
    VideoInfo Source,
    Rational Fps,
    IReadOnlyList<StyleModel> Styles,
    string SplitKey,
    ImageFormat FrameFormat,
    int BatchSize,
    string Output,
    string Container)
{
    /// <summary>Frames per stylize job when the user does not say.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>Top-level folders of the data store that hold Rotoscope's own work; never a user's output.</summary>
    public static readonly IReadOnlySet<string> ReservedAreas = new HashSet<string>(StringComparer.Ordinal) { "frames", "styled", "renders", "locks", "cache", "watches", "reviews", "stills" };

    /// <summary>Render what decodes of a damaged or truncated input instead of failing (the result says so).</summary>
    public bool AllowDamaged { get; init; }

    /// <summary>Where the render asked its models to run: on a fleet, it picks the workers (GPU or CPU) that take its jobs.</summary>
    public Inference.InferenceDevice Device { get; init; } = Inference.InferenceDevice.Cpu;

    /// <summary>Strength and colours of the chain's output (plans written before it existed read as none).</summary>
    public StyleAdjustment Adjustment { get; init; } = StyleAdjustment.None;

    /// <summary>
    /// The input's copy in the frame store (<c>cache/inputs/SHA256.ext</c>) for a render whose split may run on another
    /// machine (a fleet): a worker without <see cref="InputPath"/> fetches it from there. Null for a render of this machine.
    /// </summary>
    public BlobKey? InputKey { get; init; }

    /// <summary>How many frames the split should produce, from the probe.</summary>
    public long ExpectedFrames => Source.ExpectedFrames(Fps);

    /// <summary>Output width (the source's display width).</summary>
    public int Width => Source.Width;

    /// <summary>Output height (the source's display height).</summary>
    public int Height => Source.Height;

    /// <summary>Frame width as the models see it: style networks need multiples of 4 (pad, run, crop back).</summary>
    public int ModelWidth => PixelLayout.PadToMultiple(Width, 4);

    /// <summary>Frame height as the models see it.</summary>
    public int ModelHeight => PixelLayout.PadToMultiple(Height, 4);

    /// <summary>The style chain, with its adjustment.</summary>
    public StyleChain Chain => new(Styles) { Adjustment = Adjustment };

    /// <summary>The styles for people, with versions and adjustment, e.g. <c>mosaic@3.0.0|ink@1.0.0 (strength 0.5)</c>.</summary>
    public string StylesDescription => Adjustment.Describe(string.Join('|', Styles.Select(s => $"{s.Id}@{s.Version}")));

    /// <summary>Where split frames, the audio and the split manifest live.</summary>
    public BlobKey FramesPrefix => BlobKey.Parse($"frames/{SplitKey}");

    /// <summary>Where this chain's styled frames of this split live.</summary>
    public BlobKey StyledPrefix => BlobKey.Parse($"styled/{Chain.Hash}/{SplitKey}");

    /// <summary>Where this render's plan, batch markers and result live.</summary>
    public BlobKey StatePrefix => StatePrefixOf(RenderId);

    /// <summary>File extension of stored frames.</summary>
    public string FrameExtension => FrameFormat == ImageFormat.Png ? "png" : "jpg";

    /// <summary>The key of split frame <paramref name="number"/> (1-based).</summary>
    public BlobKey SplitFrame(long number) => FramesPrefix.Append(FrameName(number));

    /// <summary>The key of styled frame <paramref name="number"/> (1-based).</summary>
    public BlobKey StyledFrame(long number) => StyledPrefix.Append(FrameName(number));

    /// <summary>The key of the split's audio (all audio streams, copied).</summary>
    public BlobKey Audio => FramesPrefix.Append("audio.mka");

    /// <summary>The key of the split manifest, written last: its presence means the split is complete.</summary>
    public BlobKey SplitManifest => FramesPrefix.Append("split.json");

    /// <summary>The key of the render's result, written when the output is complete.</summary>
    public BlobKey ResultKey => StatePrefix.Append("result.json");

    /// <summary>Where the one-line reason of a failed render is kept (a fleet's client and <c>status</c> read it).</summary>
    public static BlobKey FailureKeyOf(string renderId) => StatePrefixOf(renderId).Append("failure.json");

    /// <summary>The key of the plan itself.</summary>
    public BlobKey PlanKey => PlanKeyOf(RenderId);

    /// <summary>The key of the plan of render <paramref name="renderId"/>: where every job of the render reads it.</summary>
    public static BlobKey PlanKeyOf(string renderId) => StatePrefixOf(renderId).Append("plan.json");

    private static BlobKey StatePrefixOf(string renderId) => BlobKey.Parse($"renders/{renderId}");

    /// <summary>The key of the marker written when the batch of frames <paramref name="batch"/> is styled.</summary>
    public BlobKey BatchMarkerKey(FrameBatch batch) => BatchesPrefix.Append($"{batch.First:D6}-{batch.Last:D6}.json");

    /// <summary>Where the batch markers are: one per styled batch, named FIRST-LAST.json.</summary>
    public BlobKey BatchesPrefix => StatePrefix.Append("batches");

    /// <summary>The batches that cover <paramref name="frameCount"/> frames.</summary>
    public IReadOnlyList<FrameBatch> Batches(long frameCount) => FrameBatch.Cover(frameCount, BatchSize);

    private string FrameName(long number) => $"{number:D6}.{FrameExtension}";
}

/// <summary>A contiguous run of frames styled by one job (1-based, inclusive).</summary>
public readonly record struct FrameBatch(int Index, long First, long Last)
{
    /// <summary>Number of frames in the batch.</summary>
    public int Count => (int)(Last - First + 1);

    /// <summary>Cuts frames 1..<paramref name="frameCount"/> into batches of at most <paramref name="batchSize"/>.</summary>
    public static IReadOnlyList<FrameBatch> Cover(long frameCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batches = new List<FrameBatch>((int)((frameCount + batchSize - 1) / batchSize));
        for (long first = 1; first <= frameCount; first += batchSize)
        {
            batches.Add(new FrameBatch(batches.Count, first, Math.Min(frameCount, first + batchSize - 1)));
        }

        return batches;
    }
}

/// <summary>What the split wrote: written last, so its presence means every frame and the audio are in the store.</summary>
/// <param name="Damage">What was wrong with an input split anyway (<c>--allow-damaged</c>); null for a sound input.</param>
public sealed record SplitManifest(long Frames, int Width, int Height, Rational Fps, ImageFormat Format, bool HasAudio, string? Damage = null);

/// <summary>Written when a batch is styled: the size of each of its frames, checked before the batch is trusted again.</summary>
public sealed record BatchMarker(long First, long Last, IReadOnlyList<long> FrameSizes);
