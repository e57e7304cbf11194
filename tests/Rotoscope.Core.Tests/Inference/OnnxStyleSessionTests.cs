using System.Diagnostics;
using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

[Collection(OnnxRuntimeTestGroup.Name)]
public sealed class OnnxStyleSessionTests(OnnxRuntimeFixture fixture)
{
    private OnnxRuntime Runtime => fixture.Runtime;

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_OutputsInvertedPixels_WhenModelInverts()
    {
        using var session = Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());

        AssertInverts(session, batch: 2, height: 8, width: 12);
        AssertInverts(session, batch: 1, height: 16, width: 4);
        AssertInverts(session, batch: 2, height: 8, width: 12);
        Assert.Equal(InferenceDevice.Cpu, session.Device);
        Assert.Null(session.FallbackNote);
        Assert.Equal(OnnxRuntimeFixture.Model("invert.onnx"), session.ModelPath);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_OutputsInvertedPixels_WhenIntraOpThreadsSet()
    {
        using var session = Runtime.OpenStyleSession(
            OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cpu, IntraOpThreads: 1));

        AssertInverts(session, batch: 3, height: 4, width: 4);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_IsCorrect_WhenCalledFromManyThreads()
    {
        using var session = Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());

        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            AssertInverts(session, batch: 1 + (i % 3), height: 4 * (1 + (i % 4)), width: 8));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsNotAStyleModel_WhenInputHasOneChannel()
    {
        var path = OnnxRuntimeFixture.Model("gray_input.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => Runtime.OpenStyleSession(path, new InferenceOptions()));

        Assert.Equal(
            $"model {path} is not a style model: input must be float32 NCHW with 3 channels (found float32 [?,1,?,?])",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsCouldNotBeLoaded_WhenFileIsNotOnnx()
    {
        var path = OnnxRuntimeFixture.Model("not_a_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => Runtime.OpenStyleSession(path, new InferenceOptions()));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.StatusText));
        Assert.EndsWith(error.StatusText, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsCouldNotBeLoaded_WhenFileMissing()
    {
        var path = OnnxRuntimeFixture.Model("no_such_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => Runtime.OpenStyleSession(path, new InferenceOptions()));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsCudaUnavailable_WhenCudaRequestedOnCpuBuild()
    {
        var error = Assert.Throws<OnnxRuntimeException>(
            () => Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cuda)));

        Assert.StartsWith(
            "CUDA was requested but the CUDA execution provider is unavailable: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            "; use --device cpu or point ROTOSCOPE_ORT_LIBRARY at a GPU build", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.StatusText));
        if (Runtime.LibraryPath is { } library)
        {
            Assert.Contains($"(libonnxruntime_providers_cuda.so is not beside {library})", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_FallsBackToCpuWithNote_WhenAutoOnCpuBuild()
    {
        using var session = Runtime.OpenStyleSession(
            OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Auto));

        Assert.Equal(InferenceDevice.Cpu, session.Device);
        Assert.NotNull(session.FallbackNote);
        Assert.StartsWith("CUDA execution provider unavailable (", session.FallbackNote, StringComparison.Ordinal);
        Assert.EndsWith("); using CPU", session.FallbackNote, StringComparison.Ordinal);
        AssertInverts(session, batch: 1, height: 4, width: 8);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsCouldNotBeLoaded_WhenAutoAndFileIsNotOnnx()
    {
        var path = OnnxRuntimeFixture.Model("not_a_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(
            () => Runtime.OpenStyleSession(path, new InferenceOptions(InferenceDevice.Auto)));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsArgumentOutOfRange_WhenIntraOpThreadsNegative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(IntraOpThreads: -1)));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_ThrowsArgumentException_WhenSpanLengthsDoNotMatchShape()
    {
        using var session = Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        var right = new float[2 * 3 * 8 * 12];

        var shortInput = Assert.Throws<ArgumentException>(() => session.Run(new float[10], right, 2, 8, 12));
        var shortOutput = Assert.Throws<ArgumentException>(() => session.Run(right, new float[right.Length - 1], 2, 8, 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Run(right, right.AsSpan(), 0, 8, 12));

        Assert.Equal("input", shortInput.ParamName);
        Assert.Equal("output", shortOutput.ParamName);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_ThrowsNotAStyleModel_WhenOutputShapeDiffersFromInput()
    {
        var path = OnnxRuntimeFixture.Model("drops_channel.onnx");
        using var session = Runtime.OpenStyleSession(path, new InferenceOptions());
        var buffer = new float[1 * 3 * 4 * 8];

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(buffer, new float[buffer.Length], 1, 4, 8));

        Assert.Equal(
            $"model {path} is not a style model: it produced float32 [1,2,4,8] for float32 [1,3,4,8]; the output must have the input's shape",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_ThrowsObjectDisposed_WhenSessionDisposed()
    {
        var session = Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        session.Dispose();
        session.Dispose();
        var buffer = new float[3 * 4 * 4];

        Assert.Throws<ObjectDisposedException>(() => session.Run(buffer, new float[buffer.Length], 1, 4, 4));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_KeepsMemoryFlat_WhenShapesAlternate()
    {
        using var session = Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        (int Height, int Width)[] shapes = [(256, 320), (192, 252)];
        var buffers = shapes.Select(s => (Input: Pixels(2 * 3 * s.Height * s.Width), Output: new float[2 * 3 * s.Height * s.Width])).ToArray();

        void RunAlternating(int runs)
        {
            for (var i = 0; i < runs; i++)
            {
                var (height, width) = shapes[i % shapes.Length];
                var (input, output) = buffers[i % shapes.Length];
                session.Run(input, output, 2, height, width);
            }
        }

        RunAlternating(20);
        var before = WorkingSet();
        RunAlternating(200);
        var growth = WorkingSet() - before;

        Assert.True(growth < 64L * 1024 * 1024, $"working set grew by {growth / (1024 * 1024)} MB over 200 runs");
        AssertInverts(session, batch: 2, height: 256, width: 320);
    }

    private static long WorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static float[] Pixels(int count)
    {
        var pixels = new float[count];
        for (var i = 0; i < count; i++)
        {
            pixels[i] = (i * 37) % 256;
        }

        return pixels;
    }

    private static void AssertInverts(OnnxStyleSession session, int batch, int height, int width)
    {
        var input = Pixels(batch * 3 * height * width);
        var output = new float[input.Length];

        session.Run(input, output, batch, height, width);

        for (var i = 0; i < input.Length; i++)
        {
            if (output[i] != 255f - input[i])
            {
                Assert.Fail($"output[{i}] = {output[i]}, expected {255f - input[i]} at {batch}x3x{height}x{width}");
            }
        }
    }
}
