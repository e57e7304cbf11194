using Hangfire;
using Hangfire.InMemory;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Tests.Inference;
using Rotoscope.Core.Tests.Media;

namespace Rotoscope.Core.Tests.Jobs;

/// <summary>The fleet's recurring sweep, over the records of a real render (ffmpeg, ONNX Runtime) in a local store.</summary>
[Trait("Category", "Integration")]
public sealed class RenderSweepTests(MediaClips clips) : IClassFixture<MediaClips>, IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-sweep-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task Sweep_EnqueuesTheAssemblyOnce_WhenEveryBatchIsDoneButNoneWasEnqueued_AndForgetsEndedRenders()
    {
        var options = new RotoscopeOptions(Path.Combine(root, "data"), Path.Combine(OnnxRuntimeFixture.RepoRoot(), "models"), new InferenceOptions(), new FfmpegTools(), Path.Combine(root, "tmp"))
        {
            ConnectorsFile = Path.Combine(root, "connectors.json"),
        };
        var (result, _) = await LocalRenderer.RenderAsync(options, new RenderRequest(clips.Clip, "toon") { Output = Path.Combine(root, "out.mp4"), BatchSize = 16 }, null, null, CancellationToken.None);

        // As a fleet would hold it after its assembly was lost: split and batches done, a run started, no job running.
        using var storage = new InMemoryStorage();
        await using var services = new ServiceCollection().AddRotoscope(options).AddRenderJobs(storage, retryAttempts: 0).BuildServiceProvider();
        var store = services.GetRequiredService<IBlobStore>();
        var plan = await store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(result.RenderId), CancellationToken.None);
        await store.DeleteAsync(plan.ResultKey, CancellationToken.None);
        var scheduler = services.GetRequiredService<RenderScheduler>();
        var split = scheduler.EnqueueRender(result.RenderId);
        Assert.True(services.GetRequiredService<IBackgroundJobClient>().ChangeState(split, new SucceededState(null, 0, 0)));
        var jobs = services.GetRequiredService<RenderJobs>();

        await jobs.SweepAsync(CancellationToken.None);
        await jobs.SweepAsync(CancellationToken.None);

        // (the split's queue entry stays listed, no longer in the enqueued state: it was marked done, never fetched)
        var enqueued = storage.GetMonitoringApi().EnqueuedJobs(RenderScheduler.CpuQueue, 0, 10).Where(e => e.Value.InEnqueuedState);
        Assert.Equal(nameof(RenderJobs.AssembleAsync), Assert.Single(enqueued).Value.Job.Method.Name);
        Assert.Contains(result.RenderId, scheduler.StartedRenders());

        await store.WriteJsonAsync(plan.ResultKey, result, CancellationToken.None);
        await jobs.SweepAsync(CancellationToken.None);
        Assert.Empty(scheduler.StartedRenders());
    }
}
