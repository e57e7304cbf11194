using System.Text;
using System.Text.Json.Nodes;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Tests.Rendering;

/// <summary>A plan as every job (on any worker of a fleet) reads it back from the store.</summary>
[Trait("Category", "Unit")]
public sealed class RenderPlanStoreTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("rotoscope-plan-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task ReadJsonAsync_GivesTheSameChain_WhenThePlanHasAnAdjustment()
    {
        var store = new LocalBlobStore(root);
        var plan = Plan() with { Adjustment = new StyleAdjustment(0.35, KeepColors: true) };

        await store.WriteJsonAsync(plan.PlanKey, plan, CancellationToken.None);
        var read = await store.ReadJsonAsync<RenderPlan>(plan.PlanKey, CancellationToken.None);

        Assert.Equal(new StyleAdjustment(0.35, KeepColors: true), read.Chain.Adjustment);
        Assert.Equal(plan.StyledPrefix, read.StyledPrefix);
        Assert.NotEqual(Plan().StyledPrefix, read.StyledPrefix);
    }

    [Fact]
    public async Task ReadJsonAsync_GivesNoAdjustment_WhenThePlanWasWrittenBeforeAdjustmentsExisted()
    {
        var store = new LocalBlobStore(root);
        var plan = Plan();
        await store.WriteJsonAsync(plan.PlanKey, plan, CancellationToken.None);
        var json = JsonNode.Parse(await store.ReadAllBytesAsync(plan.PlanKey, CancellationToken.None))!.AsObject();
        Assert.True(json.Remove("adjustment"));
        await store.WriteAllBytesAsync(plan.PlanKey, Encoding.UTF8.GetBytes(json.ToJsonString()), CancellationToken.None);

        var read = await store.ReadJsonAsync<RenderPlan>(plan.PlanKey, CancellationToken.None);

        Assert.True(read.Adjustment.IsNone);
        Assert.Equal(plan.StyledPrefix, read.StyledPrefix);
    }

    private static RenderPlan Plan()
    {
        var fps = new Rational(10, 1);
        var source = new VideoInfo("mp4", "h264", 96, 64, 0, fps, TimeSpan.FromSeconds(1), 10, []);
        var model = new StyleModel("mosaic", "2.0.0", "Mosaic", "", StyleKind.Neural, "/models/mosaic/model.onnx", new string('b', 64));
        return new RenderPlan("render1", "/in.mp4", new string('c', 64), source, fps, [model], "split1", ImageFormat.Jpeg, 32, "/out.mp4", "mp4");
    }
}
