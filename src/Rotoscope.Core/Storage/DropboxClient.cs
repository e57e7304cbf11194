using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Polly;
using Polly.Retry;

namespace Rotoscope.Core.Storage;

/// <summary>How a Dropbox client signs in: an app's key (and secret, unless the app uses PKCE) and a refresh token.</summary>
public sealed record DropboxCredentials(string AppKey, string? AppSecret, string RefreshToken)
{
    /// <inheritdoc/>
    public override string ToString() => $"Dropbox app {AppKey}"; // never the secret or the token
}

/// <summary>A file or folder in Dropbox, as its metadata describes it.</summary>
/// <param name="PathLower">The path, lower-cased: Dropbox paths are case-insensitive, and this is how it compares them.</param>
/// <param name="PathDisplay">The path as its creator spelled it.</param>
/// <param name="Rev">A file's revision; it changes with every write.</param>
/// <param name="ContentHash">A file's <see cref="DropboxContentHash"/>.</param>
/// <param name="Id">Dropbox's id (<c>id:…</c>): it stays with a file or folder when it is moved or renamed.</param>
public sealed record DropboxEntry(
    DropboxEntryKind Kind, string Name, string PathLower, string PathDisplay, long Size, DateTimeOffset Modified, string? Rev, string? ContentHash, string? Id = null);

/// <summary>What a <see cref="DropboxEntry"/> is; deleted entries only appear in listings that continue a cursor.</summary>
public enum DropboxEntryKind
{
    /// <summary>A file.</summary>
    File,

    /// <summary>A folder.</summary>
    Folder,

    /// <summary>Something that was deleted since the cursor.</summary>
    Deleted,
}

/// <summary>A page of a folder listing, and the cursor to continue it or to wait for changes.</summary>
public sealed record DropboxListPage(IReadOnlyList<DropboxEntry> Entries, string Cursor, bool HasMore);

/// <summary>
/// A 409 from Dropbox: the call's own error, a union whose <see cref="Tag"/> (and nested tags) say what went wrong.
/// Code branches on tags, never on the summary text.
/// </summary>
public sealed class DropboxApiException(string route, string summary, JsonElement error)
    : Exception($"Dropbox {route}: {summary}")
{
    /// <summary>The error union, e.g. <c>{".tag": "path", "path": {".tag": "not_found"}}</c>.</summary>
    public JsonElement Error { get; } = error;

    /// <summary>The union's tag, e.g. <c>path</c>.</summary>
    public string? Tag => TagOf(Error);

    /// <summary>The tag of the union nested under <see cref="Tag"/>, e.g. <c>not_found</c> in <c>path/not_found</c>.</summary>
    public string? InnerTag => Tag is { } tag && Error.TryGetProperty(tag, out var inner) ? TagOf(inner) : null;

    /// <summary>The error's summary, e.g. <c>path/not_found/..</c>: for people, not for branching.</summary>
    public string Summary { get; } = summary;

    private static string? TagOf(JsonElement union) =>
        union.ValueKind == JsonValueKind.Object && union.TryGetProperty(".tag", out var tag) ? tag.GetString() : null;
}

/// <summary>
/// A small typed client for the Dropbox HTTP API v2: the calls Rotoscope needs, with the OAuth2 refresh-token flow
/// (refreshed early, and once more when Dropbox says the token expired), retries with backoff and jitter on 429 (after
/// its Retry-After), 5xx and dropped connections, and content_hash checks on every upload.
/// </summary>
/// <remarks>
/// Arguments of content calls travel in the Dropbox-API-Arg header, which must be ASCII: System.Text.Json's default
/// encoder writes every non-ASCII character as \uXXXX, as Dropbox asks. The hosts are configurable so that tests can
/// point the client at a local fake.
/// </remarks>
public sealed class DropboxClient : IDisposable
{
    /// <summary>Files up to this size go up in one call; larger ones in an upload session of chunks this size.</summary>
    public const int ChunkSize = 8 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // Refreshing a little before the token expires avoids a failed call (and its retry) at the boundary.
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly HttpClient http;
    private readonly DropboxCredentials credentials;
    private readonly Uri api;
    private readonly Uri content;
    private readonly Uri notify;
    private readonly ResiliencePipeline retry;
    private readonly TimeProvider time;
    private readonly SemaphoreSlim tokenGate = new(1, 1);
    private (string Token, DateTimeOffset Expires)? access;

