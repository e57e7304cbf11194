using System.Buffers;
using System.Runtime.InteropServices;

namespace Rotoscope.Core.Inference;

/// <summary>
/// Page-locked host memory for the frame batches of models on a GPU. ONNX Runtime copies every batch to the device and
/// its output back; from ordinary (pageable) memory the CUDA driver copies through a staging buffer of its own, from
/// page-locked memory the GPU reads and writes it directly at the bus's full speed. Page-locking is slow and takes memory
/// from the rest of the machine, so released blocks are kept for the next batch, up to <see cref="MaxKept"/> of them.
/// </summary>
public sealed class PinnedMemory : IDisposable
{
    /// <summary>Blocks kept for reuse at most: two pairs of batch buffers for each of two concurrent batch jobs.</summary>
    public const int MaxKept = 8;

    private readonly Func<nuint, nint> allocate;
    private readonly Action<nint> free;
    private readonly Lock gate = new();
    private readonly List<Block> kept = [];
    private bool disposed;

    /// <summary>Memory from <paramref name="allocate"/> (zero when it cannot), given back with <paramref name="free"/>.</summary>
    public PinnedMemory(Func<nuint, nint> allocate, Action<nint> free)
    {
        ArgumentNullException.ThrowIfNull(allocate);
        ArgumentNullException.ThrowIfNull(free);
        this.allocate = allocate;
        this.free = free;
    }

    /// <summary>
    /// Page-locked memory from the CUDA runtime (cudaHostAlloc, portable to every CUDA context), or null with the reason
    /// when libcudart cannot be loaded here.
    /// </summary>
    public static unsafe PinnedMemory? FromCudaRuntime(out string? reason)
    {
        var library = CudaProbe.RuntimeLibraries[0];
        if (!NativeLibrary.TryLoad(library, out var handle))
        {
            reason = $"cannot load {library}";
            return null;
        }

        if (!NativeLibrary.TryGetExport(handle, "cudaHostAlloc", out var hostAlloc) || !NativeLibrary.TryGetExport(handle, "cudaFreeHost", out var freeHost))
        {
            reason = $"{library} has no cudaHostAlloc or cudaFreeHost";
            return null;
        }

        const uint Portable = 1; // cudaHostAllocPortable: pinned for every CUDA context, not only the calling thread's
        var alloc = (delegate* unmanaged<nint*, nuint, uint, int>)hostAlloc;
        var release = (delegate* unmanaged<nint, int>)freeHost;
        reason = null;
        return new PinnedMemory(
            bytes =>
            {
                nint pointer;
                return alloc(&pointer, bytes, Portable) == 0 ? pointer : 0;
            },
            pointer => _ = release(pointer));
    }

    /// <summary>
    /// A block of at least <paramref name="length"/> floats (the smallest kept one that is large enough, if any), or null
    /// when the memory cannot be page-locked (the caller then uses ordinary memory). Dispose it to give it back.
    /// </summary>
    public IMemoryOwner<float>? TryRent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Block? found;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            found = kept.Where(block => block.Capacity >= length).MinBy(block => block.Capacity);
            if (found is not null)
            {
                kept.Remove(found);
            }
        }

        if (found is null)
        {
            var pointer = allocate((nuint)length * sizeof(float));
            if (pointer == 0)
            {
                return null;
            }

            found = new Block(pointer, length);
        }

        return new Lease(this, found, length);
    }

    /// <summary>Frees the kept blocks; blocks still rented are freed when they are given back.</summary>
    public void Dispose()
    {
        List<Block> blocks;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            blocks = [.. kept];
            kept.Clear();
        }

        blocks.ForEach(block => free(block.Pointer));
    }

    private void GiveBack(Block block)
    {
        lock (gate)
        {
            if (!disposed && kept.Count < MaxKept)
            {
                kept.Add(block);
                return;
            }
        }

        free(block.Pointer);
    }

    private sealed record Block(nint Pointer, int Capacity);

    // The rented view of a block: exactly the length asked for, over memory that never moves (no pinning needed).
    private sealed unsafe class Lease(PinnedMemory owner, Block block, int length) : MemoryManager<float>
    {
        private int released;

        public override Span<float> GetSpan()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref released) != 0, this);
            return new Span<float>((void*)block.Pointer, length);
        }

        public override MemoryHandle Pin(int elementIndex = 0) => new((float*)block.Pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                owner.GiveBack(block);
            }
        }
    }
}
