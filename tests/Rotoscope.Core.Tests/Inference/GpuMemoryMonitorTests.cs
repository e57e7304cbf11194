using System.Runtime.InteropServices;
using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

public sealed class GpuMemoryMonitorTests
{
    [Fact]
    [Trait("Category", "Unit")]
    public async Task TryStart_ReadsTheGpusMemory_OrSaysWhichDriverLibraryIsMissing()
    {
        var driverHere = NativeLibrary.TryLoad("libnvidia-ml.so.1", out var handle);
        if (driverHere)
        {
            NativeLibrary.Free(handle);
        }

        await using var monitor = GpuMemoryMonitor.TryStart(out var whyNot);

        if (!driverHere)
        {
            // Most machines, CI's included: no NVIDIA driver.
            Assert.Null(monitor);
            Assert.Equal("libnvidia-ml.so.1 not found (it comes with the NVIDIA driver)", whyNot);
            return;
        }

        // A machine with the driver (e.g. a GPU machine): figures a GPU can have, or one line on why not.
        if (monitor is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(whyNot));
            return;
        }

        var use = await monitor.StopAsync();
        Assert.Null(whyNot);
        Assert.False(string.IsNullOrWhiteSpace(use.Device));
        Assert.InRange(use.TotalBytes, 1L << 28, 1L << 42);
        Assert.InRange(use.BeforeBytes, 0, use.TotalBytes);
        Assert.InRange(use.PeakBytes, use.BeforeBytes, use.TotalBytes);
    }
}
