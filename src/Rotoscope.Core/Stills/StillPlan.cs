using Rotoscope.Core.Inference;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Stills;

/// <summary>What a user asked of <c>stylize</c>: the images, the style and where the styled copies go.</summary>
/// <param name="Input">A folder, a glob or one image: a path or a data://, s3://, s3+label://, dropbox:// URI.</param>
/// <param name="Style">A style reference, as for a render (<c>mosaic</c>, <c>mosaic|ink</c>, a model path).</param>
/// <param name="Output">The folder the styled images go to, under the same relative names.</param>
public sealed record StillRequest(string Input, string Style, string Output)
{
    /// <summary>Images per batch job.</summary>
    public int BatchSize { get; init; } = StillPlan.DefaultBatchSize;

    /// <summary>JPEG quality of styled JPEGs (PNGs are lossless).</summary>
    public int JpegQuality { get; init; } = 95;

    /// <summary>Replace outputs that exist and were not made by this stylize (refused otherwise).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Where its models should run; on a fleet, which workers take its jobs.</summary>
    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;

    /// <summary>Its batches may run on other machines sharing a frame store elsewhere: local paths are refused then.</summary>
    public bool Shared { get; init; }

    /// <summary>How much of the style reaches the output, and whether the original's colours are kept.</summary>
    public StyleAdjustment Adjustment { get; init; } = StyleAdjustment.None;
}

/// <summary>
/// A stylize job as every batch job reads it from the frame store: where images come from and go, and the exact chain.
/// The id is derived from the output folder, the chain (with its adjustment) and the JPEG quality: what decides that an
/// output is "done".
/// </summary>
/// <param name="InputRoot">The folder input names are relative to (a path or a store URI).</param>
/// <param name="OutputRoot">The folder output names are relative to.</param>
public sealed record StillPlan(string JobId, string InputRoot, string OutputRoot, IReadOnlyList<StyleModel> Styles, int JpegQuality, InferenceDevice Device)
{
    /// <summary>Images per batch job by default: small enough that progress moves, large enough that a job is worth scheduling.</summary>
    public const int DefaultBatchSize = 16;

    /// <summary>Strength and colours of the chain's output (plans written before it existed read as none).</summary>
    public StyleAdjustment Adjustment { get; init; } = StyleAdjustment.None;

    /// <summary>The style chain, with its adjustment.</summary>
    public StyleChain Chain => new(Styles) { Adjustment = Adjustment };

    /// <summary>Where this job's plan, batches, their results and the manifest live in the frame store.</summary>
    public static BlobKey PrefixOf(string jobId) => BlobKey.Parse($"stills/{jobId}");

    /// <summary>The key of the plan of run <paramref name="run"/> of <paramref name="jobId"/> (runs may differ in their input).</summary>
    public static BlobKey PlanKeyOf(string jobId, string run) => PrefixOf(jobId).Append($"plans/{run}.json");

    /// <summary>The images of batch <paramref name="batchId"/>, written before its job is enqueued: outputs it may write are this job's.</summary>
    public static BlobKey BatchKeyOf(string jobId, string batchId) => PrefixOf(jobId).Append($"batches/{batchId}.json");

    /// <summary>What batch <paramref name="batchId"/> did, written when it ended: its presence means the batch is done.</summary>
    public static BlobKey ResultKeyOf(string jobId, string batchId) => PrefixOf(jobId).Append($"done/{batchId}.json");

    /// <summary>Where batch results are.</summary>
    public static BlobKey ResultsPrefixOf(string jobId) => PrefixOf(jobId).Append("done");

    /// <summary>Where batch definitions are.</summary>
    public static BlobKey BatchesPrefixOf(string jobId) => PrefixOf(jobId).Append("batches");

    /// <summary>Every output this job made, by name, gathered from the batch results of finished runs.</summary>
    public static BlobKey ManifestKeyOf(string jobId) => PrefixOf(jobId).Append("manifest.json");
}

/// <summary>One image to style: its name relative to both roots and the version of the input it was planned from.</summary>
public sealed record StillImage(string Name, string InputVersion);

/// <summary>The images one batch job styles.</summary>
public sealed record StillBatch(string BatchId, IReadOnlyList<StillImage> Images);

/// <summary>What a batch job did with one image: the output's length when it was written, or why it could not be.</summary>
public sealed record StillOutcome(string Name, string InputVersion, long? OutputLength, string? Error = null);

/// <summary>What a batch job did, written last: the commit point of the batch.</summary>
public sealed record StillBatchResult(string BatchId, IReadOnlyList<StillOutcome> Outcomes);

/// <summary>An output this job made: from which version of its input, and how long it was when written.</summary>
public sealed record StillDone(string InputVersion, long OutputLength);

/// <summary>The outputs a stylize job has made, by name (compacted from batch results at the end of a run).</summary>
public sealed record StillManifest(IReadOnlyDictionary<string, StillDone> Done);

/// <summary>An image that could not be styled, and why (one line).</summary>
public sealed record StillFailure(string Name, string Reason);

/// <summary>What a stylize run did; times in seconds to the millisecond.</summary>
/// <param name="Images">Images matched by the input (JPEG and PNG).</param>
/// <param name="Skipped">Images whose output this job had already made from the same input.</param>
/// <param name="NotImages">Files under the input that are not JPEG or PNG by name, skipped.</param>
public sealed record StillResult(
    string JobId,
    string Input,
    string Output,
    int Images,
    int Styled,
    int Skipped,
    IReadOnlyList<StillFailure> Failed,
    IReadOnlyList<string> NotImages,
    double ElapsedSeconds,
    double ImagesPerSecond,
    IReadOnlyList<Rendering.RenderedStyle> Styles)
{
    /// <summary>How much of the style the outputs have (1: all of it).</summary>
    public double Strength { get; init; } = 1;

    /// <summary>True when the outputs keep the inputs' colours and take only the style's luma.</summary>
    public bool KeepColors { get; init; }
}
