using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

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
    public static IJobFilterProvider Create(RenderMonitor monitor, IBlobStore store, int retryAttempts)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentOutOfRangeException.ThrowIfNegative(retryAttempts);
        var filters = new JobFilterCollection();
        filters.Add(new RetryTransient(retryAttempts));
        filters.Add(new ReportFailure(monitor, store));
        return filters;
    }

    // Applied when a job reaches the failed state, which (after the retry policy elected it) is final. It covers failures
    // inside a step and before one: the job could not be activated, or its state could not be changed. A job whose
    // arguments cannot be read at all has no render id to report; with one process and one build that cannot happen.
    /// <summary>
    /// Whether a step that failed with <paramref name="error"/> may succeed if tried again: a storage or network error
    /// (a 5xx, a dropped connection, a timeout). A bad input, a broken model or a missing file fails the same way again.
    /// </summary>
    public static bool IsTransient(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException or System.Net.Sockets.SocketException or TimeoutException:
                case Amazon.Runtime.AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError or System.Net.HttpStatusCode.TooManyRequests }:
                case IOException and not (FileNotFoundException or DirectoryNotFoundException or EndOfStreamException):
                    return true;
            }
        }

        return false;
    }

    // Hangfire's AutomaticRetry retries whatever failed, ten times, minutes apart; a render wants the opposite: a
    // transient failure again soon (2, 4, 8 s with jitter), anything else failed at once with its reason.
    private sealed class RetryTransient(int attempts) : IElectStateFilter
    {
        private const string CountParameter = "RetryCount";

        public void OnStateElection(ElectStateContext context)
        {
            if (context.CandidateState is not FailedState failed || !IsTransient(failed.Exception))
            {
                return;
            }

            var retry = context.GetJobParameter<int>(CountParameter, allowStale: true) + 1;
            if (retry > attempts)
            {
                return;
            }

            context.SetJobParameter(CountParameter, retry);
            var delay = TimeSpan.FromSeconds((1 << retry) + Random.Shared.NextDouble() * (1 << retry) / 2);
            context.CandidateState = new ScheduledState(delay) { Reason = $"retry {retry} of {attempts}: {failed.Exception.GetBaseException().Message}" };
        }
    }

    // The reason is also recorded in the store, for whoever follows the render from another process (a fleet's client).
    private sealed class ReportFailure(RenderMonitor monitor, IBlobStore store) : IApplyStateFilter
    {
        public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
        {
            if (context.NewState is FailedState failed
                && context.BackgroundJob.Job is { } job
                && job.Type == typeof(RenderJobs)
                && job.Args is [string renderId, ..])
            {
                monitor.For(renderId).Fail(failed.Exception);
                var reason = failed.Exception is RotoscopeException ours ? ours.Message : failed.Exception.GetBaseException().Message;
                try
                {
                    store.WriteJsonAsync(RenderPlan.FailureKeyOf(renderId), new RenderFailure(reason, DateTimeOffset.UtcNow), CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is RotoscopeException or IOException)
                {
                    // The store is what failed: the job's own state still says why.
                }
            }
        }

        public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
        {
        }
    }
}
