using System.Globalization;
using System.Net;
using System.Text;
using static System.FormattableString;

namespace Rotoscope.Worker.Dashboard;

/// <summary>
/// The HTML of our pages: the Renders list and a render's detail. Each page holds a live part that its script fetches
/// again every second (<c>?part=live</c>), so progress moves without reloading.
/// </summary>
internal static class RenderPages
{
    public const string LivePart = "live";

    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2329}
        header{background:#1d2329;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center}
        header a{color:#9cd1ff;text-decoration:none} header .ro{margin-left:auto;background:#555;padding:2px 8px;border-radius:3px}
        main{padding:16px 20px} h1{font-size:20px;margin:0 0 12px}
        table{border-collapse:collapse;width:100%;background:#fff} th,td{padding:6px 8px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:middle}
        th{font-weight:600;color:#55606b;font-size:12px;text-transform:uppercase}
        .bar{width:160px;height:10px;background:#e3e6ea;border-radius:5px;overflow:hidden;display:inline-block;vertical-align:middle}
        .bar span{display:block;height:100%;background:#2f8be6} .succeeded .bar span{background:#2fa55b} .failed .bar span,.cancelled .bar span{background:#c9463d}
        .state{font-weight:600} .failed .state,.cancelled .state{color:#c9463d} .succeeded .state{color:#2fa55b}
        .reason{color:#c9463d;font-size:12px;max-width:420px} .mono{font-family:ui-monospace,monospace;font-size:12px}
        img.thumb{height:54px;border-radius:3px;background:#ddd} .strip img{height:90px;margin-right:6px;border-radius:3px}
        .pair img{width:480px;max-width:45vw;margin-right:10px;border-radius:4px} .pair figure{display:inline-block;margin:0 10px 0 0}
        dl{display:grid;grid-template-columns:140px 1fr;gap:4px 12px;background:#fff;padding:12px;max-width:900px} dt{color:#55606b}
        form{display:inline} button{padding:5px 14px;border:1px solid #888;border-radius:3px;background:#fff;cursor:pointer} button.danger{border-color:#c9463d;color:#c9463d}
        h2{font-size:16px;margin:20px 0 8px} .muted{color:#7a858f}
        .review-approved{color:#2fa55b;font-weight:600} .review-rejected,.review-missing{color:#c9463d;font-weight:600} .review-pending{color:#b07d12;font-weight:600}
        """;

    private const string Script = """
        const live = document.getElementById('live');
        setInterval(async () => {
          try { const r = await fetch(live.dataset.src, { cache: 'no-store' }); if (r.ok) live.innerHTML = await r.text(); } catch (e) { }
        }, 1000);
        """;

    public static string Page(string title, string liveSource, string live, bool readOnly)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(title)} · Rotoscope</title><style>{Style}</style></head><body>");
        html.Append("<header><b>Rotoscope</b><a href=\"/renders\">Renders</a><a href=\"/hangfire\">Jobs (Hangfire)</a>");
        html.Append(readOnly ? "<span class=\"ro\">read-only</span></header>" : "</header>");
        html.Append(CultureInfo.InvariantCulture, $"<main id=\"live\" data-src=\"{E(liveSource)}\">{live}</main><script>{Script}</script></body></html>");
        return html.ToString();
    }

    public static string Renders(IReadOnlyList<RenderRow> rows)
    {
        var html = new StringBuilder("<h1>Renders</h1>");
        if (rows.Count == 0)
        {
            return html.Append("<p class=\"muted\">No renders in the frame store yet.</p>").ToString();
        }

        html.Append("<table><thead><tr><th></th><th>render</th><th>input</th><th>styles</th><th>state</th><th>progress</th><th>frames/s</th><th>ETA</th><th>output</th><th>review</th></tr></thead><tbody>");
        foreach (var row in rows)
        {
            var s = row.Status;
            var link = Link(s.RenderId);
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"render {E(s.State)}\" data-render=\"{E(s.RenderId)}\" data-state=\"{E(s.State)}\" data-styled=\"{s.FramesStyled}\" data-frames=\"{s.Frames}\">");
            html.Append(CultureInfo.InvariantCulture, $"<td>{(s.LatestStyledFrame > 0 ? Thumb(s.RenderId, FrameSide.Styled, s.LatestStyledFrame, Thumbnails.Small, "thumb") : "")}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"mono\"><a href=\"{link}\">{E(Short(s.RenderId))}</a></td><td class=\"mono\">{E(Path.GetFileName(s.Input))}</td><td>{E(s.Styles)}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td><span class=\"state\">{E(s.State)}</span>{(s.Reason is { } r ? $"<div class=\"reason\">{E(r)}</div>" : "")}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td>{Bar(row)}</td><td>{Pace(row)}</td><td>{Eta(row)}</td><td>{Output(row)}</td><td>{Review(row.Review)}</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    public static string Detail(RenderDetail detail, bool readOnly)
    {
        var row = detail.Row;
        var s = row.Status;
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<h1>Render <span class=\"mono\">{E(s.RenderId)}</span></h1>");
        html.Append(CultureInfo.InvariantCulture, $"<dl class=\"render {E(s.State)}\" data-render=\"{E(s.RenderId)}\" data-state=\"{E(s.State)}\" data-styled=\"{s.FramesStyled}\" data-frames=\"{s.Frames}\">");
        html.Append(CultureInfo.InvariantCulture, $"<dt>input</dt><dd class=\"mono\">{E(s.Input)}</dd><dt>styles</dt><dd>{E(s.Styles)}</dd>");
        html.Append(CultureInfo.InvariantCulture, $"<dt>state</dt><dd><span class=\"state\">{E(s.State)}</span>{(s.Reason is { } r ? $"<div class=\"reason\">{E(r)}</div>" : "")}</dd>");
        html.Append(CultureInfo.InvariantCulture, $"<dt>progress</dt><dd>{Bar(row)}</dd><dt>frames/s</dt><dd>{Pace(row)}</dd><dt>ETA</dt><dd>{Eta(row)}</dd>");
        html.Append(CultureInfo.InvariantCulture, $"<dt>output</dt><dd>{Output(row)}</dd><dt>started</dt><dd>{Time(s.Started)}</dd><dt>updated</dt><dd>{Time(s.Updated)}</dd>");
        html.Append(CultureInfo.InvariantCulture, $"<dt>workers</dt><dd class=\"mono workers\">{(detail.Workers.Count > 0 ? E(string.Join(", ", detail.Workers)) : "<span class=\"muted\">none yet</span>")}</dd>");
        if (row.Review is { } review)
        {
            html.Append(CultureInfo.InvariantCulture, $"<dt>review</dt><dd>{Review(review)}{(review.Reason is { } why ? $"<div class=\"reason\">{E(why)}</div>" : "")}</dd>");
            html.Append(CultureInfo.InvariantCulture, $"<dt>review folder</dt><dd class=\"mono\">{E(review.Folder ?? "gone")}</dd><dt>decided</dt><dd>{(review.DecidedAt is { } at ? Time(at) : "–")}</dd>");
            html.Append(CultureInfo.InvariantCulture, $"<dt>published</dt><dd class=\"mono published\">{(review.Publication is { } p ? E(p.Destination) : review.PublicationError is { } error ? $"<span class=\"reason\">{E(error)}</span>" : "–")}</dd>");
        }

        html.Append("</dl>");

        if (!readOnly)
        {
            var link = Link(s.RenderId);
            html.Append("<p class=\"actions\">");
            if (s.IsActive)
            {
                html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{link}/cancel\"><button class=\"danger\" name=\"cancel\">Cancel</button></form> ");
            }

            if (s.State is "failed" or "cancelled")
            {
                html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{link}/retry\"><button name=\"retry\">Retry</button></form>");
            }

            html.Append("</p>");
        }

        if (detail.RecentFrames.Count > 0)
        {
            html.Append("<h2>Latest styled frames</h2><div class=\"strip\">");
            foreach (var frame in detail.RecentFrames)
            {
                html.Append(Thumb(s.RenderId, FrameSide.Styled, frame, Thumbnails.Small, "strip-frame"));
            }

            var pair = detail.RecentFrames[^1];
            html.Append(CultureInfo.InvariantCulture, $"</div><h2>Before and after (frame {pair})</h2><div class=\"pair\">");
            html.Append(CultureInfo.InvariantCulture, $"<figure>{Thumb(s.RenderId, FrameSide.Source, pair, Thumbnails.Large, "before")}<figcaption>before</figcaption></figure>");
            html.Append(CultureInfo.InvariantCulture, $"<figure>{Thumb(s.RenderId, FrameSide.Styled, pair, Thumbnails.Large, "after")}<figcaption>after</figcaption></figure></div>");
        }

        if (detail.Jobs.Count > 0)
        {
            html.Append("<h2>Jobs of this run</h2><table><thead><tr><th>step</th><th>job</th><th>state</th></tr></thead><tbody>");
            foreach (var job in detail.Jobs)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(job.Step)}</td><td><a href=\"/hangfire/jobs/details/{Uri.EscapeDataString(job.JobId)}\">#{E(job.JobId)}</a></td><td>{E(job.State ?? "expired")}</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        return html.ToString();
    }

    public static string Link(string renderId) => $"/renders/{Uri.EscapeDataString(renderId)}";

    private static string Thumb(string renderId, FrameSide side, long frame, int width, string @class) =>
        Invariant($"<img class=\"{@class}\" alt=\"frame {frame}\" src=\"{Link(renderId)}/frames/{side.ToString().ToLowerInvariant()}/{frame}.jpg?w={width}\">");

    private static string Bar(RenderRow row) =>
        Invariant($"<span class=\"bar\"><span style=\"width:{row.Fraction * 100:0.#}%\"></span></span> {row.Status.FramesStyled}/{row.Status.Frames}");

    private static string Pace(RenderRow row) => row.FramesPerSecond is { } pace ? Invariant($"{pace:0.0}") : "–";

    private static string Eta(RenderRow row) => row.Eta switch
    {
        null => "–",
        { TotalSeconds: < 60 } eta => Invariant($"{Math.Ceiling(eta.TotalSeconds):0} s"),
        { TotalHours: < 1 } eta => Invariant($"{(int)eta.TotalMinutes} min {eta.Seconds:00} s"),
        { } eta => Invariant($"{(int)eta.TotalHours} h {eta.Minutes:00} min"),
    };

    private static string Output(RenderRow row) => row.Status.State == "succeeded"
        ? $"<a class=\"output\" href=\"{Link(row.Status.RenderId)}/output\">{E(row.Status.Output)}</a>"
        : $"<span class=\"mono muted\">{E(row.Status.Output)}</span>";

    // The state, linked to the review folder's shared link (which opens in Dropbox, for people outside the pipeline).
    private static string Review(Core.Review.ReviewRecord? review) => review is null
        ? "<span class=\"muted\">–</span>"
        : Invariant($"<a class=\"review review-{review.State.ToString().ToLowerInvariant()}\" data-review=\"{review.State.ToString().ToLowerInvariant()}\" href=\"{E(review.Link)}\" target=\"_blank\" rel=\"noopener\">{review.State.ToString().ToLowerInvariant()}</a>");

    private static string Time(DateTimeOffset at) => at == default ? "–" : at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Short(string renderId) => renderId.Length > 16 ? renderId[..16] + "…" : renderId;

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
