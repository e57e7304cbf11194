using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rotoscope.Core.Imaging;

/// <summary>Converts between interleaved 8-bit RGB (HWC) and padded planar float RGB (CHW) without allocating.</summary>
public static class PixelLayout
{
    private const int ChunkPixels = 1024;

    /// <summary>Rounds <paramref name="value"/> up to the next multiple of <paramref name="multiple"/> (361 -> 364 for 4).</summary>
    public static int PadToMultiple(int value, int multiple)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(multiple);
        var remainder = value % multiple;
        return remainder == 0 ? value : checked(value + (multiple - remainder));
    }

    /// <summary>
    /// Writes one image into a planar slot of exactly 3 x paddedHeight x paddedWidth floats (values 0..255),
    /// filling the right and bottom padding by replicating the edge pixels.
    /// </summary>
    public static void HwcToPlanar(
        ReadOnlySpan<byte> rgb, int width, int height, Span<float> planar, int paddedWidth, int paddedHeight)
    {
        var plane = CheckArguments(rgb.Length, width, height, planar.Length, paddedWidth, paddedHeight, nameof(rgb), nameof(planar));

        // Lengths were checked above, so the unchecked reads and writes below stay in bounds.
        ref var source = ref MemoryMarshal.GetReference(rgb);
        ref var red = ref MemoryMarshal.GetReference(planar);
        ref var green = ref Unsafe.Add(ref red, plane);
        ref var blue = ref Unsafe.Add(ref red, 2 * plane);
        var rowBytes = width * 3;
        for (var y = 0; y < height; y++)
        {
            ref var sourceRow = ref Unsafe.Add(ref source, y * rowBytes);
            var rowOffset = y * paddedWidth;
            ref var redRow = ref Unsafe.Add(ref red, rowOffset);
            ref var greenRow = ref Unsafe.Add(ref green, rowOffset);
            ref var blueRow = ref Unsafe.Add(ref blue, rowOffset);
            for (var x = 0; x < width; x++)
            {
                ref var pixel = ref Unsafe.Add(ref sourceRow, x * 3);
                Unsafe.Add(ref redRow, x) = pixel;
                Unsafe.Add(ref greenRow, x) = Unsafe.Add(ref pixel, 1);
                Unsafe.Add(ref blueRow, x) = Unsafe.Add(ref pixel, 2);
            }

            if (paddedWidth > width)
            {
                var padding = paddedWidth - width;
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref redRow, width), padding).Fill(Unsafe.Add(ref redRow, width - 1));
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref greenRow, width), padding).Fill(Unsafe.Add(ref greenRow, width - 1));
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref blueRow, width), padding).Fill(Unsafe.Add(ref blueRow, width - 1));
            }
        }

        for (var channel = 0; channel < 3; channel++)
        {
            var channelPlane = planar.Slice(channel * plane, plane);
            var lastRow = channelPlane.Slice((height - 1) * paddedWidth, paddedWidth);
            for (var y = height; y < paddedHeight; y++)
            {
                lastRow.CopyTo(channelPlane.Slice(y * paddedWidth, paddedWidth));
            }
        }
    }

    /// <summary>
    /// Reads a planar slot of exactly 3 x paddedHeight x paddedWidth floats, crops it to width x height and writes
    /// interleaved RGB, rounding half up and clamping to 0..255 (NaN becomes 0).
    /// </summary>
    public static void PlanarToHwc(
        ReadOnlySpan<float> planar, int paddedWidth, int paddedHeight, Span<byte> rgb, int width, int height)
    {
        var plane = CheckArguments(rgb.Length, width, height, planar.Length, paddedWidth, paddedHeight, nameof(rgb), nameof(planar));

        // Each row goes plane by plane through a vectorized float->byte pass into this scratch, then gets interleaved;
        // wide rows are handled in column chunks so the scratch stays small and on the stack.
        Span<byte> scratch = stackalloc byte[3 * ChunkPixels];
        var redBytes = scratch[..ChunkPixels];
        var greenBytes = scratch.Slice(ChunkPixels, ChunkPixels);
        var blueBytes = scratch.Slice(2 * ChunkPixels, ChunkPixels);
        var rowBytes = width * 3;
        for (var y = 0; y < height; y++)
        {
            var rowOffset = y * paddedWidth;
            var targetRow = rgb.Slice(y * rowBytes, rowBytes);
            for (var x0 = 0; x0 < width; x0 += ChunkPixels)
            {
                var count = Math.Min(ChunkPixels, width - x0);
                ConvertToBytes(planar.Slice(rowOffset + x0, count), redBytes);
                ConvertToBytes(planar.Slice(plane + rowOffset + x0, count), greenBytes);
                ConvertToBytes(planar.Slice((2 * plane) + rowOffset + x0, count), blueBytes);
                Interleave(redBytes[..count], greenBytes[..count], blueBytes[..count], targetRow.Slice(x0 * 3, count * 3));
            }
        }
    }

    private static void ConvertToBytes(ReadOnlySpan<float> source, Span<byte> target)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated && source.Length >= Vector256<byte>.Count)
        {
            ref var from = ref MemoryMarshal.GetReference(source);
            ref var to = ref MemoryMarshal.GetReference(target);
            var half = Vector256.Create(0.5f);
            var max = Vector256.Create(255);
            var last = source.Length - Vector256<byte>.Count;
            for (; i <= last; i += Vector256<byte>.Count)
            {
                var a = RoundClamp(Vector256.LoadUnsafe(ref from, (nuint)i), half, max);
                var b = RoundClamp(Vector256.LoadUnsafe(ref from, (nuint)(i + 8)), half, max);
                var c = RoundClamp(Vector256.LoadUnsafe(ref from, (nuint)(i + 16)), half, max);
                var d = RoundClamp(Vector256.LoadUnsafe(ref from, (nuint)(i + 24)), half, max);
                var bytes = Vector256.Narrow(
                    Vector256.Narrow(a, b).AsUInt16(),
                    Vector256.Narrow(c, d).AsUInt16());
                bytes.StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            target[i] = ToByte(source[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundClamp(Vector256<float> value, Vector256<float> half, Vector256<int> max)
    {
        // ConvertToInt32 saturates (NaN -> 0, +inf -> int.MaxValue) since .NET 9, so clamping the integers is enough.
        var rounded = Vector256.ConvertToInt32(value + half);
        return Vector256.Min(Vector256.Max(rounded, Vector256<int>.Zero), max);
    }

    private static void Interleave(ReadOnlySpan<byte> red, ReadOnlySpan<byte> green, ReadOnlySpan<byte> blue, Span<byte> target)
    {
        // Callers pass equal lengths and target.Length == 3 * red.Length.
        ref var r = ref MemoryMarshal.GetReference(red);
        ref var g = ref MemoryMarshal.GetReference(green);
        ref var b = ref MemoryMarshal.GetReference(blue);
        ref var to = ref MemoryMarshal.GetReference(target);
        for (var x = 0; x < red.Length; x++)
        {
            ref var pixel = ref Unsafe.Add(ref to, x * 3);
            pixel = Unsafe.Add(ref r, x);
            Unsafe.Add(ref pixel, 1) = Unsafe.Add(ref g, x);
            Unsafe.Add(ref pixel, 2) = Unsafe.Add(ref b, x);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ToByte(float value)
    {
        var shifted = value + 0.5f;

        // Written so that NaN fails both comparisons and lands on 0.
        return shifted >= 255f ? (byte)255 : shifted > 0f ? (byte)shifted : (byte)0;
    }

    private static int CheckArguments(
        int rgbLength, int width, int height, int planarLength, int paddedWidth, int paddedHeight,
        string rgbName, string planarName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddedWidth, width);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddedHeight, height);

        var rgbBytes = (long)width * height * 3;
        if (rgbLength != rgbBytes)
        {
            throw new ArgumentException($"Expected exactly {rgbBytes} bytes of RGB for {width}x{height}, got {rgbLength}.", rgbName);
        }

        var plane = (long)paddedWidth * paddedHeight;
        if (planarLength != plane * 3)
        {
            throw new ArgumentException(
                $"Expected a planar slot of exactly 3x{paddedHeight}x{paddedWidth} = {plane * 3} floats, got {planarLength}.", planarName);
        }

        return (int)plane;
    }
}
