using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Tests.Styles;

/// <summary>The blend and keep-colours arithmetic on planar frames, and how an adjustment names a chain.</summary>
[Trait("Category", "Unit")]
public sealed class StyleAdjustmentTests
{
    private const int Plane = 64;
    private const int Frames = 2;

    [Fact]
    public void Apply_GivesTheOriginalExactly_WhenStrengthIsZero()
    {
        var (styled, original) = Pair(seed: 1, styledRange: (-40, 300));

        new StyleAdjustment(0).Apply(styled, original, Plane);

        Assert.Equal(original, styled);
    }

    [Fact]
    public void Apply_GivesTheOriginalExactly_WhenStrengthIsZeroWithKeptColours()
    {
        var (styled, original) = Pair(seed: 2, styledRange: (-40, 300));

        new StyleAdjustment(0, KeepColors: true).Apply(styled, original, Plane);

        Assert.Equal(original, styled);
    }

    [Fact]
    public void Apply_GivesTheStyledExactly_WhenStrengthIsOne()
    {
        var (styled, original) = Pair(seed: 3, styledRange: (-40, 300));
        var expected = styled.ToArray();

        new StyleAdjustment(1).Apply(styled, original, Plane);

        Assert.Equal(expected, styled);
    }

    [Fact]
    public void Apply_BlendsEachValueLinearly_WhenStrengthIsBetween()
    {
        var (styled, original) = Pair(seed: 4, styledRange: (0, 255));
        var expected = styled.Select((s, i) => (0.3 * s) + (0.7 * original[i])).ToArray();

        new StyleAdjustment(0.3).Apply(styled, original, Plane);

        Assert.All(Enumerable.Range(0, styled.Length), i => Assert.Equal(expected[i], styled[i], 0.001));
    }

    [Fact]
    public void Apply_KeepsTheOriginalsChromaAndTakesTheStyledLuma_WhenKeepingColours()
    {
        // Lumas at most 75 apart and channels from 80 to 175: no channel reaches 0 or 255, so nothing is clamped.
        var (styled, original) = Pair(seed: 5, styledRange: (100, 155), originalRange: (80, 175));
        var styledCopy = styled.ToArray();

        new StyleAdjustment(KeepColors: true).Apply(styled, original, Plane);

        foreach (var (frame, i) in Pixels())
        {
            var input = YCbCr(original, frame, i);
            var style = YCbCr(styledCopy, frame, i);
            var output = YCbCr(styled, frame, i);
            Assert.Equal(style.Y, output.Y, 0.01);
            Assert.Equal(input.Cb, output.Cb, 0.01);
            Assert.Equal(input.Cr, output.Cr, 0.01);
        }

        Assert.NotEqual(original, styled);
    }

    [Fact]
    public void Apply_BlendsTheKeptColoursWithTheOriginal_WhenBothAreAsked()
    {
        var (styled, original) = Pair(seed: 6, styledRange: (0, 255));
        var keptOnly = styled.ToArray();
        new StyleAdjustment(KeepColors: true).Apply(keptOnly, original, Plane);

        new StyleAdjustment(0.5, KeepColors: true).Apply(styled, original, Plane);

        Assert.All(Enumerable.Range(0, styled.Length), i => Assert.Equal((0.5 * keptOnly[i]) + (0.5 * original[i]), styled[i], 0.001));
    }

    [Fact]
    public void Apply_StaysWithin0To255_WhenTheStyledLumaPushesAChannelPastIt()
    {
        // One planar frame of two pixels (R plane, G plane, B plane): red, then cyan; styled white, then black, each
        // with a value out of range, as networks may give.
        float[] original = [250, 10, 10, 250, 5, 245];
        float[] styled = [255, 0, 255, 0, 300, -30];

        new StyleAdjustment(KeepColors: true).Apply(styled, original, 2);

        Assert.All(styled, v => Assert.InRange(v, 0f, 255f));
        Assert.Equal(255f, styled[0]);  // red made as bright as white saturates
        Assert.Equal(0f, styled[1]);    // cyan made as dark as black empties
    }

