using System.Runtime.InteropServices;
using Rotoscope.Cli;

var environment = Environment.GetEnvironmentVariables()
    .Cast<System.Collections.DictionaryEntry>()
    .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);

// Ctrl+C or SIGTERM cancels the command and lets it clean up (stop jobs, delete partial files) however long that
// takes; a second signal is not intercepted and ends the process at once.
using var cancel = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (!cancel.IsCancellationRequested)
    {
        context.Cancel = true;
        cancel.Cancel();
    }
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await CliApp.RunAsync(args, new CliContext(Console.Out, Console.Error, environment, ErrorIsTerminal: !Console.IsErrorRedirected, OutIsTerminal: !Console.IsOutputRedirected), cancel.Token);
