using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// Runs style chains on planar frame batches: one ONNX Runtime session per model, kept warm for the next batch of the
/// same chain (the <paramref name="maxModels"/> most recently used; a worker serving many styles evicts the oldest), and
/// one inference at a time, so concurrent batch jobs overlap their decode/encode with another batch's inference instead
/// of fighting over the same cores.
/// </summary>
public sealed class StyleRunner(InferenceOptions options, int maxModels = StyleRunner.DefaultMaxModels) : IDisposable
{
    /// <summary>Sessions kept open at most: a few chains' worth; each holds its weights and an activation arena.</summary>
    public const int DefaultMaxModels = 8;

    private readonly ConcurrentDictionary<string, Lazy<OnnxStyleSession>> sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> lastUsed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim inferenceGate = new(1, 1);
    private readonly Lock pinnedGate = new();
    private PinnedMemory? pinned;
    private string? pinnedNote;
    private bool pinnedTried;

    /// <summary>A runner whose frame memory comes from <paramref name="pinned"/> whatever the device, for tests.</summary>
    internal StyleRunner(InferenceOptions options, PinnedMemory pinned)
        : this(options)
    {
        this.pinned = pinned;
        pinnedTried = true;
    }

    /// <summary>Notes to show the user once, e.g. what <c>--device auto</c> chose.</summary>
    public IEnumerable<string> Notes => sessions.Values.Where(s => s.IsValueCreated && s.Value.DeviceNote is not null).Select(s => s.Value.DeviceNote!)
        .Append(pinnedNote).OfType<string>().Distinct();

    /// <summary>
    /// The device the prepared sessions actually use (<see cref="InferenceDevice.Auto"/> may have fallen back to the CPU):
    /// CUDA when any of them runs there.
    /// </summary>
    public InferenceDevice Device => sessions.Values.Any(s => s.IsValueCreated && s.Value.Device == InferenceDevice.Cuda) ? InferenceDevice.Cuda : InferenceDevice.Cpu;

    /// <summary>
    /// Frames per model run on <paramref name="device"/> (where the models actually run) for a padded frame size, at most
    /// <paramref name="available"/>. On a CPU, one 640x360 frame
    /// per run is as fast per frame as four and needs a quarter of the activation memory. A GPU wants larger batches:
    /// about 8 megapixels a call (three 1080p frames, eight 720p), a few GiB of activations for a style network.
    /// </summary>
    public static int FramesPerCall(InferenceDevice device, int paddedWidth, int paddedHeight, int available)
    {
        var pixelBudget = device == InferenceDevice.Cuda ? 8_000_000L : 250_000L;
        return (int)Math.Clamp(pixelBudget / ((long)paddedWidth * paddedHeight), 1, Math.Max(1, available));
    }

    /// <summary>
    /// Memory for at least <paramref name="length"/> floats of planar frames, to give to <see cref="RunAsync"/>: on a GPU
    /// page-locked (see <see cref="PinnedMemory"/>), so the copies to and from the device are direct; otherwise pooled
    /// arrays. Dispose it to give it back.
    /// </summary>
    public IMemoryOwner<float> RentFrames(int length)
    {
        var pinnedMemory = PinnedMemoryForDevice();
        if (pinnedMemory?.TryRent(length) is { } block)
        {
            return block;
        }

        if (pinnedMemory is not null)
        {
            lock (pinnedGate)
            {
                pinnedNote ??= $"could not page-lock {(long)length * sizeof(float) >> 20} MiB of host memory: frames go to the GPU from pageable memory";
            }
        }

        return MemoryPool<float>.Shared.Rent(length);
    }

    /// <summary>Opens (or reuses) the sessions of <paramref name="chain"/>, so a broken model fails before any frame work.</summary>
    public void Prepare(StyleChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        foreach (var model in chain.Models)
        {
            _ = SessionFor(model);
        }
    }

    /// <summary>
    /// Applies the chain to <paramref name="batch"/> frames held planar (NCHW) in <paramref name="input"/>, which it
    /// leaves as they are, then its adjustment against those frames, into <paramref name="output"/>; returns the time
    /// the models ran, not counting the wait for another batch's turn.
    /// </summary>
    public async Task<TimeSpan> RunAsync(StyleChain chain, Memory<float> input, Memory<float> output, int batch, int height, int width, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var length = batch * 3 * height * width;
        if (chain.Adjustment.Strength == 0)
        {
            input.Span[..length].CopyTo(output.Span); // none of the style reaches the output: the frames are the result as they are
            return TimeSpan.Zero;
        }

        var inference = await RunModelsAsync(chain, input[..length], output[..length], batch, height, width, cancellationToken).ConfigureAwait(false);
        if (!chain.Adjustment.IsNone)
        {
            chain.Adjustment.Apply(output.Span[..length], input.Span[..length], height * width);
        }

        return inference;
    }

