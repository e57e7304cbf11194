using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

public sealed class TileGridTests
{
    [Theory]
    [Trait("Category", "Unit")]
    [InlineData(640, 360, 1024)]
    [InlineData(1024, 1024, 1024)]
    [InlineData(3840, 2160, 0)]
    public void For_GivesOneTile_WhenFrameFitsInATileOrTilingIsOff(int width, int height, int tileSize)
    {
        var grid = TileGrid.For(width, height, tileSize);

        Assert.False(grid.IsTiled);
        Assert.Equal((width, height), (grid.TileWidth, grid.TileHeight));
        Assert.All(grid.ColumnWeights(0).ToArray(), w => Assert.Equal(1f, w));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void For_CutsA4KFrameIntoTwentyEightTiles_WithTheCpuDefaultTileSize()
    {
        var grid = TileGrid.For(3840, 2160, InferenceOptions.DefaultTileSize(InferenceDevice.Cpu));

        Assert.Equal((7, 4), (grid.Columns, grid.Rows));
        Assert.Equal((604, 588), (grid.TileWidth, grid.TileHeight));
        Assert.Equal([0, 536, 1076, 1616, 2156, 2696, 3236], Enumerable.Range(0, 7).Select(grid.Left));
        Assert.False(TileGrid.For(640, 360, InferenceOptions.DefaultTileSize(InferenceDevice.Cpu)).IsTiled);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void For_CutsA4KFrameIntoFourTiles_AndLeaves1080pWhole_WithTheGpuDefaultTileSize()
    {
        // On a GPU frames up to 1080p go to the model whole, so several fit in one call.
        var grid = TileGrid.For(3840, 2160, InferenceOptions.DefaultTileSize(InferenceDevice.Cuda));

        Assert.Equal((2, 2), (grid.Columns, grid.Rows));
        Assert.Equal((1952, 1112), (grid.TileWidth, grid.TileHeight));
        Assert.False(TileGrid.For(1920, 1080, InferenceOptions.DefaultTileSize(InferenceDevice.Cuda)).IsTiled);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(-1)]
    public void For_Throws_WhenTileSizeIsTooSmallOrNegative(int tileSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TileGrid.For(640, 360, tileSize));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void For_CoversEveryFrameWithEqualOverlappingTilesAndWeightsThatSumToOne()
    {
        foreach (var tileSize in new[] { 128, 200, 256, 512, 1024 })
        {
            for (var size = 4; size <= 4096; size += 36)
            {
                var grid = TileGrid.For(size, 4, tileSize);
                var length = grid.TileWidth;
                var context = $"size {size}, tile {tileSize}";
                Assert.True(length % 4 == 0 && length <= Math.Max(size, tileSize + 3), $"{context}: tile length {length}");
                Assert.Equal(0, grid.Left(0));
                Assert.Equal(size, grid.Left(grid.Columns - 1) + length);
                var sums = new double[size];
                for (var column = 0; column < grid.Columns; column++)
                {
                    if (column > 0)
                    {
                        var overlap = grid.Left(column - 1) + length - grid.Left(column);
                        Assert.True(overlap >= TileGrid.Overlap - 4, $"{context}: overlap {overlap} before tile {column}");
                        Assert.True(grid.Left(column) % 4 == 0, $"{context}: tile {column} starts at {grid.Left(column)}");
                    }

                    var weights = grid.ColumnWeights(column);
                    for (var x = 0; x < length; x++)
                    {
                        sums[grid.Left(column) + x] += weights[x];
                        var nearInnerEdge = (column > 0 && x < TileGrid.Margin) || (column < grid.Columns - 1 && x >= length - TileGrid.Margin);
                        Assert.True(!nearInnerEdge || weights[x] == 0f, $"{context}: weight {weights[x]} at {x} of tile {column}");
                    }
                }

                Assert.All(sums, s => Assert.InRange(s, 1 - 1e-5, 1 + 1e-5));
            }
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Run_GivesTheFrameBack_WhenTheModelChangesNothing()
    {
        var grid = TileGrid.For(600, 400, 200);
        var frame = Frame(600, 400);
        var result = new float[frame.Length];
        var tileRuns = 0;

        grid.Run(frame, result, new float[3 * grid.TileWidth * grid.TileHeight], new float[3 * grid.TileWidth * grid.TileHeight], (input, output, height, width) =>
        {
            tileRuns++;
            input.CopyTo(output);
        });

        Assert.Equal(grid.Columns * grid.Rows, tileRuns);
        Assert.Equal(12, tileRuns);
        for (var i = 0; i < frame.Length; i++)
        {
            Assert.True(Math.Abs(frame[i] - result[i]) < 1e-3, $"value {i}: {result[i]}, expected {frame[i]}");
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Run_EqualsTheUntiledResult_WhenTheFiltersReachIsWithinTheMargin()
    {
        const int width = 480, height = 320;
        var grid = TileGrid.For(width, height, 160);
        var frame = Frame(width, height);
        var untiled = new float[frame.Length];
        var tiled = new float[frame.Length];
        BoxBlur(frame, untiled, height, width, radius: TileGrid.Margin);

        grid.Run(frame, tiled, new float[3 * grid.TileWidth * grid.TileHeight], new float[3 * grid.TileWidth * grid.TileHeight],
            (input, output, h, w) => BoxBlur(input, output, h, w, radius: TileGrid.Margin));

        Assert.True(grid.Columns * grid.Rows > 4);
        var worst = untiled.Zip(tiled, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-2, $"tiled differs from untiled by up to {worst}");
    }

    // A square box blur with edge replication (separable): it reaches exactly `radius` pixels, like a filter model's
    // convolutions.
    private static void BoxBlur(ReadOnlySpan<float> input, Span<float> output, int height, int width, int radius)
    {
        var plane = width * height;
        var rows = new float[plane];
        for (var c = 0; c < 3; c++)
        {
            var source = input.Slice(c * plane, plane);
            var target = output.Slice(c * plane, plane);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var sum = 0f;
                    for (var d = -radius; d <= radius; d++)
                    {
                        sum += source[(y * width) + Math.Clamp(x + d, 0, width - 1)];
                    }

                    rows[(y * width) + x] = sum / ((2 * radius) + 1);
                }
            }

            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var sum = 0f;
                    for (var d = -radius; d <= radius; d++)
                    {
                        sum += rows[(Math.Clamp(y + d, 0, height - 1) * width) + x];
                    }

                    target[(y * width) + x] = sum / ((2 * radius) + 1);
                }
            }
        }
    }

    private static float[] Frame(int width, int height)
    {
        var frame = new float[3 * width * height];
        var random = new Random(7);
        for (var i = 0; i < frame.Length; i++)
        {
            frame[i] = random.Next(256);
        }

        return frame;
    }
}
