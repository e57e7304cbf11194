namespace Rotoscope.Core.Inference;

/// <summary>
/// How a large frame is cut into equal, overlapping tiles so a model never sees more than about tile x tile pixels, and
/// how the tiles' outputs are blended back: along each axis every pixel's weights over the tiles that cover it sum to
/// one, so a model that changes nothing gives back the frame exactly.
/// </summary>
/// <remarks>
/// Near a tile edge inside the frame a model sees padding instead of the neighbouring pixels, so the outermost
/// <see cref="Margin"/> pixels of such an edge get no weight, and the next ones fade in linearly: a filter whose reach is
/// at most <see cref="Margin"/> pixels gives the untiled result, and a network's seams are blended over the overlap.
/// </remarks>
public sealed class TileGrid
{
    /// <summary>The overlap between neighbouring tiles, in pixels (at least this less 4).</summary>
    public const int Overlap = 64;

    /// <summary>Pixels at a tile's inner edge that get no weight.</summary>
    public const int Margin = 16;

    /// <summary>The smallest tile size that leaves room for the overlap.</summary>
    public const int MinimumTileSize = 2 * Overlap;

    private readonly Axis columns;
    private readonly Axis rows;

    private TileGrid(Axis columns, Axis rows)
    {
        this.columns = columns;
        this.rows = rows;
    }

    /// <summary>Width of the frame.</summary>
    public int Width => columns.Size;

    /// <summary>Height of the frame.</summary>
    public int Height => rows.Size;

    /// <summary>Width of every tile (a multiple of 4 when the frame width is).</summary>
    public int TileWidth => columns.Length;

    /// <summary>Height of every tile.</summary>
    public int TileHeight => rows.Length;

    /// <summary>Tiles across.</summary>
    public int Columns => columns.Starts.Length;

    /// <summary>Tiles down.</summary>
    public int Rows => rows.Starts.Length;

    /// <summary>Whether the frame is cut at all (more than one tile).</summary>
    public bool IsTiled => Columns * Rows > 1;

    /// <summary>
    /// The grid for a <paramref name="width"/> x <paramref name="height"/> frame (multiples of 4) and tiles of at most
    /// <paramref name="tileSize"/> pixels a side; a frame that fits in one tile, or a tile size of 0, gives one tile.
    /// </summary>
    public static TileGrid For(int width, int height, int tileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegative(tileSize);
        if (tileSize is > 0 and < MinimumTileSize)
        {
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, $"a tile must be at least {MinimumTileSize} pixels (or 0: no tiling)");
        }

