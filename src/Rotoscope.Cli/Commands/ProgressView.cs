using Rotoscope.Core.Rendering;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// Shows a render's progress: a live bar on stderr when it is a terminal; otherwise a plain line per stage and every few
/// seconds on stdout, so that stderr holds nothing but an error when there is one.
/// </summary>
internal sealed class ProgressView(CliContext context)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public Task<RenderResult> FollowAsync(PreparedRender render, CancellationToken cancellationToken) =>
        context.ErrorIsTerminal ? FollowLiveAsync(render, cancellationToken) : FollowPlainAsync(render, cancellationToken);

    /// <summary>A line about the render that is not progress (e.g. waiting for another process), where progress goes.</summary>
    public void Notice(string text) => (context.ErrorIsTerminal ? context.Error : context.Out).WriteLine(text);

    private async Task<RenderResult> FollowLiveAsync(PreparedRender render, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var bar = progress.AddTask("planning", maxValue: 1);
                while (!render.Tracker.Completion.IsCompleted)
                {
                    var state = render.Tracker.Progress;
                    bar.Description = Describe(state);
                    bar.MaxValue = Math.Max(1, state.FramesTotal);
                    bar.Value = Math.Min(state.FramesDone, bar.MaxValue);
                    await Task.WhenAny(render.Tracker.Completion, Task.Delay(Tick, cancellationToken)).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }).ConfigureAwait(false);
        return await render.Tracker.Completion.ConfigureAwait(false);
    }

    private async Task<RenderResult> FollowPlainAsync(PreparedRender render, CancellationToken cancellationToken)
    {
        await context.Out.WriteLineAsync($"render {render.Plan.RenderId}: {render.Plan.Chain.Name} on {render.Plan.Width}x{render.Plan.Height} at {render.Plan.Fps} fps").ConfigureAwait(false);
        var lastStage = RenderStage.Queued;
        var lastLine = TimeSpan.Zero;
        while (!render.Tracker.Completion.IsCompleted)
        {
            var state = render.Tracker.Progress;
            if (state.Stage != lastStage || state.Elapsed - lastLine >= PlainInterval)
            {
                if (state.Stage != RenderStage.Done)
                {
                    await context.Out.WriteLineAsync(Describe(state)).ConfigureAwait(false);
                }

                (lastStage, lastLine) = (state.Stage, state.Elapsed);
            }

            await Task.WhenAny(render.Tracker.Completion, Task.Delay(Tick, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return await render.Tracker.Completion.ConfigureAwait(false);
    }

    private static string Describe(RenderProgress state)
    {
        var stage = state.Stage.ToString().ToLowerInvariant();
        if (state.FramesTotal == 0)
        {
            return stage;
        }

        // Until the split has counted, the total is the probe's estimate: said so with a tilde.
        var text = $"{stage} {state.FramesDone}/{(state.TotalIsEstimate ? "~" : "")}{state.FramesTotal} frames";
        if (state.FramesPerSecond > 0)
        {
            text += $", {state.FramesPerSecond:0.#} frames/s";
        }

        if (state.Remaining is { } remaining)
        {
            text += $", ETA {(int)remaining.TotalHours}:{remaining:mm\\:ss}";
        }

        return state.FramesReused > 0 && state.Stage == RenderStage.Stylizing ? $"{text} ({state.FramesReused} reused)" : text;
    }
}
