namespace Rotoscope.Worker;

/// <summary>The ASP.NET Core host of a worker node (scheduler, style workers, dashboard).</summary>
public static class WorkerHost
{
}
