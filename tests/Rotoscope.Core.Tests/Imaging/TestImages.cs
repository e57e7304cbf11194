namespace Rotoscope.Core.Tests.Imaging;

internal static class TestImages
{
    // Every channel follows a different direction, so swapped channels or transposed rows change the bytes.
    public static byte[] Gradient(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                pixels[i] = (byte)(x * 255 / Math.Max(1, width - 1));
                pixels[i + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                pixels[i + 2] = (byte)((x * 7) + (y * 13));
            }
        }

        return pixels;
    }

    // Low-frequency content, which is what JPEG at high quality should reproduce closely.
    public static byte[] Smooth(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                pixels[i] = (byte)(128 + (100 * Math.Sin(x / 17.0)));
                pixels[i + 1] = (byte)(128 + (100 * Math.Cos(y / 13.0)));
                pixels[i + 2] = (byte)(128 + (100 * Math.Sin((x + y) / 23.0)));
            }
        }

        return pixels;
    }

    public static (double MeanAbsError, int MaxError) Compare(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        long total = 0;
        var max = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(expected[i] - actual[i]);
            total += error;
            max = Math.Max(max, error);
        }

        return ((double)total / expected.Length, max);
    }
}
