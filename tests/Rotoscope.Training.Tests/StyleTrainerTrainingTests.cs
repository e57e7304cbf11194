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

    private TrainingJob Job(string name, int steps, int seed = 1) =>
        new(TrainingSetup.StyleImage, TrainingSetup.ContentDirectory, Path.Combine(root, name), TrainingSetup.ResNet18, new TrainingSettings(Steps: steps, Size: 64, Seed: seed, Batch: 1))
        {
            Threads = 2,
        };

    private sealed class Callback(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
