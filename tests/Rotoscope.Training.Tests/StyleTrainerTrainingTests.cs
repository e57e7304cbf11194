using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Styles;
using Xunit.Abstractions;

namespace Rotoscope.Training.Tests;

[Trait("Category", "Integration")]
public sealed class StyleTrainerTrainingTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-train-").FullName;
    private readonly ITestOutputHelper output;

    public StyleTrainerTrainingTests(ITestOutputHelper output)
    {
        this.output = output;
        TrainingSetup.Load();
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Run_GivesTheSameLosses_WhenRunAgainWithTheSameSeed()
    {
        var first = new StyleTrainer(Job("first", steps: 3)).Run(null, CancellationToken.None);
        var second = new StyleTrainer(Job("second", steps: 3)).Run(null, CancellationToken.None);
        var otherSeed = new StyleTrainer(Job("other", steps: 3, seed: 2)).Run(null, CancellationToken.None);

        Assert.Equal(3, first.Losses.Count);
        Assert.Equal(first.Losses, second.Losses);
        Assert.NotEqual(first.Losses, otherSeed.Losses);
        Assert.Equal(File.ReadAllBytes(first.ModelPath), File.ReadAllBytes(second.ModelPath));
        Assert.True(first.OnnxDifference < 1e-2, $"ONNX Runtime differs from LibTorch by {first.OnnxDifference}");
        output.WriteLine($"losses {string.Join(", ", first.Losses)}; ONNX difference {first.OnnxDifference}");
    }

    [Fact]
    public void Run_ContinuesFromTheCheckpointStep_AfterCancel()
    {
        var uninterrupted = new StyleTrainer(Job("whole", steps: 4)).Run(null, CancellationToken.None);
        var job = Job("interrupted", steps: 4);
        using var cancel = new CancellationTokenSource();
        var progress = new Callback(p =>
        {
            if (p.Step == 2)
            {
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => new StyleTrainer(job).Run(progress, cancel.Token));
        Assert.Equal(2, new StyleTrainer(job).CheckpointStep());
        Assert.False(File.Exists(Path.Combine(job.RunDirectory, "model.onnx")));

        var resumed = new StyleTrainer(job).Run(new Callback(p => Assert.True(p.Step > 2, $"step {p.Step} ran again")), CancellationToken.None);

        Assert.Equal(2, resumed.ResumedFrom);
        Assert.Equal(uninterrupted.Losses, resumed.Losses);
        Assert.Equal(File.ReadAllBytes(uninterrupted.ModelPath), File.ReadAllBytes(resumed.ModelPath));
    }

    [Fact]
    public void Run_RefusesToResume_WhenSettingsChanged()
    {
        var job = Job("changed", steps: 2);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new StyleTrainer(job).Run(null, cancel.Token));

        var error = Assert.Throws<Core.RotoscopeException>(() => new StyleTrainer(job with { Settings = job.Settings with { Seed = 9 } }).Run(null, CancellationToken.None));

        Assert.Contains("--restart", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithTheStabilityLoss_GivesANetworkThatMovesWithThePicture()
    {
        // The same run twice but for the stability loss, measured like `bench --flicker`: on a pan, the output of the
        // network trained without it changes more between frames (once the motion is compensated) than the other's,
        // for the detail it draws (a flat grey output would be perfectly stable: blur must not count).
        var settings = new TrainingSettings(Steps: 60, Size: 64, Batch: 1);
        var without = new StyleTrainer(Job("without", settings with { StabilityWeight = 0 })).Run(null, CancellationToken.None);
        var with = new StyleTrainer(Job("with", settings)).Run(null, CancellationToken.None);

        var clips = FlickerMeter.MakeClips(Photo(), new FlickerSpec(Width: 96, Height: 64, Frames: 4));
        using var runner = new StyleRunner(new InferenceOptions(InferenceDevice.Cpu, 2));
        async Task<FlickerFigures> Measure(TrainingOutcome outcome) =>
            await FlickerMeter.MeasureAsync(clips, FlickerMeter.PerFrame(runner, new StyleChain([new StyleModel("t", "1", "t", "t", StyleKind.Neural, outcome.ModelPath, StyleCatalog.HashFile(outcome.ModelPath))])), CancellationToken.None);
        var plain = await Measure(without);
        var stable = await Measure(with);

        output.WriteLine($"pan ratio {plain.PanRatio:0.###} -> {stable.PanRatio:0.###}, noise ratio {plain.NoiseRatio:0.###} -> {stable.NoiseRatio:0.###}, detail {plain.Detail:0.#} -> {stable.Detail:0.#}");
        Assert.True(settings.StabilityWeight > 0, "the stability loss is on by default");
        Assert.True(stable.PanChange / stable.Detail < 0.9 * plain.PanChange / plain.Detail, $"pan change per detail {stable.PanChange / stable.Detail} with the stability loss, {plain.PanChange / plain.Detail} without");
    }

    private static RgbImage Photo()
    {
        using var codec = new ImageCodec();
        return codec.Decode(File.ReadAllBytes(Path.Combine(TrainingSetup.ContentDirectory, "coffee.jpg")));
    }

    private TrainingJob Job(string name, int steps, int seed = 1) => Job(name, new TrainingSettings(Steps: steps, Size: 64, Seed: seed, Batch: 1));

    private TrainingJob Job(string name, TrainingSettings settings) =>
        new(TrainingSetup.StyleImage, TrainingSetup.ContentDirectory, Path.Combine(root, name), TrainingSetup.ResNet18, settings)
        {
            Threads = 2,
        };

    private sealed class Callback(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
