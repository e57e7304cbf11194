using Microsoft.ML.OnnxRuntime;
using OrtException = Microsoft.ML.OnnxRuntime.OnnxRuntimeException;

namespace Rotoscope.Core.Inference;

/// <summary>ONNX Runtime's process-wide environment (a singleton in ORT itself), created once with its log silenced.</summary>
internal static class OnnxEnvironment
{
    private static readonly Lazy<OrtEnv> Env = new(Create);

    /// <summary>The environment; creating it loads the native library, so a broken install fails here in one line.</summary>
    public static OrtEnv Instance => Env.Value;

    private static OrtEnv Create()
    {
        try
        {
            if (OrtEnv.IsCreated)
            {
                return OrtEnv.Instance();
            }

            // Every failure we act on comes back as an exception with its text; ORT's own log (stderr) would repeat it,
            // e.g. an error line for each session that probes a missing CUDA provider under --device auto.
            var options = new EnvironmentCreationOptions { logId = "rotoscope", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            return OrtEnv.CreateInstanceWithOptions(ref options);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException or OrtException)
        {
            var reason = (e.InnerException ?? e).Message.ReplaceLineEndings(" ").Trim();
            throw new OnnxRuntimeException($"ONNX Runtime could not be loaded: {reason}; run scripts/bootstrap.sh to rebuild", e);
        }
    }
}
