using Rotoscope.Core.Media;

namespace Rotoscope.Core.Tests.Media;

[Trait("Category", "Unit")]
public class RationalTests
{
    [Theory]
    [InlineData("30000/1001", 30000, 1001)]
    [InlineData("60", 60, 1)]
    [InlineData("60/2", 30, 1)]
    [InlineData(" 48000/1600 ", 30, 1)]
    public void Parse_ReturnsReducedValue_WhenTextIsValid(string text, long numerator, long denominator)
    {
        var rational = Rational.Parse(text);

        Assert.Equal(numerator, rational.Numerator);
        Assert.Equal(denominator, rational.Denominator);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0/0")]
    [InlineData("0")]
    [InlineData("-30/1")]
    [InlineData("30/0")]
    [InlineData("29.97")]
    [InlineData("30/1/2")]
    [InlineData("abc")]
    public void TryParse_ReturnsFalse_WhenTextIsNotAPositiveRational(string text)
    {
        Assert.False(Rational.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Rational.Parse(text));
    }

    [Fact]
    public void Constructor_Reduces_WhenGivenCommonFactors()
    {
        var rational = new Rational(120, 4);

        Assert.Equal(new Rational(30, 1), rational);
        Assert.Equal("30/1", rational.ToString());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 1)]
    [InlineData(1, -1)]
    public void Constructor_Throws_WhenNotPositive(long numerator, long denominator)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rational(numerator, denominator));
    }

    [Theory]
    [InlineData(30000, 1001, "30000/1001")]
    [InlineData(60, 1, "60/1")]
    public void ToString_WritesNumeratorSlashDenominator_Always(long numerator, long denominator, string expected)
    {
        Assert.Equal(expected, new Rational(numerator, denominator).ToString());
    }

    [Fact]
    public void ToDouble_ReturnsQuotient_WhenNtscRate()
    {
        Assert.Equal(29.97002997, new Rational(30000, 1001).ToDouble(), 6);
    }
}