    [Fact]
    public void Apply_KeepsTheStyledLumaAndTheHue_WhenTheColourDoesNotFitAtThatBrightness()
    {
        // A saturated red given a bright grey's luma: red + the full offset would pass 255. The colour fades toward
        // grey instead of being clipped channel by channel, so the brightness is the style's and the hue still red.
        float[] original = [200, 20, 20];
        float[] styled = [210, 210, 210];

        new StyleAdjustment(KeepColors: true).Apply(styled, original, 1);

        Assert.Equal(210f, StyleAdjustment.Luma(styled[0], styled[1], styled[2]), 0.01f);
        Assert.Equal(255f, styled[0], 0.01f);
        Assert.Equal(styled[1], styled[2]);
        Assert.True(styled[0] > styled[1] + 50, $"the red faded to ({styled[0]}, {styled[1]}, {styled[2]})");
    }

    [Fact]
    public void Apply_Throws_WhenTheSpansAreNotWholeFrames() =>
        Assert.Throws<ArgumentException>(() => new StyleAdjustment(0.5).Apply(new float[10], new float[10], 4));

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_Throws_WhenStrengthIsNotFrom0To1(double strength) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new StyleAdjustment(strength));

    [Fact]
    public void Hash_IsThePlainChainsHash_OnlyWhenTheAdjustmentIsNone()
    {
        var chain = new StyleChain([Model("mosaic"), Model("ink")]);
        var hashes = new[]
        {
            chain.Hash,
            (chain with { Adjustment = new StyleAdjustment(0.5) }).Hash,
            (chain with { Adjustment = new StyleAdjustment(KeepColors: true) }).Hash,
            (chain with { Adjustment = new StyleAdjustment(0.5, KeepColors: true) }).Hash,
            (chain with { Adjustment = new StyleAdjustment(0.25) }).Hash,
        };

        Assert.Equal("fd81b14f59ec9a3c", chain.Hash); // the hash plain chains always had: their styled frames stay found
        Assert.Equal(chain.Hash, (chain with { Adjustment = new StyleAdjustment(1) }).Hash);
        Assert.Equal(hashes[1], (chain with { Adjustment = new StyleAdjustment(0.50) }).Hash);
        Assert.Equal((chain with { Adjustment = new StyleAdjustment(0) }).Hash, (chain with { Adjustment = new StyleAdjustment(-0.0) }).Hash);
        Assert.Equal(hashes.Length, hashes.Distinct().Count());
    }

    [Fact]
    public void Description_NamesWhatDiffersFromThePlainStyle()
    {
        Assert.Equal("", StyleAdjustment.None.Description);
        Assert.Equal("strength 0.5", new StyleAdjustment(0.5).Description);
        Assert.Equal("original colours", new StyleAdjustment(KeepColors: true).Description);
        Assert.Equal("strength 0.25, original colours", new StyleAdjustment(0.25, true).Description);
    }

    private static StyleModel Model(string id) => new(id, "1.0.0", id, "", StyleKind.Filter, $"/models/{id}.onnx", new string('a', 64));

    private static (float[] Styled, float[] Original) Pair(int seed, (float Low, float High) styledRange, (float Low, float High)? originalRange = null)
    {
        var random = new Random(seed);
        var (low, high) = originalRange ?? (0, 255);
        var original = Enumerable.Range(0, Frames * 3 * Plane).Select(_ => low + (random.NextSingle() * (high - low))).ToArray();
        var styled = Enumerable.Range(0, Frames * 3 * Plane).Select(_ => styledRange.Low + (random.NextSingle() * (styledRange.High - styledRange.Low))).ToArray();
        return (styled, original);
    }

    private static IEnumerable<(int Frame, int Index)> Pixels() =>
        Enumerable.Range(0, Frames).SelectMany(f => Enumerable.Range(0, Plane).Select(i => (f * 3 * Plane, i)));

    // Full-range BT.601 (JPEG's YCbCr), written out here rather than taken from the code under test.
    private static (double Y, double Cb, double Cr) YCbCr(float[] frames, int frame, int i)
    {
        double r = frames[frame + i], g = frames[frame + Plane + i], b = frames[frame + (2 * Plane) + i];
        return ((0.299 * r) + (0.587 * g) + (0.114 * b), 128 - (0.168736 * r) - (0.331264 * g) + (0.5 * b), 128 + (0.5 * r) - (0.418688 * g) - (0.081312 * b));
    }
}
