using Onnx;
using Rotoscope.Core.Inference;
using static TorchSharp.torch;

namespace Rotoscope.Training.Tests;

[Trait("Category", "Integration")]
public sealed class StyleNetworkOnnxTrainingTests
{
    public StyleNetworkOnnxTrainingTests() => TrainingSetup.Load();

    [Theory]
    [InlineData(1, 37, 53)]
    [InlineData(2, 64, 48)]
    [InlineData(1, 30, 17)]
    public void Write_MatchesTorchForwardInOnnxRuntime_OnAnySize(int batch, int height, int width)
    {
        using var network = NewNetwork();
        var path = Path.Combine(Directory.CreateTempSubdirectory("rotoscope-onnx-").FullName, "model.onnx");
        File.WriteAllBytes(path, StyleNetworkOnnx.Write(network, "test"));
        manual_seed(11);
        using var input = rand(batch, 3, height, width) * 255;
        using var expected = network.forward(input);
        var actual = new float[batch * 3 * height * width];

        using (var session = OnnxStyleSession.Open(path, new InferenceOptions()))
        {
            session.Run(input.data<float>().ToArray(), actual, batch, height, width);
        }

        Assert.Equal(new long[] { batch, 3, height, width }, expected.shape);
        using var difference = (tensor(actual, [batch, 3, height, width]) - expected).abs().max();
        Assert.True(difference.item<float>() < 1e-2, $"max abs difference {difference.item<float>()}");
        using var spread = expected.std();
        Assert.True(spread.item<float>() > 1, "the network's output is flat: the comparison proves nothing");
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public void Write_FollowsTheRendererContract()
    {
        using var network = NewNetwork();

        var model = ModelProto.Parser.ParseFrom(StyleNetworkOnnx.Write(network, "test"));

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(13, Assert.Single(model.OpsetImport).Version);
        foreach (var value in new[] { Assert.Single(model.Graph.Input), Assert.Single(model.Graph.Output) })
        {
            var dims = value.Type.TensorType.Shape.Dim;
            Assert.Equal((int)TensorProto.Types.DataType.Float, value.Type.TensorType.ElemType);
            Assert.Equal(["N", "", "H", "W"], dims.Select(d => d.DimParam));
            Assert.Equal(3, dims[1].DimValue);
        }

        Assert.Equal("input", model.Graph.Input[0].Name);
        Assert.Equal("output", model.Graph.Output[0].Name);
    }

    [Fact]
    public void Write_IsDeterministic_ForTheSameWeights()
    {
        using var network = NewNetwork();

        Assert.Equal(StyleNetworkOnnx.Write(network, "test"), StyleNetworkOnnx.Write(network, "test"));
    }

    // Fresh weights give a nearly flat output; a few random nudges to the norms make the comparison meaningful.
    private static StyleNetwork NewNetwork()
    {
        manual_seed(5);
        var network = new StyleNetwork();
        using (no_grad())
        {
            foreach (var (name, parameter) in network.named_parameters())
            {
                if (name.Contains("norm", StringComparison.Ordinal))
                {
                    parameter.add_(randn_like(parameter) * 0.5);
                }
            }
        }

        network.eval();
        return network;
    }
}
