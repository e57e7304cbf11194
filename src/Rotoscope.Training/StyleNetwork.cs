using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>
/// The feed-forward style network (Johnson et al. 2016 layout, as the built-in neural styles): 5x5 conv, two stride-2
/// 3x3 convs, residual blocks, two bilinear x2 upsamples each followed by a 3x3 conv, a 5x5 conv, tanh to RGB 0..255.
/// Instance norm (affine) and ReLU after every conv but the last; replicate padding everywhere. Takes and returns NCHW
/// float RGB 0..255 of any size: the input is edge-padded to multiples of 4 and the output cropped back.
/// </summary>
public sealed class StyleNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>Builds the network with fresh weights drawn from LibTorch's generator (seed it first).</summary>
    public StyleNetwork(int channels = 16, int blocks = 3)
        : base(nameof(StyleNetwork))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 0);
        Channels = channels;
        Blocks = blocks;
        entry = new ConvLayer(3, channels, 5);
        down1 = new ConvLayer(channels, 2 * channels, 3, stride: 2);
        down2 = new ConvLayer(2 * channels, 4 * channels, 3, stride: 2);
        residuals = new ModuleList<ResidualBlock>(Enumerable.Range(0, blocks).Select(_ => new ResidualBlock(4 * channels)).ToArray());
        up1 = new ConvLayer(4 * channels, 2 * channels, 3, upsample: true);
        up2 = new ConvLayer(2 * channels, channels, 3, upsample: true);
        exit = new ConvLayer(channels, 3, 5, norm: false, relu: false);
        RegisterComponents();
    }

    public int Channels { get; }

    public int Blocks { get; }

    // Fields, not properties: TorchSharp registers modules (and names their parameters) from fields.
#pragma warning disable IDE0044, SA1306 // registered by reflection; names become parameter names
    private ConvLayer entry;
    private ConvLayer down1;
    private ConvLayer down2;
    private ModuleList<ResidualBlock> residuals;
    private ConvLayer up1;
    private ConvLayer up2;
    private ConvLayer exit;
#pragma warning restore IDE0044, SA1306

    /// <summary>The layers in the order the graph runs them: what the ONNX writer walks.</summary>
    internal IEnumerable<object> Layers()
    {
        yield return entry;
        yield return down1;
        yield return down2;
        foreach (var block in residuals)
        {
            yield return block;
        }

        yield return up1;
        yield return up2;
        yield return exit;
    }

    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var height = input.shape[2];
        var width = input.shape[3];
        var x = nn.functional.pad(input, [0, PadTo4(width), 0, PadTo4(height)], PaddingModes.Replicate);
        x = x / 127.5 - 1.0;
        x = entry.forward(x);
        x = down1.forward(x);
        x = down2.forward(x);
        foreach (var block in residuals)
        {
            x = block.forward(x);
        }

        x = up1.forward(x);
        x = up2.forward(x);
        x = exit.forward(x);
        x = ((x.tanh() + 1.0) * 127.5).clamp(0.0, 255.0);
        return x[.., .., ..(int)height, ..(int)width].MoveToOuterDisposeScope();
    }

    /// <summary>How many rows or columns the edge padding adds to reach a multiple of 4.</summary>
    internal static long PadTo4(long size) => (4 - (size % 4)) % 4;

    /// <summary>Replicate-padded conv (optionally after a bilinear x2 upsample), then instance norm and ReLU when asked.</summary>
    internal sealed class ConvLayer : nn.Module<Tensor, Tensor>
    {
        public ConvLayer(int input, int output, int kernel, int stride = 1, bool norm = true, bool relu = true, bool upsample = false)
            : base(nameof(ConvLayer))
        {
            Kernel = kernel;
            Stride = stride;
            Relu = relu;
            Upsample = upsample;
            conv = nn.Conv2d(input, output, kernel, stride: stride);
            this.norm = norm ? nn.InstanceNorm2d(output, eps: InstanceNormEpsilon, affine: true) : null;
            RegisterComponents();
        }

        /// <summary>The epsilon of every instance norm (LibTorch's and ONNX's default).</summary>
        public const double InstanceNormEpsilon = 1e-5;

        public int Kernel { get; }

        public int Stride { get; }

        public bool Relu { get; }

        public bool Upsample { get; }

#pragma warning disable IDE0044, SA1306
        private Conv2d conv;
        private InstanceNorm2d? norm;
#pragma warning restore IDE0044, SA1306

        public Conv2d Conv => conv;

        public InstanceNorm2d? Norm => norm;

        public override Tensor forward(Tensor input)
        {
            // Bilinear, not nearest: nearest x2 twice left a 4-pixel grid over every trained style.
            var x = Upsample ? nn.functional.interpolate(input, scale_factor: [2.0, 2.0], mode: InterpolationMode.Bilinear, align_corners: false) : input;
            var pad = Kernel / 2;
            x = Convolve(nn.functional.pad(x, [pad, pad, pad, pad], PaddingModes.Replicate));
            if (norm is not null)
            {
                x = norm.forward(x);
            }

            return Relu ? nn.functional.relu(x) : x;
        }

        // LibTorch 2.10's CPU convolution computes the gradient towards its input wrongly (errors of a third of its
        // size, at times NaN) when the layer has fewer than 16 output channels, on some AVX-512 CPUs (seen on an AMD
        // EPYC; training diverged in a few steps). While training, such a layer runs with its weight padded by zero
        // filters to 16 outputs, whose gradients are right; the extra outputs are dropped. The weight itself, and so
        // the exported model, is unchanged.
        private Tensor Convolve(Tensor input)
        {
            var outputs = conv.weight!.shape[0];
            if (outputs % SafeOutputs == 0 || !is_grad_enabled() || !conv.weight.requires_grad)
            {
                return conv.forward(input);
            }

            var extra = SafeOutputs - (outputs % SafeOutputs);
            var weight = cat([conv.weight, zeros([extra, .. conv.weight.shape[1..]], dtype: conv.weight.dtype, device: conv.weight.device)]);
            var bias = conv.bias is null ? null : cat([conv.bias, zeros(extra, dtype: conv.bias.dtype, device: conv.bias.device)]);
            return nn.functional.conv2d(input, weight, bias, strides: [Stride, Stride])[.., ..(int)outputs];
        }

        internal const int SafeOutputs = 16;
    }

    /// <summary>x + b(a(x)), where b has no ReLU.</summary>
    internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
    {
        public ResidualBlock(int channels)
            : base(nameof(ResidualBlock))
        {
            a = new ConvLayer(channels, channels, 3);
            b = new ConvLayer(channels, channels, 3, relu: false);
            RegisterComponents();
        }

#pragma warning disable IDE0044, SA1306
        private ConvLayer a;
        private ConvLayer b;
#pragma warning restore IDE0044, SA1306

        public ConvLayer A => a;

        public ConvLayer B => b;

        public override Tensor forward(Tensor input) => input + b.forward(a.forward(input));
    }
}
