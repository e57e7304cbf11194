using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Playwright;
using Rotoscope.Tests;
using Xunit.Abstractions;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// <c>rotoscope dashboard</c> as a process, on a real PostgreSQL job database and this machine's data:// store, with
/// workers and renders as in <see cref="FleetTests"/>; the Renders pages in Debian's chromium through Playwright.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PostgresGroup.Name)]
public sealed class DashboardTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly Cli cli = new();
    private readonly HttpClient http = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private string connection = "";

    public async Task InitializeAsync()
    {
        connection = await postgres.CreateDatabaseAsync($"dash_{Guid.NewGuid():N}"[..20]);
        cli.Variables["ROTOSCOPE_POSTGRES"] = connection;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        http.Dispose();
        cli.Dispose();
    }

    [Fact]
    public async Task RendersPage_ShowsProgressRiseAndThumbnailsLoad_InChromium()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/browser-setup.sh");
        var clip = cli.MakeClip("drone.mp4", 320, 180, 24, 8, audio: false); // 192 frames, 48 batches: ~10 s on one worker
        Start("worker", "--concurrency", "1");
        var dashboard = await StartDashboardAsync();
        var id = await EnqueueAsync(clip);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 420 } });
        await page.GotoAsync(new Uri(dashboard, "renders").ToString());
        var row = page.Locator($"tr.render[data-render='{id}']");
        await row.WaitForAsync();

        // Progress rises while the page stays open (its live part refreshes itself).
        var clock = Stopwatch.StartNew();
        var first = await StyledAsync(row);
        while (await StyledAsync(row) <= first)
        {
            Assert.True(clock.Elapsed < Patience, $"progress stayed at {first} frames");
            await Task.Delay(200);
        }

        output.WriteLine($"progress rose from {first} frames after {clock.Elapsed.TotalSeconds:0.0} s");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('img.thumb')].some(i => i.complete && i.naturalWidth > 0)");
        var screenshot = cli.PathOf("dashboard.png");
        await page.ScreenshotAsync(new() { Path = screenshot });
        if (Environment.GetEnvironmentVariable("ROTOSCOPE_UPDATE_SCREENSHOTS") == "1")
        {
            File.Copy(screenshot, Cli.RepoPath("docs", "dashboard.png"), overwrite: true);
        }

        await page.Locator($"tr.render[data-render='{id}'] a[href='/renders/{id}']").ClickAsync();
        await page.WaitForURLAsync($"**/renders/{id}");
        var detail = page.Locator($"dl.render[data-render='{id}']");
        await page.Locator($"dl.render[data-render='{id}'][data-state='succeeded']").WaitForAsync(new() { Timeout = (float)Patience.TotalMilliseconds });
        await page.WaitForFunctionAsync(
            "() => ['img.strip-frame', 'img.before', 'img.after'].every(s => [...document.querySelectorAll(s)].some(i => i.complete && i.naturalWidth > 0))");
        Assert.Equal("192", await detail.GetAttributeAsync("data-styled"));
        Assert.Matches(@"^\S+:\d+", (await page.Locator(".workers").InnerTextAsync()).Trim());
        Assert.Equal(8, await page.Locator("img.strip-frame").CountAsync());
        var video = await http.GetAsync(new Uri(dashboard, $"renders/{id}/output"));
        Assert.Equal("video/mp4", video.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cancel_EndsTheRenderForTheClientFollowingIt_AndRetryQueuesItAgain()
    {
        var clip = cli.MakeClip("cancel.mp4", 96, 64, 10, 1, audio: false);
        var dashboard = await StartDashboardAsync();
        var client = cli.Start(["render", clip, "--style", "toon", "--fleet"], out _, out var stderr); // no worker: it waits, queued
        var id = await WaitForRenderAsync();

        var cancel = await PostAsync(dashboard, $"renders/{id}/cancel");
        using (var timeout = new CancellationTokenSource(Patience))
        {
            await client.WaitForExitAsync(timeout.Token);
        }

        Assert.Equal(HttpStatusCode.SeeOther, cancel.StatusCode);
        Assert.Equal(1, client.ExitCode);
        Assert.Equal("rotoscope: cancelled from the dashboard", (await stderr).Trim());
        Assert.Equal("cancelled", await StateAsync(id));
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(dashboard, $"renders/{id}/cancel")).StatusCode);

        var retry = await PostAsync(dashboard, $"renders/{id}/retry");

        Assert.Equal(HttpStatusCode.SeeOther, retry.StatusCode);
        Assert.Equal("queued", await StateAsync(id));
    }

    [Fact]
    public async Task ReadOnlyDashboard_DeniesCancel_AndShowsNoActions()
    {
        var id = await EnqueueAsync(cli.MakeClip("ro.mp4", 96, 64, 10, 1, audio: false));
        var dashboard = await StartDashboardAsync("--read-only");

        var page = await http.GetStringAsync(new Uri(dashboard, $"renders/{id}"));
        var cancel = await PostAsync(dashboard, $"renders/{id}/cancel");
        var hangfireDelete = await PostAsync(dashboard, "hangfire/jobs/actions/delete/1");

        Assert.Contains("read-only", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        Assert.False(hangfireDelete.IsSuccessStatusCode, $"Hangfire's delete answered {hangfireDelete.StatusCode}");
        Assert.Equal("queued", await StateAsync(id));
    }

    [Fact]
    public async Task Dashboard_NeverShowsThePassword_OnAnyPage()
    {
        var password = PostgresPassword();
        var id = await EnqueueAsync(cli.MakeClip("secret.mp4", 96, 64, 10, 1, audio: false));
        Start("worker", "--concurrency", "1");
        var (dashboard, process, log) = await StartDashboardWithLogAsync();
        while (await StateAsync(id) != "succeeded")
        {
            await Task.Delay(250);
        }

        foreach (var path in new[] { "renders", $"renders/{id}", "hangfire", "hangfire/servers", "hangfire/jobs/succeeded", "hangfire/jobs/details/1", "hangfire/recurring", "hangfire/retries" })
        {
            var response = await http.GetAsync(new Uri(dashboard, path));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain(password, body, StringComparison.Ordinal);
            Assert.DoesNotContain("Password=", body, StringComparison.OrdinalIgnoreCase);
        }

        process.Kill();
        Assert.DoesNotContain(password, await log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_AsksForItsToken_WhenOneIsSet()
    {
        const string Token = "a-test-token-of-some-length";
        cli.Variables["ROTOSCOPE_DASHBOARD_TOKEN"] = Token;
        var dashboard = await StartDashboardAsync();
        var renders = new Uri(dashboard, "renders");

        var without = await http.GetAsync(renders);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, renders) { Headers = { Authorization = new("Bearer", Token) } };
        var with = await http.SendAsync(bearer);
        var link = await http.GetAsync(new Uri(dashboard, $"renders?token={Token}"));

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        Assert.Equal("/renders", link.Headers.Location?.ToString());
        Assert.Contains(link.Headers.GetValues("Set-Cookie"), c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase) && c.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Dashboard_ShowsEachRendersReviewStateAndLink_AndTheApprovedPublication()
    {
        await using var dropbox = await DropboxFake.StartAsync();
        cli.Variables["TEST_DROPBOX_SECRET"] = dropbox.AppSecret;
        var added = await cli.RunAsync("connectors", "add", "dropbox", "--label", "review", "--folder", "/Rotoscope", "--app-key", dropbox.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--refresh-token", dropbox.RefreshToken, "--endpoint", dropbox.Url, "--write");
        Assert.True(added.ExitCode == 0, added.Error);
        var plain = await cli.RunAsync("render", cli.MakeClip("plain.mp4", 96, 64, 10, 1, audio: false), "--style", "toon", "--json");
        var reviewed = await cli.RunAsync("render", cli.MakeClip("shown.mp4", 96, 64, 10, 1), "--style", "toon", "--review", "dropbox+review://Reviews/", "--publish-to", "data://published/", "--json");
        Assert.True(plain.ExitCode == 0 && reviewed.ExitCode == 0, plain.Error + reviewed.Error);
        var review = JsonDocument.Parse(reviewed.Out).RootElement.GetProperty("review");
        var (id, plainId) = (JsonDocument.Parse(reviewed.Out).RootElement.GetProperty("renderId").GetString()!, JsonDocument.Parse(plain.Out).RootElement.GetProperty("renderId").GetString()!);
        var (folder, link) = (review.GetProperty("folder").GetString()!, review.GetProperty("link").GetString()!);
        var dashboard = await StartDashboardAsync();

        var pendingPage = await http.GetStringAsync(new Uri(dashboard, "renders"));
        dropbox.MoveEntry(folder, $"/Rotoscope/Reviews/Approved/{Path.GetFileName(folder)}");
        var watched = await cli.RunAsync("review", "watch", "--once");
        Assert.True(watched.ExitCode == 0, watched.Error);
        await Task.Delay(1100); // the Renders page reads the store at most once a second
        var approvedPage = await http.GetStringAsync(new Uri(dashboard, "renders"));
        var detail = await http.GetStringAsync(new Uri(dashboard, $"renders/{id}"));

        Assert.Contains($"data-review=\"pending\" href=\"{WebUtility.HtmlEncode(link)}\"", pendingPage, StringComparison.Ordinal);
        Assert.Contains($"data-review=\"approved\" href=\"{WebUtility.HtmlEncode(link)}\"", approvedPage, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(approvedPage, "data-review="));
        Assert.Contains(plainId, approvedPage, StringComparison.Ordinal);
        Assert.Contains("data://published/shown.toon.mp4", detail, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode($"/Rotoscope/Reviews/Approved/{Path.GetFileName(folder)}"), detail, StringComparison.Ordinal);
    }

    private static async Task<long> StyledAsync(ILocator row) => long.Parse(await row.GetAttributeAsync("data-styled") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> EnqueueAsync(string clip)
    {
        var queued = await cli.RunAsync("render", clip, "--style", "toon", "--fleet", "--detach", "--batch-size", "4", "--json");
        Assert.True(queued.ExitCode == 0, queued.Error);
        return JsonDocument.Parse(queued.Out).RootElement.GetProperty("renderId").GetString()!;
    }

    private async Task<string> WaitForRenderAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var list = JsonDocument.Parse((await cli.RunAsync("status", "--json")).Out).RootElement;
            if (list.GetArrayLength() > 0 && list[0].GetProperty("state").GetString() == "queued")
            {
                return list[0].GetProperty("renderId").GetString()!;
            }

            Assert.True(clock.Elapsed < Patience, "the render was never queued");
            await Task.Delay(200);
        }
    }

    private async Task<string?> StateAsync(string renderId)
    {
        var outcome = await cli.RunAsync("status", renderId, "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        return JsonDocument.Parse(outcome.Out).RootElement.GetProperty("state").GetString();
    }

    // As a browser posts from the dashboard's own page.
    private Task<HttpResponseMessage> PostAsync(Uri dashboard, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(dashboard, path)) { Headers = { { "Origin", dashboard.GetLeftPart(UriPartial.Authority) } } };
        return http.SendAsync(request);
    }

    private string PostgresPassword() =>
        connection.Split(';').Select(p => p.Split('=', 2)).Single(p => p[0].Equals("Password", StringComparison.OrdinalIgnoreCase))[1];

    private async Task<Uri> StartDashboardAsync(params string[] extra) => (await StartDashboardWithLogAsync(extra)).Uri;

    // On a port that was free a moment ago; ready once it answers.
    private async Task<(Uri Uri, Process Process, Task<string> Log)> StartDashboardWithLogAsync(params string[] extra)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var process = cli.Start(["dashboard", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra], out _, out var log);
        var uri = new Uri($"http://127.0.0.1:{port}/");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited, $"the dashboard stopped: {(process.HasExited ? await log : "")}");
            try
            {
                await http.GetAsync(new Uri(uri, "renders"));
                return (uri, process, log);
            }
            catch (HttpRequestException)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the dashboard did not answer within 30 s");
                await Task.Delay(100);
            }
        }
    }

    private Process Start(params string[] args) => cli.Start(args, out _, out _);
}

/// <summary>What <c>rotoscope dashboard</c> refuses before it opens anything.</summary>
[Trait("Category", "Unit")]
public sealed class DashboardCommandTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Dashboard_RefusesToStart_WhenBoundBeyondLoopbackWithoutAToken()
    {
        var outcome = await cli.RunAsync("dashboard", "--bind", "0.0.0.0", "--postgres", "Host=127.0.0.1;Port=1;Database=nope;Username=u;Password=never-printed");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(
            "rotoscope: --bind 0.0.0.0 serves the dashboard beyond this machine: set a token in $ROTOSCOPE_DASHBOARD_TOKEN (or name another variable with --token-env)",
            outcome.Error.Trim());
    }

    [Fact]
    public async Task Dashboard_RefusesAShortToken_FromTheVariableItIsTold()
    {
        cli.Variables["VIEWERS"] = "short";

        var outcome = await cli.RunAsync("dashboard", "--bind", "::", "--token-env", "VIEWERS");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("rotoscope: the token in $VIEWERS is too short: use at least 16 random characters", outcome.Error.Trim());
    }
}
