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

        // A machine with the driver (e.g. a GPU machine): figures a GPU can have. Only a driver without a working GPU,
        // or several GPUs, may say why not; a binding that misreads NVML ("cannot read the GPU's memory") fails here.
        if (monitor is null)
        {
            Assert.Matches("^(NVML could not start|NVML finds no GPU$|[0-9]+ GPUs here)", whyNot);
            return;
        }

        var use = await monitor.StopAsync();
        Assert.Null(whyNot);
        Assert.False(string.IsNullOrWhiteSpace(use.Name));
        Assert.InRange(use.TotalBytes, 1L << 28, 1L << 42);
        Assert.InRange(use.BeforeBytes, 0, use.TotalBytes);
        Assert.InRange(use.PeakBytes, use.BeforeBytes, use.TotalBytes);
    }
}