    private async Task<TimeSpan> RunModelsAsync(StyleChain chain, Memory<float> input, Memory<float> output, int batch, int height, int width, CancellationToken cancellationToken)
    {
        await inferenceGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var models = chain.Models.Select(SessionFor).ToList();
            var grid = TileGrid.For(width, height, options.TileSize ?? InferenceOptions.DefaultTileSize(Device));
            if (grid.IsTiled)
            {
                RunTiled(models, grid, input, output, batch);
            }
            else
            {
                OnnxStyleSession.RunChain(models, input.Span, output.Span, batch, height, width);
            }

            EvictLeastRecentlyUsed(chain);
            return Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            inferenceGate.Release();
        }
    }

    /// <summary>
    /// Styles one interleaved RGB image of any size (padded to the models' multiple of 4, then cropped back) and returns
    /// the styled pixels, for stills and galleries rather than frame batches.
    /// </summary>
    public async Task<byte[]> StyleImageAsync(StyleChain chain, ReadOnlyMemory<byte> rgb, int width, int height, CancellationToken cancellationToken)
    {
        var (paddedWidth, paddedHeight) = (PixelLayout.PadToMultiple(width, 4), PixelLayout.PadToMultiple(height, 4));
        var slot = 3 * paddedWidth * paddedHeight;
        var input = ArrayPool<float>.Shared.Rent(slot);
        var output = ArrayPool<float>.Shared.Rent(slot);
        try
        {
            PixelLayout.HwcToPlanar(rgb.Span[..(width * height * 3)], width, height, input.AsSpan(0, slot), paddedWidth, paddedHeight);
            await RunAsync(chain, input, output, 1, paddedHeight, paddedWidth, cancellationToken).ConfigureAwait(false);
            var result = new byte[width * height * 3];
            PixelLayout.PlanarToHwc(output.AsSpan(0, slot), paddedWidth, paddedHeight, result, width, height);
            return result;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<float>.Shared.Return(output);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var session in sessions.Values.Where(s => s.IsValueCreated))
        {
            session.Value.Dispose();
        }

        inferenceGate.Dispose();
        pinned?.Dispose();
    }

    // A frame larger than a tile runs tile by tile, model by model (a model sees its whole input before the next one
    // runs): the models' activations then need memory for one tile, not the frame. Between models the frames ping-pong
    // through a scratch batch, so that the last model writes the output and the input is kept.
    private static void RunTiled(List<OnnxStyleSession> models, TileGrid grid, Memory<float> input, Memory<float> output, int batch)
    {
        var slot = 3 * grid.Width * grid.Height;
        var tileLength = 3 * grid.TileWidth * grid.TileHeight;
        var tileInput = ArrayPool<float>.Shared.Rent(tileLength);
        var tileOutput = ArrayPool<float>.Shared.Rent(tileLength);
        var scratch = models.Count > 1 ? ArrayPool<float>.Shared.Rent(batch * slot) : null;
        try
        {
            var source = input;
            for (var i = 0; i < models.Count; i++)
            {
                var target = (models.Count - 1 - i) % 2 == 0 ? output : scratch.AsMemory(0, batch * slot);
                var session = models[i];
                TileRun run = (tileIn, tileOut, height, width) => session.Run(tileIn, tileOut, 1, height, width);
                for (var frame = 0; frame < batch; frame++)
                {
                    grid.Run(source.Span.Slice(frame * slot, slot), target.Span.Slice(frame * slot, slot), tileInput, tileOutput, run);
                }

                source = target;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tileInput);
            ArrayPool<float>.Shared.Return(tileOutput);
            if (scratch is not null)
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    // Page-locked memory is worth its cost only for copies to a GPU; tried once, and said once if it cannot be had.
    private PinnedMemory? PinnedMemoryForDevice()
    {
        lock (pinnedGate)
        {
            if (!pinnedTried && Device == InferenceDevice.Cuda)
            {
                pinnedTried = true;
                pinned = PinnedMemory.FromCudaRuntime(out var reason);
                pinnedNote = reason is null ? null : $"page-locked host memory unavailable ({reason}): frames go to the GPU from pageable memory";
            }

            return pinned;
        }
    }

    /// <summary>The model files whose sessions are open, for tests.</summary>
    internal IReadOnlyCollection<string> LoadedModelPaths => [.. sessions.Keys.Select(key => key[..key.LastIndexOf('#')])];

    private static string KeyOf(StyleModel model) => $"{model.ModelPath}#{model.Sha256}";

    // Called under the inference gate, so no evicted session is running; the chain that just ran stays.
    private void EvictLeastRecentlyUsed(StyleChain chain)
    {
        var excess = sessions.Count - maxModels;
        if (excess <= 0)
        {
            return;
        }

        var keep = chain.Models.Select(KeyOf).ToHashSet(StringComparer.Ordinal);
        foreach (var key in lastUsed.Where(e => !keep.Contains(e.Key)).OrderBy(e => e.Value).Take(excess).Select(e => e.Key).ToList())
        {
            lastUsed.TryRemove(key, out _);
            if (sessions.TryRemove(key, out var evicted) && evicted.IsValueCreated)
            {
                evicted.Value.Dispose();
            }
        }
    }

    private OnnxStyleSession SessionFor(StyleModel model)
    {
        var key = KeyOf(model);
        lastUsed[key] = Stopwatch.GetTimestamp();
        var session = sessions.GetOrAdd(key, _ => new Lazy<OnnxStyleSession>(() => OnnxStyleSession.Open(model.ModelPath, options)));
        try
        {
            return session.Value;
        }
        catch
        {
            // A failed open (e.g. a transient CUDA out-of-memory) must not stay cached for the life of a worker.
            sessions.TryRemove(new KeyValuePair<string, Lazy<OnnxStyleSession>>(key, session));
            throw;
        }
    }
}
