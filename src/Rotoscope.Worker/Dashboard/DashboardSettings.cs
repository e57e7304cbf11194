using System.Net;
using Rotoscope.Core;

namespace Rotoscope.Worker.Dashboard;

/// <summary>How the dashboard is served: on which address and port, to whom, and whether viewers may act on renders.</summary>
/// <param name="Bind">An IP address, or <c>localhost</c>.</param>
/// <param name="Port">The TCP port; 0 takes a free one (the start-up line names it).</param>
/// <param name="Token">The secret a browser or client must present; required on any address but the loopback.</param>
/// <param name="TokenVariable">Where the token was read from, for messages (never the token itself).</param>
/// <param name="ReadOnly">Hide and refuse every action (cancel, retry, Hangfire's requeue and delete).</param>
public sealed record DashboardSettings(string Bind, int Port, string? Token, string TokenVariable, bool ReadOnly)
{
    /// <summary>A shorter token is refused: it would be guessed.</summary>
    public const int MinimumTokenLength = 16;

    /// <summary>The address to listen on; throws one line when the settings would expose the dashboard unprotected.</summary>
    public IPAddress Address()
    {
        var address = Bind.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(Bind, out var parsed) ? parsed
            : throw new RotoscopeException($"--bind takes an IP address (127.0.0.1, 0.0.0.0, ::), not '{Bind}'");
        if (Token is { Length: > 0 and < MinimumTokenLength })
        {
            throw new RotoscopeException($"the token in ${TokenVariable} is too short: use at least {MinimumTokenLength} random characters");
        }

        if (!IPAddress.IsLoopback(address) && string.IsNullOrEmpty(Token))
        {
            throw new RotoscopeException($"--bind {Bind} serves the dashboard beyond this machine: set a token in ${TokenVariable} (or name another variable with --token-env)");
        }

        return address;
    }
}
