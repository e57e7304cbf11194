using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rotoscope.Tests;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a real server that misbehaves on purpose, from a fixed seed: on some new
/// connections it answers 503 SlowDown or 500 InternalError, or hangs up before answering; on others it passes a
/// little of the response through and then drops the connection. Everything else passes untouched.
/// </summary>
public sealed class FaultyProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly Uri target;
    private readonly Random random;
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private readonly int maxBytes;
    private int faults;

    /// <param name="maxBytes">The most a connection carries before it is cut (at least a sixteenth of it).</param>
    public FaultyProxy(string targetEndpoint, int seed, int maxBytes = 8 * 1024 * 1024)
    {
        this.maxBytes = maxBytes;
        target = new Uri(targetEndpoint);
        random = new Random(seed);
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The endpoint to use instead of the server's.</summary>
    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>How many faults were injected so far.</summary>
    public int Faults => Volatile.Read(ref faults);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            double roll;
            int cutAfter;
            lock (gate)
            {
                roll = random.NextDouble();
                cutAfter = random.Next(maxBytes / 16, maxBytes);
            }

            _ = Task.Run(() => ServeAsync(client, roll, cutAfter));
        }
    }

    private async Task ServeAsync(TcpClient client, double roll, int cutAfter)
    {
        using (client)
        {
            try
            {
                var downstream = client.GetStream();
                if (roll < 0.15)
                {
                    Interlocked.Increment(ref faults);
                    if (roll < 0.05)
                    {
                        return; // hang up at once
                    }

                    await ReadHeadAsync(downstream);
                    var (status, code) = roll < 0.10 ? ("503 Slow Down", "SlowDown") : ("500 Internal Server Error", "InternalError");
                    var body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message></Error>";
                    await downstream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
                    return;
                }

                // Connections are reused for many requests: each is cut after some bytes (either way), so
                // failures land in the middle of requests and responses of every kind, and each cut brings a new one.
                using var server = new TcpClient();
                await server.ConnectAsync(target.Host, target.Port);
                var upstream = server.GetStream();
                var budget = new Budget(cutAfter);
                await Task.WhenAny(PumpAsync(downstream, upstream, budget), PumpAsync(upstream, downstream, budget));
                if (budget.Spent)
                {
                    Interlocked.Increment(ref faults);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The client or the server went away: so does this connection.
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, Budget budget)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            var take = budget.Take(read);
            await to.WriteAsync(buffer.AsMemory(0, take));
            if (take < read)
            {
                return;
            }
        }
    }

    /// <summary>Bytes a connection may still carry, both ways together.</summary>
    private sealed class Budget(long bytes)
    {
        private long left = bytes;

        public bool Spent => Interlocked.Read(ref left) <= 0;

        public int Take(int wanted)
        {
            var after = Interlocked.Add(ref left, -wanted);
            return after >= 0 ? wanted : (int)Math.Max(0, wanted + after);
        }
    }

    private static async Task ReadHeadAsync(Stream stream)
    {
        var window = new byte[4];
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1)
        {
            window[0] = window[1];
            window[1] = window[2];
            window[2] = window[3];
            window[3] = one[0];
            if (window is [(byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n'])
            {
                return;
            }
        }
    }
}
