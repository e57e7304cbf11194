using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Tests.Jobs;

/// <summary>A watch's identity and its definition as a fleet's recurring job stores it.</summary>
[Trait("Category", "Unit")]
public sealed class WatchDefinitionTests
{
    [Fact]
    public void Id_StaysWhatItWas_ForAPlainStyle_AndDiffers_ForAnAdjustedOne()
    {
        var plain = new WatchDefinition("/videos/in/", "toon", "/videos/out/");
        var before = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("/videos/in/|toon|/videos/out/")))[..16];

        Assert.Equal(before, plain.Id); // registered watches keep their memory of what they rendered
        Assert.Equal(before, (plain with { Adjustment = new StyleAdjustment(1) }).Id);
        Assert.NotEqual(before, (plain with { Adjustment = new StyleAdjustment(0.5) }).Id);
        Assert.NotEqual(before, (plain with { Adjustment = new StyleAdjustment(KeepColors: true) }).Id);
    }

    [Fact]
    public void Definition_CarriesTheAdjustmentIntoItsRenders_AfterAJsonRoundTrip()
    {
        var watch = new WatchDefinition("/videos/in/", "mosaic|ink", "/videos/out/") { Adjustment = new StyleAdjustment(0.3, KeepColors: true) };

        var stored = JsonSerializer.Deserialize<WatchDefinition>(JsonSerializer.Serialize(watch))!;

        Assert.Equal(watch.Id, stored.Id);
        Assert.Equal(new StyleAdjustment(0.3, KeepColors: true), stored.RequestFor("/videos/in/a.mp4", "/videos/out", overwrite: false).Adjustment);
    }
}
