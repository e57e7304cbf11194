using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using static TorchSharp.torch;

namespace Rotoscope.Training.Tests;

[Trait("Category", "Integration")]
public sealed class ResNetFeaturesTrainingTests
{
    private static readonly float[] BgrMeans = [103f, 116f, 123f];

    public ResNetFeaturesTrainingTests() => TrainingSetup.Load();

    [Fact]
    public void Forward_MatchesOnnxRuntimeOnTheOriginalGraph_AtEveryTap()
    {
        using var features = ResNetFeatures.Load(TrainingSetup.ResNet18, PerceptualLoss.StyleTaps);
        manual_seed(3);
        using var rgb = rand(1, 3, 224, 224) * 255;
        var ours = features.Forward(rgb, PerceptualLoss.StyleTaps);

        // ONNX Runtime on the unmodified weights, with the taps added as graph outputs; it takes BGR minus the means.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(TrainingSetup.ResNet18));
        foreach (var tap in PerceptualLoss.StyleTaps)
        {
            model.Graph.Output.Add(new ValueInfoProto { Name = tap, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }

        using var bgr = rgb.flip(1) - tensor(BgrMeans).reshape(1, 3, 1, 1);
        using var session = new InferenceSession(model.ToByteArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(model.Graph.Input[0].Name, new DenseTensor<float>(bgr.contiguous().data<float>().ToArray(), [1, 3, 224, 224]))], PerceptualLoss.StyleTaps);

        foreach (var result in results)
        {
            var expected = result.AsTensor<float>();
            var actual = ours[result.Name];
            Assert.Equal(expected.Dimensions.ToArray().Select(d => (long)d), actual.shape);
            using var reference = tensor(expected.ToArray(), actual.shape);
            using var scale = reference.abs().max();
            using var difference = (actual - reference).abs().max();
            Assert.True(difference.item<float>() <= 1e-3 * scale.item<float>(), $"{result.Name}: max difference {difference.item<float>()} of {scale.item<float>()}");
        }
    }

    [Theory]
    [InlineData(83, 77)]
    [InlineData(384, 683)]
    public void Forward_UsesTheLargestMultipleOf16_OnAnySize(int height, int width)
    {
        using var features = ResNetFeatures.Load(TrainingSetup.ResNet18, PerceptualLoss.StyleTaps);
        using var rgb = rand(1, 3, height, width) * 255;

        var taps = features.Forward(rgb, [ResNetFeatures.Layer3]);

        Assert.Equal(new long[] { 1, 256, height / 16, width / 16 }, taps[ResNetFeatures.Layer3].shape);
    }
}
