using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rotoscope.Cli.Commands;
using Rotoscope.Core.Review;
using Rotoscope.Core.Storage;
using Rotoscope.Tests;
using SixLabors.ImageSharp;

namespace Rotoscope.Cli.Tests;

/// <summary>
/// The review loop against the strict Dropbox fake: render --review / review publish, a "reviewer" moving folders with
/// the fake's MoveEntry and PutFile, review watch (once, and following longpolls), list and show.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReviewTests : IAsyncLifetime, IDisposable
{
    private const string Root = "dropbox+review://Reviews/";
    private const string RootPath = "/Rotoscope/Reviews";
    private readonly Cli cli = new();
    private DropboxFake? fake;

    private DropboxFake Fake => fake!;

    public async Task InitializeAsync()
    {
        fake = await DropboxFake.StartAsync();
        Fake.LongpollTimeScale = 0.01; // a 120 s longpoll lasts 1.2 s
        cli.Variables["TEST_DROPBOX_SECRET"] = Fake.AppSecret;
        await RunOkAsync("connectors", "add", "dropbox", "--label", "review", "--folder", "/Rotoscope", "--app-key", Fake.AppKey, "--app-secret-env", "TEST_DROPBOX_SECRET", "--refresh-token", Fake.RefreshToken, "--endpoint", Fake.Url, "--write");
    }

    public async Task DisposeAsync() => await Fake.DisposeAsync();

    public void Dispose() => cli.Dispose();

    public static TheoryData<string> Examples() => new(ReviewCommand.Examples);

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(Examples))]
    public void ReviewExample_ParsesWithoutErrors_WhenTakenFromHelp(string example)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false);
        var root = new RootCommand { ReviewCommand.Create(context) };

        Assert.Empty(root.Parse(example["rotoscope ".Length..]).Errors);
    }

    [Fact]
    public async Task Publish_CreatesARecognisableFolderWithCopySheetReadmeAndLink_AndPublishingAgainUpdatesTheSameFolder()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var folder = review.GetProperty("folder").GetString()!;
        var link = review.GetProperty("link").GetString()!;

        Assert.Equal($"{RootPath}/clip - toon - {DateTime.UtcNow:yyyy-MM-dd}", folder);
        Assert.DoesNotContain(id, folder, StringComparison.Ordinal);
        Assert.Contains($"{RootPath}/Approved", Fake.FolderPaths);
        Assert.Contains($"{RootPath}/Rejected", Fake.FolderPaths);
        Assert.StartsWith("https://www.dropbox.com/scl/fo/", link, StringComparison.Ordinal);
        Assert.Equal("pending", review.GetProperty("state").GetString());

        var copy = cli.PathOf("copy.mp4");
        await File.WriteAllBytesAsync(copy, Fake.FileContent($"{folder}/clip.toon.review.mp4")!);
        var facts = Cli.Probe(copy);
        Assert.Equal((564, 480, 12, true), (facts.Width, facts.Height, facts.Frames, facts.HasAudio));

        using var sheet = Image.Load(Fake.FileContent($"{folder}/contact-sheet.jpg")!);
        var layout = ContactSheetLayout.For(640, 544, 12);
        Assert.Equal((1324, 1266), (layout.Width, layout.Height));
        Assert.Equal((layout.Width, layout.Height), (sheet.Width, sheet.Height));

        var readme = Encoding.UTF8.GetString(Fake.FileContent($"{folder}/README.txt")!);
        Assert.Contains("into \"Approved\"", readme, StringComparison.Ordinal);
        Assert.Contains("into \"Rejected\"", readme, StringComparison.Ordinal);
        Assert.Contains("notes.txt", readme, StringComparison.Ordinal);
        Assert.Contains(id, Encoding.UTF8.GetString(Fake.FileContent($"{folder}/rotoscope.json")!), StringComparison.Ordinal);

        var again = JsonDocument.Parse((await RunOkAsync("review", "publish", id, "--to", Root, "--json")).Out).RootElement;
        var text = await RunOkAsync("review", "publish", id, "--to", "dropbox+review://reviews");

        Assert.Equal((folder, link, "pending"), (again.GetProperty("folder").GetString(), again.GetProperty("link").GetString(), again.GetProperty("state").GetString()));
        Assert.Contains($"link: {link}", text.Out, StringComparison.Ordinal);
        Assert.Single(Fake.FolderPaths, p => p.StartsWith($"{RootPath}/clip", StringComparison.Ordinal));
        AssertNothingDeleted();
    }

    [Fact]
    public async Task Watch_PublishesTheApprovedOutputExactlyOnce_WhenTheFolderIsMovedIntoApprovedWithNotes()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var folder = review.GetProperty("folder").GetString()!;
        Fake.PutFile($"{folder}/notes.txt", Encoding.UTF8.GetBytes("Lovely colours.\r\nShip it.\n"));
        Fake.MoveEntry(folder, $"{RootPath}/Approved/{Path.GetFileName(folder)}");

        var first = await RunOkAsync("review", "watch", "--once");
        var published = Path.Combine(cli.DataDirectory, "published", "clip.toon.mp4");
        var written = File.GetLastWriteTimeUtc(published);
        var second = await RunOkAsync("review", "watch", "--once");
        var shown = JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement;
        var approved = await RunOkAsync("review", "list", "--state", "approved", "--json");
        var pending = await RunOkAsync("review", "list", "--state", "pending", "--json");

        Assert.Contains("approved: Lovely colours. Ship it.", first.Out, StringComparison.Ordinal);
        Assert.Contains("published to data://published/clip.toon.mp4", first.Out, StringComparison.Ordinal);
        Assert.Equal("no changes", second.Out.Trim());
        Assert.Equal(SHA256.HashData(await File.ReadAllBytesAsync(cli.PathOf("clip.toon.mp4"))), SHA256.HashData(await File.ReadAllBytesAsync(published)));
        Assert.Equal(written, File.GetLastWriteTimeUtc(published));
        Assert.Equal("approved", shown.GetProperty("state").GetString());
        Assert.Equal("Lovely colours. Ship it.", shown.GetProperty("reason").GetString());
        Assert.Equal($"{RootPath}/Approved/{Path.GetFileName(folder)}", shown.GetProperty("folder").GetString());
        Assert.Equal("data://published/clip.toon.mp4", shown.GetProperty("publication").GetProperty("destination").GetString());
        Assert.Single(shown.GetProperty("history").EnumerateArray(), h => h.GetProperty("what").GetString()!.StartsWith("published to", StringComparison.Ordinal));
        Assert.Contains(id, approved.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(id, pending.Out, StringComparison.Ordinal);
        AssertNothingDeleted();
    }

    [Fact]
    public async Task Watch_KeepsTheReasonAndPublishesNothing_WhenRejected_AndAReRenderLinksToTheRejectedReview()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var folder = review.GetProperty("folder").GetString()!;
        Fake.MoveEntry(folder, $"{RootPath}/Rejected/{Path.GetFileName(folder)}");
        var decided = await RunOkAsync("review", "watch", "--once", "--json");
        Fake.PutFile($"{RootPath}/Rejected/{Path.GetFileName(folder)}/NOTES.txt", Encoding.UTF8.GetBytes("Too dark in the middle"));
        var reasoned = await RunOkAsync("review", "watch", "--once");

        var shown = JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement;
        Assert.Equal("rejected", JsonDocument.Parse(decided.Out).RootElement[0].GetProperty("state").GetString());
        Assert.Contains("reason: Too dark in the middle", reasoned.Out, StringComparison.Ordinal);
        Assert.Equal(("rejected", "Too dark in the middle"), (shown.GetProperty("state").GetString(), shown.GetProperty("reason").GetString()));
        Assert.Equal(JsonValueKind.Null, shown.GetProperty("publication").ValueKind);
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "published")));

        var (_, second) = await RenderForReviewAsync("clip.mp4", "ink");
        Assert.Equal(id, second.GetProperty("supersedes").GetString());
        Assert.Equal($"{RootPath}/clip - ink - {DateTime.UtcNow:yyyy-MM-dd}", second.GetProperty("folder").GetString());
        AssertNothingDeleted();
    }

    [Fact]
    public async Task Watch_TakesRenamesStrayFilesAndAMoveBackInStride_AndNeverPublishesTwice()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var original = review.GetProperty("folder").GetString()!;
        var renamed = $"{RootPath}/Harbour clip (for Anna)";
        Fake.MoveEntry(original, renamed);
        Fake.MoveEntry($"{renamed}/README.txt", $"{renamed}/read me first.txt");
        Fake.MoveEntry($"{renamed}/rotoscope.json", $"{renamed}/whatever.json");
        Fake.PutFile($"{renamed}/screenshot.png", [1, 2, 3]);
        Fake.PutFile($"{RootPath}/unrelated.txt", Encoding.UTF8.GetBytes("hello"));
        Fake.PutFile($"{RootPath}/Someone else/notes.txt", Encoding.UTF8.GetBytes("not ours"));
        Fake.PutFile($"{RootPath}/Approved/stray.txt", Encoding.UTF8.GetBytes("not ours either"));

        var moved = await RunOkAsync("review", "watch", "--once");
        Assert.Contains($"the folder is now {renamed}", moved.Out, StringComparison.Ordinal);
        Assert.Equal("pending", await StateAsync(id));

        Fake.MoveEntry(renamed, $"{RootPath}/Approved/Harbour clip (for Anna)");
        await RunOkAsync("review", "watch", "--once");
        var published = Path.Combine(cli.DataDirectory, "published", "clip.toon.mp4");
        var written = File.GetLastWriteTimeUtc(published);
        Assert.Equal("approved", await StateAsync(id));

        Fake.MoveEntry($"{RootPath}/Approved/Harbour clip (for Anna)", renamed);
        var back = await RunOkAsync("review", "watch", "--once");
        Assert.Contains("moved back to pending: the approved decision is withdrawn; the output published to data://published/clip.toon.mp4 stays there", back.Out, StringComparison.Ordinal);
        Assert.Equal("pending", await StateAsync(id));

        Fake.MoveEntry(renamed, $"{RootPath}/Approved/Nested/Harbour clip (for Anna)");
        await RunOkAsync("review", "watch", "--once");
        var republished = JsonDocument.Parse((await RunOkAsync("review", "publish", id, "--to", Root, "--json")).Out).RootElement;

        var shown = JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement;
        Assert.Equal("approved", shown.GetProperty("state").GetString());
        Assert.Equal(written, File.GetLastWriteTimeUtc(published));
        Assert.Single(shown.GetProperty("history").EnumerateArray(), h => h.GetProperty("what").GetString()!.StartsWith("published to", StringComparison.Ordinal));
        Assert.Equal($"{RootPath}/Approved/Nested/Harbour clip (for Anna)", republished.GetProperty("folder").GetString());
        Assert.NotNull(Fake.FileContent($"{RootPath}/Approved/Nested/Harbour clip (for Anna)/README.txt"));
        Assert.NotNull(Fake.FileContent($"{RootPath}/Approved/Nested/Harbour clip (for Anna)/read me first.txt"));
        Assert.NotNull(Fake.FileContent($"{RootPath}/unrelated.txt"));
        AssertNothingDeleted();
    }

    [Fact]
    public async Task Watch_WithdrawsAReviewWhoseFolderIsDeleted_AndPublishingAgainPutsItBack()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var folder = review.GetProperty("folder").GetString()!;
        using (var client = new DropboxClient(new DropboxCredentials(Fake.AppKey, Fake.AppSecret, Fake.RefreshToken), new Uri(Fake.Url)))
        {
            Assert.True(await client.DeleteAsync(folder, CancellationToken.None)); // the reviewer's deletion
        }

        var deletions = Fake.Requests.Count(r => r.EndsWith("/2/files/delete_v2", StringComparison.Ordinal));
        var watched = await RunOkAsync("review", "watch", "--once");
        var missing = await RunOkAsync("review", "list", "--state", "missing", "--json");
        Assert.Contains("withdrawn from review, nothing is published", watched.Out, StringComparison.Ordinal);
        Assert.Contains(id, missing.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "published")));

        var again = JsonDocument.Parse((await RunOkAsync("review", "publish", id, "--to", Root, "--json")).Out).RootElement;
        Assert.Equal((folder, "pending"), (again.GetProperty("folder").GetString(), again.GetProperty("state").GetString()));
        Assert.NotNull(Fake.FileContent($"{folder}/clip.toon.review.mp4"));
        Assert.Equal(deletions, Fake.Requests.Count(r => r.EndsWith("/2/files/delete_v2", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Watch_FollowsDecisionsThroughLongpoll_UntilCancelled()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var folder = review.GetProperty("folder").GetString()!;
        using var stdout = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watch = CliApp.RunAsync(["review", "watch"], new CliContext(TextWriter.Synchronized(stdout), TextWriter.Null, cli.Environment, ErrorIsTerminal: false), stop.Token);
        await WaitForAsync(() => Fake.Requests.Any(r => r.EndsWith("/longpoll", StringComparison.Ordinal)));

        Fake.PutFile($"{folder}/notes.txt", Encoding.UTF8.GetBytes("Wrong style for this client"));
        Fake.MoveEntry(folder, $"{RootPath}/Rejected/{Path.GetFileName(folder)}");
        var clock = Stopwatch.StartNew();
        await WaitForAsync(async () => await StateAsync(id) == "rejected");
        var noticedIn = clock.Elapsed;
        await stop.CancelAsync();
        var code = await watch;

        Assert.Equal(0, code);
        Assert.True(noticedIn < TimeSpan.FromSeconds(10), $"noticed after {noticedIn}");
        Assert.Contains("rejected: Wrong style for this client", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, Fake.Requests.Count(r => r.EndsWith("/2/files/list_folder", StringComparison.Ordinal))); // listed once, then only changes
        Assert.Contains(Fake.Requests, r => r.EndsWith("/2/files/list_folder/continue", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_TakesDecisionsInOneWatcherOnly_WhenTwoRunAtOnce_AndTheOtherTakesOverWhenItStops()
    {
        var (id, review) = await RenderForReviewAsync("clip.mp4", "toon");
        var folder = review.GetProperty("folder").GetString()!;
        using var firstOut = new StringWriter();
        using var secondOut = new StringWriter();
        using var secondError = new StringWriter();
        using var stopFirst = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var stopSecond = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var first = CliApp.RunAsync(["review", "watch"], new CliContext(TextWriter.Synchronized(firstOut), TextWriter.Null, cli.Environment, ErrorIsTerminal: false), stopFirst.Token);
        await WaitForAsync(() => Fake.Requests.Any(r => r.EndsWith("/longpoll", StringComparison.Ordinal)));
        var second = CliApp.RunAsync(["review", "watch"], new CliContext(TextWriter.Synchronized(secondOut), TextWriter.Synchronized(secondError), cli.Environment, ErrorIsTerminal: false), stopSecond.Token);
        await WaitForAsync(() => secondError.ToString().Contains("another review watcher is running", StringComparison.Ordinal));
        var once = await RunOkAsync("review", "watch", "--once");

        Fake.MoveEntry(folder, $"{RootPath}/Approved/{Path.GetFileName(folder)}");
        await WaitForAsync(async () => JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement.GetProperty("publication").ValueKind == JsonValueKind.Object);
        var listings = Fake.Requests.Count(r => r.EndsWith("/2/files/list_folder", StringComparison.Ordinal));
        await stopFirst.CancelAsync();
        Assert.Equal(0, await first);
        await WaitForAsync(() => Fake.Requests.Count(r => r.EndsWith("/2/files/list_folder", StringComparison.Ordinal)) > listings); // the second took over
        await Task.Delay(500);
        await stopSecond.CancelAsync();
        Assert.Equal(0, await second);

        var shown = JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement;
        Assert.StartsWith("another review watcher is running (process ", once.Out, StringComparison.Ordinal);
        Assert.Contains("published to data://published/clip.toon.mp4", firstOut.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("published", secondOut.ToString(), StringComparison.Ordinal);
        Assert.Single(shown.GetProperty("history").EnumerateArray(), h => h.GetProperty("what").GetString()!.StartsWith("published to", StringComparison.Ordinal));
    }

    private async Task<(string RenderId, JsonElement Review)> RenderForReviewAsync(string name, string style)
    {
        var clip = File.Exists(cli.PathOf(name)) ? cli.PathOf(name) : cli.MakeClip(name, 640, 544, 10, 1.2);
        var outcome = await RunOkAsync("render", clip, "--style", style, "--output", cli.PathOf($"{Path.GetFileNameWithoutExtension(name)}.{style}.mp4"), "--review", Root, "--publish-to", "data://published/", "--json");
        var summary = JsonDocument.Parse(outcome.Out).RootElement;
        return (summary.GetProperty("renderId").GetString()!, summary.GetProperty("review").Clone());
    }

    private async Task<string?> StateAsync(string id) =>
        JsonDocument.Parse((await RunOkAsync("review", "show", id, "--json")).Out).RootElement.GetProperty("state").GetString();

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }

    private static Task WaitForAsync(Func<bool> condition) => WaitForAsync(() => Task.FromResult(condition()));

    private void AssertNothingDeleted() =>
        Assert.DoesNotContain(Fake.Requests, r => r.EndsWith("/2/files/delete_v2", StringComparison.Ordinal));

    private async Task<CliOutcome> RunOkAsync(params string[] args)
    {
        var outcome = await cli.RunAsync(args);
        Assert.True(outcome.ExitCode == 0, $"{string.Join(' ', args.Take(3))}: {outcome.Error}");
        return outcome;
    }
}
