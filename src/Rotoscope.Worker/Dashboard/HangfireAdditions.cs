using Hangfire;
using Hangfire.Dashboard;
using Microsoft.Extensions.DependencyInjection;

namespace Rotoscope.Worker.Dashboard;

/// <summary>What we add to Hangfire's own pages: a "Renders" menu item, and a home-page metric of active renders.</summary>
/// <remarks>
/// Hangfire 1.8 keeps custom metrics and menu items only in process-wide lists (<see cref="DashboardMetrics"/>, the home
/// page's metrics through <c>GlobalConfiguration.UseDashboardMetric</c>, <see cref="NavigationMenu.Items"/>); no
/// <see cref="DashboardOptions"/> member takes them. So they are added here once per process, and are immutable and
/// stateless: each finds the dashboard it renders for through the request's services, so two dashboards in one process
/// (tests) each count their own renders. <c>GlobalConfiguration.Configuration</c> is used only as the receiver of that
/// one extension method; nothing else of Hangfire's global configuration is read or set.
/// </remarks>
internal static class HangfireAdditions
{
    public static readonly DashboardMetric ActiveRenders = new("rotoscope:renders:active", "Active renders", CountActive) { Url = "/renders" };

    private static readonly Func<RazorPage, MenuItem> RendersItem = _ => new MenuItem("Renders", "/renders") { Metric = ActiveRenders };

    public static void Register()
    {
        lock (NavigationMenu.Items)
        {
            if (!NavigationMenu.Items.Contains(RendersItem))
            {
                NavigationMenu.Items.Insert(0, RendersItem);
                GlobalConfiguration.Configuration.UseDashboardMetric(ActiveRenders);
            }
        }
    }

    // Hangfire renders metrics synchronously; the board serves a listing at most a second old, so this rarely waits.
    private static Metric CountActive(RazorPage page)
    {
        var board = page.Context.GetHttpContext().RequestServices.GetService<RenderBoard>();
        if (board is null)
        {
            return new Metric("–");
        }

        var active = board.CountActiveAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new Metric(active) { Style = active > 0 ? MetricStyle.Info : MetricStyle.Default };
    }
}
