using System.Security.Cryptography;

namespace Rotoscope.Core.Storage;

/// <summary>
/// Dropbox's content hash, computed incrementally: SHA-256 over the concatenated SHA-256 digests of the content's
/// 4 MiB blocks, as lower-case hex. Dropbox reports it for every file and checks it on every upload call.
/// </summary>
public sealed class DropboxContentHash : IDisposable
{
    /// <summary>The block size the hash is defined over.</summary>
    public const int BlockSize = 4 * 1024 * 1024;

    private readonly IncrementalHash block = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash overall = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int inBlock;

    /// <summary>The hash of <paramref name="content"/> in one call.</summary>
    public static string Of(ReadOnlySpan<byte> content)
    {
        using var hash = new DropboxContentHash();
        hash.Append(content);
        return hash.Finish();
    }

    /// <summary>Adds the next bytes of the content.</summary>
    public void Append(ReadOnlySpan<byte> content)
    {
        while (!content.IsEmpty)
        {
            var take = Math.Min(content.Length, BlockSize - inBlock);
            block.AppendData(content[..take]);
            inBlock += take;
            content = content[take..];
            if (inBlock == BlockSize)
            {
                EndBlock();
            }
        }
    }

    /// <summary>The hash of everything appended; the hasher starts over afterwards.</summary>
    public string Finish()
    {
        if (inBlock > 0)
        {
            EndBlock();
        }

        return Convert.ToHexStringLower(overall.GetHashAndReset());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        block.Dispose();
        overall.Dispose();
    }

    private void EndBlock()
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        block.GetHashAndReset(digest);
        overall.AppendData(digest);
        inBlock = 0;
    }
}
