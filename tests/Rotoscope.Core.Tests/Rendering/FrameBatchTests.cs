using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Tests.Rendering;

[Trait("Category", "Unit")]
public class FrameBatchTests
{
    [Fact]
    public void Cover_CutsFramesIntoContiguousBatches_WithShortLastBatch()
    {
        var batches = FrameBatch.Cover(70, 32);

        Assert.Equal([new FrameBatch(0, 1, 32), new FrameBatch(1, 33, 64), new FrameBatch(2, 65, 70)], batches);
        Assert.Equal(70, batches.Sum(b => b.Count));
    }

    [Fact]
    public void Cover_ReturnsNothing_WhenNoFrames() => Assert.Empty(FrameBatch.Cover(0, 16));
}
