using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Common;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Composes render jobs over a Hangfire storage chosen by the caller (in memory for one process; a shared database for
/// a fleet). Nothing here reads or sets Hangfire's globals (<c>JobStorage.Current</c>, <c>GlobalJobFilters</c>,
/// <c>JobActivator.Current</c>): several renders, and tests, run side by side in one process.
/// </summary>
public static class RenderJobServices
{
    /// <summary>
    /// Registers the render jobs, the queue that enqueues them into <paramref name="storage"/>, and their filters
    /// (<see cref="RenderJobFilters.Create"/> with <paramref name="retryAttempts"/>). Needs <see cref="RotoscopeServices.AddRotoscope"/>.
    /// </summary>
    public static IServiceCollection AddRenderJobs(this IServiceCollection services, JobStorage storage, int retryAttempts)
    {
        ArgumentNullException.ThrowIfNull(storage);
        services.AddSingleton(storage);
        services.AddSingleton(provider => RenderJobFilters.Create(provider.GetRequiredService<RenderMonitor>(), provider.GetRequiredService<IBlobStore>(), retryAttempts));
        services.AddSingleton<IBackgroundJobClient>(provider => new BackgroundJobClient(storage, provider.GetRequiredService<IJobFilterProvider>()));
        services.AddSingleton<RenderScheduler>();
        services.AddSingleton<RenderControl>();
        services.AddSingleton<RenderJobs>();
        services.AddSingleton<StillScheduler>();
        services.AddSingleton<StillJobs>();
        return services;
    }

    /// <summary>
    /// Has the fleet's workers run <see cref="RenderJobs.SweepAsync"/> every minute on <paramref name="queue"/> (one
    /// recurring job for the whole fleet: registering it again only updates it).
    /// </summary>
    public static void ScheduleSweep(IServiceProvider services, string queue)
    {
        ArgumentNullException.ThrowIfNull(services);
        new RecurringJobManager(services.GetRequiredService<JobStorage>(), services.GetRequiredService<IJobFilterProvider>())
            .AddOrUpdate("rotoscope-sweep", Job.FromExpression<RenderJobs>(jobs => jobs.SweepAsync(CancellationToken.None), queue), Cron.Minutely(), new RecurringJobOptions());
    }

    /// <summary>
    /// Starts a Hangfire server in this process that runs render jobs from the registered storage on
    /// <paramref name="workers"/> threads, activating them from <paramref name="services"/>, from
    /// <paramref name="queues"/> (default: both the CPU and the GPU queue). Stop it with
    /// <see cref="BackgroundJobServer.SendStop"/> and <see cref="BackgroundJobServer.WaitForShutdownAsync"/>.
    /// </summary>
    public static BackgroundJobServer StartServer(IServiceProvider services, int workers, IReadOnlyList<string>? queues = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new BackgroundJobServerOptions
        {
            WorkerCount = workers,
            // Hangfire takes queues in alphabetical order, not the order given: a worker serving both runs "cpu" first.
            Queues = [.. queues ?? [RenderScheduler.CpuQueue, RenderScheduler.GpuQueue]],

            // Hangfire's 15 s default would delay a retry scheduled for later by up to that much.
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
            Activator = new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()),
            FilterProvider = services.GetRequiredService<IJobFilterProvider>(),
        };
        return new BackgroundJobServer(options, services.GetRequiredService<JobStorage>());
    }
}
