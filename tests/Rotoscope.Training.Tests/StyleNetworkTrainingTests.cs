using static TorchSharp.torch;

namespace Rotoscope.Training.Tests;

[Trait("Category", "Integration")]
public sealed class StyleNetworkTrainingTests
{
    public StyleNetworkTrainingTests() => TrainingSetup.Load();

    // The network's last layer has 3 outputs: on some CPUs LibTorch's gradient towards the input of such a layer is
    // wrong (training diverged within a few steps), and the layer works around it. Checked against double precision.
    [Theory]
    [InlineData(16, 3, 5)]
    [InlineData(16, 8, 3)]
    [InlineData(16, 16, 3)]
    public void ConvLayer_GradientTowardsItsInput_IsRight(int inputs, int outputs, int kernel)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var layer = new StyleNetwork.ConvLayer(inputs, outputs, kernel, norm: false, relu: false);
        var input = randn(2, inputs, 192, 192).requires_grad_(true);
        var weights = randn(2, outputs, 192, 192);
        layer.forward(input).mul(weights).sum().backward();

        var exact = input.detach().to(ScalarType.Float64).requires_grad_(true);
        var pad = kernel / 2;
        var padded = nn.functional.pad(exact, [pad, pad, pad, pad], TorchSharp.PaddingModes.Replicate);
        nn.functional.conv2d(padded, layer.Conv.weight!.detach().to(ScalarType.Float64), layer.Conv.bias!.detach().to(ScalarType.Float64))
            .mul(weights.to(ScalarType.Float64)).sum().backward();

        var error = (input.grad!.to(ScalarType.Float64) - exact.grad!).abs().max().item<double>() / exact.grad!.abs().max().item<double>();
        Assert.True(error < 1e-4, $"the input gradient is off by {error:0.###e0} of its largest value");
    }
}
