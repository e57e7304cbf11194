using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>The three losses of one step, as plain numbers for progress and the record.</summary>
public sealed record LossValues(double Total, double Style, double Content, double Variation, double Stability = 0);

/// <summary>
/// Style (Gram matrices of ResNet18 activations, each layer's error scaled by its style Gram's energy), content
/// (layer2 activations, output vs. input, scaled by the input's energy) and total variation of the output.
/// </summary>
internal sealed class PerceptualLoss : IDisposable
{
    public static readonly string[] StyleTaps = [ResNetFeatures.Stem, ResNetFeatures.Layer1, ResNetFeatures.Layer2, ResNetFeatures.Layer3];
    public const string ContentTap = ResNetFeatures.Layer2;
    private static readonly string[] AllTaps = [.. StyleTaps];

    private readonly ResNetFeatures features;
    private readonly Tensor[] styleGrams;
    private readonly double[] styleEnergy;

    public PerceptualLoss(ResNetFeatures features, Tensor styleImage)
    {
        this.features = features;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var taps = features.Forward(styleImage, AllTaps);
        styleGrams = [.. StyleTaps.Select(t => Gram(taps[t]).MoveToOuterDisposeScope())];
        styleEnergy = [.. styleGrams.Select(g => g.square().sum().item<float>() + 1e-12)];
    }

    /// <summary>The weighted total (to back-propagate) and its parts, for outputs <paramref name="output"/> of inputs <paramref name="input"/>.</summary>
    public (Tensor Total, LossValues Values) Compute(Tensor output, Tensor input, TrainingSettings settings)
    {
        Tensor inputContent;
        using (no_grad())
        {
            inputContent = features.Forward(input, [ContentTap])[ContentTap].detach();
        }

        var taps = features.Forward(output, AllTaps);
        var batch = output.shape[0];
        var style = zeros(1, device: output.device);
        for (var i = 0; i < StyleTaps.Length; i++)
        {
            style = style + ((Gram(taps[StyleTaps[i]]) - styleGrams[i]).square().sum() / (batch * styleEnergy[i]));
        }

        var content = (taps[ContentTap] - inputContent).square().mean() / inputContent.square().mean().clamp_min(1e-6);
        var variation = (output[.., .., 1.., ..] - output[.., .., ..^1, ..]).square().mean()
            + (output[.., .., .., 1..] - output[.., .., .., ..^1]).square().mean();
        var total = (settings.StyleWeight * style) + (settings.ContentWeight * content) + (settings.VariationWeight * variation);
        var values = new LossValues(total.item<float>(), style.item<float>(), content.item<float>(), variation.item<float>());
        return (total, values);
    }

    public void Dispose()
    {
        foreach (var gram in styleGrams)
        {
            gram.Dispose();
        }
    }

    // [N,C,H,W] -> [N,C,C] / (H*W): independent of the image size, so a style image and the crops can differ in size.
    private static Tensor Gram(Tensor features)
    {
        var (n, c, h, w) = (features.shape[0], features.shape[1], features.shape[2], features.shape[3]);
        var flat = features.reshape(n, c, h * w);
        return bmm(flat, flat.transpose(1, 2)) / (h * w);
    }
}
