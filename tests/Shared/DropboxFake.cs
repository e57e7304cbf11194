using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Rotoscope.Tests;

/// <summary>
/// A strict in-process fake of the Dropbox HTTP API v2 for tests: the api, content and notify hosts' routes on one
/// 127.0.0.1 port, files in memory, argument and error shapes as in Dropbox's Stone spec (github.com/dropbox/dropbox-api-spec:
/// files.stone, sharing.stone, auth.stone), and faults on demand. It rejects what Dropbox rejects, so a client that
/// passes here speaks Dropbox's contract rather than the fake's.
/// </summary>
public sealed class DropboxFake : IAsyncDisposable
{
    private const string TokenPath = "/oauth2/token";
    private const string DownloadPath = "/2/files/download";
    private const string AppendPath = "/2/files/upload_session/append_v2";

    // files.stone: "A single request should not upload more than 150 MiB."
    private const long MaxPayload = 150L * 1024 * 1024;

    // Room above MaxPayload so an oversized upload reaches the route and gets Dropbox's payload_too_large, not Kestrel's 413.
    private const long MaxRequestBody = 200L * 1024 * 1024;
    private const int HashBlock = 4 * 1024 * 1024;
    private const int DefaultPageSize = 500;

    // The Stone patterns, verbatim (files.stone aliases); Stone matches them against the whole string.
    private const string WritePathPattern = @"(/(.|[\r\n])*)|(ns:[0-9]+(/(.|[\r\n])*)?)";
    private const string WritePathOrIdPattern = @"(/(.|[\r\n])*)|(ns:[0-9]+(/(.|[\r\n])*)?)|(id:.*)";
    private const string ReadPathPattern = @"(/(.|[\r\n])*|id:.*)|(rev:[0-9a-f]{9,})|(ns:[0-9]+(/(.|[\r\n])*)?)";
    private const string PathROrIdPattern = @"(/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/(.|[\r\n])*)?)";
    private const string RevPattern = "[0-9a-f]+";

    private const string Scope =
        "account_info.read files.content.read files.content.write files.metadata.read files.metadata.write sharing.read sharing.write";

    private static readonly JsonSerializerOptions BodyJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Names Dropbox refuses to store (WriteError.disallowed_name).
    private static readonly HashSet<string> DisallowedNames = new(StringComparer.Ordinal) { "desktop.ini", "thumbs.db", ".ds_store", "icon\r", ".dropbox", ".dropbox.attr" };

    private static readonly Dictionary<string, Style> Routes = new(StringComparer.Ordinal)
    {
        ["/2/files/get_metadata"] = Style.Rpc,
        ["/2/files/list_folder"] = Style.Rpc,
        ["/2/files/list_folder/continue"] = Style.Rpc,
        ["/2/files/list_folder/get_latest_cursor"] = Style.Rpc,
        ["/2/files/create_folder_v2"] = Style.Rpc,
        ["/2/files/move_v2"] = Style.Rpc,
        ["/2/files/delete_v2"] = Style.Rpc,
        ["/2/sharing/create_shared_link_with_settings"] = Style.Rpc,
        ["/2/sharing/list_shared_links"] = Style.Rpc,
        ["/2/files/list_folder/longpoll"] = Style.Notify,
        ["/2/files/upload"] = Style.Upload,
        ["/2/files/upload_session/start"] = Style.Upload,
        [AppendPath] = Style.Upload,
        ["/2/files/upload_session/finish"] = Style.Upload,
        [DownloadPath] = Style.Download,
    };

    private readonly Lock gate = new();
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> revisions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Session> sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Cursor> cursors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> sharedLinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> linkCursors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> accessTokens = new(StringComparer.Ordinal);
    private readonly HashSet<string> refreshTokens = new(StringComparer.Ordinal);
    private readonly HashSet<string> authorizationCodes = new(StringComparer.Ordinal);
    private readonly List<Change> changes = [];
    private readonly List<Fault> faults = [];
    private readonly List<string> requests = [];
    private readonly CancellationTokenSource stopping = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? app;
    private long revisionCounter;
    private TimeSpan accessTokenLifetime = TimeSpan.FromHours(4);

    private DropboxFake()
    {
        refreshTokens.Add(RefreshToken);
    }

    private enum Style
    {
        Rpc,
        Upload,
        Download,
        Notify,
    }

    /// <summary>The base address of every host's routes: "http://127.0.0.1:PORT".</summary>
    public string Url { get; private set; } = "";

    public string AppKey { get; } = RandomToken(10);

    public string AppSecret { get; } = RandomToken(10);

    /// <summary>A valid refresh token for grant_type=refresh_token.</summary>
    public string RefreshToken { get; } = RandomToken(48);

    /// <summary>How long an issued access token lives (Dropbox: 4 hours); expires_in reports it in whole seconds.</summary>
    public TimeSpan AccessTokenLifetime
    {
        get
        {
            lock (gate)
            {
                return accessTokenLifetime;
            }
        }

        set
        {
            lock (gate)
            {
                accessTokenLifetime = value;
            }
        }
    }

    /// <summary>
    /// Scales the longpoll clock: Dropbox's timeout stays 30..480 s in the argument, and the fake waits timeout × scale
    /// (0.01 makes 30 s into 0.3 s).
    /// </summary>
    public double LongpollTimeScale { get; set; } = 1;

    /// <summary>Every request as "METHOD /path", in arrival order.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>The path_display of every file.</summary>
    public IReadOnlyCollection<string> FilePaths
    {
        get
        {
            lock (gate)
            {
                return [.. entries.Values.Where(e => !e.IsFolder).Select(e => e.PathDisplay)];
            }
        }
    }

    /// <summary>How many of the faults asked for (FailNext, DropNext, …) have not happened yet.</summary>
    public int PendingFaults
    {
        get
        {
            lock (gate)
            {
                return faults.Count;
            }
        }
    }

    /// <summary>The path_display of every folder.</summary>
    public IReadOnlyCollection<string> FolderPaths
    {
        get
        {
            lock (gate)
            {
                return [.. entries.Values.Where(e => e.IsFolder).Select(e => e.PathDisplay)];
            }
        }
    }

