using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Rotoscope.Tests;

namespace Rotoscope.Core.Tests.Storage;

/// <summary>The Dropbox fake itself, spoken to with raw HTTP as the documentation describes the wire.</summary>
[Trait("Category", "Unit")]
public sealed class DropboxFakeTests : IAsyncLifetime
{
    private DropboxFake fake = null!;
    private HttpClient http = null!;
    private string token = "";

    public async Task InitializeAsync()
    {
        fake = await DropboxFake.StartAsync();

        // Raw UTF-8 header bytes are what a careless client sends; .NET refuses non-ASCII headers unless told otherwise.
        http = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = new Uri(fake.Url) };
        using var refresh = await http.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = fake.RefreshToken,
            ["client_id"] = fake.AppKey,
            ["client_secret"] = fake.AppSecret,
        }));
        var json = await ReadJsonAsync(refresh);
        Assert.Equal("bearer", (string)json["token_type"]!);
        Assert.Equal(4 * 3600, (int)json["expires_in"]!);
        token = (string)json["access_token"]!;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await fake.DisposeAsync();
    }

    [Fact]
    public void ContentHash_HashesTheBlockDigests_WhenContentSpansTwoBlocks()
    {
        var content = RandomNumberGenerator.GetBytes((4 * 1024 * 1024) + 3);
        var blocks = SHA256.HashData(content.AsSpan(0, 4 * 1024 * 1024)).Concat(SHA256.HashData(content.AsSpan(4 * 1024 * 1024))).ToArray();

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(blocks)), DropboxFake.ContentHash(content));

        // files.stone's FileMetadata example carries this hash: SHA-256 of nothing, as an empty file has no blocks.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", DropboxFake.ContentHash([]));
    }

    [Fact]
    public async Task Upload_Answers400_WhenArgHeaderCarriesRawNonAscii()
    {
        using var raw = await UploadAsync("{\"path\": \"/caf\u00e9.txt\"}", [1, 2, 3]);
        Assert.Equal(HttpStatusCode.BadRequest, raw.StatusCode);
        Assert.Contains("HTTP header \"Dropbox-API-Arg\"", await raw.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(fake.FileContent("/café.txt"));

        using var escaped = await UploadAsync("{\"path\": \"/caf\\u00e9.txt\"}", [1, 2, 3]);
        Assert.Equal(HttpStatusCode.OK, escaped.StatusCode);
        Assert.Equal("/café.txt", (string)(await ReadJsonAsync(escaped))["path_display"]!);
        Assert.Equal([1, 2, 3], fake.FileContent("/CAFÉ.TXT"));
    }

    [Fact]
    public async Task Append_AnswersIncorrectOffset_WhenRetriedAfterALostResponse()
    {
        using var start = await UploadAsync("{\"close\": false}", new byte[10], "/2/files/upload_session/start");
        var session = (string)(await ReadJsonAsync(start))["session_id"]!;
        var append = $"{{\"cursor\": {{\"session_id\": \"{session}\", \"offset\": 10}}}}";
        fake.LoseAppendResponseNext(1);

        await Assert.ThrowsAsync<HttpRequestException>(() => UploadAsync(append, new byte[5], "/2/files/upload_session/append_v2"));
        using var retry = await UploadAsync(append, new byte[5], "/2/files/upload_session/append_v2");

        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        var error = await ReadJsonAsync(retry);
        Assert.Equal("incorrect_offset/..", (string)error["error_summary"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{".tag": "incorrect_offset", "correct_offset": 15}"""), error["error"]));
    }

    [Fact]
    public async Task Download_Answers206WithContentRange_WhenAskedForARange()
    {
        var content = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        fake.PutFile("/Dir/Ünï.bin", content);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/2/files/download");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Dropbox-API-Arg", "{\"path\": \"/dir/\\u00fcn\\u00ef.bin\"}");
        request.Headers.Range = new RangeHeaderValue(10, 19);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("bytes 10-19/100", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(content[10..20], await response.Content.ReadAsByteArrayAsync());
        var result = response.Headers.GetValues("Dropbox-API-Result").Single();
        Assert.True(result.All(c => c < 0x7F), result);
        Assert.Equal("/Dir/Ünï.bin", (string)JsonNode.Parse(result)!["path_display"]!);
    }

    [Fact]
    public async Task Rpc_AnswersAsDropboxDoes_WhenArgumentsOrTokensAreWrong()
    {
        using var missing = await RpcAsync("/2/files/get_metadata", """{"path": "/nope"}""");
        Assert.Equal(HttpStatusCode.Conflict, missing.StatusCode);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}"""),
            await ReadJsonAsync(missing)));

        using var unknownField = await RpcAsync("/2/files/list_folder", """{"path": "", "recursive": true, "colour": "red"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Contains("unknown field 'colour'", await unknownField.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var slashRoot = await RpcAsync("/2/files/list_folder", """{"path": "/"}""");
        Assert.Equal(HttpStatusCode.BadRequest, slashRoot.StatusCode);

        fake.ExpireAccessTokens();
        using var expired = await RpcAsync("/2/files/list_folder", """{"path": ""}""");
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal("expired_access_token", (string)(await ReadJsonAsync(expired))["error"]![".tag"]!);
    }

    [Fact]
    public async Task ListFolder_PagesThenLongpollsForAChange_WhenFilesMove()
    {
        fake.LongpollTimeScale = 0.01;
        fake.PutFile("/In/a.txt", [1]);
        fake.PutFile("/In/b.txt", [2]);

        using var first = await RpcAsync("/2/files/list_folder", """{"path": "/in", "limit": 1}""");
        var page = await ReadJsonAsync(first);
        Assert.True((bool)page["has_more"]!);
        using var second = await RpcAsync("/2/files/list_folder/continue", $$"""{"cursor": "{{page["cursor"]}}"}""");
        page = await ReadJsonAsync(second);
        Assert.False((bool)page["has_more"]!);
        Assert.Equal("/in/b.txt", (string)page["entries"]![0]!["path_lower"]!);
        var cursor = (string)page["cursor"]!;

        using var quiet = await LongpollAsync(cursor);
        Assert.False((bool)(await ReadJsonAsync(quiet))["changes"]!);

        var poll = LongpollAsync(cursor);
        fake.MoveEntry("/In/a.txt", "/Out/a.txt");
        using var woken = await poll;
        Assert.True((bool)(await ReadJsonAsync(woken))["changes"]!);

        using var changes = await RpcAsync("/2/files/list_folder/continue", $$"""{"cursor": "{{cursor}}"}""");
        var entries = (await ReadJsonAsync(changes))["entries"]!.AsArray();
        Assert.Equal("deleted", (string)Assert.Single(entries)![".tag"]!);
        Assert.Contains("/Out", fake.FolderPaths);
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("null JSON");

    private async Task<HttpResponseMessage> UploadAsync(string arg, byte[] body, string route = "/2/files/upload")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Dropbox-API-Arg", arg);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> RpcAsync(string route, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private Task<HttpResponseMessage> LongpollAsync(string cursor) =>
        http.PostAsync("/2/files/list_folder/longpoll", new StringContent($$"""{"cursor": "{{cursor}}", "timeout": 30}""", Encoding.UTF8, "application/json"));
}
