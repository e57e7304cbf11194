using Rotoscope.Core.Inference;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Styles;
using Rotoscope.Core.Tests.Inference;

namespace Rotoscope.Core.Tests.Rendering;

/// <summary>The warm sessions a runner keeps, with the built-in filter models.</summary>
[Trait("Category", "Integration")]
[Collection(OnnxRuntimeTestGroup.Name)]
public sealed class StyleRunnerTests
{
    private const int Side = 16;

    private static readonly StyleCatalog Catalog = StyleCatalog.Load(Path.Combine(OnnxRuntimeFixture.RepoRoot(), "models"));

    [Fact]
    public async Task RunAsync_KeepsTheMostRecentlyUsedModels_AndReopensAnEvictedOneWithTheSameOutput()
    {
        using var runner = new StyleRunner(new InferenceOptions(), maxModels: 2);
        var first = await RunAsync(runner, "toon");
        await RunAsync(runner, "ink");
        await RunAsync(runner, "posterize");

        Assert.Equal(PathsOf("ink", "posterize"), runner.LoadedModelPaths.Order());
        Assert.Equal(first, await RunAsync(runner, "toon"));
        Assert.Equal(PathsOf("posterize", "toon"), runner.LoadedModelPaths.Order());
    }

    private static IOrderedEnumerable<string> PathsOf(params string[] styles) => styles.Select(s => Catalog.Resolve(s).Models.Single().ModelPath).Order();

    private static async Task<float[]> RunAsync(StyleRunner runner, string style)
    {
        var length = 3 * Side * Side;
        var buffer = Enumerable.Range(0, length).Select(i => (float)(i * 7 % 256)).ToArray();
        var (result, _) = await runner.RunAsync(Catalog.Resolve(style), buffer, new float[length], 1, Side, Side, CancellationToken.None);
        return result[..length];
    }
}
