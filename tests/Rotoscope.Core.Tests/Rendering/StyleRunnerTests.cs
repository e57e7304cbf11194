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

    [Fact]
    public async Task RunAsync_BlendsWithTheFramesAsTheyCameIn_WhenAChainOfTwoOverwritesThem()
    {
        // A chain of two models ping-pongs back into the input array, so the original must have been kept aside.
        using var runner = new StyleRunner(new InferenceOptions());
        var invert = OnnxRuntimeFixture.Model("invert.onnx");
        var input = Pattern(2);

        var none = await RunAsync(runner, Catalog.Resolve($"{invert}|posterize") with { Adjustment = new StyleAdjustment(0) }, input, 2);
        var half = await RunAsync(runner, Catalog.Resolve(invert) with { Adjustment = new StyleAdjustment(0.5) }, input, 2);

        Assert.Equal(input, none);
        Assert.All(half, v => Assert.Equal(127.5f, v)); // halfway between x and 255 - x
    }

    private static IOrderedEnumerable<string> PathsOf(params string[] styles) => styles.Select(s => Catalog.Resolve(s).Models.Single().ModelPath).Order();

    private static Task<float[]> RunAsync(StyleRunner runner, string style) => RunAsync(runner, Catalog.Resolve(style), Pattern(1), 1);

    private static async Task<float[]> RunAsync(StyleRunner runner, StyleChain chain, float[] frames, int batch)
    {
        var buffer = frames.ToArray();
        var (result, _) = await runner.RunAsync(chain, buffer, new float[buffer.Length], batch, Side, Side, CancellationToken.None);
        return result[..buffer.Length];
    }

    private static float[] Pattern(int frames) => [.. Enumerable.Range(0, frames * 3 * Side * Side).Select(i => (float)(i * 7 % 256))];
}
