namespace Rotoscope.Core.Storage;

/// <summary>
/// The shape of a blob body that is read once, front to back: subclasses give <see cref="Length"/> and the async read;
/// everything a forward-only, read-only stream refuses is refused here.
/// </summary>
internal abstract class ReadOnlyStream : Stream
{
    private long position;

    public sealed override bool CanRead => true;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => false;

    public sealed override long Position { get => position; set => throw new NotSupportedException(); }

    public sealed override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await ReadAtAsync(position, buffer, cancellationToken).ConfigureAwait(false);
        position += read;
        return read;
    }

    public sealed override void Flush()
    {
    }

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Reads the next bytes, which start at <paramref name="position"/>; 0 only at the end.</summary>
    protected abstract ValueTask<int> ReadAtAsync(long position, Memory<byte> buffer, CancellationToken cancellationToken);
}
