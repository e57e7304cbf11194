using System.ComponentModel;
using System.Diagnostics;

namespace Rotoscope.Core.Media;

/// <summary>
/// One running ffmpeg/ffprobe process: argv list (no shell), stdin/stdout as pipes, stderr pumped into a bounded tail,
/// and the whole process tree killed on cancellation or disposal before it exits.
/// </summary>
internal sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _stderrPump;
    private readonly CancellationTokenRegistration _cancellation;
    private Task _stdoutDrain = Task.CompletedTask;

    private ToolProcess(Process process, CancellationToken cancellationToken)
    {
        _process = process;
        _stderrPump = PumpStderrAsync(process.StandardError, Stderr);
        _cancellation = cancellationToken.Register(static state => ((ToolProcess)state!).Kill(), this);
    }

    public StderrTail Stderr { get; } = new();

    public Stream StandardInput => _process.StandardInput.BaseStream;

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>Starts <paramref name="fileName"/>; a missing executable becomes a MediaException that says what to do.</summary>
    public static ToolProcess Start(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new MediaException($"{fileName} not found; run scripts/bootstrap.sh", e);
        }

        return new ToolProcess(process, cancellationToken);
    }

    /// <summary>Hands every stdout line to <paramref name="onLine"/> in the background (e.g. ffmpeg's -progress).</summary>
    public void ReadStandardOutputLines(Action<string> onLine)
    {
        var reader = _process.StandardOutput;
        _stdoutDrain = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                onLine(line);
            }
        });
    }

    /// <summary>Waits for the process and the end of its stderr; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await _stderrPump.ConfigureAwait(false);
        await _stdoutDrain.ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Closes stdin so the tool sees end of input; harmless if already closed.</summary>
    public void CloseStandardInput()
    {
        try
        {
            _process.StandardInput.Dispose();
        }
        catch (IOException)
        {
            // The tool already exited and the pipe is broken; the exit code tells why.
        }
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Exiting while we tried; nothing left to kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.DisposeAsync().ConfigureAwait(false);
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        CloseStandardInput();
        foreach (var pump in new[] { _stderrPump, _stdoutDrain })
        {
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The pipe closed under a killed process; what was read so far is all there is.
            }
        }

        _process.Dispose();
    }

    private static async Task PumpStderrAsync(StreamReader stderr, StderrTail tail)
    {
        while (await stderr.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            tail.Add(line);
        }
    }
}
