using System.Runtime.InteropServices;
using System.Text;

namespace Rotoscope.Core.Inference;

/// <summary>The loaded ONNX Runtime native library and its process-wide OrtEnv; opens style sessions. Thread-safe.</summary>
public sealed unsafe class OnnxRuntime : IDisposable
{
    /// <summary>The file name the dynamic loader searches for when no explicit path is known.</summary>
    public const string LibraryFileName = "libonnxruntime.so.1";

    /// <summary>The environment variable that points at a specific build of the library (for example a GPU build).</summary>
    public const string LibraryPathVariable = "ROTOSCOPE_ORT_LIBRARY";

    private const string RuntimeFolder = "onnxruntime-1.30.0";

    private const string CudaProviderFileName = "libonnxruntime_providers_cuda.so";

    private OnnxRuntime(OrtApi api, OrtHandle env, string version, string? libraryPath)
    {
        Api = api;
        Env = env;
        Version = version;
        LibraryPath = libraryPath;
    }

    /// <summary>The ONNX Runtime version string reported by the library, e.g. "1.30.0".</summary>
    public string Version { get; }

    internal OrtApi Api { get; }

    internal OrtHandle Env { get; }

    /// <summary>The explicit library path, or null when the dynamic loader found it.</summary>
    internal string? LibraryPath { get; }

    /// <summary>
    /// The library to load: <c>ROTOSCOPE_ORT_LIBRARY</c> when set, else the bootstrap's install under
    /// <c>$XDG_DATA_HOME/rotoscope/runtime</c> when it exists, else null (let the loader find libonnxruntime.so.1).
    /// </summary>
    public static string? DefaultLibraryPath(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.TryGetValue(LibraryPathVariable, out var explicitPath) && !string.IsNullOrWhiteSpace(explicitPath))
        {
            return explicitPath;
        }

        // The XDG base directory spec says relative values are invalid and must be ignored.
        string? dataHome = null;
        if (environment.TryGetValue("XDG_DATA_HOME", out var xdg) && !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
        {
            dataHome = xdg;
        }
        else if (environment.TryGetValue("HOME", out var home) && !string.IsNullOrEmpty(home))
        {
            dataHome = Path.Combine(home, ".local", "share");
        }

        if (dataHome is null)
        {
            return null;
        }

        var installed = Path.Combine(dataHome, "rotoscope", "runtime", RuntimeFolder, LibraryFileName);
        return File.Exists(installed) ? installed : null;
    }

    /// <summary>Loads the library (null: let the dynamic loader find libonnxruntime.so.1) and creates the OrtEnv.</summary>
    public static OnnxRuntime Load(string? libraryPath)
    {
        var displayName = libraryPath ?? LibraryFileName;
        if (libraryPath is not null && !File.Exists(libraryPath))
        {
            throw NotFound(displayName, inner: null);
        }

        IntPtr library;
        try
        {
            library = NativeLibrary.Load(libraryPath ?? LibraryFileName);
        }
        catch (DllNotFoundException e) when (libraryPath is null)
        {
            throw NotFound(displayName, e);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // .NET wraps the loader's reason (the last line, e.g. "invalid ELF header") in advice about strace.
            var reason = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            throw new OnnxRuntimeException($"ONNX Runtime library at {displayName} could not be loaded: {reason}", e);
        }

        // The library stays loaded for the life of the process: ORT keeps thread pools and static state that must
        // not be unmapped, and dlopen reference-counts repeated loads, so nothing is gained by freeing it.
        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
        {
            throw new OnnxRuntimeException($"{displayName} is not an ONNX Runtime library: it does not export OrtGetApiBase");
        }

        // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t version); const char* (*GetVersionString)(void); }
        var apiBase = (IntPtr*)((delegate* unmanaged<IntPtr>)getApiBase)();
        var version = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)apiBase[1])()) ?? "unknown";
        var table = ((delegate* unmanaged<uint, IntPtr>)apiBase[0])(OrtApi.Version);
        if (table == IntPtr.Zero)
        {
            throw new OnnxRuntimeException(
                $"ONNX Runtime {version} at {displayName} does not provide C API version {OrtApi.Version} (ONNX Runtime 1.30 or later is " +
                $"needed); run scripts/bootstrap.sh or set {LibraryPathVariable}");
        }

        var api = new OrtApi(table);
        IntPtr env;
        fixed (byte* logId = "rotoscope\0"u8)
        {
            // Every failure we act on comes back as a status with its text; ORT's own log (stderr) would repeat it,
            // e.g. an error line for each session that probes a missing CUDA provider under Auto.
            api.Check(api.CreateEnv(OrtApi.LoggingLevelFatal, logId, &env), $"ONNX Runtime {version} could not create its environment");
        }

        return new OnnxRuntime(api, new OrtHandle(env, api.ReleaseEnv), version, libraryPath);
    }

    /// <summary>Opens a model as a style session; the model must map float32 NCHW RGB to the same shape.</summary>
    public OnnxStyleSession OpenStyleSession(string modelPath, InferenceOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads);
        ObjectDisposedException.ThrowIf(Env.IsClosed, this);
        return OnnxStyleSession.Open(this, modelPath, options);
    }

    /// <summary>Releases the OrtEnv once every session opened from this runtime is disposed too.</summary>
    public void Dispose() => Env.Dispose();

    /// <summary>Why CUDA cannot work with this library, as far as the files show; null when that is not known.</summary>
    internal string? MissingCudaProviderHint()
    {
        if (LibraryPath is null)
        {
            return null;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(LibraryPath)) ?? ".";
        return File.Exists(Path.Combine(directory, CudaProviderFileName))
            ? null
            : $"{CudaProviderFileName} is not beside {LibraryPath}";
    }

    internal static byte[] NullTerminatedUtf8(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    private static OnnxRuntimeException NotFound(string displayName, Exception? inner)
    {
        var message = $"ONNX Runtime library not found at {displayName}; run scripts/bootstrap.sh or set {LibraryPathVariable}";
        return inner is null ? new OnnxRuntimeException(message) : new OnnxRuntimeException(message, inner);
    }
}
