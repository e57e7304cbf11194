using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Rotoscope.Worker.Dashboard;

/// <summary>
/// The one gate in front of every page, Hangfire's included: with a token, a request must carry it (a cookie set when
/// the dashboard is opened once with <c>?token=…</c>, or <c>Authorization: Bearer …</c>); and a POST must not come from
/// another site (cross-site request forgery against a dashboard on 127.0.0.1 needs no token).
/// </summary>
internal sealed class DashboardAccess(string? token)
{
    private const string Cookie = "rotoscope-dashboard";
    private readonly byte[]? expected = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes(token);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (expected is not null)
        {
            if (request.Query.TryGetValue("token", out var given) && Matches(given.ToString()))
            {
                // The token leaves the address bar (and the history) at once; the browser keeps it in a cookie only it sends.
                context.Response.Cookies.Append(Cookie, given.ToString(), new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = request.IsHttps, Path = "/" });
                var query = QueryString.Create(request.Query.Where(q => q.Key != "token"));
                context.Response.Redirect($"{request.PathBase}{request.Path}{query}");
                return;
            }

            var bearer = request.Headers.Authorization.ToString();
            var presented = bearer.StartsWith("Bearer ", StringComparison.Ordinal) ? bearer["Bearer ".Length..] : request.Cookies[Cookie];
            if (presented is null || !Matches(presented))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsync("this dashboard needs its token: open it once with ?token=TOKEN, or send Authorization: Bearer TOKEN\n").ConfigureAwait(false);
                return;
            }
        }

        if (HttpMethods.IsPost(request.Method) && !IsSameSite(request))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("refused: this action was not sent from the dashboard's own pages\n").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private bool Matches(string presented) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expected);

    // Browsers send Origin with every POST and Sec-Fetch-Site where they know it; a client without either (curl) is not
    // a browser another site could steer.
    private static bool IsSameSite(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }
}
