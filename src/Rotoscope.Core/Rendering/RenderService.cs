using System.Security.Cryptography;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// Prepares renders: plans the request, takes ownership of its output, and either finds it already rendered or records
/// the plan in the store, where whatever runs the steps (the scheduler, in Jobs/) reads it by render id.
/// </summary>
public sealed class RenderService(RenderPlanner planner, IBlobStore store, RenderMonitor monitor, StyleRunner runner, RenderLocks locks, Connectors connectors)
{
    /// <summary>
    /// Plans <paramref name="request"/> and records its plan; unless it is <see cref="PreparedRender.AlreadyRendered"/>,
    /// the caller then has its steps run, and awaits the returned tracker's completion for the result.
    /// </summary>
    /// <remarks>
    /// Cancelling <paramref name="cancellationToken"/> later cancels the render's running steps too. The caller disposes
    /// the returned render once its steps have stopped, which releases the output. <paramref name="waiting"/> hears when
    /// the same render runs in another process and this one waits for it.
    /// </remarks>
    public async Task<PreparedRender> PrepareAsync(RenderRequest request, Action<string> waiting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var plan = await planner.PlanAsync(request, cancellationToken).ConfigureAwait(false);
        var ownership = await locks.AcquireAsync(plan, waiting, cancellationToken).ConfigureAwait(false);
        try
        {
            var tracker = monitor.Track(plan.RenderId, cancellationToken);
            var existing = await OutputSha256Async(plan, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                if (await store.TryReadJsonAsync<RenderResult>(plan.ResultKey, cancellationToken).ConfigureAwait(false) is { } done
                    && done.OutputSha256 == existing)
                {
                    tracker.Complete(done with { AlreadyRendered = true, ElapsedSeconds = 0, FramesReused = done.Frames });
                    return new PreparedRender(plan, tracker, ownership) { AlreadyRendered = true };
                }

                if (!request.Overwrite)
                {
                    throw new RotoscopeException($"{plan.Output} already exists and is not this render's result; pass --overwrite to replace it");
                }
            }

            // Open the models now: a model that cannot load fails the request before any work or progress output.
            runner.Prepare(plan.Chain);
            if (request.Shared)
            {
                plan = plan with { InputKey = await ShareInputAsync(plan, cancellationToken).ConfigureAwait(false) };
            }

            await store.WriteJsonAsync(plan.PlanKey, plan, cancellationToken).ConfigureAwait(false);
            // A new run: what an earlier run recorded must not be taken for this one's outcome.
            await store.DeleteAsync(plan.ResultKey, cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(RenderPlan.FailureKeyOf(plan.RenderId), cancellationToken).ConfigureAwait(false);
            return new PreparedRender(plan, tracker, ownership);
        }
        catch
        {
            ownership.Dispose();
            throw;
        }
    }

    // Content-addressed, so each input goes up once, whatever its name or however often it is rendered.
    private async Task<BlobKey> ShareInputAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        var key = BlobKey.Parse($"cache/inputs/{plan.InputSha256}{Path.GetExtension(plan.InputPath).ToLowerInvariant()}");
        if (await store.LengthAsync(key, cancellationToken).ConfigureAwait(false) != new FileInfo(plan.InputPath).Length)
        {
            var input = File.OpenRead(plan.InputPath);
            await using (input.ConfigureAwait(false))
            {
                await store.WriteAsync(key, input, cancellationToken).ConfigureAwait(false);
            }
        }

        return key;
    }

    // The content hash of what is at the output now, or null when nothing is.
    private async Task<string?> OutputSha256Async(RenderPlan plan, CancellationToken cancellationToken)
    {
        var output = MediaLocation.Parse(plan.Output);
        if (output is MediaLocation.LocalFile file)
        {
            return File.Exists(file.Path) ? await DurableFile.Sha256Async(file.Path, cancellationToken).ConfigureAwait(false) : null;
        }

        var (holder, key) = connectors.Resolve(output, forWrite: false);
        Stream content;
        try
        {
            content = await holder.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }

        await using (content.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false));
        }
    }
}

/// <summary>A render ready to run (or found already done): its exact plan, its live progress, and the ownership of its output.</summary>
public sealed record PreparedRender(RenderPlan Plan, RenderTracker Tracker, IDisposable Ownership) : IDisposable
{
    /// <summary>Its output already holds its result: the tracker has completed and there is nothing to run.</summary>
    public bool AlreadyRendered { get; init; }

    /// <summary>Releases the output for other renders.</summary>
    public void Dispose() => Ownership.Dispose();
}
