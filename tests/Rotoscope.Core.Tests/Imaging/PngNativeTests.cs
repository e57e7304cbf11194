using System.Runtime.CompilerServices;
using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Tests.Imaging;

[Trait("Category", "Unit")]
public class PngNativeTests
{
    [Fact]
    public void PngImage_MatchesNativeLayout_WhenProcessIs64Bit()
    {
        // png.h: pointer + seven png_uint_32 + char[64] = 100 bytes, padded to the pointer's alignment.
        Assert.Equal(Environment.Is64BitProcess ? 104 : 100, Unsafe.SizeOf<PngImage>());
        Assert.Equal(3, Unsafe.SizeOf<PngColor>());
    }
}
