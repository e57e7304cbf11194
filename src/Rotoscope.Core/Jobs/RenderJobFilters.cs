using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// The filters render jobs run with, as an instance (not Hangfire's global filters): a retry policy, and the report of a
/// failed job to its render's tracker in this process.
/// </summary>
public static class RenderJobFilters
{
    /// <summary>
    /// Filters for a client and a server that share <paramref name="monitor"/>. <paramref name="retryAttempts"/> 0 fails a
    /// render at its first failed job, with that job's error (the embedded mode: a re-run of the command retries, and
    /// the steps skip what is done).
    /// </summary>
    public static IJobFilterProvider Create(RenderMonitor monitor, int retryAttempts)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentOutOfRangeException.ThrowIfNegative(retryAttempts);
        var filters = new JobFilterCollection();
        filters.Add(new AutomaticRetryAttribute { Attempts = retryAttempts, OnAttemptsExceeded = AttemptsExceededAction.Fail });
        filters.Add(new ReportFailure(monitor));
        return filters;
    }

    // Applied when a job reaches the failed state, which (after the retry policy elected it) is final. It covers failures
    // inside a step and before one: the job could not be activated, or its state could not be changed. A job whose
    // arguments cannot be read at all has no render id to report; with one process and one build that cannot happen.
    private sealed class ReportFailure(RenderMonitor monitor) : IApplyStateFilter
    {
        public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
        {
            if (context.NewState is FailedState failed
                && context.BackgroundJob.Job is { } job
                && job.Type == typeof(RenderJobs)
                && job.Args is [string renderId, ..])
            {
                monitor.For(renderId).Fail(failed.Exception);
            }
        }

        public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
        {
        }
    }
}
