using System.CommandLine;
using Rotoscope.Cli.Commands;
using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Cli;

/// <summary>The <c>rotoscope</c> command line: parses, dispatches, and turns every failure into one line and an exit code.</summary>
internal static class CliApp
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command failed (bad input, missing style, server down…).</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong.</summary>
    public const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var root = new RootCommand("Rotoscope: turn videos into stylized videos with neural style-transfer models.")
        {
            RenderCommand.Create(context),
            StylizeCommand.Create(context),
            StylesCommand.Create(context),
            BenchCommand.Create(context),
            ConnectorsCommand.Create(context),
            StorageCommand.Create(context),
            WorkerCommand.Create(context),
            StatusCommand.Create(context),
            CancelCommand.Create(context),
            ReviewCommand.Create(context),
            WatchCommand.Create(context),
            DashboardCommand.Create(context),
            TrainCommand.Create(context),
            ModelsCommand.Create(context),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await context.Error.WriteLineAsync($"rotoscope: {UsageProblem(root, args, parsed.Errors[0].Message)} (see 'rotoscope --help')").ConfigureAwait(false);
            return UsageError;
        }

        try
        {
            // Program.cs owns signal handling: System.CommandLine's own handler would end the process after 2 s,
            // cutting clean-up short.
            var configuration = new InvocationConfiguration
            {
                Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            };
            return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // After Ctrl+C, ffmpeg (same terminal, same signal) may fail before our token is seen: report the cancel.
            var message = cancellationToken.IsCancellationRequested && e is not StoppedFollowingException ? Describe(new OperationCanceledException()) : Describe(e);
            await context.Error.WriteLineAsync($"rotoscope: {message}").ConfigureAwait(false);
            if (context.Environment.ContainsKey("ROTOSCOPE_DEBUG"))
            {
                await context.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }

            return Failure;
        }
    }

    // A mistyped command is named, with the nearest real one; System.CommandLine would only say none was given.
    private static string UsageProblem(RootCommand root, string[] args, string firstError)
    {
        if (args.Length == 0 || args[0].StartsWith('-') || root.Subcommands.Any(c => c.Name == args[0]))
        {
            return firstError;
        }

        var names = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        var near = NearMatches.Of(args[0], names);
        return near.Count > 0
            ? $"unknown command '{args[0]}'; did you mean '{near[0]}'?"
            : $"unknown command '{args[0]}' (commands: {string.Join(", ", names)})";
    }

    /// <summary>One line for the user: known failures carry their own message; anything else says what broke.</summary>
    internal static string Describe(Exception error) => error switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        OperationCanceledException => "cancelled; run the same command again to resume where it stopped",
        RotoscopeException or StoppedFollowingException or MediaException or OnnxRuntimeException or ImageCodecException or StyleNotFoundException or BlobNotFoundException
            => OneLine(error.Message),
        UnauthorizedAccessException or IOException => OneLine(error.Message),
        _ => $"unexpected error ({error.GetType().Name}): {OneLine(error.Message)} (set ROTOSCOPE_DEBUG=1 for details)",
    };

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length > 600 ? line[..600] + "…" : line;
    }
}
