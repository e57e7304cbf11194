using System.Globalization;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Worker.Dashboard;

/// <summary>
/// The dashboard: Hangfire's own pages (under <c>/hangfire</c>) over the fleet's job storage, and our Renders pages, in
/// one ASP.NET Core host. Renders are read from the frame store's records (<see cref="RenderStatus"/>).
/// </summary>
public static class DashboardHost
{
    /// <summary>
    /// Serves the dashboard of the fleet whose jobs are in <paramref name="postgres"/> until <paramref name="cancellationToken"/>
    /// fires. Refuses, with one line, settings that would expose it unprotected, before opening anything.
    /// </summary>
    public static async Task RunAsync(RotoscopeOptions options, string postgres, DashboardSettings settings, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Address();
        var app = Build(options, FleetStorage.Open(postgres), settings);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            log($"dashboard at {string.Join(", ", addresses)}/ ({(settings.ReadOnly ? "read-only" : "cancel and retry allowed")}{(string.IsNullOrEmpty(settings.Token) ? "" : $", token from ${settings.TokenVariable}")}); Ctrl+C stops it");
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The dashboard's web application over <paramref name="storage"/>, not yet started.</summary>
    public static WebApplication Build(RotoscopeOptions options, JobStorage storage, DashboardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(settings);
        var address = settings.Address();

        // The empty builder reads no configuration files or ASPNETCORE_* variables, and logs nothing: what it serves is
        // exactly what is set here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(address, settings.Port));
        builder.Services.AddRoutingCore();
        builder.Services.AddRotoscope(options).AddRenderJobs(storage, FleetStorage.RetryAttempts);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RenderBoard>();
        builder.Services.AddSingleton<Thumbnails>();
        var app = builder.Build();

        var access = new DashboardAccess(settings.Token);
        app.Use((context, next) => access.InvokeAsync(context, next));
        HangfireAdditions.Register();
        var hangfire = new DashboardOptions
        {
            AppPath = "/renders",
            DashboardTitle = "Rotoscope jobs",
            DisplayStorageConnectionString = false,
            IsReadOnlyFunc = _ => settings.ReadOnly,
            Authorization = [], // DashboardAccess guards every page
            IgnoreAntiforgeryToken = true, // DashboardAccess refuses cross-site POSTs
        };

        // Hangfire's middleware directly, with our storage: MapHangfireDashboard would require AddHangfire, which
        // configures Hangfire's globals (JobStorage.Current, GlobalConfiguration).
        app.Map("/hangfire", branch => branch.UseMiddleware<AspNetCoreDashboardMiddleware>(storage, hangfire, DashboardRoutes.Routes, true));
        MapRenders(app, settings.ReadOnly);
        return app;
    }

    private static void MapRenders(WebApplication app, bool readOnly)
    {
        app.MapGet("/", context =>
        {
            context.Response.Redirect("/renders");
            return Task.CompletedTask;
        });
        app.MapGet("/renders", async context =>
        {
            var rows = await context.RequestServices.GetRequiredService<RenderBoard>().ListAsync(context.RequestAborted).ConfigureAwait(false);
            var live = RenderPages.Renders(rows);
            await HtmlAsync(context, IsLivePart(context) ? live : RenderPages.Page("Renders", $"/renders?part={RenderPages.LivePart}", live, readOnly)).ConfigureAwait(false);
        });
        app.MapGet("/renders/{id}", async context =>
        {
            var id = RenderId(context);
            if (await context.RequestServices.GetRequiredService<RenderBoard>().ReadAsync(id, context.RequestAborted).ConfigureAwait(false) is not { } detail)
            {
                await NotFoundAsync(context, $"no render '{id}' in the frame store").ConfigureAwait(false);
                return;
            }

            var live = RenderPages.Detail(detail, readOnly);
            var link = RenderPages.Link(id);
            await HtmlAsync(context, IsLivePart(context) ? live : RenderPages.Page($"Render {id}", $"{link}?part={RenderPages.LivePart}", live, readOnly)).ConfigureAwait(false);
        });
        app.MapGet("/renders/{id}/frames/{side}/{frame}.jpg", async context =>
        {
            var values = context.Request.RouteValues;
            if (!Enum.TryParse<FrameSide>(values["side"] as string, ignoreCase: true, out var side) || !Enum.IsDefined(side)
                || !long.TryParse(values["frame"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var frame)
                || !int.TryParse(context.Request.Query["w"], NumberStyles.None, CultureInfo.InvariantCulture, out var width))
            {
                width = Thumbnails.Small;
                side = FrameSide.Styled;
                frame = 0;
            }

            var thumbnail = await context.RequestServices.GetRequiredService<Thumbnails>().GetAsync(RenderId(context), side, frame, width, context.RequestAborted).ConfigureAwait(false);
            if (thumbnail is null)
            {
                await NotFoundAsync(context, "no such frame (yet)").ConfigureAwait(false);
                return;
            }

            context.Response.ContentType = "image/jpeg";
            context.Response.Headers.CacheControl = "private, max-age=3600";
            await context.Response.Body.WriteAsync(thumbnail, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/renders/{id}/output", OutputAsync);
        app.MapPost("/renders/{id}/cancel", context => ActAsync(context, readOnly, async (control, id, ct) =>
            await control.CancelAsync(id, "cancelled from the dashboard", ct).ConfigureAwait(false) ? null : "this render is not running"));
        app.MapPost("/renders/{id}/retry", context => ActAsync(context, readOnly, async (control, id, ct) =>
            await control.RetryAsync(id, ct).ConfigureAwait(false) is not null ? null : "only a failed or cancelled render can be retried"));
    }

    // Cancel and retry: refused on a read-only dashboard; otherwise back to the render's page (303: a reload does not post again).
    private static async Task ActAsync(HttpContext context, bool readOnly, Func<RenderControl, string, CancellationToken, Task<string?>> act)
    {
        if (readOnly)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("this dashboard is read-only\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var id = RenderId(context);
        if (await act(context.RequestServices.GetRequiredService<RenderControl>(), id, context.RequestAborted).ConfigureAwait(false) is { } refusal)
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await context.Response.WriteAsync(refusal + "\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = RenderPages.Link(id);
    }

    // The output of a render that succeeded, from where its plan says it went (a local file or a store the connectors reach).
    private static async Task OutputAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<IBlobStore>();
        var id = RenderId(context);
        if (await RenderStatus.ReadAsync(store, id, context.RequestAborted).ConfigureAwait(false) is not { State: "succeeded" } status)
        {
            await NotFoundAsync(context, "this render has no output yet").ConfigureAwait(false);
            return;
        }

        Stream content;
        try
        {
            content = MediaLocation.Parse(status.Output) is MediaLocation.LocalFile file
                ? File.OpenRead(file.Path)
                : await Resolve(services.GetRequiredService<Connectors>(), status.Output).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BlobNotFoundException or RotoscopeException)
        {
            await NotFoundAsync(context, "the output cannot be read from here").ConfigureAwait(false);
            return;
        }

        await using (content.ConfigureAwait(false))
        {
            context.Response.ContentType = Path.GetExtension(status.Output).ToLowerInvariant() switch
            {
                ".mp4" => "video/mp4", ".webm" => "video/webm", ".mov" => "video/quicktime", ".mkv" => "video/x-matroska", _ => "application/octet-stream",
            };
            await content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }

        Task<Stream> Resolve(Connectors connectors, string output)
        {
            var (holder, key) = connectors.Resolve(MediaLocation.Parse(output), forWrite: false);
            return holder.OpenReadAsync(key, context.RequestAborted);
        }
    }

    private static string RenderId(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";

    private static bool IsLivePart(HttpContext context) => context.Request.Query["part"] == RenderPages.LivePart;

    private static Task HtmlAsync(HttpContext context, string html)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(html, context.RequestAborted);
    }

    private static Task NotFoundAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
