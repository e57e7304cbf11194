using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Rotoscope.Core.Storage;

/// <summary>
/// A blob store in an S3 bucket (AWS or S3-compatible), keys under <paramref name="root"/>. Writes are atomic the S3
/// way: a single PUT, or a multipart upload that only appears when completed; nothing partial is ever visible.
/// </summary>
/// <remarks>
/// Retries (5xx, throttling, dropped connections; exponential backoff with jitter) are the SDK's own, configured in
/// <see cref="S3Clients"/>: one mechanism. Bodies are sent with a plain Content-Length (no aws-chunked encoding), which
/// S3-compatible servers need and AWS accepts.
/// </remarks>
public sealed class S3BlobStore(IAmazonS3 client, string bucket, string root, bool writable, string description) : IBlobStore
{
    /// <summary>Objects larger than this go up as a multipart upload, and come down as ranged GETs, in parts of this size.</summary>
    public const int PartSize = 16 * 1024 * 1024;

    // How many parts a large download fetches ahead of its reader: the parallelism, and the memory (parts of 16 MiB).
    private const int PartsAhead = 4;

    // How often a body whose connection drops is asked for again before the read fails.
    private const int MaxResumes = 5;

    /// <inheritdoc/>
    public string Description => description;

    /// <inheritdoc/>
    /// <remarks>Each request waits a round trip: more of them in flight than cores hides the latency.</remarks>
    public int ParallelTransfers => Math.Max(16, Environment.ProcessorCount);

    /// <summary>The client this store sends its requests with.</summary>
    public IAmazonS3 Client => client;

    /// <summary>The bucket.</summary>
    public string Bucket => bucket;

    /// <summary>A store of the same bucket rooted at <paramref name="folder"/> inside this one.</summary>
    public S3BlobStore Under(BlobKey? folder) =>
        folder is { } key ? new S3BlobStore(client, bucket, $"{root}{key.Value}/", writable, $"{description}{key}/") : this;

