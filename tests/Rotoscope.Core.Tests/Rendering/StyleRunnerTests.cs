using System.Runtime.InteropServices;
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
    public async Task RunAsync_BlendsWithTheFramesAsTheyCameIn_WhenAChainRuns()
    {
        using var runner = new StyleRunner(new InferenceOptions());
        var invert = OnnxRuntimeFixture.Model("invert.onnx");
        var input = Pattern(2);

        var none = await RunAsync(runner, Catalog.Resolve($"{invert}|posterize") with { Adjustment = new StyleAdjustment(0) }, input, 2);
        var half = await RunAsync(runner, Catalog.Resolve($"{invert}|{invert}|{invert}") with { Adjustment = new StyleAdjustment(0.5) }, input, 2);

        Assert.Equal(input, none);
        Assert.All(half, v => Assert.Equal(127.5f, v)); // halfway between x and 255 - x
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_GivesWhatTheModelsGiveOneAfterAnother_WhenTheChainPassesFramesBetweenModels(bool tiled)
    {
        // Untiled, a chain's models hand their output to the next inside ONNX Runtime; tiled, through a scratch batch.
        using var runner = new StyleRunner(new InferenceOptions(TileSize: tiled ? TileGrid.MinimumTileSize : 0));
        var side = tiled ? 2 * TileGrid.MinimumTileSize : Side;
        var invert = OnnxRuntimeFixture.Model("invert.onnx");
        var input = Pattern(2, side);

        var inverted = await RunAsync(runner, Catalog.Resolve(invert), input, 2, side);
        var posterized = await RunAsync(runner, Catalog.Resolve("posterize"), inverted, 2, side);
        var chained = await RunAsync(runner, Catalog.Resolve($"{invert}|posterize"), input, 2, side);
        var twice = await RunAsync(runner, Catalog.Resolve($"{invert}|{invert}"), input, 2, side);

        Assert.NotEqual(input, posterized);
        Assert.Equal(posterized, chained);
        Assert.All(input.Zip(twice), pair => Assert.Equal(pair.First, pair.Second, 1e-3f));
    }

    [Fact]
    public async Task RunAsync_GivesTheSameFrames_InFrameMemoryOutsideTheManagedHeap()
    {
        // What a runner on a GPU hands out: native memory the GC never moves (page-locked there, plain here).
        using var plain = new StyleRunner(new InferenceOptions());
        using var native = new PinnedMemory(bytes => NativeAllocate(bytes), pointer => NativeFree(pointer));
        using var runner = new StyleRunner(new InferenceOptions(), native);
        var chain = Catalog.Resolve($"{OnnxRuntimeFixture.Model("invert.onnx")}|posterize") with { Adjustment = new StyleAdjustment(0.6) };
        var input = Pattern(2);
        var expected = await RunAsync(plain, chain, input, 2);

        using var inputMemory = runner.RentFrames(input.Length);
        using var outputMemory = runner.RentFrames(input.Length);
        input.CopyTo(inputMemory.Memory.Span);
        await runner.RunAsync(chain, inputMemory.Memory, outputMemory.Memory, 2, Side, Side, CancellationToken.None);

        Assert.False(MemoryMarshal.TryGetArray<float>(inputMemory.Memory, out _));
        Assert.Equal(expected, outputMemory.Memory.Span.ToArray());
        Assert.Equal(input, inputMemory.Memory.Span.ToArray());
    }

    [Fact]
    public async Task RentFrames_GivesPooledArrays_AndSaysNothingOfPageLockedMemory_OnTheCpu()
    {
        using var runner = new StyleRunner(new InferenceOptions());
        await RunAsync(runner, "toon");

        using var frames = runner.RentFrames(1000);

        Assert.True(MemoryMarshal.TryGetArray<float>(frames.Memory, out _));
        Assert.Empty(runner.Notes);
    }

    [Fact]
    public void RentFrames_FallsBackToPooledArraysAndSaysSo_WhenMemoryCannotBePageLocked()
    {
        using var failing = new PinnedMemory(_ => 0, _ => throw new InvalidOperationException("nothing was allocated"));
        using var runner = new StyleRunner(new InferenceOptions(), failing);

        using var frames = runner.RentFrames(3 << 20);

        Assert.True(MemoryMarshal.TryGetArray<float>(frames.Memory, out _));
        Assert.Equal(["could not page-lock 12 MiB of host memory: frames go to the GPU from pageable memory"], runner.Notes);
    }

    private static unsafe nint NativeAllocate(nuint bytes) => (nint)NativeMemory.Alloc(bytes);

    private static unsafe void NativeFree(nint pointer) => NativeMemory.Free((void*)pointer);

    private static IOrderedEnumerable<string> PathsOf(params string[] styles) => styles.Select(s => Catalog.Resolve(s).Models.Single().ModelPath).Order();

    private static Task<float[]> RunAsync(StyleRunner runner, string style) => RunAsync(runner, Catalog.Resolve(style), Pattern(1), 1);

    private static async Task<float[]> RunAsync(StyleRunner runner, StyleChain chain, float[] frames, int batch, int side = Side)
    {
        var input = frames.ToArray();
        var output = new float[input.Length];
        await runner.RunAsync(chain, input, output, batch, side, side, CancellationToken.None);
        Assert.Equal(frames, input); // the frames are left as they came in
        return output;
    }

    private static float[] Pattern(int frames, int side = Side) => [.. Enumerable.Range(0, frames * 3 * side * side).Select(i => (float)(i * 7 % 256))];
}