    public static async Task<DropboxFake> StartAsync()
    {
        var fake = new DropboxFake();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBody;

            // Read header bytes as they came so a raw non-ASCII Dropbox-API-Arg reaches the route and gets Dropbox's 400.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
        });
        fake.app = builder.Build();
        fake.app.Run(fake.HandleAsync);
        await fake.app.StartAsync();
        fake.Url = fake.app.Urls.Single().TrimEnd('/');
        return fake;
    }

    /// <summary>
    /// Dropbox's content_hash: SHA-256 of the concatenated SHA-256 digests of each 4 MiB block, lowercase hex
    /// (https://www.dropbox.com/developers/reference/content-hash).
    /// </summary>
    public static string ContentHash(ReadOnlySpan<byte> content)
    {
        var digests = new byte[(content.Length + HashBlock - 1) / HashBlock * SHA256.HashSizeInBytes];
        for (int at = 0, block = 0; at < content.Length; at += HashBlock, block += SHA256.HashSizeInBytes)
        {
            SHA256.HashData(content.Slice(at, Math.Min(HashBlock, content.Length - at)), digests.AsSpan(block, SHA256.HashSizeInBytes));
        }

        return Convert.ToHexStringLower(SHA256.HashData(digests));
    }

    /// <summary>A one-time code for grant_type=authorization_code.</summary>
    public string IssueAuthorizationCode()
    {
        var code = RandomToken(43);
        lock (gate)
        {
            authorizationCodes.Add(code);
        }

        return code;
    }

    /// <summary>Every access token issued so far now gets 401 expired_access_token.</summary>
    public void ExpireAccessTokens()
    {
        lock (gate)
        {
            foreach (var token in accessTokens.Keys.ToList())
            {
                accessTokens[token] = DateTimeOffset.MinValue;
            }
        }
    }

    /// <summary>Every list_folder cursor issued so far now gets 409 reset (as after a Dropbox-side cursor invalidation).</summary>
    public void ResetCursors()
    {
        lock (gate)
        {
            foreach (var token in cursors.Keys.ToList())
            {
                cursors[token] = cursors[token] with { Reset = true };
            }

            Signal();
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests to <paramref name="endpoint"/> (any but /oauth2/token when null) get
    /// <paramref name="status"/>: 429 as Dropbox's too_many_requests JSON with Retry-After, others as plain text.
    /// </summary>
    public void FailNext(int count, int status, string? endpoint = null, int retryAfterSeconds = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        AddFaults(count, new FailFault(endpoint, status, retryAfterSeconds));
    }

    /// <summary>The next <paramref name="count"/> matching requests lose their connection once their body is read.</summary>
    public void DropNext(int count, string? endpoint = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        AddFaults(count, new DropFault(endpoint));
    }

    /// <summary>The next <paramref name="count"/> successful downloads send <paramref name="afterBytes"/> of the body, then drop.</summary>
    public void CutDownloadNext(int count, int afterBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(afterBytes);
        AddFaults(count, new CutFault(afterBytes));
    }

    /// <summary>The next <paramref name="count"/> successful append_v2 calls store their chunk, then drop the connection.</summary>
    public void LoseAppendResponseNext(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        AddFaults(count, new LoseAppendFault());
    }

    /// <summary>The content of the file at <paramref name="path"/> (any case), or null when there is none.</summary>
    public byte[]? FileContent(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        lock (gate)
        {
            return entries.TryGetValue(Lower(path), out var entry) && !entry.IsFolder ? entry.Content : null;
        }
    }

    /// <summary>Seeds a file as if it had been uploaded with mode overwrite, creating its parent folders.</summary>
    public void PutFile(string path, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(content);
        lock (gate)
        {
            var (_, error) = Commit(path, content, new WriteMode("overwrite", null), autorename: false, strict: false, clientModified: null);
            if (error is not null)
            {
                throw new InvalidOperationException($"PutFile {path}: {Summary(error)}");
            }
        }
    }

    /// <summary>Moves a file or folder as a person would in the Dropbox app, so cursors and longpolls see the change.</summary>
    public void MoveEntry(string from, string to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        lock (gate)
        {
            var entry = entries.GetValueOrDefault(Lower(from)) ?? throw new InvalidOperationException($"MoveEntry: nothing at {from}");
            var error = Relocate(entry, to, autorename: false, out _);
            if (error is not null)
            {
                throw new InvalidOperationException($"MoveEntry {from} -> {to}: {Summary(error)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        stopping.Dispose();
    }

    private static string RandomToken(int bytes) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    private static string Lower(string path) => path.ToLowerInvariant();

    private static string Timestamp(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static DateTime Now()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    private static string ParentOf(string path) => path[..Math.Max(0, path.LastIndexOf('/'))];

    private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static bool IsUnder(string lower, string folderLower) => lower.StartsWith(folderLower + "/", StringComparison.Ordinal);

    // Well-formed per Dropbox's path rules beyond the Stone pattern: no trailing slash, no empty, "." or ".." component.
    private static bool IsMalformed(string path) =>
        path.Length > 0 && (path.EndsWith('/') || path.Split('/').Skip(1).Any(c => c is "" or "." or ".."));

    private static bool FullMatch(string value, string pattern) =>
        Regex.IsMatch(value, $@"\A(?:{pattern})\z", RegexOptions.None, TimeSpan.FromSeconds(1));

    private static JsonObject Tag(string tag) => new() { [".tag"] = tag };

    private static JsonObject Tag(string tag, JsonNode value) => new() { [".tag"] = tag, [tag] = value };

    private static JsonObject Conflict(string kind) => Tag("conflict", Tag(kind));

    // The error_summary Dropbox derives from a union: its tags, outermost first, then "/" and some dots.
    private static string Summary(JsonObject union)
    {
        var tags = new List<string>();
        for (var node = union; node?[".tag"]?.GetValue<string>() is { } tag; node = node[tag] as JsonObject)
        {
            tags.Add(tag);
        }

        return string.Join('/', tags) + "/";
    }

    private static ApiErrorException RouteError(JsonObject error, string? summary = null) => new(409, summary ?? Summary(error), error);

    private static string AsciiJson(JsonNode node)
    {
        // Dropbox-API-Result must be HTTP-header safe: \u-escape DEL and everything above it (only strings can hold them).
        var text = node.ToJsonString(BodyJson);
        var ascii = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c >= 0x7F)
            {
                ascii.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                ascii.Append(c);
            }
        }

        return ascii.ToString();
    }

    private static async Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static async Task JsonAsync(HttpContext context, int status, JsonNode? body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body?.ToJsonString(BodyJson) ?? "null", context.RequestAborted);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellation);
        return buffer.ToArray();
    }

    private static JsonNode? ParseJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var node = JsonNode.Parse(json);

            // JsonObject throws on a duplicate key only when first enumerated: make that a 400 now, not a 500 later.
            Walk(node);
            return node;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new BadInputException("could not decode input as JSON");
        }

        static void Walk(JsonNode? node)
        {
            foreach (var child in node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a, _ => [] })
            {
                Walk(child);
            }
        }
    }

    // Media types Dropbox accepts per style (its 400 names them: 'Expecting one of "application/octet-stream", ...').
    private static string[] ContentTypes(Style style) => style switch
    {
        Style.Upload => ["application/octet-stream", "text/plain; charset=dropbox-cors-hack"],
        Style.Download => ["", "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "application/octet-stream; charset=utf-8"],
        _ => ["application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack"],
    };

    private static string Normalized(string? contentType) =>
        string.Join("; ", (contentType ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    private static WriteMode ParseMode(Args args)
    {
        var mode = args.Union("mode", voidTags: ["add", "overwrite"], valueTags: ["update"]);
        if (mode is null)
        {
            return new WriteMode("add", null);
        }

        if (mode.Value.Tag == "update")
        {
            var rev = mode.Value.Value;
            if (rev is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            {
                throw new BadInputException($"{args.Where("mode")}.update: expected string, got {Args.TypeName(rev)}");
            }

            var text = value.GetValue<string>();
            if (text.Length < 9 || !FullMatch(text, RevPattern))
            {
                throw new BadInputException($"{args.Where("mode")}.update: '{text}' did not match pattern '{RevPattern}' with at least 9 characters");
            }

            return new WriteMode("update", text);
        }

        return new WriteMode(mode.Value.Tag, null);
    }

    private static CommitArgs ParseCommit(Args args)
    {
        var path = args.String("path", required: true, pattern: WritePathOrIdPattern)!;
        var mode = ParseMode(args);
        var autorename = args.Bool("autorename");
        var clientModified = args.Timestamp("client_modified");
        args.Bool("mute");
        args.EmptyList("property_groups");
        var strict = args.Bool("strict_conflict");
        return new CommitArgs(path, mode, autorename, clientModified, strict);
    }

    private static JsonObject FileJson(Entry entry, bool tagged)
    {
        var json = new JsonObject();
        if (tagged)
        {
            json[".tag"] = "file";
        }

        json["name"] = entry.Name;
        json["path_lower"] = entry.PathLower;
        json["path_display"] = entry.PathDisplay;
        json["id"] = entry.Id;
        json["client_modified"] = Timestamp(entry.ClientModified);
        json["server_modified"] = Timestamp(entry.ServerModified);
        json["rev"] = entry.Rev;
        json["size"] = entry.Content.LongLength;
        json["is_downloadable"] = true;
        json["content_hash"] = entry.ContentHash;
        return json;
    }

    private static JsonObject FolderJson(Entry entry, bool tagged)
    {
        var json = new JsonObject();
        if (tagged)
        {
            json[".tag"] = "folder";
        }

        json["name"] = entry.Name;
        json["path_lower"] = entry.PathLower;
        json["path_display"] = entry.PathDisplay;
        json["id"] = entry.Id;
        return json;
    }

    // Metadata is a struct with enumerated subtypes: a field typed Metadata carries ".tag"; one typed FileMetadata or
    // FolderMetadata (upload's result, CreateFolderResult.metadata) does not.
    private static JsonObject MetadataJson(Entry entry, bool tagged) => entry.IsFolder ? FolderJson(entry, tagged) : FileJson(entry, tagged);

    private static JsonObject DeletedJson(string display) => new()
    {
        [".tag"] = "deleted",
        ["name"] = NameOf(display),
        ["path_lower"] = Lower(display),
        ["path_display"] = display,
    };

    private void AddFaults(int count, Fault fault)
    {
        lock (gate)
        {
            faults.AddRange(Enumerable.Repeat(fault, count));
        }
    }

    private T? TakeFault<T>(string path)
        where T : Fault
    {
        lock (gate)
        {
            var index = faults.FindIndex(f => f is T && (f.Endpoint is null ? path != TokenPath : f.Endpoint == path));
            if (index < 0)
            {
                return null;
            }

            var fault = (T)faults[index];
            faults.RemoveAt(index);
            return fault;
        }
    }

    private Fault? TakeRequestFault(string path) => (Fault?)TakeFault<FailFault>(path) ?? TakeFault<DropFault>(path);

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        lock (gate)
        {
            requests.Add($"{request.Method} {path}");
        }

        try
        {
            var body = await ReadBodyAsync(request, context.RequestAborted);
            switch (TakeRequestFault(path))
            {
                case DropFault:
                    context.Abort();
                    return;
                case FailFault fail when fail.Status == 429:
                    context.Response.Headers.RetryAfter = fail.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    await JsonAsync(context, 429, new JsonObject
                    {
                        ["error_summary"] = "too_many_requests/..",
                        ["error"] = new JsonObject { ["reason"] = Tag("too_many_requests"), ["retry_after"] = fail.RetryAfterSeconds },
                    });
                    return;
                case FailFault fail:
                    await TextAsync(context, fail.Status, ReasonPhrases.GetReasonPhrase(fail.Status));
                    return;
            }

            if (path == TokenPath)
            {
                await TokenAsync(context, body);
            }
            else if (Routes.TryGetValue(path, out var style))
            {
                await RouteAsync(context, path, style, body);
            }
            else
            {
                await TextAsync(context, 404, $"Unknown API function: \"{(path.StartsWith("/2/", StringComparison.Ordinal) ? path["/2/".Length..] : path)}\"");
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            context.Abort();
        }
    }

    private async Task TokenAsync(HttpContext context, byte[] body)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await TextAsync(context, 405, "Method Not Allowed");
            return;
        }

        if (Normalized(context.Request.ContentType) is not ("application/x-www-form-urlencoded" or "application/x-www-form-urlencoded; charset=utf-8"))
        {
            await OAuthErrorAsync(context, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
            return;
        }

        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        string? Field(string name) => form.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;

        var (clientId, clientSecret) = (Field("client_id"), Field("client_secret"));
        if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } basic)
        {
            if (!basic.StartsWith("Basic ", StringComparison.Ordinal) || clientId is not null || clientSecret is not null)
            {
                await OAuthErrorAsync(context, "invalid_client", "Invalid client_id or client_secret");
                return;
            }

            var decoded = new byte[basic.Length];
            var pair = Convert.TryFromBase64String(basic["Basic ".Length..].Trim(), decoded, out var written)
                ? Encoding.UTF8.GetString(decoded, 0, written).Split(':', 2)
                : [""];
            (clientId, clientSecret) = (pair[0], pair.Length == 2 ? pair[1] : null);
        }

        if (clientId != AppKey || clientSecret != AppSecret)
        {
            await OAuthErrorAsync(context, "invalid_client", "Invalid client_id or client_secret");
            return;
        }

        JsonObject result;
        lock (gate)
        {
            switch (Field("grant_type"))
            {
                case "refresh_token" when Field("refresh_token") is { } refresh && refreshTokens.Contains(refresh):
                    result = IssueAccessToken();
                    break;
                case "refresh_token":
                    result = OAuthError("invalid_grant", "refresh token is invalid or revoked");
                    break;
                case "authorization_code" when Field("redirect_uri") is not null || Field("code_verifier") is not null:
                    // IssueAuthorizationCode models a code issued without redirect_uri or PKCE, so these cannot match.
                    result = OAuthError("invalid_grant", "redirect_uri or code_verifier does not match the authorization request");
                    break;
                case "authorization_code" when Field("code") is { } code && authorizationCodes.Remove(code):
                    var issued = RandomToken(48);
                    refreshTokens.Add(issued);
                    result = IssueAccessToken();
                    result["refresh_token"] = issued;
                    result["scope"] = Scope;
                    result["uid"] = "12345678";
                    result["account_id"] = "dbid:AACfakeaccountidforthetestsuiteonly0000000";
                    break;
                case "authorization_code":
                    result = OAuthError("invalid_grant", "code doesn't exist or has expired");
                    break;
                case null:
                    result = OAuthError("invalid_request", "No grant_type provided");
                    break;
                default:
                    result = OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
                    break;
            }
        }

        await JsonAsync(context, result.ContainsKey("error") ? 400 : 200, result);
    }

    private static JsonObject OAuthError(string error, string description) => new() { ["error"] = error, ["error_description"] = description };

    private static Task OAuthErrorAsync(HttpContext context, string error, string description) => JsonAsync(context, 400, OAuthError(error, description));

    private JsonObject IssueAccessToken()
    {
        var token = "sl." + RandomToken(96);
        accessTokens[token] = DateTimeOffset.UtcNow + accessTokenLifetime;
        return new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "bearer",
            ["expires_in"] = (long)accessTokenLifetime.TotalSeconds,
        };
    }

    private async Task RouteAsync(HttpContext context, string path, Style style, byte[] body)
    {
        var request = context.Request;
        var function = path["/2/".Length..];
        var error = $"Error in call to API function \"{function}\": ";
        var getAllowed = style == Style.Download && HttpMethods.IsGet(request.Method);
        if (!HttpMethods.IsPost(request.Method) && !getAllowed)
        {
            context.Response.Headers.Allow = style == Style.Download ? "GET, POST" : "POST";
            await TextAsync(context, 405, $"{error}Method Not Allowed");
            return;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0 && request.Query.TryGetValue("authorization", out var fromQuery))
        {
            authorization = fromQuery.ToString();
        }

        if (style == Style.Notify)
        {
            if (authorization.Length > 0)
            {
                await TextAsync(context, 400, $"{error}Your request includes an Authorization header, but this function does not use it.");
                return;
            }
        }
        else if (authorization.Length == 0)
        {
            await TextAsync(context, 400, $"{error}Must provide HTTP header \"Authorization\" or URL parameter \"authorization\".");
            return;
        }
        else if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization.Length == "Bearer ".Length)
        {
            await TextAsync(context, 400, $"{error}Invalid authorization value in HTTP header \"Authorization\": \"{authorization}\".  Expecting \"Bearer <oauth2-access-token>\".");
            return;
        }

        var contentType = Normalized(request.ContentType);
        var accepted = ContentTypes(style);
        if (!accepted.Contains(contentType))
        {
            var expected = string.Join(", ", accepted.Where(t => t.Length > 0).Select(t => $"\"{t}\""));
            await TextAsync(context, 400, $"{error}Bad HTTP \"Content-Type\" header: \"{request.ContentType}\".  Expecting one of {expected}.");
            return;
        }

        if (style == Style.Download && body.Length > 0)
        {
            await TextAsync(context, 400, $"{error}Unexpected request body: a content-download function takes its argument in the \"Dropbox-API-Arg\" header.");
            return;
        }

        string where;
        JsonNode? argument;
        try
        {
            (where, argument) = ReadArgument(request, style, body);
        }
        catch (BadInputException e)
        {
            await TextAsync(context, 400, error + e.Message);
            return;
        }

        if (style != Style.Notify && Authenticate(authorization["Bearer ".Length..]) is { } denied)
        {
            await JsonAsync(context, 401, new JsonObject { ["error_summary"] = denied + "/..", ["error"] = Tag(denied) });
            return;
        }

        try
        {
            switch (path)
            {
                case DownloadPath:
                    await DownloadAsync(context, argument);
                    break;
                case "/2/files/list_folder/longpoll":
                    await JsonAsync(context, 200, await LongpollAsync(argument, context.RequestAborted));
                    break;
                case AppendPath:
                    lock (gate)
                    {
                        Append(argument, body);
                    }

                    if (TakeFault<LoseAppendFault>(path) is not null)
                    {
                        context.Abort();
                        return;
                    }

                    await JsonAsync(context, 200, null);
                    break;
                default:
                    JsonNode result;
                    lock (gate)
                    {
                        result = Invoke(path, argument, body);
                    }

                    await JsonAsync(context, 200, result);
                    break;
            }
        }
        catch (BadInputException e)
        {
            await TextAsync(context, 400, $"{error}{where}: {e.Message}");
        }
        catch (ApiErrorException e)
        {
            await JsonAsync(context, e.Status, new JsonObject { ["error_summary"] = e.Summary + "..", ["error"] = e.Error });
        }
        catch (NotSupportedException e)
        {
            // A valid request the fake does not model: fail loudly rather than pretend.
            await TextAsync(context, 500, $"DropboxFake does not support this: {e.Message}");
        }
    }

    private static (string Where, JsonNode? Argument) ReadArgument(HttpRequest request, Style style, byte[] body)
    {
        string where;
        byte[] json;
        if (style is Style.Rpc or Style.Notify)
        {
            (where, json) = ("request body", body);
        }
        else if (request.Headers.TryGetValue("Dropbox-API-Arg", out var header))
        {
            if (request.Query.ContainsKey("arg"))
            {
                throw new BadInputException("Provide the argument in HTTP header \"Dropbox-API-Arg\" or URL parameter \"arg\", not both.");
            }

            // https://www.dropbox.com/developers/reference/json-encoding: 0x7F and every non-ASCII character must be sent
            // as a \uXXXX escape. Kestrel decoded the header as Latin-1, so any such byte shows here as a char >= 0x7F.
            var text = header.ToString();
            (where, json) = ("HTTP header \"Dropbox-API-Arg\"", text.Any(c => c >= 0x7F) ? [] : Encoding.ASCII.GetBytes(text));
        }
        else if (request.Query.TryGetValue("arg", out var query))
        {
            (where, json) = ("URL parameter \"arg\"", Encoding.UTF8.GetBytes(query.ToString()));
        }
        else
        {
            throw new BadInputException("Must provide HTTP header \"Dropbox-API-Arg\" or URL parameter \"arg\".");
        }

        try
        {
            return (where, ParseJson(json));
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"{where}: {e.Message}");
        }
    }

    // Null when the token is good, else the AuthError tag Dropbox answers 401 with.
    private string? Authenticate(string token)
    {
        lock (gate)
        {
            if (!accessTokens.TryGetValue(token, out var expiry))
            {
                return "invalid_access_token";
            }

            return expiry <= DateTimeOffset.UtcNow ? "expired_access_token" : null;
        }
    }

    private JsonObject Invoke(string path, JsonNode? argument, byte[] body) => path switch
    {
        "/2/files/get_metadata" => GetMetadata(argument),
        "/2/files/list_folder" => ListFolder(argument, entriesWanted: true),
        "/2/files/list_folder/get_latest_cursor" => ListFolder(argument, entriesWanted: false),
        "/2/files/list_folder/continue" => ListFolderContinue(argument),
        "/2/files/create_folder_v2" => CreateFolder(argument),
        "/2/files/move_v2" => Move(argument),
        "/2/files/delete_v2" => Delete(argument),
        "/2/sharing/create_shared_link_with_settings" => CreateSharedLink(argument),
        "/2/sharing/list_shared_links" => ListSharedLinks(argument),
        "/2/files/upload" => Upload(argument, body),
        "/2/files/upload_session/start" => StartSession(argument, body),
        "/2/files/upload_session/finish" => FinishSession(argument, body),
        _ => throw new NotSupportedException(path),
    };

    // ---- Lookups and writes (callers hold the gate) ----

    private Entry? ById(string id) => entries.Values.FirstOrDefault(e => e.Id == id);

    // Resolves a ReadPath / PathOrId to what it names; the LookupError tag when that fails.
    private (Entry? Entry, string? Error) Find(string path)
    {
        if (path.StartsWith("ns:", StringComparison.Ordinal))
        {
            throw new NotSupportedException("namespace paths (ns:)");
        }

        if (path.StartsWith("id:", StringComparison.Ordinal))
        {
            return ById(path) is { } byId ? (byId, null) : (null, "not_found");
        }

        if (path.StartsWith("rev:", StringComparison.Ordinal))
        {
            return revisions.TryGetValue(path["rev:".Length..], out var revision) ? (revision, null) : (null, "not_found");
        }

        if (IsMalformed(path) || path == "/")
        {
            return (null, "malformed_path");
        }

        return entries.TryGetValue(Lower(path), out var entry) ? (entry, null) : (null, "not_found");
    }

    private static JsonObject LookupError(string tag) => tag == "malformed_path" ? Tag("malformed_path") : Tag(tag);

    private string NewRevision() => $"{++revisionCounter:x6}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";

    private void Record(string display)
    {
        changes.Add(new Change(Lower(display), display));
    }

    private void Signal()
    {
        changed.TrySetResult();
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private bool HasFileAncestor(string display)
    {
        for (var parent = ParentOf(display); parent.Length > 0; parent = ParentOf(parent))
        {
            if (entries.TryGetValue(Lower(parent), out var entry) && !entry.IsFolder)
            {
                return true;
            }
        }

        return false;
    }

    // Creates the missing folders above display, keeping the casing of those that exist; returns display re-cased to them.
    private string EnsureParents(string display)
    {
        var parts = display.Split('/')[1..];
        var built = "";
        for (var i = 0; i < parts.Length - 1; i++)
        {
            var next = built + "/" + parts[i];
            if (entries.TryGetValue(Lower(next), out var existing))
            {
                built = existing.PathDisplay;
            }
            else
            {
                entries[Lower(next)] = new Entry("id:" + RandomToken(16), next, true, [], "", default, default, "");
                Record(next);
                built = next;
            }
        }

        return built + "/" + parts[^1];
    }

    private string FreeName(string display, string suffix)
    {
        var parent = ParentOf(display);
        var name = NameOf(display);
        var dot = name.LastIndexOf('.');
        var (stem, extension) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        for (var n = 1; ; n++)
        {
            var label = suffix.Length == 0 ? $" ({n})" : n == 1 ? $" ({suffix})" : $" ({suffix} {n})";
            var candidate = $"{parent}/{stem}{label}{extension}";
            if (!entries.ContainsKey(Lower(candidate)))
            {
                return candidate;
            }
        }
    }

    // Writes a file as upload/finish commit it (files.stone WriteMode and CommitInfo); the WriteError when it cannot.
    private (Entry? Written, JsonObject? Error) Commit(string path, byte[] content, WriteMode mode, bool autorename, bool strict, DateTime? clientModified)
    {
        string display;
        if (path.StartsWith("id:", StringComparison.Ordinal))
        {
            if (ById(path) is not { IsFolder: false } target)
            {
                return (null, Tag("malformed_path"));
            }

            display = target.PathDisplay;
        }
        else if (path.StartsWith("ns:", StringComparison.Ordinal))
        {
            throw new NotSupportedException("namespace paths (ns:)");
        }
        else if (IsMalformed(path) || path == "/")
        {
            return (null, Tag("malformed_path"));
        }
        else
        {
            display = path;
        }

        if (DisallowedNames.Contains(Lower(NameOf(display))))
        {
            return (null, Tag("disallowed_name"));
        }

        if (HasFileAncestor(display))
        {
            return (null, Conflict("file_ancestor"));
        }

        var hash = ContentHash(content);
        var existing = entries.GetValueOrDefault(Lower(display));
        string? conflict = null;
        if (existing is null)
        {
            // strict_conflict: "always return a conflict error when mode = update and the given rev doesn't match ...,
            // even if the existing file has been deleted."
            conflict = mode.Tag == "update" && strict ? "file" : null;
        }
        else if (existing.IsFolder)
        {
            conflict = "folder";
        }
        else if (existing.ContentHash == hash && !strict)
        {
            // WriteMode (c): "If the target path refers to a file with identical contents, nothing gets written; no conflict."
            return (existing, null);
        }
        else
        {
            conflict = mode.Tag switch
            {
                "add" => "file",
                "update" when mode.Rev != existing.Rev => "file",
                _ => strict && existing.ContentHash == hash ? "file" : null,
            };
        }

        if (conflict is not null)
        {
            if (!autorename)
            {
                return (null, Conflict(conflict));
            }

            display = FreeName(display, mode.Tag == "update" ? "conflicted copy" : "");
            existing = null;
        }

        display = EnsureParents(display);
        var now = Now();
        var entry = new Entry(existing?.Id ?? "id:" + RandomToken(16), display, false, content, NewRevision(), clientModified ?? now, now, hash);
        entries[entry.PathLower] = entry;
        revisions[entry.Rev] = entry;
        Record(display);
        Signal();
        return (entry, null);
    }

    // Moves entry and everything under it to `to`; the RelocationError when it cannot (the moved entry otherwise).
    private JsonObject? Relocate(Entry entry, string to, bool autorename, out Entry? moved)
    {
        moved = null;
        if (IsMalformed(to) || to == "/" || !to.StartsWith('/'))
        {
            return Tag("to", Tag("malformed_path"));
        }

        var fromLower = entry.PathLower;
        var toLower = Lower(to);
        if (toLower == fromLower)
        {
            // move_v2: "Note that we do not currently support case-only renaming."
            return Tag("duplicated_or_nested_paths");
        }

        if (entry.IsFolder && IsUnder(toLower, fromLower))
        {
            return Tag("cant_move_folder_into_itself");
        }

        if (DisallowedNames.Contains(Lower(NameOf(to))))
        {
            return Tag("to", Tag("disallowed_name"));
        }

        if (HasFileAncestor(to))
        {
            return Tag("to", Conflict("file_ancestor"));
        }

        if (entries.TryGetValue(toLower, out var occupant))
        {
            if (!autorename)
            {
                return Tag("to", Conflict(occupant.IsFolder ? "folder" : "file"));
            }

            to = FreeName(to, "");
        }

        to = EnsureParents(to);
        var from = entry.PathDisplay;
        foreach (var old in entries.Values.Where(e => e.PathLower == fromLower || IsUnder(e.PathLower, fromLower)).ToList())
        {
            entries.Remove(old.PathLower);
            Record(old.PathDisplay);
            var relocated = old with { PathDisplay = to + old.PathDisplay[from.Length..] };
            entries[relocated.PathLower] = relocated;
            Record(relocated.PathDisplay);
        }

        moved = entries[Lower(to)];
        Signal();
        return null;
    }

    // ---- RPC routes ----

    private JsonObject GetMetadata(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "path", "include_media_info", "include_deleted", "include_has_explicit_shared_members", "include_property_groups");
        var path = args.String("path", required: true, pattern: ReadPathPattern)!;
        args.Bool("include_media_info");
        var includeDeleted = args.Bool("include_deleted");
        args.Bool("include_has_explicit_shared_members");
        args.Absent("include_property_groups");
        var (entry, error) = Find(path);
        if (entry is not null)
        {
            return MetadataJson(entry, tagged: true);
        }

        if (error == "not_found" && includeDeleted && changes.LastOrDefault(c => c.Lower == Lower(path)) is { } gone)
        {
            return DeletedJson(gone.Display);
        }

        throw RouteError(Tag("path", LookupError(error!)));
    }

    private JsonObject ListFolder(JsonNode? argument, bool entriesWanted)
    {
        var args = Args.Parse(
            argument,
            "",
            "path",
            "recursive",
            "include_media_info",
            "include_deleted",
            "include_has_explicit_shared_members",
            "include_mounted_folders",
            "limit",
            "shared_link",
            "include_property_groups",
            "include_non_downloadable_files",
            "include_restorable_info");
        var path = args.String("path", required: true, pattern: PathROrIdPattern)!;
        if (path == "/")
        {
            throw new BadInputException("path: Specify the root folder as an empty string rather than as \"/\".");
        }

        var recursive = args.Bool("recursive");
        args.Bool("include_media_info");
        args.Bool("include_deleted");
        args.Bool("include_has_explicit_shared_members");
        args.Bool("include_mounted_folders", fallback: true);
        var limit = (int)(args.UInt("limit", 1, 2000) ?? DefaultPageSize);
        args.Absent("shared_link");
        args.Absent("include_property_groups");
        args.Bool("include_non_downloadable_files", fallback: true);
        args.Bool("include_restorable_info");

        string folder;
        if (path.Length == 0)
        {
            folder = "";
        }
        else
        {
            var (entry, error) = Find(path);
            if (entry is null)
            {
                throw RouteError(Tag("path", LookupError(error!)));
            }

            if (!entry.IsFolder || path.StartsWith("rev:", StringComparison.Ordinal))
            {
                throw RouteError(Tag("path", Tag("not_folder")));
            }

            folder = entry.PathLower;
        }

        var cursor = new Cursor(folder, recursive, limit, changes.Count, [], Reset: false);
        if (!entriesWanted)
        {
            return new JsonObject { ["cursor"] = Issue(cursor) };
        }

        // Sorted by path_lower, so a recursive listing names every folder before what it holds (and the folder itself
        // first, as Dropbox does for a recursive listing of a non-root folder).
        var listing = entries.Values
            .Where(e => cursor.Covers(e.PathLower))
            .OrderBy(e => e.PathLower, StringComparer.Ordinal)
            .Select(e => MetadataJson(e, tagged: true))
            .ToList();
        return Page(cursor, listing);
    }

    private JsonObject ListFolderContinue(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "cursor");
        var cursor = FindCursor(args.String("cursor", required: true, minLength: 1)!);
        if (cursor.Pending.Count > 0)
        {
            return Page(cursor, [.. cursor.Pending]);
        }

        return Page(cursor with { Seq = changes.Count }, ChangesSince(cursor));
    }

    private Cursor FindCursor(string token)
    {
        if (!cursors.TryGetValue(token, out var cursor))
        {
            throw new BadInputException("cursor: invalid cursor");
        }

        return cursor.Reset ? throw RouteError(Tag("reset")) : cursor;
    }

    private JsonObject Page(Cursor cursor, List<JsonObject> remaining)
    {
        var page = remaining.Take(cursor.Limit).ToList();
        var rest = remaining.Skip(cursor.Limit).ToList();
        return new JsonObject
        {
            ["entries"] = new JsonArray([.. page.Select(e => e.DeepClone())]),
            ["cursor"] = Issue(cursor with { Pending = rest }),
            ["has_more"] = rest.Count > 0,
        };
    }

    private string Issue(Cursor cursor)
    {
        var token = RandomToken(48);
        cursors[token] = cursor;
        return token;
    }

    // What changed under the cursor's folder since it was issued: deletions first, then the current state of what
    // exists, parents before children, so a client applying them in order ends with the current tree.
    private List<JsonObject> ChangesSince(Cursor cursor)
    {
        var touched = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var change in changes.Skip((int)cursor.Seq).Where(c => cursor.Covers(c.Lower)))
        {
            touched[change.Lower] = change.Display;
        }

        var result = new List<JsonObject>();
        result.AddRange(touched.Where(t => !entries.ContainsKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => DeletedJson(t.Value)));
        result.AddRange(touched.Keys.Where(entries.ContainsKey).Order(StringComparer.Ordinal).Select(k => MetadataJson(entries[k], tagged: true)));
        return result;
    }

    private async Task<JsonNode> LongpollAsync(JsonNode? argument, CancellationToken aborted)
    {
        string token;
        ulong timeout;
        lock (gate)
        {
            var args = Args.Parse(argument, "", "cursor", "timeout");
            token = args.String("cursor", required: true, minLength: 1)!;
            timeout = args.UInt("timeout", 30, 480, nullable: false) ?? 30;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping.Token);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(timeout * LongpollTimeScale);
        while (true)
        {
            Task wake;
            lock (gate)
            {
                var cursor = FindCursor(token);
                if (cursor.Pending.Count > 0 || ChangesSince(cursor).Count > 0)
                {
                    return new JsonObject { ["changes"] = true };
                }

                wake = changed.Task;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return new JsonObject { ["changes"] = false };
            }

            await Task.WhenAny(wake, Task.Delay(left, linked.Token));
            linked.Token.ThrowIfCancellationRequested();
        }
    }

    private JsonObject CreateFolder(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "path", "autorename");
        var path = args.String("path", required: true, pattern: WritePathPattern)!;
        var autorename = args.Bool("autorename");
        if (path.StartsWith("ns:", StringComparison.Ordinal))
        {
            throw new NotSupportedException("namespace paths (ns:)");
        }

        JsonObject? error = null;
        if (IsMalformed(path) || path == "/")
        {
            error = Tag("malformed_path");
        }
        else if (DisallowedNames.Contains(Lower(NameOf(path))))
        {
            error = Tag("disallowed_name");
        }
        else if (HasFileAncestor(path))
        {
            error = Conflict("file_ancestor");
        }
        else if (entries.TryGetValue(Lower(path), out var occupant))
        {
            if (autorename)
            {
                path = FreeName(path, "");
            }
            else
            {
                error = Conflict(occupant.IsFolder ? "folder" : "file");
            }
        }

        if (error is not null)
        {
            throw RouteError(Tag("path", error));
        }

        var display = EnsureParents(path);
        var folder = new Entry("id:" + RandomToken(16), display, true, [], "", default, default, "");
        entries[folder.PathLower] = folder;
        Record(display);
        Signal();
        return new JsonObject { ["metadata"] = FolderJson(folder, tagged: false) };
    }

    private JsonObject Move(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "from_path", "to_path", "allow_shared_folder", "autorename", "allow_ownership_transfer");
        var from = args.String("from_path", required: true, pattern: WritePathOrIdPattern)!;
        var to = args.String("to_path", required: true, pattern: WritePathOrIdPattern)!;
        args.Bool("allow_shared_folder");
        var autorename = args.Bool("autorename");
        args.Bool("allow_ownership_transfer");
        var (entry, lookup) = Find(from);
        if (entry is null)
        {
            throw RouteError(Tag("from_lookup", LookupError(lookup!)));
        }

        if (to.StartsWith("id:", StringComparison.Ordinal))
        {
            throw new NotSupportedException("an id as move_v2's to_path");
        }

        var error = Relocate(entry, to, autorename, out var moved);
        return error is null ? new JsonObject { ["metadata"] = MetadataJson(moved!, tagged: true) } : throw RouteError(error);
    }

    private JsonObject Delete(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "path", "parent_rev");
        var path = args.String("path", required: true, pattern: WritePathOrIdPattern)!;
        var parentRev = args.String("parent_rev", pattern: RevPattern, minLength: 9);
        var (entry, lookup) = Find(path);
        if (entry is null || path.StartsWith("rev:", StringComparison.Ordinal))
        {
            throw RouteError(Tag("path_lookup", LookupError(lookup ?? "not_found")));
        }

        if (parentRev is not null && (entry.IsFolder || entry.Rev != parentRev))
        {
            throw RouteError(Tag("path_write", Conflict(entry.IsFolder ? "folder" : "file")));
        }

        var removed = entries.Values.Where(e => e.PathLower == entry.PathLower || IsUnder(e.PathLower, entry.PathLower)).ToList();
        foreach (var gone in removed)
        {
            entries.Remove(gone.PathLower);
            sharedLinks.Remove(gone.Id);
            Record(gone.PathDisplay);
        }

        Signal();
        return new JsonObject { ["metadata"] = MetadataJson(entry, tagged: true) };
    }

    private JsonObject CreateSharedLink(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "path", "settings");
        var path = args.String("path", required: true, pattern: ReadPathPattern)!;
        var settings = args.Struct("settings", "require_password", "link_password", "expires", "audience", "access", "requested_visibility", "allow_download");
        if (settings is not null)
        {
            var requirePassword = settings.OptionalBool("require_password");
            var password = settings.String("link_password");
            var expires = settings.Timestamp("expires");
            var audience = settings.Union("audience", voidTags: ["public", "team", "no_one", "password", "members"], valueTags: []);
            var access = settings.Union("access", voidTags: ["viewer", "editor", "max", "default"], valueTags: []);
            var visibility = settings.Union("requested_visibility", voidTags: ["public", "team_only", "password"], valueTags: []);
            var allowDownload = settings.OptionalBool("allow_download");

            // SharedLinkSettingsError.invalid_settings: "all attributes ... are empty, the requested visibility is password
            // but link_password is missing, expires is set to the past, etc."
            var empty = requirePassword is null && password is null && expires is null && audience is null && access is null && visibility is null && allowDownload is null;
            var passwordMissing = (requirePassword == true || visibility?.Tag == "password") && password is null;
            if (empty || passwordMissing || expires <= DateTime.UtcNow)
            {
                throw RouteError(Tag("settings_error", Tag("invalid_settings")));
            }
        }

        var (entry, lookup) = Find(path);
        if (entry is null)
        {
            throw RouteError(Tag("path", LookupError(lookup!)));
        }

        if (sharedLinks.TryGetValue(entry.Id, out var existing))
        {
            // Dropbox returns the existing link's metadata only when no settings were asked for (they could conflict).
            throw settings is null
                ? RouteError(Tag("shared_link_already_exists", Tag("metadata", LinkJson(existing, entry))), "shared_link_already_exists/metadata/")
                : RouteError(Tag("shared_link_already_exists"));
        }

        var kind = entry.IsFolder ? "fo" : "fi";
        var url = $"https://www.dropbox.com/scl/{kind}/{RandomToken(15).ToLowerInvariant()}/{Uri.EscapeDataString(entry.Name)}?rlkey={RandomToken(18).ToLowerInvariant()}&dl=0";
        sharedLinks[entry.Id] = url;
        return LinkJson(url, entry);
    }

    private JsonObject ListSharedLinks(JsonNode? argument)
    {
        var args = Args.Parse(argument, "", "path", "cursor", "direct_only");
        var path = args.String("path", pattern: ReadPathPattern);
        var cursor = args.String("cursor");
        var directOnly = args.OptionalBool("direct_only") ?? false;
        if (cursor is not null && !linkCursors.Contains(cursor))
        {
            throw RouteError(Tag("reset"));
        }

        var links = new JsonArray();
        if (path is not null)
        {
            var (entry, lookup) = Find(path);
            if (entry is null)
            {
                throw RouteError(Tag("path", LookupError(lookup!)));
            }

            // "direct links to the given path and links to parent folders of the given path" unless direct_only.
            var current = entries.GetValueOrDefault(entry.PathLower) ?? entry;
            foreach (var holder in entries.Values.Where(e => e.PathLower == current.PathLower || (!directOnly && IsUnder(current.PathLower, e.PathLower))))
            {
                if (sharedLinks.TryGetValue(holder.Id, out var url))
                {
                    links.Add(LinkJson(url, holder));
                }
            }

            return new JsonObject { ["links"] = links, ["has_more"] = false };
        }

        if (cursor is null)
        {
            foreach (var holder in entries.Values.Where(e => sharedLinks.ContainsKey(e.Id)).OrderBy(e => e.PathLower, StringComparer.Ordinal))
            {
                links.Add(LinkJson(sharedLinks[holder.Id], holder));
            }
        }

        // The whole list fits one page, so a cursor (returned only without path) just marks the end.
        var next = RandomToken(24);
        linkCursors.Add(next);
        return new JsonObject { ["links"] = links, ["has_more"] = false, ["cursor"] = next };
    }

    private static JsonObject LinkJson(string url, Entry entry)
    {
        var json = new JsonObject
        {
            [".tag"] = entry.IsFolder ? "folder" : "file",
            ["url"] = url,
            ["id"] = entry.Id,
            ["name"] = entry.Name,
            ["path_lower"] = entry.PathLower,
            ["link_permissions"] = new JsonObject
            {
                ["resolved_visibility"] = Tag("public"),
                ["requested_visibility"] = Tag("public"),
                ["can_revoke"] = true,
                ["visibility_policies"] = new JsonArray(),
                ["can_set_expiry"] = true,
                ["can_remove_expiry"] = true,
                ["allow_download"] = true,
                ["can_allow_download"] = true,
                ["can_disallow_download"] = true,
                ["allow_comments"] = true,
                ["team_restricts_comments"] = false,
                ["effective_audience"] = Tag("public"),
                ["link_access_level"] = Tag("viewer"),
            },
        };
        if (!entry.IsFolder)
        {
            json["client_modified"] = Timestamp(entry.ClientModified);
            json["server_modified"] = Timestamp(entry.ServerModified);
            json["rev"] = entry.Rev;
            json["size"] = entry.Content.LongLength;
        }

        return json;
    }

    // ---- Content routes ----

    private static void CheckPayload(byte[] body, string? contentHash, Func<JsonObject, JsonObject> wrap)
    {
        if (body.LongLength > MaxPayload)
        {
            throw RouteError(wrap(Tag("payload_too_large")));
        }

        if (contentHash is not null && contentHash != ContentHash(body))
        {
            throw RouteError(wrap(Tag("content_hash_mismatch")));
        }
    }

    private JsonObject Upload(JsonNode? argument, byte[] body)
    {
        var args = Args.Parse(argument, "", "path", "mode", "autorename", "client_modified", "mute", "property_groups", "strict_conflict", "content_hash");
        var commit = ParseCommit(args);
        var contentHash = args.Hash("content_hash");
        CheckPayload(body, contentHash, e => e);
        var (written, error) = Commit(commit.Path, body, commit.Mode, commit.Autorename, commit.Strict, commit.ClientModified);
        if (error is null)
        {
            return FileJson(written!, tagged: false);
        }

        // UploadError.path is UploadWriteFailed: the reason, and a session holding the data for a retry via finish.
        var session = new Session("pid_upload_session:" + RandomToken(36), Concurrent: false);
        session.Data.Write(body);
        sessions[session.Id] = session;
        throw RouteError(
            new JsonObject { [".tag"] = "path", ["reason"] = error, ["upload_session_id"] = session.Id },
            "path/" + Summary(error));
    }

    private JsonObject StartSession(JsonNode? argument, byte[] body)
    {
        var args = Args.Parse(argument, "", "close", "session_type", "content_hash");
        var close = args.Bool("close");
        var type = args.Union("session_type", voidTags: ["sequential", "concurrent"], valueTags: []);
        var contentHash = args.Hash("content_hash");
        var concurrent = type?.Tag == "concurrent";
        if (concurrent && body.Length > 0)
        {
            throw RouteError(Tag("concurrent_session_data_not_allowed"));
        }

        if (concurrent && close)
        {
            throw RouteError(Tag("concurrent_session_close_not_allowed"));
        }

        CheckPayload(body, contentHash, e => e);
        var session = new Session("pid_upload_session:" + RandomToken(36), concurrent) { Closed = close };
        session.Data.Write(body);
        sessions[session.Id] = session;
        return new JsonObject { ["session_id"] = session.Id };
    }

    private (Session Session, ulong Offset) ParseCursor(Args args, Func<JsonObject, JsonObject> wrap)
    {
        var cursor = args.Struct("cursor", true, "session_id", "offset")!;
        var id = cursor.String("session_id", required: true)!;
        var offset = cursor.UInt("offset", 0, ulong.MaxValue, nullable: false, required: true)!.Value;
        if (!sessions.TryGetValue(id, out var session) || session.Committed)
        {
            throw RouteError(wrap(Tag("not_found")));
        }

        return (session, offset);
    }

    private void Append(JsonNode? argument, byte[] body)
    {
        var args = Args.Parse(argument, "", "cursor", "close", "content_hash");
        var (session, offset) = ParseCursor(args, e => e);
        var close = args.Bool("close");
        var contentHash = args.Hash("content_hash");
        if (session.Concurrent)
        {
            // Concurrent pieces come "in any order", so the closing piece may precede the ones that fill the gaps before it.
            if (session.Closed && offset + (ulong)body.Length > session.ClosingOffset)
            {
                throw RouteError(Tag("closed"));
            }

            if (offset % HashBlock != 0)
            {
                throw RouteError(Tag("concurrent_session_invalid_offset"));
            }

            if (!close && body.Length % HashBlock != 0)
            {
                throw RouteError(Tag("concurrent_session_invalid_data_size"));
            }

            CheckPayload(body, contentHash, e => e);
            session.Chunks[offset] = body;
            if (close)
            {
                session.ClosingOffset = offset;
            }
        }
        else
        {
            // The offset is checked before closed, so a retried append whose first try was stored (response lost) learns
            // the correct offset even when that first try closed the session.
            if (offset != (ulong)session.Data.Length)
            {
                throw RouteError(new JsonObject { [".tag"] = "incorrect_offset", ["correct_offset"] = session.Data.Length });
            }

            if (session.Closed)
            {
                throw RouteError(Tag("closed"));
            }

            CheckPayload(body, contentHash, e => e);
            session.Data.Write(body);
        }

        session.Closed |= close;
    }

    private JsonObject FinishSession(JsonNode? argument, byte[] body)
    {
        var args = Args.Parse(argument, "", "cursor", "commit", "content_hash");
        static JsonObject Lookup(JsonObject e) => Tag("lookup_failed", e);
        var (session, offset) = ParseCursor(args, Lookup);
        var commit = ParseCommit(args.Struct("commit", true, "path", "mode", "autorename", "client_modified", "mute", "property_groups", "strict_conflict")!);
        var contentHash = args.Hash("content_hash");
        byte[] content;
        if (session.Concurrent)
        {
            if (body.Length > 0)
            {
                throw RouteError(Tag("concurrent_session_data_not_allowed"));
            }

            if (!session.Closed)
            {
                throw RouteError(Tag("concurrent_session_not_closed"));
            }

            using var assembled = new MemoryStream();
            foreach (var (at, chunk) in session.Chunks)
            {
                if (at != (ulong)assembled.Length)
                {
                    throw RouteError(Tag("concurrent_session_missing_data"));
                }

                assembled.Write(chunk);
            }

            if (offset != (ulong)assembled.Length)
            {
                throw RouteError(Lookup(new JsonObject { [".tag"] = "incorrect_offset", ["correct_offset"] = assembled.Length }));
            }

            content = assembled.ToArray();
        }
        else
        {
            if (offset != (ulong)session.Data.Length)
            {
                throw RouteError(Lookup(new JsonObject { [".tag"] = "incorrect_offset", ["correct_offset"] = session.Data.Length }));
            }

            if (session.Closed && body.Length > 0)
            {
                throw RouteError(Lookup(Tag("closed")));
            }

            CheckPayload(body, contentHash, e => e);

            // The data stays appended even if the commit fails: UploadSessionFinishError.path says to "retry with empty
            // data body and updated offset".
            session.Data.Write(body);
            content = session.Data.ToArray();
        }

        var (written, error) = Commit(commit.Path, content, commit.Mode, commit.Autorename, commit.Strict, commit.ClientModified);
        if (error is not null)
        {
            throw RouteError(Tag("path", error));
        }

        // A committed session is spent: finishing or appending again finds no session.
        session.Committed = true;
        return FileJson(written!, tagged: false);
    }

    private async Task DownloadAsync(HttpContext context, JsonNode? argument)
    {
        Entry entry;
        lock (gate)
        {
            var args = Args.Parse(argument, "", "path", "rev");
            var path = args.String("path", required: true, pattern: ReadPathPattern)!;
            var rev = args.String("rev", pattern: RevPattern, minLength: 9);
            var (found, lookup) = rev is null ? Find(path) : Find("rev:" + rev);
            if (found is null)
            {
                throw RouteError(Tag("path", LookupError(lookup!)));
            }

            if (found.IsFolder)
            {
                throw RouteError(Tag("path", Tag("not_file")));
            }

            entry = found;
        }

        var response = context.Response;
        var content = entry.Content;
        var (start, length) = (0L, content.LongLength);
        response.Headers.AcceptRanges = "bytes";
        if (ParseRange(context.Request.Headers.Range.ToString(), content.LongLength) is { } range)
        {
            if (range.Length == 0)
            {
                response.Headers.ContentRange = $"bytes */{content.LongLength}";
                await TextAsync(context, 416, "Requested Range Not Satisfiable");
                return;
            }

            (start, length) = range;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{content.LongLength}";
        }
        else
        {
            response.StatusCode = 200;
        }

        response.Headers["Dropbox-API-Result"] = AsciiJson(FileJson(entry, tagged: false));
        response.ContentType = "application/octet-stream";
        response.ContentLength = length;
        if (TakeFault<CutFault>(DownloadPath) is { } cut)
        {
            await response.Body.WriteAsync(content.AsMemory((int)start, (int)Math.Min(length, cut.AfterBytes)), context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
            return;
        }

        await response.Body.WriteAsync(content.AsMemory((int)start, (int)length), context.RequestAborted);
    }

    // One byte range (RFC 9110 §14.1.2): "a-b", "a-" or "-n". Null when absent or unparsable (serve it all, as the RFC
    // says); a zero length when unsatisfiable.
    private static (long Start, long Length)? ParseRange(string header, long size)
    {
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        var spec = header["bytes=".Length..].Split('-', 2);
        if (spec.Length != 2)
        {
            return null;
        }

        var hasFirst = long.TryParse(spec[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first);
        var hasLast = long.TryParse(spec[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last);
        if (!hasFirst)
        {
            return hasLast && spec[0].Length == 0
                ? last == 0 || size == 0 ? (0, 0) : (size - Math.Min(last, size), Math.Min(last, size))
                : null;
        }

        if (spec[1].Length > 0 && (!hasLast || last < first))
        {
            return null;
        }

        if (first >= size)
        {
            return (0, 0);
        }

        var end = hasLast ? Math.Min(last, size - 1) : size - 1;
        return (first, end - first + 1);
    }

    private sealed record Entry(string Id, string PathDisplay, bool IsFolder, byte[] Content, string Rev, DateTime ClientModified, DateTime ServerModified, string ContentHash)
    {
        public string PathLower => Lower(PathDisplay);

        public string Name => NameOf(PathDisplay);
    }

    private sealed record Change(string Lower, string Display);

    private sealed record WriteMode(string Tag, string? Rev);

    private sealed record CommitArgs(string Path, WriteMode Mode, bool Autorename, DateTime? ClientModified, bool Strict);

    // A list_folder position: the folder, the change count it has seen, and the rest of a listing not yet paged out.
    private sealed record Cursor(string Folder, bool Recursive, int Limit, long Seq, List<JsonObject> Pending, bool Reset)
    {
        public bool Covers(string lower) => Recursive
            ? Folder.Length == 0 || lower == Folder || IsUnder(lower, Folder)
            : lower != Folder && ParentOf(lower) == Folder;
    }

    private sealed record Session(string Id, bool Concurrent)
    {
        public MemoryStream Data { get; } = new();

        public SortedDictionary<ulong, byte[]> Chunks { get; } = [];

        public bool Closed { get; set; }

        public ulong ClosingOffset { get; set; }

        public bool Committed { get; set; }
    }

    private abstract record Fault(string? Endpoint);

    private sealed record FailFault(string? Endpoint, int Status, int RetryAfterSeconds) : Fault(Endpoint);

    private sealed record DropFault(string? Endpoint) : Fault(Endpoint);

    private sealed record CutFault(int AfterBytes) : Fault(DownloadPath);

    private sealed record LoseAppendFault() : Fault(AppendPath);

    /// <summary>A request Dropbox answers with 400 and this text (after "Error in call to API function ...: ").</summary>
    private sealed class BadInputException(string message) : Exception(message);

    /// <summary>A route error: the status (409) and the union that goes in "error".</summary>
    private sealed class ApiErrorException(int status, string summary, JsonObject error) : Exception(summary)
    {
        public int Status { get; } = status;

        public string Summary { get; } = summary;

        public JsonObject Error { get; } = error;
    }

    /// <summary>
    /// A Stone struct argument read as Dropbox's server reads it (stone_serializers strict mode): unknown fields, wrong
    /// types, nulls where the type is not nullable and pattern mismatches are errors, worded like Stone's.
    /// </summary>
    private sealed class Args
    {
        private readonly JsonObject json;
        private readonly string parent;

        private Args(JsonObject json, string parent)
        {
            this.json = json;
            this.parent = parent;
        }

        public static Args Parse(JsonNode? node, string parent, params string[] fields)
        {
            if (node is not JsonObject json)
            {
                throw new BadInputException($"{(parent.Length > 0 ? parent + ": " : "")}expected object, got {TypeName(node)}");
            }

            foreach (var (key, _) in json)
            {
                // Stone's strict decoder lets ".tag" through (a struct with subtypes may carry one) and nothing else unknown.
                if (!fields.Contains(key) && !key.StartsWith(".tag", StringComparison.Ordinal))
                {
                    throw new BadInputException($"{(parent.Length > 0 ? parent + ": " : "")}unknown field '{key}'");
                }
            }

            return new Args(json, parent);
        }

        public static string TypeName(JsonNode? node) => node?.GetValueKind() switch
        {
            null or JsonValueKind.Null => "null",
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => node.ToJsonString().Contains('.', StringComparison.Ordinal) ? "float" : "integer",
            JsonValueKind.Array => "list",
            _ => "object",
        };

        public string Where(string field) => parent.Length > 0 ? $"{parent}.{field}" : field;

        public string? String(string field, bool required = false, string? pattern = null, int minLength = 0)
        {
            if (Get(field, "string", nullable: true, required) is not { } node)
            {
                return null;
            }

            var value = Expect(node, field, JsonValueKind.String, "string").GetValue<string>();
            if (value.Length < minLength)
            {
                throw Bad(field, $"'{value}' must be at least {minLength} characters, got {value.Length}");
            }

            return pattern is null || FullMatch(value, pattern) ? value : throw Bad(field, $"'{value}' did not match pattern '{pattern}'");
        }

        public bool Bool(string field, bool fallback = false) => OptionalBool(field, nullable: false) ?? fallback;

        public bool? OptionalBool(string field, bool nullable = true)
        {
            var node = Get(field, "boolean", nullable, required: false);
            return node is null ? null : Expect(node, field, JsonValueKind.True, "boolean").GetValue<bool>();
        }

        public ulong? UInt(string field, ulong min, ulong max, bool nullable = true, bool required = false)
        {
            if (Get(field, "integer", nullable, required) is not { } node)
            {
                return null;
            }

            if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out ulong value))
            {
                if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out long negative))
                {
                    throw Bad(field, $"{negative} is not within range [{min}, {max}]");
                }

                throw Bad(field, $"expected integer, got {TypeName(node)}");
            }

            return value < min || value > max ? throw Bad(field, $"{value} is not within range [{min}, {max}]") : value;
        }

        public DateTime? Timestamp(string field)
        {
            var text = String(field);
            if (text is null)
            {
                return null;
            }

            // common.DropboxTimestamp = Timestamp("%Y-%m-%dT%H:%M:%SZ")
            return DateTime.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
                ? time
                : throw Bad(field, $"'{text}' does not match format '%Y-%m-%dT%H:%M:%SZ'");
        }

        // files.Sha256HexHash = String(max_length=64, min_length=64)
        public string? Hash(string field)
        {
            var hash = String(field);
            return hash is null || hash.Length == 64 ? hash : throw Bad(field, $"'{hash}' must be 64 characters, got {hash.Length}");
        }

        public Args? Struct(string field, params string[] fields) => Struct(field, false, fields);

        public Args? Struct(string field, bool required, params string[] fields)
        {
            var node = Get(field, "object", nullable: true, required);
            return node is null ? null : Parse(node, Where(field), fields);
        }

        // A union per Stone: a void member as "tag" or {".tag": "tag"}; a valued one as {".tag": "tag", "tag": value}.
        public (string Tag, JsonNode? Value)? Union(string field, string[] voidTags, string[] valueTags)
        {
            if (Get(field, "union", nullable: true, required: false) is not { } node)
            {
                return null;
            }

            string tag;
            if (node.GetValueKind() == JsonValueKind.String)
            {
                tag = node.GetValue<string>();
                if (valueTags.Contains(tag))
                {
                    throw Bad(field, $"expected object for '{tag}', got symbol");
                }

                return voidTags.Contains(tag) ? (tag, null) : throw Bad(field, $"unknown tag '{tag}'");
            }

            if (node is not JsonObject union)
            {
                throw Bad(field, $"expected string or object, got {TypeName(node)}");
            }

            if (union[".tag"] is not JsonValue tagNode || tagNode.GetValueKind() != JsonValueKind.String)
            {
                throw Bad(field, "missing '.tag' key");
            }

            tag = tagNode.GetValue<string>();
            if (!voidTags.Contains(tag) && !valueTags.Contains(tag))
            {
                throw Bad(field, $"unknown tag '{tag}'");
            }

            foreach (var (key, value) in union)
            {
                if (key != ".tag" && (key != tag || (voidTags.Contains(tag) && value is not null)))
                {
                    throw Bad(field, $"unexpected key '{key}'");
                }
            }

            if (valueTags.Contains(tag) && union[tag] is null)
            {
                throw Bad(field, $"missing '{tag}' key");
            }

            return (tag, union[tag]);
        }

        // A field the fake accepts only when absent or null (or an empty list), since it does not model it.
        public void Absent(string field)
        {
            if (json.TryGetPropertyValue(field, out var value) && value is not null)
            {
                throw new NotSupportedException($"{Where(field)} in the argument");
            }
        }

        public void EmptyList(string field)
        {
            if (json.TryGetPropertyValue(field, out var value) && value is not null && value is not JsonArray { Count: 0 })
            {
                throw value is JsonArray ? new NotSupportedException($"{Where(field)} in the argument") : Bad(field, $"expected list, got {TypeName(value)}");
            }
        }

        private JsonNode? Get(string field, string kind, bool nullable, bool required)
        {
            if (!json.TryGetPropertyValue(field, out var node))
            {
                return required ? throw new BadInputException($"{(parent.Length > 0 ? parent + ": " : "")}missing required field '{field}'") : null;
            }

            if (node is null)
            {
                return nullable && !required ? null : throw Bad(field, $"expected {kind}, got null");
            }

            return node;
        }

        private JsonNode Expect(JsonNode node, string field, JsonValueKind kind, string name)
        {
            var actual = node.GetValueKind();
            var matches = kind == JsonValueKind.True ? actual is JsonValueKind.True or JsonValueKind.False : actual == kind;
            return matches ? node : throw Bad(field, $"expected {name}, got {TypeName(node)}");
        }

        private BadInputException Bad(string field, string message) => new($"{Where(field)}: {message}");
    }
}