    /// <inheritdoc/>
    public async Task<BlobEntry?> StatAsync(BlobKey key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await client.GetObjectMetadataAsync(bucket, ObjectKey(key), cancellationToken).ConfigureAwait(false);
            return new BlobEntry(key, metadata.ContentLength, metadata.LastModified ?? DateTime.UnixEpoch, metadata.ETag);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
        {
            throw Failure(key, e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The first request asks for the first part's range: a small object comes whole, a large one says its length, and
    /// its other parts are fetched as ranged GETs, several ahead of the reader, in parallel.
    /// </remarks>
    public async Task<Stream> OpenReadAsync(BlobKey key, CancellationToken cancellationToken)
    {
        try
        {
            GetObjectResponse response;
            try
            {
                response = await client.GetObjectAsync(
                    new GetObjectRequest { BucketName = bucket, Key = ObjectKey(key), ByteRange = new ByteRange(0, PartSize - 1) },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // An empty object has no first byte to range over.
                response = await client.GetObjectAsync(bucket, ObjectKey(key), cancellationToken).ConfigureAwait(false);
            }

            var length = response.ContentRange is { } range && long.TryParse(range[(range.LastIndexOf('/') + 1)..], out var total) ? total : response.ContentLength;
            return length <= PartSize ? new ResumingStream(this, key, response) : new ParallelRangeStream(this, key, response, length);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new BlobNotFoundException(key, description);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
        {
            throw Failure(key, e);
        }
    }

    /// <inheritdoc/>
    public async Task WriteAsync(BlobKey key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        EnsureWritable(key);
        try
        {
            if (content.CanSeek && content.Length - content.Position <= PartSize)
            {
                await client.PutObjectAsync(
                    new PutObjectRequest
                    {
                        BucketName = bucket, Key = ObjectKey(key), InputStream = content, AutoCloseStream = false, UseChunkEncoding = false,
                    },
                    cancellationToken).ConfigureAwait(false);
                return;
            }

            await UploadInPartsAsync(ObjectKey(key), content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
        {
            throw Failure(key, e);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobEntry> ListAsync(BlobKey? folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = folder is { } under ? ObjectKey(under) + "/" : root };
        while (true)
        {
            ListObjectsV2Response page;
            try
            {
                page = await client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
            {
                throw Failure(folder ?? default, e);
            }

            foreach (var entry in page.S3Objects ?? [])
            {
                if (BlobKey.TryParse(entry.Key[root.Length..], out var key, out _))
                {
                    yield return new BlobEntry(key, entry.Size ?? 0, entry.LastModified ?? DateTime.UnixEpoch, entry.ETag);
                }
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobKey key, CancellationToken cancellationToken)
    {
        EnsureWritable(key);
        try
        {
            await client.DeleteObjectAsync(bucket, ObjectKey(key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
        {
            throw Failure(key, e);
        }
    }

    // Parts are read into one pooled buffer and sent one at a time: memory stays at one part whatever the size.
    private async Task UploadInPartsAsync(string objectKey, Stream content, CancellationToken cancellationToken)
    {
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = objectKey }, cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var parts = new List<PartETag>();
            while (true)
            {
                var read = await content.ReadAtLeastAsync(buffer.AsMemory(0, PartSize), PartSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read == 0 && parts.Count > 0)
                {
                    break;
                }

                using var part = new MemoryStream(buffer, 0, read, writable: false);
                var response = await client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = bucket, Key = objectKey, UploadId = upload.UploadId, PartNumber = parts.Count + 1,
                        InputStream = part, PartSize = read, UseChunkEncoding = false,
                    },
                    cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(parts.Count + 1, response.ETag));
                if (read < PartSize)
                {
                    break;
                }
            }

            await client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = bucket, Key = objectKey, UploadId = upload.UploadId, PartETags = parts },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing was visible under the key; free the parts the server holds.
            await client.AbortMultipartUploadAsync(bucket, objectKey, upload.UploadId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string ObjectKey(BlobKey key) => root + key.Value;

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(100 * (1 << attempt) * (0.5 + Random.Shared.NextDouble()));

    private void EnsureWritable(BlobKey key)
    {
        if (!writable)
        {
            throw new RotoscopeException($"cannot write {description}{key}: the connector is read-only (add it with --write to allow writes)");
        }
    }

    // One line a user can act on; the SDK's own text can be long, and nothing here may carry a credential.
    private RotoscopeException Failure(BlobKey key, Exception error)
    {
        var what = $"{description}{key}";
        var reason = error switch
        {
            AmazonS3Exception { ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" } s3 => $"the connector's credentials were refused ({s3.ErrorCode})",
            AmazonS3Exception { ErrorCode: "AccessDenied" } => "access denied",
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } => $"bucket '{bucket}' does not exist",
            AmazonServiceException service => $"the server answered {(int)service.StatusCode} {service.ErrorCode}",
            _ => $"cannot reach the S3 endpoint ({error.GetBaseException().Message})",
        };
        return new RotoscopeException($"{what}: {reason}", error);
    }

    /// <summary>
    /// The object's body. The SDK retries a request until its response starts; a connection lost while the body is
    /// read is this stream's to survive: it asks again for the rest (a ranged GET of the same ETag), a few times.
    /// Disposing it releases the HTTP response.
    /// </summary>
    private sealed class ResumingStream(S3BlobStore store, BlobKey key, GetObjectResponse first) : ReadOnlyStream
    {
        private readonly long length = first.ContentLength;
        private readonly string etag = first.ETag;
        private GetObjectResponse response = first;
        private int resumes;

        public override long Length => length;

        protected override async ValueTask<int> ReadAtAsync(long position, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    var read = await response.ResponseStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (read == 0 && position < length)
                    {
                        throw new IOException($"the response ended at byte {position} of {length}");
                    }

                    return read;
                }
                catch (IOException e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (++resumes > MaxResumes)
                    {
                        throw store.Failure(key, e);
                    }

                    await Task.Delay(Backoff(resumes), cancellationToken).ConfigureAwait(false);
                    await ResumeAsync(position, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }

            base.Dispose(disposing);
        }

        private async Task ResumeAsync(long position, CancellationToken cancellationToken)
        {
            response.Dispose();
            try
            {
                response = await store.Client.GetObjectAsync(
                    new GetObjectRequest { BucketName = store.Bucket, Key = store.ObjectKey(key), ByteRange = new ByteRange(position, length - 1), EtagToMatch = etag },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
            {
                throw store.Failure(key, e); // Changed or gone since the read began, or the server is down for good.
            }
        }
    }

    /// <summary>
    /// A large object's body as consecutive ranged GETs of <see cref="PartSize"/> (the same ETag), up to
    /// <see cref="PartsAhead"/> in flight ahead of the reader, each into a pooled buffer. A part whose connection drops
    /// is asked for again, a few times. Disposing it stops the fetches and returns the buffers.
    /// </summary>
    private sealed class ParallelRangeStream : ReadOnlyStream
    {
        private readonly S3BlobStore store;
        private readonly BlobKey key;
        private readonly string etag;
        private readonly long length;
        private readonly Queue<Task<byte[]>> ahead = new();
        private readonly CancellationTokenSource stop = new();
        private long nextStart;
        private byte[]? part;
        private int partLength;
        private int partOffset;

        public ParallelRangeStream(S3BlobStore store, BlobKey key, GetObjectResponse first, long length)
        {
            (this.store, this.key, this.length, etag) = (store, key, length, first.ETag);
            ahead.Enqueue(ReadFirstAsync(first, stop.Token));
            nextStart = PartSize;
            FetchAhead();
        }

        public override long Length => length;

        protected override async ValueTask<int> ReadAtAsync(long position, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (position >= length || buffer.IsEmpty)
            {
                return 0;
            }

            if (part is null || partOffset == partLength)
            {
                if (part is not null)
                {
                    ArrayPool<byte>.Shared.Return(part);
                    part = null;
                }

                var next = ahead.Dequeue();
                FetchAhead();
                try
                {
                    part = await next.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
                {
                    throw store.Failure(key, e);
                }

                (partLength, partOffset) = ((int)Math.Min(PartSize, length - position), 0);
            }

            var count = Math.Min(buffer.Length, partLength - partOffset);
            part.AsMemory(partOffset, count).CopyTo(buffer);
            partOffset += count;
            return count;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                stop.Cancel();
                if (part is not null)
                {
                    ArrayPool<byte>.Shared.Return(part);
                    part = null;
                }

                // Parts still on their way go back to the pool when they land (or fail, having returned their own).
                foreach (var pending in ahead)
                {
                    _ = pending.ContinueWith(t => ArrayPool<byte>.Shared.Return(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                }

                ahead.Clear();
                stop.Dispose();
            }

            base.Dispose(disposing);
        }

        private void FetchAhead()
        {
            while (ahead.Count < PartsAhead && nextStart < length)
            {
                ahead.Enqueue(FetchAsync(nextStart, stop.Token));
                nextStart += PartSize;
            }
        }

        // The first part is the body of the request that found the length; if it drops, it is fetched like the others.
        private async Task<byte[]> ReadFirstAsync(GetObjectResponse first, CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(PartSize);
            try
            {
                using (first)
                {
                    await first.ResponseStream.ReadExactlyAsync(buffer.AsMemory(0, PartSize), cancellationToken).ConfigureAwait(false);
                }

                return buffer;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return await FetchAsync(0, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }

        private async Task<byte[]> FetchAsync(long start, CancellationToken cancellationToken)
        {
            var count = (int)Math.Min(PartSize, length - start);
            var buffer = ArrayPool<byte>.Shared.Rent(count);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    using var response = await store.Client.GetObjectAsync(
                        new GetObjectRequest { BucketName = store.Bucket, Key = store.ObjectKey(key), ByteRange = new ByteRange(start, start + count - 1), EtagToMatch = etag },
                        cancellationToken).ConfigureAwait(false);
                    await response.ResponseStream.ReadExactlyAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                    return buffer;
                }
                catch (Exception e) when (e is IOException or HttpRequestException && attempt <= MaxResumes && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(Backoff(attempt), CancellationToken.None).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
            }
        }
    }
}
