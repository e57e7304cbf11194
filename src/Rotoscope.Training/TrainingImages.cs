using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>Images as LibTorch tensors: decoding (JPEG, PNG), resizing, random training crops, and back to JPEG.</summary>
internal static class TrainingImages
{
    /// <summary>The smallest style or content image accepted, in pixels a side.</summary>
    public const int MinimumSide = 64;

    /// <summary>The largest accepted, in pixels (a 100-megapixel photo is a mistake here, not a style).</summary>
    public const long MaximumPixels = 100_000_000;

    /// <summary>Decodes a JPEG or PNG file to [1,3,H,W] float RGB 0..255.</summary>
    public static Tensor Load(string path, string role)
    {
        using var image = Decode(path, role);
        using var bytes = tensor(image.Pixels.ToArray(), [image.Height, image.Width, 3], ScalarType.Byte);
        return bytes.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32);
    }

    /// <summary>
    /// Decodes a JPEG or PNG file and checks its size, or fails with one line naming it; needs no LibTorch, so
    /// <c>rotoscope train</c> refuses a bad style image before loading it.
    /// </summary>
    public static RgbImage Decode(string path, string role)
    {
        byte[] encoded;
        try
        {
            encoded = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RotoscopeException($"cannot read the {role} {path}: {e.Message}", e);
        }

        if (ImageCodec.Detect(encoded) is null)
        {
            throw new RotoscopeException($"the {role} {path} is not a JPEG or PNG image");
        }

        using var codec = new ImageCodec();
        RgbImage image;
        try
        {
            image = codec.Decode(encoded);
        }
        catch (ImageCodecException e)
        {
            throw new RotoscopeException($"the {role} {path} does not decode: {e.Message}", e);
        }

        if (Math.Min(image.Width, image.Height) < MinimumSide || (long)image.Width * image.Height > MaximumPixels)
        {
            image.Dispose();
            throw new RotoscopeException(Math.Min(image.Width, image.Height) < MinimumSide
                ? $"the {role} {path} is {image.Width}x{image.Height}; it needs at least {MinimumSide} pixels a side"
                : $"the {role} {path} is {image.Width}x{image.Height}; scale it below {MaximumPixels / 1_000_000} megapixels first");
        }

        return image;
    }

    /// <summary>Resizes [N,3,H,W] so its shorter side is <paramref name="shortSide"/> (antialiased bilinear).</summary>
    public static Tensor FitShortSide(Tensor image, int shortSide)
    {
        var height = image.shape[2];
        var width = image.shape[3];
        var scale = (double)shortSide / Math.Min(height, width);
        long[] size = [Math.Max(1, (long)Math.Round(height * scale)), Math.Max(1, (long)Math.Round(width * scale))];
        return nn.functional.interpolate(image, size: size, mode: InterpolationMode.Bilinear, align_corners: false, antialias: true).clamp(0, 255);
    }

    /// <summary>Encodes [1,3,H,W] float RGB 0..255 as JPEG.</summary>
    public static byte[] ToJpeg(Tensor image)
    {
        using var scope = NewDisposeScope();
        var hwc = image[0].cpu().clamp(0, 255).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        var pixels = hwc.data<byte>().ToArray();
        using var codec = new ImageCodec(jpegQuality: 90);
        return codec.Encode(pixels, (int)hwc.shape[1], (int)hwc.shape[0], ImageFormat.Jpeg);
    }
}

/// <summary>The content photographs, scaled once, from which each step's batch of random crops is cut.</summary>
internal sealed class ContentSet : IDisposable
{
    private readonly List<Tensor> images;

    private ContentSet(List<Tensor> images, IReadOnlyList<string> files)
    {
        this.images = images;
        Files = files;
    }

    public IReadOnlyList<string> Files { get; }

    /// <summary>Loads <paramref name="files"/> (JPEG/PNG) scaled to a short side of 1.25 crops.</summary>
    public static ContentSet Load(IReadOnlyList<string> files, string directory, int cropSize)
    {
        if (files.Count == 0)
        {
            throw new RotoscopeException($"content folder {directory} has no JPEG or PNG images");
        }

        var images = new List<Tensor>();
        try
        {
            foreach (var file in files)
            {
                using var image = TrainingImages.Load(file, "content image");
                images.Add(TrainingImages.FitShortSide(image, (int)Math.Ceiling(cropSize * 1.25))[0]);
            }
        }
        catch
        {
            images.ForEach(i => i.Dispose());
            throw;
        }

        return new ContentSet(images, files);
    }

    /// <summary>The first image, for previews.</summary>
    public Tensor First => images[0];

    /// <summary>[batch,3,size,size]: random crops, each mirrored half the time, drawn from <paramref name="random"/>.</summary>
    public Tensor Batch(int batch, int size, Random random)
    {
        using var scope = NewDisposeScope();
        var crops = new Tensor[batch];
        for (var b = 0; b < batch; b++)
        {
            var image = images[random.Next(images.Count)];
            var top = random.Next((int)image.shape[1] - size + 1);
            var left = random.Next((int)image.shape[2] - size + 1);
            var crop = image[.., top..(top + size), left..(left + size)];
            crops[b] = random.Next(2) == 0 ? crop : crop.flip(2);
        }

        return stack(crops).MoveToOuterDisposeScope();
    }

    public void Dispose() => images.ForEach(i => i.Dispose());
}
