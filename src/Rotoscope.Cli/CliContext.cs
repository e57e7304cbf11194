namespace Rotoscope.Cli;

/// <summary>What a command may touch of its process: output streams and environment (so tests run commands in process).</summary>
/// <param name="ErrorIsTerminal">Whether stderr is a terminal: a live progress bar there, plain progress lines otherwise.</param>
internal sealed record CliContext(TextWriter Out, TextWriter Error, IReadOnlyDictionary<string, string?> Environment, bool ErrorIsTerminal);
