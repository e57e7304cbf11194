using System.Reflection;
using System.Runtime.InteropServices;
using Rotoscope.Core;
using TorchSharp;

namespace Rotoscope.Training;

/// <summary>
/// Loads LibTorch and TorchSharp's native shim from the folder scripts/training-setup.sh fills (<c>.build/training</c>),
/// so that nothing but <c>rotoscope train</c> ever needs them: the CLI carries only the managed TorchSharp assembly.
/// </summary>
public static class LibTorch
{
    /// <summary>The environment variable that names the folder, when it is not beside the application.</summary>
    public const string DirectoryVariable = "ROTOSCOPE_LIBTORCH";

    private const string Shim = "libLibTorchSharp.so";
    private const string Cpu = "libtorch_cpu.so";
    private const string Cuda = "libtorch_cuda.so";

    // Native libraries are process-wide: this records the one folder they came from (a second, different folder in
    // the same process is refused rather than silently ignored).
    private static readonly Lock Gate = new();
    private static string? loadedFrom;

    /// <summary>
    /// The folder to load from: <c>ROTOSCOPE_LIBTORCH</c>, else <c>training</c> beside the application folder (the
    /// CLI runs from <c>.build/cli</c>; the setup script fills <c>.build/training</c>).
    /// </summary>
    public static string DefaultDirectory(IReadOnlyDictionary<string, string?> environment, string applicationDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.TryGetValue(DirectoryVariable, out var value) && !string.IsNullOrWhiteSpace(value))
        {
            return Path.GetFullPath(value);
        }

        return Path.GetFullPath(Path.Combine(applicationDirectory, "..", "training"));
    }

    /// <summary>The ResNet18 weights (ResNet18.onnx from Microsoft.ML.DnnImageFeaturizer.ResNet18) in that folder.</summary>
    public static string ResNet18Path(string directory) => Path.Combine(directory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>
    /// Makes TorchSharp use the LibTorch in <paramref name="directory"/>; safe to call again with the same folder. With
    /// <paramref name="cuda"/>, the folder must hold a CUDA build (libtorch_cuda.so, as PyTorch's libtorch 2.10.0 for
    /// CUDA 12.8 ships it, beside TorchSharp's libLibTorchSharp.so) and a GPU must answer, or it fails with one line.
    /// </summary>
    public static void Load(string directory, bool cuda = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = Path.GetFullPath(directory);
        if (cuda && !File.Exists(Path.Combine(directory, Cuda)))
        {
            throw new RotoscopeException(
                $"--device cuda needs a CUDA build of LibTorch in {directory} ({Cuda} is missing; the one scripts/training-setup.sh gathers is CPU-only): " +
                $"unpack PyTorch's libtorch 2.10.0 for CUDA 12.8 there or elsewhere with libLibTorchSharp.so beside it and point {DirectoryVariable} at it (README: GPU)");
        }

        lock (Gate)
        {
            if (loadedFrom is not null)
            {
                if (loadedFrom != directory)
                {
                    throw new RotoscopeException($"LibTorch is already loaded from {loadedFrom}; this process cannot switch to {directory}");
                }

                CheckCuda(directory, cuda);
                return;
            }

            var missing = new[] { Shim, Cpu }.Select(f => Path.Combine(directory, f)).Where(p => !File.Exists(p)).ToList();
            if (missing.Count > 0)
            {
                throw new RotoscopeException(
                    $"LibTorch is not set up in {directory} ({Path.GetFileName(missing[0])} is missing): run scripts/training-setup.sh " +
                    $"(it gathers LibTorch, about 200 MB to download, once), or point {DirectoryVariable} at such a folder");
            }

            // The shim's RUNPATH is $ORIGIN, so loading it by path brings libtorch_cpu, libc10 and libgomp from the
            // same folder; TorchSharp's own probing then finds both names through this resolver.
            var handles = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
            try
            {
                handles["torch_cpu"] = NativeLibrary.Load(Path.Combine(directory, Cpu));
                if (File.Exists(Path.Combine(directory, Cuda)))
                {
                    handles["torch_cuda"] = NativeLibrary.Load(Path.Combine(directory, Cuda));
                }

                handles["LibTorchSharp"] = NativeLibrary.Load(Path.Combine(directory, Shim));
            }
            catch (DllNotFoundException e)
            {
                throw new RotoscopeException($"LibTorch in {directory} does not load: {e.Message} (run scripts/training-setup.sh again)", e);
            }

            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, _, _) =>
                handles.TryGetValue(name, out var handle) ? handle : IntPtr.Zero);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (NotSupportedException e)
            {
                throw new RotoscopeException($"TorchSharp did not start with LibTorch from {directory}: {FirstLine(e.Message)}", e);
            }

            loadedFrom = directory;
            CheckCuda(directory, cuda);
        }
    }

    private static void CheckCuda(string directory, bool cuda)
    {
        if (!cuda)
        {
            return;
        }

        try
        {
            torch.InitializeDeviceType(DeviceType.CUDA);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or DllNotFoundException)
        {
            throw new RotoscopeException($"--device cuda: LibTorch in {directory} does not start CUDA: {FirstLine(e.Message)}", e);
        }

        if (!torch.cuda.is_available())
        {
            throw new RotoscopeException($"--device cuda: LibTorch in {directory} finds no usable GPU (check the NVIDIA driver with nvidia-smi)");
        }
    }

    /// <summary>The version of the TorchSharp assembly (for the record of how a style was made).</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
