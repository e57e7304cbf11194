using CliRunner = Rotoscope.Cli.Tests.Cli;
using Rotoscope.Training;

// LibTorch's random generator and thread count are process-wide: a network built by one test while another seeds and
// builds its own would change the other's weights (the same-seed test failed that way in CI), so tests run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace Rotoscope.Training.Tests;

/// <summary>LibTorch for the integration tests: the folder scripts/training-setup.sh fills (scripts/test.sh runs it).</summary>
internal static class TrainingSetup
{
    public static string LibTorchDirectory => CliRunner.RepoPath(".build", "training");

    public static string ResNet18 => LibTorch.ResNet18Path(LibTorchDirectory);

    public static string ContentDirectory => CliRunner.RepoPath("models", "content");

    public static string StyleImage => CliRunner.RepoPath("models", "mosaic", "style.jpg");

    public static void Load() => LibTorch.Load(LibTorchDirectory);
}
