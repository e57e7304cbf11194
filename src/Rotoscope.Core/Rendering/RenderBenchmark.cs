using System.Diagnostics;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>What to benchmark: a style on a generated clip of the given geometry, rate and length.</summary>
public sealed record BenchmarkSpec(string Style, int Width, int Height, Rational Fps, double Seconds);

/// <summary>Figures measured in one run: end-to-end render time against pure inference time for the same frames.</summary>
/// <param name="Efficiency">Pure inference time / end-to-end time: the share of a render spent doing the work that matters.</param>
/// <param name="InferenceInRenderSeconds">Model run time inside the render: above the pure time when other work slows it.</param>
/// <param name="ModelBusy">
/// In-render inference time / the stylizing stage's time: the share of that stage during which a model ran. Below 1 the
/// models (on a GPU, the GPU) waited for frames to be fetched, decoded, encoded or stored.
/// </param>
/// <param name="PeakMemoryBytes">Peak working set of the process during the render.</param>
/// <param name="ModelStartSeconds">
/// Opening the chain's sessions plus their first run, beyond a steady run of the same frames: what every batch would
/// pay again if a worker did not keep the sessions warm (<see cref="StyleRunner"/>).
/// </param>
/// <param name="SteadyBatchSeconds">One steady model run of a batch's frames, to compare <paramref name="ModelStartSeconds"/> with.</param>
/// <param name="Device">Where the models ran.</param>
/// <param name="DeviceNote">What <see cref="InferenceDevice.Auto"/> chose and why; null for an explicit device.</param>
/// <param name="GpuMemory">The GPU's memory in use before and at most during the render and the inference timing; null on the CPU.</param>
/// <param name="GpuMemoryNote">Why <paramref name="GpuMemory"/> was not measured on CUDA; otherwise null.</param>
public sealed record BenchmarkResult(
    string Style,
    int Width,
    int Height,
    long Frames,
    double EndToEndSeconds,
    double InferenceSeconds,
    double Efficiency,
    double FramesPerSecond,
    double InferenceFramesPerSecond,
    double InferenceInRenderSeconds,
    double ModelBusy,
    long PeakMemoryBytes,
    double ModelStartSeconds,
    double SteadyBatchSeconds,
    int ProcessorCount,
    IReadOnlyDictionary<string, double> StageSeconds,
    InferenceDevice Device,
    string? DeviceNote,
    GpuMemoryUse? GpuMemory,
    string? GpuMemoryNote);

/// <summary>Runs a render to its end with <paramref name="options"/>, calling <paramref name="follow"/> once it is under way.</summary>
public delegate Task<RenderResult> RenderRunner(
    RotoscopeOptions options,
    RenderRequest request,
    Func<PreparedRender, CancellationToken, Task<RenderResult>> follow,
    CancellationToken cancellationToken);

