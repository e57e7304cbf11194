using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Tests.Rendering;

[Trait("Category", "Unit")]
public sealed class ScratchSpaceTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-scratch-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void SweepAbandoned_DeletesFoldersOfDeadProcesses_AndKeepsLiveOnes()
    {
        var scratch = new ScratchSpace(root);
        var mine = scratch.Create("split-abc");
        var abandoned = Directory.CreateDirectory(Path.Combine(root, $"split-abc-{int.MaxValue}-0123456789abcdef"));
        File.WriteAllText(Path.Combine(abandoned.FullName, "audio.mka"), "left by a killed render");
        var foreign = Directory.CreateDirectory(Path.Combine(root, "not-ours"));

        scratch.SweepAbandoned();

        Assert.True(mine.Exists);
        Assert.False(Directory.Exists(abandoned.FullName));
        Assert.True(foreign.Exists);
        Assert.StartsWith($"split-abc-{Environment.ProcessId}-", mine.Name, StringComparison.Ordinal);
    }
}
