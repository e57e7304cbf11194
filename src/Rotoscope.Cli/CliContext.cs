using Spectre.Console;

namespace Rotoscope.Cli;

/// <summary>What a command may touch of its process: output streams and environment (so tests run commands in process).</summary>
/// <param name="ErrorIsTerminal">Whether stderr is a terminal: a live progress bar there, plain progress lines otherwise.</param>
/// <param name="OutIsTerminal">Whether stdout is a terminal: tables there fit its width; elsewhere each row stays one line.</param>
internal sealed record CliContext(TextWriter Out, TextWriter Error, IReadOnlyDictionary<string, string?> Environment, bool ErrorIsTerminal, bool OutIsTerminal = false)
{
    // Wide enough for any row; a table is only as wide as its cells need.
    private const int UnwrappedWidth = 4096;

    /// <summary>
    /// A console for tables on <see cref="Out"/>. Written to a file or a pipe, Spectre would assume 80 columns and wrap
    /// every cell, which no one can read in a log or grep: there, rows are not wrapped.
    /// </summary>
    public IAnsiConsole OutConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Out) });
        if (!OutIsTerminal)
        {
            console.Profile.Width = UnwrappedWidth;
        }

        return console;
    }
}
