namespace Rotoscope.Core.Inference;

/// <summary>How a style session is opened and run.</summary>
/// <param name="Device">Where the models run.</param>
/// <param name="IntraOpThreads">Intra-op threads; 0 = ONNX Runtime's default (one per core).</param>
/// <param name="TileSize">
/// Frames larger than this many pixels on a side run through the models in overlapping tiles of about this size,
/// blended across the overlap (bounded memory for 4K and beyond); 0 = never tile. See <see cref="TileGrid"/>.
/// </param>
public sealed record InferenceOptions(InferenceDevice Device = InferenceDevice.Cpu, int IntraOpThreads = 0, int TileSize = InferenceOptions.DefaultTileSize)
{
    /// <summary>The default tile size: frames up to 640 pixels a side (e.g. 640x360) are never tiled.</summary>
    public const int DefaultTileSize = 640;
}
