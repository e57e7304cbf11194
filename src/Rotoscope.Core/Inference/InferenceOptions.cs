namespace Rotoscope.Core.Inference;

/// <summary>How a style session is opened and run.</summary>
/// <param name="Device">Where the models run.</param>
/// <param name="IntraOpThreads">Intra-op threads; 0 = ONNX Runtime's default (one per core).</param>
/// <param name="TileSize">
/// Frames larger than this many pixels on a side run through the models in overlapping tiles of about this size,
/// blended across the overlap (bounded memory for 4K and beyond); 0 = never tile; null = the default of the device the
/// models run on (<see cref="DefaultTileSize"/>). See <see cref="TileGrid"/>.
/// </param>
public sealed record InferenceOptions(InferenceDevice Device = InferenceDevice.Cpu, int IntraOpThreads = 0, int? TileSize = null)
{
    /// <summary>
    /// The tile size for models on <paramref name="device"/>. On the CPU 640: frames up to 640x360 are never tiled, and
    /// a 4K render stays under 1 GiB. On a GPU 2048: frames up to 1080p go whole, several to a call, and 4K in four tiles.
    /// </summary>
    public static int DefaultTileSize(InferenceDevice device) => device == InferenceDevice.Cuda ? 2048 : 640;
}
