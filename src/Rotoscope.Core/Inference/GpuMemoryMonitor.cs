using System.Runtime.InteropServices;
using System.Text;

namespace Rotoscope.Core.Inference;

/// <summary>What <see cref="GpuMemoryMonitor"/> saw on the GPU: its device memory in use before and at most during a run.</summary>
/// <param name="Name">The GPU's name, as the driver gives it.</param>
/// <param name="TotalBytes">The GPU's memory.</param>
/// <param name="BeforeBytes">In use when the monitor started (by every process on the GPU).</param>
/// <param name="PeakBytes">The most in use at any sample while it ran.</param>
public sealed record GpuMemoryUse(string Name, long TotalBytes, long BeforeBytes, long PeakBytes);

/// <summary>
/// Samples the memory in use on the GPU through NVML (libnvidia-ml.so.1, which the NVIDIA driver installs), for
/// <c>rotoscope bench</c> on CUDA. ONNX Runtime reports nothing of its device allocations, and a process's own share is
/// not readable inside a container (NVML lists the host's process ids), so the figure is the whole GPU's: read it
/// beside <see cref="GpuMemoryUse.BeforeBytes"/> on a GPU that nothing else uses. Only a machine with one GPU is
/// measured: NVML numbers GPUs in PCI order and CUDA fastest first, so with several, NVML's GPU 0 may not be the one
/// the models run on.
/// </summary>
public sealed class GpuMemoryMonitor : IAsyncDisposable
{
    private const string Library = "libnvidia-ml.so.1";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    private readonly Nvml nvml;
    private readonly IntPtr device;
    private readonly string name;
    private readonly long total;
    private readonly long before;
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private long peak;
    private int disposed;

    private GpuMemoryMonitor(Nvml nvml, IntPtr device, string name, NvmlMemory memory)
    {
        this.nvml = nvml;
        this.device = device;
        this.name = name;
        (total, before, peak) = ((long)memory.Total, (long)memory.Used, (long)memory.Used);
        sampling = Task.Run(SampleAsync);
    }

    /// <summary>Starts sampling the GPU, or returns null and why not (no driver library, no GPU, several GPUs).</summary>
    public static GpuMemoryMonitor? TryStart(out string? whyNot)
    {
        if (!NativeLibrary.TryLoad(Library, out var handle))
        {
            whyNot = $"{Library} not found (it comes with the NVIDIA driver)";
            return null;
        }

        try
        {
            var nvml = new Nvml(handle);
            if (nvml.Init() is var error and not 0)
            {
                whyNot = $"NVML could not start (error {error}: no NVIDIA GPU, or a driver problem)";
            }
            else if (nvml.Count(out var count) != 0 || count != 1)
            {
                whyNot = count > 1 ? $"{count} GPUs here, and NVML cannot tell which one CUDA runs the models on" : "NVML finds no GPU";
                nvml.Shutdown();
            }
            else if (nvml.HandleByIndex(0, out var device) != 0 || nvml.MemoryInfo(device, out var memory) != 0)
            {
                whyNot = "NVML cannot read the GPU's memory";
                nvml.Shutdown();
            }
            else
            {
                whyNot = null;
                return new GpuMemoryMonitor(nvml, device, nvml.Name(device), memory);
            }
        }
        catch (EntryPointNotFoundException e)
        {
            whyNot = $"{Library} is too old: {e.Message}";
        }

        NativeLibrary.Free(handle);
        return null;
    }

    /// <summary>Stops sampling and says what it saw.</summary>
    public async Task<GpuMemoryUse> StopAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this); // the library may be unloaded
        await stop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Sample();
        return new GpuMemoryUse(name, total, before, Interlocked.Read(ref peak));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return; // a second nvmlShutdown would undo another user's nvmlInit
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.Dispose();
        nvml.Shutdown();
        NativeLibrary.Free(nvml.Handle);
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
        {
            Sample();
        }
    }

    private void Sample()
    {
        if (nvml.MemoryInfo(device, out var memory) == 0)
        {
            var used = (long)memory.Used;
            long seen;
            while (used > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, used, seen) != seen)
            {
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    // The NVML calls needed, bound by name from the driver's library (it is not there at build time, nor at all on
    // machines without an NVIDIA driver, so no DllImport). Each returns nvmlReturn_t: 0 is success.
    private sealed unsafe class Nvml(IntPtr handle)
    {
        private readonly delegate* unmanaged<int> init = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "nvmlInit_v2");
        private readonly delegate* unmanaged<int> shutdown = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "nvmlShutdown");
        private readonly delegate* unmanaged<uint*, int> count = (delegate* unmanaged<uint*, int>)NativeLibrary.GetExport(handle, "nvmlDeviceGetCount_v2");
        private readonly delegate* unmanaged<uint, IntPtr*, int> handleByIndex = (delegate* unmanaged<uint, IntPtr*, int>)NativeLibrary.GetExport(handle, "nvmlDeviceGetHandleByIndex_v2");
        private readonly delegate* unmanaged<IntPtr, NvmlMemory*, int> memoryInfo = (delegate* unmanaged<IntPtr, NvmlMemory*, int>)NativeLibrary.GetExport(handle, "nvmlDeviceGetMemoryInfo");
        private readonly delegate* unmanaged<IntPtr, byte*, uint, int> name = (delegate* unmanaged<IntPtr, byte*, uint, int>)NativeLibrary.GetExport(handle, "nvmlDeviceGetName");

        public IntPtr Handle => handle;

        public int Init() => init();

        public int Shutdown() => shutdown();

        public int Count(out uint devices)
        {
            uint found;
            var result = count(&found);
            devices = result == 0 ? found : 0;
            return result;
        }

        public int HandleByIndex(uint index, out IntPtr device)
        {
            IntPtr found;
            var result = handleByIndex(index, &found);
            device = found;
            return result;
        }

        public int MemoryInfo(IntPtr device, out NvmlMemory memory)
        {
            NvmlMemory read;
            var result = memoryInfo(device, &read);
            memory = read;
            return result;
        }

        public string Name(IntPtr device)
        {
            var buffer = stackalloc byte[96]; // NVML_DEVICE_NAME_V2_BUFFER_SIZE
            return name(device, buffer, 96) == 0 ? Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer)) : "GPU 0";
        }
    }
}
