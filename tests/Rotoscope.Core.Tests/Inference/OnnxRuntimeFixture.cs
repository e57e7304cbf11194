using System.Collections;
using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

/// <summary>One ONNX Runtime per test run, loaded the way the app loads it (ROTOSCOPE_ORT_LIBRARY or the bootstrap's install).</summary>
public sealed class OnnxRuntimeFixture : IDisposable
{
    public OnnxRuntimeFixture()
    {
        Runtime = OnnxRuntime.Load(OnnxRuntime.DefaultLibraryPath(ProcessEnvironment()));
    }

    public OnnxRuntime Runtime { get; }

    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value;
        }

        return variables;
    }

    public static string Model(string fileName) => Path.Combine(RepoRoot(), "tests", "fixtures", "models", fileName);

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rotoscope.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Rotoscope.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => Runtime.Dispose();
}

/// <summary>Tests that share the process's ONNX Runtime; they run one after another, which the memory test needs.</summary>
[CollectionDefinition(Name)]
public sealed class OnnxRuntimeTestGroup : ICollectionFixture<OnnxRuntimeFixture>
{
    public const string Name = "OnnxRuntime";
}
