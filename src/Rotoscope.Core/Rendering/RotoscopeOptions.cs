using Rotoscope.Core.Inference;
using Rotoscope.Core.Media;

namespace Rotoscope.Core.Rendering;

/// <summary>How this process is set up: where data, models and tools are, and how hard it may work.</summary>
/// <param name="DataDirectory">Root of the <c>data://</c> store (frames, styled frames, render state).</param>
/// <param name="ModelsDirectory">Folder holding catalog.json and the built-in models.</param>
/// <param name="ConcurrentJobs">Jobs run at once; two lets one batch decode/encode while another infers.</param>
public sealed record RotoscopeOptions(
    string DataDirectory,
    string ModelsDirectory,
    InferenceOptions Inference,
    FfmpegTools Ffmpeg,
    string TempDirectory,
    int ConcurrentJobs = 2)
{
    /// <summary>The user's connectors file (<c>connectors.json</c>, mode 0600).</summary>
    public string ConnectorsFile { get; init; } = "";

    /// <summary>Where frames, audio and render state go when not in the local <c>data://</c> store: an S3 URI.</summary>
    public string? FrameStore { get; init; }

    /// <summary>Where connector secrets given as variable names are read.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// Defaults from the environment: <c>ROTOSCOPE_DATA</c>, <c>ROTOSCOPE_MODELS</c>, <c>ROTOSCOPE_CONNECTORS</c>,
    /// <c>TMPDIR</c>, XDG dirs.
    /// </summary>
    public static RotoscopeOptions FromEnvironment(IReadOnlyDictionary<string, string?> environment, string applicationDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
        var home = Get("HOME") ?? System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        var dataHome = Get("XDG_DATA_HOME") ?? Path.Combine(home, ".local", "share");
        return new RotoscopeOptions(
            DataDirectory: Get("ROTOSCOPE_DATA") ?? Path.Combine(dataHome, "rotoscope", "data"),
            ModelsDirectory: Get("ROTOSCOPE_MODELS") ?? Path.Combine(applicationDirectory, "models"),
            Inference: new InferenceOptions(),
            Ffmpeg: new FfmpegTools(),
            TempDirectory: Path.Combine(Get("TMPDIR") ?? Path.GetTempPath(), "rotoscope"))
        {
            ConnectorsFile = Get("ROTOSCOPE_CONNECTORS") ?? Path.Combine(Get("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config"), "rotoscope", "connectors.json"),
            Environment = environment,
        };
    }
}
