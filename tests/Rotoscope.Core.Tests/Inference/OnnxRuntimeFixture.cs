namespace Rotoscope.Core.Tests.Inference;

/// <summary>Where the test models are; tests in <see cref="OnnxRuntimeTestGroup"/> share the process's ONNX Runtime.</summary>
public static class OnnxRuntimeFixture
{
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
}

/// <summary>Tests that share the process's ONNX Runtime; they run one after another, which the memory test needs.</summary>
[CollectionDefinition(Name)]
public sealed class OnnxRuntimeTestGroup
{
    public const string Name = "OnnxRuntime";
}