/// <summary>The <c>rotoscope bench</c> measurement: renders a generated clip, then times inference alone on its frames.</summary>
public static class RenderBenchmark
{
    /// <summary>Runs the benchmark in a throw-away data store under the temp directory, rendering with <paramref name="render"/>.</summary>
    public static async Task<BenchmarkResult> RunAsync(RotoscopeOptions options, BenchmarkSpec spec, RenderRunner render, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(render);
        var work = new ScratchSpace(options.TempDirectory).Create("bench");
        try
        {
            var clip = Path.Combine(work.FullName, "bench.mp4");
            await new Ffmpeg(options.Ffmpeg).GenerateTestClipAsync(clip, spec.Width, spec.Height, spec.Fps, spec.Seconds, cancellationToken).ConfigureAwait(false);
            var benchOptions = options with { DataDirectory = Path.Combine(work.FullName, "data") };

            // Sampled from before the first session opens to after the inference timing: the peak covers both.
            string? gpuNote = null;
            await using var gpu = options.Inference.Device == InferenceDevice.Cpu ? null : GpuMemoryMonitor.TryStart(out gpuNote);
            var clock = Stopwatch.StartNew();
            var planned = TimeSpan.Zero;
            var result = await render(
                benchOptions,
                new RenderRequest(clip, spec.Style) { Output = Path.Combine(work.FullName, "out.mp4") },
                (prepared, ct) =>
                {
                    planned = clock.Elapsed;
                    return prepared.Tracker.Completion.WaitAsync(ct);
                },
                cancellationToken).ConfigureAwait(false);
            var endToEnd = clock.Elapsed.TotalSeconds;
            var stages = new Dictionary<string, double>(result.StageSeconds) { ["planning"] = Math.Round(planned.TotalSeconds, 3) };
            using var process = Process.GetCurrentProcess();
            var peak = process.PeakWorkingSet64;

            var (inference, modelStart, steadyBatch, device, deviceNote) = await TimeInferenceAsync(benchOptions, result.RenderId, cancellationToken).ConfigureAwait(false);
            var gpuMemory = gpu is null ? null : await gpu.StopAsync().ConfigureAwait(false);
            var onGpu = device == InferenceDevice.Cuda;
            return new BenchmarkResult(
                spec.Style, result.Width, result.Height, result.Frames, Math.Round(endToEnd, 3), Math.Round(inference, 3),
                Math.Round(inference / endToEnd, 3), Math.Round(result.Frames / endToEnd, 2), Math.Round(result.Frames / inference, 2),
                result.InferenceSeconds, ModelBusy(result), peak, Math.Round(modelStart, 3), Math.Round(steadyBatch, 3), Environment.ProcessorCount, stages,
                device, deviceNote, onGpu ? gpuMemory : null, onGpu ? gpuNote : null);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static double ModelBusy(RenderResult result) =>
        result.StageSeconds.TryGetValue("stylizing", out var stylizing) && stylizing > 0 ? Math.Round(Math.Min(1, result.InferenceSeconds / stylizing), 3) : 0;

    // The same frames, the same sessions setup and the same frames per call as the render; only Run calls are timed.
    // Also times what starting the chain costs: opening its sessions and their first run, less a steady run.
    private static async Task<(double Inference, double ModelStart, double SteadyBatch, InferenceDevice Device, string? DeviceNote)> TimeInferenceAsync(RotoscopeOptions options, string renderId, CancellationToken cancellationToken)
    {
        var store = new LocalBlobStore(options.DataDirectory);
        var plan = await store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false);
        var manifest = await store.ReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false);
        using var runner = new StyleRunner(options.Inference);
        using var codecs = new CodecPool();
        var opening = Stopwatch.StartNew();
        runner.Prepare(plan.Chain);
        var opened = opening.Elapsed;

        var (paddedWidth, paddedHeight) = (plan.ModelWidth, plan.ModelHeight);
        var slot = 3 * paddedWidth * paddedHeight;
        var batchFrames = (int)Math.Min(manifest.Frames, plan.BatchSize);
        var perCall = StyleRunner.FramesPerCall(runner.Device, paddedWidth, paddedHeight, batchFrames);
        // The render's kind of frame memory (page-locked on a GPU), so the copies to the device cost what they cost there.
        using var input = runner.RentFrames(perCall * slot);
        using var output = runner.RentFrames(perCall * slot);
        var timed = TimeSpan.Zero;

        // The first run is kept out of the inference time: the steady cost per frame is what the render is compared with.
        var firstRun = await runner.RunAsync(plan.Chain, input.Memory, output.Memory, perCall, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false);
        var steadyCall = await runner.RunAsync(plan.Chain, input.Memory, output.Memory, perCall, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false);
        for (long first = 1; first <= manifest.Frames; first += perCall)
        {
            var count = (int)Math.Min(perCall, manifest.Frames - first + 1);
            for (var i = 0; i < count; i++)
            {
                var encoded = await store.ReadAllBytesAsync(plan.SplitFrame(first + i), cancellationToken).ConfigureAwait(false);
                using var image = codecs.Decode(encoded);
                PixelLayout.HwcToPlanar(image.Pixels, plan.Width, plan.Height, input.Memory.Span.Slice(i * slot, slot), paddedWidth, paddedHeight);
            }

            timed += await runner.RunAsync(plan.Chain, input.Memory, output.Memory, count, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false);
        }

        return (timed.TotalSeconds, (opened + firstRun - steadyCall).TotalSeconds, steadyCall.TotalSeconds * batchFrames / perCall, runner.Device, runner.Notes.Any() ? string.Join("; ", runner.Notes) : null);
    }
}
