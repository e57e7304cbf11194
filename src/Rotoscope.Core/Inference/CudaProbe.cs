using System.Runtime.InteropServices;

namespace Rotoscope.Core.Inference;

/// <summary>
/// Says, before ONNX Runtime tries, why its CUDA execution provider cannot load here. ORT itself only reports "Failed to
/// load shared library" (the library it could not find goes to its log alone), and lists CUDA among its providers even
/// where it cannot load, so the libraries the provider needs are looked up the way the dynamic loader will.
/// </summary>
internal sealed class CudaProbe(string? providerDirectory, Func<string, bool> canLoad)
{
    /// <summary>The CUDA provider library; only the GPU flavour's ONNX Runtime has it, beside libonnxruntime.so.</summary>
    public const string ProviderLibrary = "libonnxruntime_providers_cuda.so";

    /// <summary>The NVIDIA driver's CUDA library, a load-time dependency of the provider.</summary>
    public const string DriverLibrary = "libcuda.so.1";

    /// <summary>What a CPU build says instead of a list of libraries: installing CUDA would not help it.</summary>
    public const string CpuBuildReason = "this build has the CPU-only ONNX Runtime (build the GPU flavour with scripts/bootstrap.sh --gpu)";

    /// <summary>
    /// cuDNN 9. Not a load-time dependency of the 1.31 provider (it loads cuDNN when a kernel first needs it), but its
    /// convolution kernels are cuDNN's, and every style model is made of convolutions: without it a session would open
    /// on CUDA and then fail on the first frame, so it is required here as much as the runtime.
    /// </summary>
    public const string CudnnLibrary = "libcudnn.so.9";

    /// <summary>
    /// The CUDA 13 runtime libraries the provider of ONNX Runtime 1.31 needs at load time (its DT_NEEDED entries, less
    /// libc and the driver).
    /// </summary>
    public static IReadOnlyList<string> RuntimeLibraries { get; } = ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10"];

    /// <summary>The folder the provider library is looked for in: that of the libonnxruntime.so in use.</summary>
    public string? ProviderDirectory => providerDirectory;

    /// <summary>The probe for this process: ORT's own folder, and dlopen through <see cref="NativeLibrary"/>.</summary>
    public static CudaProbe ForThisProcess() => new(OnnxRuntimeDirectory(), CanLoad);

    /// <summary>Null when CUDA may work (creating a session has the last word); otherwise why it cannot, as one line.</summary>
    public string? WhyUnavailable()
    {
        if (providerDirectory is null || !File.Exists(Path.Combine(providerDirectory, ProviderLibrary)))
        {
            return CpuBuildReason;
        }

        var runtime = RuntimeLibraries.Where(library => !canLoad(library)).ToList();
        var cudnn = canLoad(CudnnLibrary);
        var driver = canLoad(DriverLibrary);
        var missing = new List<string>(3);
        if (runtime.Count > 0)
        {
            missing.Add($"{string.Join(", ", runtime)} (install the CUDA 13 runtime: cudart, cuBLAS, cuRAND)");
        }

        if (!cudnn)
        {
            missing.Add($"{CudnnLibrary} (install cuDNN 9 for CUDA 13)");
        }

        if (!driver)
        {
            missing.Add($"{DriverLibrary} (install the NVIDIA driver)");
        }

        return missing.Count == 0 ? null : $"cannot load {string.Join(" and ", missing)}";
    }

    /// <summary>
    /// Why the provider library fails to load, as the dynamic loader says it (e.g. "libcublasLt.so.13: cannot open shared
    /// object file"), for when ORT reports only "Failed to load shared library"; null when it loads.
    /// </summary>
    public string? WhyProviderFailsToLoad()
    {
        if (providerDirectory is null)
        {
            return null;
        }

        var provider = Path.Combine(providerDirectory, ProviderLibrary);
        try
        {
            // Loaded (rather than only checked) on purpose: ORT loads it next, and nothing else tells the first missing
            // dependency or symbol. On failure nothing stays loaded.
            NativeLibrary.Load(provider);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // .NET wraps the loader's reason (its last line) in advice about strace and LD_DEBUG.
            var reason = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            return $"cannot load {ProviderLibrary}: {reason.Replace(provider + ": ", "", StringComparison.Ordinal)}";
        }
    }

    // The folder libonnxruntime.so was mapped from: ORT loads its provider libraries from there. The environment is
    // created first so that the library is loaded; on a machine without /proc, the application folder.
    private static string? OnnxRuntimeDirectory()
    {
        _ = OnnxEnvironment.Instance;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var path = line.IndexOf('/', StringComparison.Ordinal) is var start and >= 0 ? line[start..] : null;
                if (path is not null && Path.GetFileName(path).StartsWith("libonnxruntime.so", StringComparison.Ordinal))
                {
                    return Path.GetDirectoryName(path);
                }
            }
        }
        catch (IOException)
        {
        }

        return AppContext.BaseDirectory;
    }

    // A library found stays loaded: the provider loads it next anyway, and unloading CUDA libraries is not always safe.
    private static bool CanLoad(string library) => NativeLibrary.TryLoad(library, out _);
}
