using Rotoscope.Core.Imaging;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Tests.Rendering;

/// <summary>What the dashboard reads every second: only the newest renders, and an ended one only when it changes.</summary>
[Trait("Category", "Unit")]
public sealed class RenderStatusListTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-status-list-").FullName;
    private readonly LocalBlobStore local;
    private readonly CountingStore store;

    public RenderStatusListTests()
    {
        local = new LocalBlobStore(root);
        store = new CountingStore(local);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task NewestAsync_ReadsOnlyTheNewestRenders_NewestFirst()
    {
        await WriteAsync("oldest", minutes: 1, new RenderFailure("broken", Start));
        await WriteAsync("middle", minutes: 2, new RenderFailure("stopped", Start, Cancelled: true));
        await WriteAsync("newest", minutes: 3, failure: null);
        var list = new RenderStatusList(store);

        var statuses = await list.NewestAsync(2, CancellationToken.None);

        Assert.Equal(["newest", "middle"], statuses.Select(s => s.RenderId));
        Assert.Equal(["queued", "cancelled"], statuses.Select(s => s.State));
        Assert.Equal(0, store.ReadsOf("oldest"));
        Assert.NotNull(list.VersionOf("middle"));
        Assert.Null(list.VersionOf("oldest"));
    }

    [Fact]
    public async Task NewestAsync_ReadsAnEndedRenderAgainOnlyWhenItsRecordsChange_AndAnActiveOneEveryTime()
    {
        await WriteAsync("ended", minutes: 1, new RenderFailure("broken", Start));
        await WriteAsync("active", minutes: 2, failure: null);
        var list = new RenderStatusList(store);
        await list.NewestAsync(10, CancellationToken.None);
        var (ended, active) = (store.ReadsOf("ended"), store.ReadsOf("active"));
        var version = list.VersionOf("ended");

        var again = await list.NewestAsync(10, CancellationToken.None);

        Assert.Equal(ended, store.ReadsOf("ended"));
        Assert.True(store.ReadsOf("active") > active, "the active render was not read again");
        Assert.Equal("failed", again.Single(s => s.RenderId == "ended").State);

        // Retried: the failure goes and the render is queued again; its records changed, so it is read again.
        await local.DeleteAsync(RenderPlan.FailureKeyOf("ended"), CancellationToken.None);
        var retried = await list.NewestAsync(10, CancellationToken.None);

        Assert.True(store.ReadsOf("ended") > ended, "the changed render was not read again");
        Assert.Equal("queued", retried.Single(s => s.RenderId == "ended").State);
        Assert.NotEqual(version, list.VersionOf("ended"));
    }

    private async Task WriteAsync(string renderId, int minutes, RenderFailure? failure)
    {
        var plan = Plan(renderId);
        await local.WriteJsonAsync(plan.PlanKey, plan, CancellationToken.None);
        File.SetLastWriteTimeUtc(local.PathOf(plan.PlanKey), Start.AddMinutes(minutes));
        if (failure is not null)
        {
            await local.WriteJsonAsync(RenderPlan.FailureKeyOf(renderId), failure, CancellationToken.None);
            File.SetLastWriteTimeUtc(local.PathOf(RenderPlan.FailureKeyOf(renderId)), Start.AddMinutes(minutes));
        }
    }

    private static RenderPlan Plan(string renderId)
    {
        var fps = new Rational(10, 1);
        var source = new VideoInfo("mp4", "h264", 96, 64, 0, fps, TimeSpan.FromSeconds(1), 10, []);
        var model = new StyleModel("mosaic", "2.0.0", "Mosaic", "", StyleKind.Neural, "/models/mosaic/model.onnx", new string('b', 64));
        return new RenderPlan(renderId, "/in.mp4", new string('c', 64), source, fps, [model], "split-" + renderId, ImageFormat.Jpeg, 32, $"/{renderId}.mp4", "mp4");
    }

    // Counts the blobs read under each render's records.
    private sealed class CountingStore(IBlobStore inner) : IBlobStore
    {
        private readonly Dictionary<string, int> reads = new(StringComparer.Ordinal);

        public string Description => inner.Description;

        public int ParallelTransfers => inner.ParallelTransfers;

        public int ReadsOf(string renderId) => reads.GetValueOrDefault(renderId);

        public Task<BlobEntry?> StatAsync(BlobKey key, CancellationToken cancellationToken)
        {
            Count(key);
            return inner.StatAsync(key, cancellationToken);
        }

        public Task<Stream> OpenReadAsync(BlobKey key, CancellationToken cancellationToken)
        {
            Count(key);
            return inner.OpenReadAsync(key, cancellationToken);
        }

        public Task WriteAsync(BlobKey key, Stream content, CancellationToken cancellationToken) => inner.WriteAsync(key, content, cancellationToken);

        public IAsyncEnumerable<BlobEntry> ListAsync(BlobKey? folder, CancellationToken cancellationToken)
        {
            if (folder is { } prefix && prefix.Value.Split('/') is ["renders", var renderId])
            {
                reads[renderId] = ReadsOf(renderId) + 1;
            }

            return inner.ListAsync(folder, cancellationToken);
        }

        public Task DeleteAsync(BlobKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

        private void Count(BlobKey key)
        {
            if (key.Value.Split('/') is ["renders", var renderId, ..])
            {
                reads[renderId] = ReadsOf(renderId) + 1;
            }
        }
    }
}
