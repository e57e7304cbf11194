using Rotoscope.Core.Inference;
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

[Trait("Category", "Unit")]
public class FramesPerCallTests
{
    [Theory]
    [InlineData(InferenceDevice.Cpu, 640, 360, 64, 1)]
    [InlineData(InferenceDevice.Cpu, 320, 180, 64, 4)]
    [InlineData(InferenceDevice.Cuda, 1920, 1080, 64, 3)]
    [InlineData(InferenceDevice.Cuda, 1280, 720, 64, 8)]
    [InlineData(InferenceDevice.Cuda, 640, 360, 64, 34)]
    [InlineData(InferenceDevice.Cuda, 640, 360, 5, 5)]
    [InlineData(InferenceDevice.Cuda, 3840, 2160, 64, 1)]
    public void FramesPerCall_GivesAGpuSeveralFramesAtOnce_AndTheCpuOneFrameOf640x360(InferenceDevice device, int width, int height, int available, int expected) =>
        Assert.Equal(expected, StyleRunner.FramesPerCall(device, width, height, available));
}
