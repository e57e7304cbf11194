using Hangfire;
using Hangfire.Common;
using Hangfire.InMemory;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Tests.Jobs;

[Trait("Category", "Unit")]
public sealed class RenderSchedulerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly InMemoryStorage storage = new();
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-jobs-").FullName;

    public void Dispose()
    {
        storage.Dispose();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task EnqueueAssembly_EnqueuesOneJob_WhenTheFanInCheckRunsManyTimesAtOnce()
    {
        var scheduler = new RenderScheduler(new BackgroundJobClient(storage, new JobFilterCollection()), storage);

        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => scheduler.EnqueueAssembly("r1"))));

        Assert.Single(ids.Distinct());
        Assert.Equal(1, storage.GetMonitoringApi().EnqueuedCount(RenderScheduler.CpuQueue));
    }

    [Fact]
    public void EnqueueBatch_KeepsStepsAndRendersApart()
    {
        var scheduler = new RenderScheduler(new BackgroundJobClient(storage, new JobFilterCollection()), storage);

        string[] ids =
        [
            scheduler.EnqueueBatch("r1", new FrameBatch(0, 1, 16)),
            scheduler.EnqueueBatch("r1", new FrameBatch(1, 17, 32)),
            scheduler.EnqueueBatch("r2", new FrameBatch(0, 1, 16)),
            scheduler.EnqueueBatch("r1", new FrameBatch(1, 17, 32)),
        ];

        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(ids[1], ids[3]);
        var job = storage.GetConnection().GetJobData(ids[1])!.Job;
        Assert.Equal(nameof(RenderJobs.StylizeAsync), job.Method.Name);
        Assert.Equal(new object[] { "r1", 1, 17L, 32L }, job.Args.Take(4));
    }

    [Fact]
    public void EnqueueRender_EnqueuesAgain_WhenTheRecordedJobFailed()
    {
        var client = new BackgroundJobClient(storage, new JobFilterCollection());
        var scheduler = new RenderScheduler(client, storage);
        var first = scheduler.EnqueueRender("r1");

        Assert.True(client.ChangeState(first, new FailedState(new InvalidOperationException("boom"))));
        var second = scheduler.EnqueueRender("r1");

        Assert.NotEqual(first, second);
        Assert.Equal(second, scheduler.EnqueueRender("r1"));
    }

    [Fact]
    public async Task FailedStep_FailsTheRenderWithItsError()
    {
        await using var services = Services(withSteps: true);
        var tracker = services.GetRequiredService<RenderMonitor>().Track("no-such-render", CancellationToken.None);
        using var server = RenderJobServices.StartServer(services, workers: 1);

        // No plan was recorded for this render: the step's first read fails.
        services.GetRequiredService<RenderScheduler>().EnqueueRender("no-such-render");

        await Assert.ThrowsAsync<BlobNotFoundException>(() => tracker.Completion.WaitAsync(Patience));
        await StopAsync(server);
        Assert.Equal(1, storage.GetMonitoringApi().FailedCount());
    }

    [Fact]
    public async Task JobThatCannotStart_FailsTheRender()
    {
        // Without the steps' services the job class cannot be activated: it fails before its body runs.
        await using var services = Services(withSteps: false);
        var tracker = services.GetRequiredService<RenderMonitor>().Track("r1", CancellationToken.None);
        using var server = RenderJobServices.StartServer(services, workers: 1);

        services.GetRequiredService<RenderScheduler>().EnqueueAssembly("r1");

        await Assert.ThrowsAsync<InvalidOperationException>(() => tracker.Completion.WaitAsync(Patience));
        await StopAsync(server);
    }

    private ServiceProvider Services(bool withSteps)
    {
        var services = new ServiceCollection();
        if (withSteps)
        {
            services.AddRotoscope(new RotoscopeOptions(
                Path.Combine(root, "data"), Path.Combine(root, "models"), new InferenceOptions(), new FfmpegTools(), Path.Combine(root, "tmp"))
            {
                ConnectorsFile = Path.Combine(root, "connectors.json"),
            });
        }
        else
        {
            services.AddSingleton<RenderMonitor>();
            services.AddSingleton<IBlobStore>(new LocalBlobStore(Path.Combine(root, "data")));
        }

        return services.AddRenderJobs(storage, retryAttempts: 0).BuildServiceProvider();
    }

    private static async Task StopAsync(BackgroundJobServer server)
    {
        server.SendStop();
        await server.WaitForShutdownAsync(CancellationToken.None).WaitAsync(Patience);
    }
}