        return new TileGrid(Axis.For(width, tileSize), Axis.For(height, tileSize));
    }

    /// <summary>Left edge of tile column <paramref name="column"/>.</summary>
    public int Left(int column) => columns.Starts[column];

    /// <summary>Top edge of tile row <paramref name="row"/>.</summary>
    public int Top(int row) => rows.Starts[row];

    /// <summary>Blend weights of tile column <paramref name="column"/>, one per pixel of the tile's width.</summary>
    public ReadOnlySpan<float> ColumnWeights(int column) => columns.Weights[column];

    /// <summary>Blend weights of tile row <paramref name="row"/>, one per pixel of the tile's height.</summary>
    public ReadOnlySpan<float> RowWeights(int row) => rows.Weights[row];

    /// <summary>
    /// Runs <paramref name="run"/> tile by tile over one planar frame (3 x height x width) from
    /// <paramref name="source"/> into <paramref name="target"/>, blending the tiles; <paramref name="tileInput"/> and
    /// <paramref name="tileOutput"/> hold at least 3 x <see cref="TileHeight"/> x <see cref="TileWidth"/> values.
    /// </summary>
    public void Run(ReadOnlySpan<float> source, Span<float> target, Span<float> tileInput, Span<float> tileOutput, TileRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var width = Width;
        var plane = width * Height;
        var tilePlane = TileWidth * TileHeight;
        ArgumentOutOfRangeException.ThrowIfNotEqual(source.Length, 3 * plane, nameof(source));
        ArgumentOutOfRangeException.ThrowIfNotEqual(target.Length, 3 * plane, nameof(target));
        tileInput = tileInput[..(3 * tilePlane)];
        tileOutput = tileOutput[..(3 * tilePlane)];
        target.Clear();
        for (var row = 0; row < Rows; row++)
        {
            var top = Top(row);
            var rowWeights = RowWeights(row);
            for (var column = 0; column < Columns; column++)
            {
                var left = Left(column);
                var columnWeights = ColumnWeights(column);
                for (var channel = 0; channel < 3; channel++)
                {
                    for (var y = 0; y < TileHeight; y++)
                    {
                        source.Slice((channel * plane) + ((top + y) * width) + left, TileWidth)
                            .CopyTo(tileInput.Slice((channel * tilePlane) + (y * TileWidth), TileWidth));
                    }
                }

                run(tileInput, tileOutput, TileHeight, TileWidth);

                for (var channel = 0; channel < 3; channel++)
                {
                    for (var y = 0; y < TileHeight; y++)
                    {
                        var rowWeight = rowWeights[y];
                        if (rowWeight == 0f)
                        {
                            continue;
                        }

                        var from = tileOutput.Slice((channel * tilePlane) + (y * TileWidth), TileWidth);
                        var to = target.Slice((channel * plane) + ((top + y) * width) + left, TileWidth);
                        for (var x = 0; x < from.Length; x++)
                        {
                            to[x] += from[x] * rowWeight * columnWeights[x];
                        }
                    }
                }
            }
        }
    }

    /// <summary>One axis: equal tile lengths, their starts, and per-tile weights that sum to one at every position.</summary>
    private sealed record Axis(int Size, int Length, int[] Starts, float[][] Weights)
    {
        public static Axis For(int size, int tileSize)
        {
            if (tileSize == 0 || size <= tileSize)
            {
                return new Axis(size, size, [0], [Enumerable.Repeat(1f, size).ToArray()]);
            }

            // As few tiles as fit with the overlap, then spread evenly: equal lengths (a multiple of 4, as models need),
            // the first at 0 and the last at the far edge, every start a multiple of 4 (a network's two stride-2 stages
            // lay a 4-pixel grid over its input: neighbouring tiles keep it in phase), every overlap at least
            // Overlap - 4 pixels.
            var count = (size - Overlap + (tileSize - Overlap) - 1) / (tileSize - Overlap);
            var length = Math.Min(size, RoundUpTo4((size + ((count - 1) * Overlap) + count - 1) / count));
            var starts = new int[count];
            for (var i = 0; i < count; i++)
            {
                starts[i] = (int)((long)i * (size - length) / (count - 1)) & ~3;
            }

            var raw = new float[count][];
            var sums = new float[size];
            for (var i = 0; i < count; i++)
            {
                raw[i] = new float[length];
                for (var x = 0; x < length; x++)
                {
                    // Distance to the nearest edge that has a neighbouring tile; frame edges need no fading.
                    var fromStart = i > 0 ? x : int.MaxValue;
                    var fromEnd = i < count - 1 ? length - 1 - x : int.MaxValue;
                    var distance = Math.Min(fromStart, fromEnd);
                    raw[i][x] = Math.Clamp((distance - Margin + 1) / (float)(Overlap - (2 * Margin)), 0f, 1f);
                    sums[starts[i] + x] += raw[i][x];
                }
            }

            for (var i = 0; i < count; i++)
            {
                for (var x = 0; x < length; x++)
                {
                    raw[i][x] /= sums[starts[i] + x];
                }
            }

            return new Axis(size, length, starts, raw);
        }

        private static int RoundUpTo4(int value) => (value + 3) & ~3;
    }
}

/// <summary>Runs a model over one tile: planar 3 x height x width in, the same shape out.</summary>
public delegate void TileRun(ReadOnlySpan<float> input, Span<float> output, int height, int width);