    /// <param name="endpoint">One base URL for the api, content and notify hosts (a local fake); null for Dropbox's own.</param>
    /// <param name="firstRetryDelay">The first backoff delay (doubling, with jitter); half a second when null.</param>
    public DropboxClient(DropboxCredentials credentials, Uri? endpoint = null, TimeSpan? firstRetryDelay = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        this.credentials = credentials;
        this.time = time ?? TimeProvider.System;
        var local = endpoint is null ? null : new Uri(endpoint.ToString().TrimEnd('/') + "/"); // a base that keeps its path
        api = local ?? new Uri("https://api.dropboxapi.com/");
        content = local ?? new Uri("https://content.dropboxapi.com/");
        notify = local ?? new Uri("https://notify.dropboxapi.com/");
        http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30), PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Long polls last up to 8 minutes plus Dropbox's jitter; other calls are bounded by their caller's token.
            Timeout = TimeSpan.FromMinutes(10),
        };
        retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<TransientException>()
                    .Handle<HttpRequestException>()
                    .Handle<IOException>()
                    .Handle<TaskCanceledException>(e => e.InnerException is TimeoutException),
                MaxRetryAttempts = 6,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstRetryDelay ?? TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(30),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is TransientException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            })
            .Build();
    }

    /// <summary>
    /// Exchanges an authorization code (from https://www.dropbox.com/oauth2/authorize?client_id=KEY&amp;response_type=code&amp;token_access_type=offline)
    /// for a refresh token.
    /// </summary>
    public static async Task<string> RedeemAuthorizationCodeAsync(string appKey, string? appSecret, string code, Uri? endpoint, CancellationToken cancellationToken)
    {
        using var client = new DropboxClient(new DropboxCredentials(appKey, appSecret, RefreshToken: ""), endpoint);
        var answer = await client.TokenCallAsync([new("grant_type", "authorization_code"), new("code", code)], cancellationToken).ConfigureAwait(false);
        return answer.TryGetProperty("refresh_token", out var token) && token.GetString() is { Length: > 0 } value
            ? value
            : throw new RotoscopeException("Dropbox answered the authorization code without a refresh token (ask for token_access_type=offline)");
    }

    /// <summary>The metadata of <paramref name="path"/>, or null when nothing is there.</summary>
    public async Task<DropboxEntry?> GetMetadataAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return ReadEntry(await RpcAsync("/2/files/get_metadata", new { path }, cancellationToken).ConfigureAwait(false));
        }
        catch (DropboxApiException e) when (e is { Tag: "path", InnerTag: "not_found" })
        {
            return null;
        }
    }

    /// <summary>The first page of a folder's entries (and those below it, when <paramref name="recursive"/>).</summary>
    public async Task<DropboxListPage> ListFolderAsync(string path, bool recursive, CancellationToken cancellationToken) =>
        ReadPage(await RpcAsync("/2/files/list_folder", new { path, recursive }, cancellationToken).ConfigureAwait(false));

    /// <summary>The next page after <paramref name="cursor"/>, or the changes since it.</summary>
    public async Task<DropboxListPage> ListFolderContinueAsync(string cursor, CancellationToken cancellationToken) =>
        ReadPage(await RpcAsync("/2/files/list_folder/continue", new { cursor }, cancellationToken).ConfigureAwait(false));

    /// <summary>Every entry of a folder, page after page.</summary>
    public async IAsyncEnumerable<DropboxEntry> ListAllAsync(string path, bool recursive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = await ListFolderAsync(path, recursive, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            if (!page.HasMore)
            {
                yield break;
            }

            page = await ListFolderContinueAsync(page.Cursor, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A cursor at the folder's present state, to wait for changes from.</summary>
    public async Task<string> GetLatestCursorAsync(string path, bool recursive, CancellationToken cancellationToken)
    {
        var answer = await RpcAsync("/2/files/list_folder/get_latest_cursor", new { path, recursive }, cancellationToken).ConfigureAwait(false);
        return answer.GetProperty("cursor").GetString()!;
    }

    /// <summary>
    /// Waits (without signing in: Dropbox forbids it here) until something changes under <paramref name="cursor"/>, or
    /// <paramref name="timeout"/> passes (30 s to 8 min). Returns whether anything changed, and how long Dropbox asks
    /// the caller to wait before polling again.
    /// </summary>
    public async Task<(bool Changes, TimeSpan? Backoff)> LongpollAsync(string cursor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Clamp(timeout.TotalSeconds, 30, 480);
        var answer = await SendAsync(
            "/2/files/list_folder/longpoll",
            authorize: false,
            () => new HttpRequestMessage(HttpMethod.Post, new Uri(notify, "2/files/list_folder/longpoll")) { Content = JsonContent(new { cursor, timeout = seconds }) },
            ReadJsonAsync,
            cancellationToken).ConfigureAwait(false);
        var backoff = answer.TryGetProperty("backoff", out var wait) && wait.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(wait.GetInt32()) : (TimeSpan?)null;
        return (answer.GetProperty("changes").GetBoolean(), backoff);
    }

    /// <summary>Creates a folder (and its parents); a folder already there is fine.</summary>
    public async Task CreateFolderAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await RpcAsync("/2/files/create_folder_v2", new { path, autorename = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (DropboxApiException e) when (e is { Tag: "path", InnerTag: "conflict" } && e.Error.GetProperty("path").TryGetProperty("conflict", out var what) && what.GetProperty(".tag").GetString() == "folder")
        {
        }
    }

    /// <summary>Moves a file or folder; the destination must be free.</summary>
    public async Task<DropboxEntry> MoveAsync(string fromPath, string toPath, CancellationToken cancellationToken)
    {
        var answer = await RpcAsync("/2/files/move_v2", new { from_path = fromPath, to_path = toPath, autorename = false }, cancellationToken).ConfigureAwait(false);
        return ReadEntry(answer.GetProperty("metadata"));
    }

    /// <summary>Deletes a file or a folder with everything in it; returns false when nothing was there.</summary>
    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await RpcAsync("/2/files/delete_v2", new { path }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DropboxApiException e) when (e is { Tag: "path_lookup", InnerTag: "not_found" })
        {
            return false;
        }
    }

    /// <summary>A shared link to <paramref name="path"/>: a new one, or the one that already exists.</summary>
    public async Task<string> ShareAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var link = await RpcAsync("/2/sharing/create_shared_link_with_settings", new { path }, cancellationToken).ConfigureAwait(false);
            return link.GetProperty("url").GetString()!;
        }
        catch (DropboxApiException e) when (e.Tag == "shared_link_already_exists")
        {
            // The error may carry the existing link; when it does not, ask for it.
            if (e.Error.TryGetProperty("shared_link_already_exists", out var existing) && existing.TryGetProperty("metadata", out var metadata))
            {
                return metadata.GetProperty("url").GetString()!;
            }

            var links = await RpcAsync("/2/sharing/list_shared_links", new { path, direct_only = true }, cancellationToken).ConfigureAwait(false);
            return links.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("url").GetString()!).First();
        }
    }

    /// <summary>
    /// Uploads <paramref name="source"/> to <paramref name="path"/>, replacing what is there. Dropbox commits a file only
    /// when its last byte is in, so nothing partial is ever visible; every call carries the content_hash of its bytes,
    /// and the committed file's hash is checked against the whole content's.
    /// </summary>
    public async Task<DropboxEntry> UploadAsync(string path, Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        using var whole = new DropboxContentHash();
        try
        {
            var read = await source.ReadAtLeastAsync(buffer.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            var chunk = buffer.AsMemory(0, read);
            whole.Append(chunk.Span);
            var commit = new { path, mode = "overwrite", autorename = false, mute = true };
            JsonElement answer;
            if (read < ChunkSize)
            {
                answer = await UploadCallAsync("/2/files/upload", new { commit.path, commit.mode, commit.autorename, commit.mute, content_hash = DropboxContentHash.Of(chunk.Span) }, chunk, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var started = await UploadCallAsync("/2/files/upload_session/start", new { close = false, content_hash = DropboxContentHash.Of(chunk.Span) }, chunk, cancellationToken).ConfigureAwait(false);
                var session = started.GetProperty("session_id").GetString()!;
                long offset = read;
                while (true)
                {
                    read = await source.ReadAtLeastAsync(buffer.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    chunk = buffer.AsMemory(0, read);
                    whole.Append(chunk.Span);
                    if (read < ChunkSize)
                    {
                        break;
                    }

                    await SendChunkAsync(session, offset, chunk, commit: null, cancellationToken).ConfigureAwait(false);
                    offset += read;
                }

                answer = await SendChunkAsync(session, offset, chunk, commit, cancellationToken).ConfigureAwait(false);
            }

            var entry = ReadEntry(answer);
            var expected = whole.Finish();
            return entry.ContentHash == expected
                ? entry
                : throw new IOException($"Dropbox holds {entry.PathDisplay} with content hash {entry.ContentHash}, not {expected}: the upload was corrupted");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Downloads <paramref name="path"/> (a path or <c>rev:…</c>) from byte <paramref name="offset"/> on. Dispose the
    /// result to release the connection.
    /// </summary>
    public async Task<DropboxDownload> DownloadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        var response = await SendAsync(
            "/2/files/download",
            authorize: true,
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(content, "2/files/download"));
                request.Headers.TryAddWithoutValidation("Dropbox-API-Arg", JsonSerializer.Serialize(new { path }, Json));
                if (offset > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(offset, null);
                }

                return request;
            },
            r => Task.FromResult(r),
            cancellationToken,
            HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        try
        {
            var result = response.Headers.TryGetValues("Dropbox-API-Result", out var values) ? values.First() : throw new IOException("Dropbox sent a download without its Dropbox-API-Result header");
            using var metadata = JsonDocument.Parse(result);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new DropboxDownload(ReadEntry(metadata.RootElement), body, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        http.Dispose();
        tokenGate.Dispose();
    }

    // One chunk of an upload session (the last one commits the file). If a call's answer was lost after Dropbox took
    // the bytes, the retry is told the correct offset: resend from there, or nothing when it already has them all.
    private async Task<JsonElement> SendChunkAsync(string session, long offset, ReadOnlyMemory<byte> chunk, object? commit, CancellationToken cancellationToken)
    {
        var end = offset + chunk.Length;
        while (true)
        {
            var cursor = new { session_id = session, offset };
            var hash = DropboxContentHash.Of(chunk.Span);
            try
            {
                return commit is null
                    ? await UploadCallAsync("/2/files/upload_session/append_v2", new { cursor, close = false, content_hash = hash }, chunk, cancellationToken).ConfigureAwait(false)
                    : await UploadCallAsync("/2/files/upload_session/finish", new { cursor, commit, content_hash = hash }, chunk, cancellationToken).ConfigureAwait(false);
            }
            catch (DropboxApiException e) when (CorrectOffset(e) is { } correct && correct >= offset && correct <= end && correct != offset)
            {
                chunk = chunk[(int)(correct - offset)..];
                offset = correct;
                if (commit is null && chunk.IsEmpty)
                {
                    return default;
                }
            }
        }
    }

    // append_v2 says incorrect_offset directly; finish says it under lookup_failed.
    private static long? CorrectOffset(DropboxApiException error)
    {
        var union = error.Tag == "lookup_failed" ? error.Error.GetProperty("lookup_failed") : error.Error;
        return union.TryGetProperty(".tag", out var tag) && tag.GetString() == "incorrect_offset" && union.TryGetProperty("correct_offset", out var correct)
            ? correct.GetInt64()
            : null;
    }

    private Task<JsonElement> RpcAsync(string route, object argument, CancellationToken cancellationToken) =>
        SendAsync(
            route,
            authorize: true,
            () => new HttpRequestMessage(HttpMethod.Post, new Uri(api, route.TrimStart('/'))) { Content = JsonContent(argument) },
            ReadJsonAsync,
            cancellationToken);

    private Task<JsonElement> UploadCallAsync(string route, object argument, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        SendAsync(
            route,
            authorize: true,
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(content, route.TrimStart('/'))) { Content = new ReadOnlyMemoryContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Headers.TryAddWithoutValidation("Dropbox-API-Arg", JsonSerializer.Serialize(argument, Json));
                return request;
            },
            ReadJsonAsync,
            cancellationToken);

    // Retries (inside the pipeline) cover the whole exchange, reading the answer included; an expired access token is
    // refreshed once, outside it.
    private async Task<T> SendAsync<T>(
        string route,
        bool authorize,
        Func<HttpRequestMessage> build,
        Func<HttpResponseMessage, Task<T>> read,
        CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        for (var refreshed = false; ; refreshed = true)
        {
            string? used = null;
            try
            {
                return await retry.ExecuteAsync(
                    async ct =>
                    {
                        using var request = build();
                        if (authorize)
                        {
                            used = await AccessTokenAsync(ct).ConfigureAwait(false);
                            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", used);
                        }

                        var response = await http.SendAsync(request, completion, ct).ConfigureAwait(false);
                        try
                        {
                            await ThrowOnErrorAsync(route, response, ct).ConfigureAwait(false);
                            return await read(response).ConfigureAwait(false);
                        }
                        finally
                        {
                            if (typeof(T) != typeof(HttpResponseMessage))
                            {
                                response.Dispose();
                            }
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (ExpiredTokenException) when (!refreshed)
            {
                await ForgetTokenAsync(used, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task ThrowOnErrorAsync(string route, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (status == 429 || status >= 500)
        {
            var after = response.Headers.RetryAfter?.Delta;
            response.Dispose();
            throw new TransientException($"Dropbox {route} answered {status}", after);
        }

        if (status is 409 or 401 or 403 && TryParseError(text, out var summary, out var error))
        {
            response.Dispose();
            var tag = error.ValueKind == JsonValueKind.Object && error.TryGetProperty(".tag", out var t) ? t.GetString() : null;
            throw status switch
            {
                409 => new DropboxApiException(route, summary, error),
                401 when tag == "expired_access_token" => new ExpiredTokenException(),
                401 => new RotoscopeException($"Dropbox refused the connector's access ({tag}): add the connector again with a valid refresh token"),
                _ => new RotoscopeException($"Dropbox denied access to {route} ({summary})"),
            };
        }

        response.Dispose();

        // 400 is a malformed call (a bug here, or a path Dropbox cannot take): its body is plain text meant for developers.
        var firstLine = text.Split('\n', 2)[0].Trim();
        throw new RotoscopeException($"Dropbox rejected {route} ({status}{(firstLine.Length > 0 ? ": " + firstLine[..Math.Min(firstLine.Length, 200)] : "")})");
    }

    private static bool TryParseError(string text, out string summary, out JsonElement error)
    {
        (summary, error) = ("", default);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("error", out var union))
            {
                return false;
            }

            summary = document.RootElement.TryGetProperty("error_summary", out var s) ? s.GetString() ?? "" : "";
            error = union.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<string> AccessTokenAsync(CancellationToken cancellationToken)
    {
        await tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (access is { } current && current.Expires - RefreshMargin > time.GetUtcNow())
            {
                return current.Token;
            }

            var answer = await TokenCallAsync([new("grant_type", "refresh_token"), new("refresh_token", credentials.RefreshToken)], cancellationToken).ConfigureAwait(false);
            var token = answer.GetProperty("access_token").GetString()!;
            var lifetime = answer.TryGetProperty("expires_in", out var seconds) ? TimeSpan.FromSeconds(seconds.GetInt64()) : TimeSpan.FromHours(4);
            access = (token, time.GetUtcNow() + lifetime);
            return token;
        }
        finally
        {
            tokenGate.Release();
        }
    }

    private async Task ForgetTokenAsync(string? token, CancellationToken cancellationToken)
    {
        await tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (access?.Token == token)
        {
            access = null;
        }

        tokenGate.Release();
    }

    // The OAuth2 token endpoint answers in its own shape: {"error": "invalid_grant", "error_description": …}.
    private async Task<JsonElement> TokenCallAsync(IEnumerable<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        var fields = form.Append(new("client_id", credentials.AppKey));
        if (credentials.AppSecret is { } secret)
        {
            fields = fields.Append(new("client_secret", secret));
        }

        var pairs = fields.ToList();
        return await retry.ExecuteAsync(
            async ct =>
            {
                using var response = await http.PostAsync(new Uri(api, "oauth2/token"), new FormUrlEncodedContent(pairs), ct).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if ((int)response.StatusCode == 429 || (int)response.StatusCode >= 500)
                {
                    throw new TransientException($"Dropbox's token endpoint answered {(int)response.StatusCode}", response.Headers.RetryAfter?.Delta);
                }

                using var document = JsonDocument.Parse(text.Length > 0 ? text : "{}");
                if (!response.IsSuccessStatusCode)
                {
                    var error = document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : $"HTTP {(int)response.StatusCode}";
                    throw new RotoscopeException($"Dropbox refused to sign in {credentials} ({error}): check the app key and secret, and add the connector again with a new refresh token");
                }

                return document.RootElement.Clone();
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static ByteArrayContent JsonContent(object argument)
    {
        var body = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(argument, Json));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return body;
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.Clone();
    }

    private static DropboxListPage ReadPage(JsonElement page) =>
        new(page.GetProperty("entries").EnumerateArray().Select(ReadEntry).ToList(), page.GetProperty("cursor").GetString()!, page.GetProperty("has_more").GetBoolean());

    private static DropboxEntry ReadEntry(JsonElement entry)
    {
        // Only the polymorphic Metadata carries a tag; upload and download answer with a FileMetadata, which has none.
        var kind = (entry.TryGetProperty(".tag", out var tag) ? tag.GetString() : "file") switch
        {
            "file" => DropboxEntryKind.File,
            "folder" => DropboxEntryKind.Folder,
            _ => DropboxEntryKind.Deleted,
        };
        string? Text(string name) => entry.TryGetProperty(name, out var value) ? value.GetString() : null;
        var display = Text("path_display") ?? "";
        return new DropboxEntry(
            kind,
            Text("name") ?? "",
            Text("path_lower") ?? display.ToLowerInvariant(),
            display,
            entry.TryGetProperty("size", out var size) ? size.GetInt64() : 0,
            Text("server_modified") is { } modified ? DateTimeOffset.Parse(modified, System.Globalization.CultureInfo.InvariantCulture) : DateTimeOffset.UnixEpoch,
            Text("rev"),
            Text("content_hash"),
            Text("id"));
    }

    /// <summary>A 429, a 5xx: worth asking again, after Retry-After when Dropbox gave one.</summary>
    private sealed class TransientException(string message, TimeSpan? retryAfter) : Exception(message)
    {
        public TimeSpan? RetryAfter { get; } = retryAfter;
    }

    private sealed class ExpiredTokenException() : Exception("the Dropbox access token expired");
}

/// <summary>A file being downloaded: its metadata and its body. Disposing it releases the connection.</summary>
public sealed class DropboxDownload(DropboxEntry entry, Stream body, HttpResponseMessage response) : IDisposable
{
    /// <summary>The file's metadata (its rev pins the version for a resumed download).</summary>
    public DropboxEntry Entry { get; } = entry;

    /// <summary>The body, from the requested offset.</summary>
    public Stream Body { get; } = body;

    /// <inheritdoc/>
    public void Dispose()
    {
        Body.Dispose();
        response.Dispose();
    }
}
