using System.Diagnostics;
using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

[Collection(OnnxRuntimeTestGroup.Name)]
public sealed class OnnxStyleSessionTests
{
    private const string CpuBuildCudaError =
        "CUDA was requested but the CUDA execution provider is unavailable: this build has the CPU-only ONNX Runtime " +
        "(build the GPU flavour with scripts/bootstrap.sh --gpu); use --device cpu or --device auto";

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_OutputsInvertedPixels_WhenModelInverts()
    {
        using var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());

        AssertInverts(session, batch: 2, height: 8, width: 12);
        AssertInverts(session, batch: 1, height: 16, width: 4);
        AssertInverts(session, batch: 2, height: 8, width: 12);
        Assert.Equal(InferenceDevice.Cpu, session.Device);
        Assert.Null(session.DeviceNote);
        Assert.Equal(OnnxRuntimeFixture.Model("invert.onnx"), session.ModelPath);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_OutputsInvertedPixels_WhenIntraOpThreadsSet()
    {
        using var session = OnnxStyleSession.Open(
            OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cpu, IntraOpThreads: 1));

        AssertInverts(session, batch: 3, height: 4, width: 4);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_IsCorrect_WhenCalledFromManyThreads()
    {
        using var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());

        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            AssertInverts(session, batch: 1 + (i % 3), height: 4 * (1 + (i % 4)), width: 8));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsNotAStyleModel_WhenInputHasOneChannel()
    {
        var path = OnnxRuntimeFixture.Model("gray_input.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxStyleSession.Open(path, new InferenceOptions()));

        Assert.Equal(
            $"model {path} is not a style model: input must be float32 NCHW with 3 channels (found float32 [?,1,?,?])",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsCouldNotBeLoaded_WhenFileIsNotOnnx()
    {
        var path = OnnxRuntimeFixture.Model("not_a_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxStyleSession.Open(path, new InferenceOptions()));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.StatusText));
        Assert.EndsWith(error.StatusText, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsCouldNotBeLoaded_WhenFileMissing()
    {
        var path = OnnxRuntimeFixture.Model("no_such_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxStyleSession.Open(path, new InferenceOptions()));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsCpuBuildInOneLine_WhenCudaRequestedOnCpuBuild()
    {
        var error = Assert.Throws<OnnxRuntimeException>(
            () => OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cuda)));

        Assert.Equal(CpuBuildCudaError, error.Message);
        Assert.Equal(CudaProbe.CpuBuildReason, error.StatusText);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_FallsBackToCpuWithNote_WhenAutoOnCpuBuild()
    {
        using var session = OnnxStyleSession.Open(
            OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Auto));

        Assert.Equal(InferenceDevice.Cpu, session.Device);
        Assert.Equal($"CUDA execution provider unavailable ({CudaProbe.CpuBuildReason}); using CPU", session.DeviceNote);
        AssertInverts(session, batch: 1, height: 4, width: 8);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_FallsBackToCpuNamingTheLibrary_WhenAutoAndCudaRuntimeMissing()
    {
        using var gpuBuild = new FakeGpuBuild();
        var probe = new CudaProbe(gpuBuild.Directory, library => library != "libcublasLt.so.13");

        using var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Auto), probe);

        Assert.Equal(InferenceDevice.Cpu, session.Device);
        Assert.Equal(
            "CUDA execution provider unavailable (cannot load libcublasLt.so.13 (install the CUDA 13 runtime: cudart, cuBLAS, cuRAND)); using CPU",
            session.DeviceNote);
        AssertInverts(session, batch: 1, height: 4, width: 8);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsNamingEveryMissingLibrary_WhenCudaRequestedWithoutCudaRuntimeOrDriver()
    {
        using var gpuBuild = new FakeGpuBuild();
        var probe = new CudaProbe(gpuBuild.Directory, library => library is "libcudart.so.13" or "libcudnn.so.9");

        var error = Assert.Throws<OnnxRuntimeException>(
            () => OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cuda), probe));

        Assert.Equal(
            "CUDA was requested but the CUDA execution provider is unavailable: cannot load libcublas.so.13, libcublasLt.so.13, " +
            "libcurand.so.10 (install the CUDA 13 runtime: cudart, cuBLAS, cuRAND) and libcuda.so.1 (install the NVIDIA driver); " +
            "use --device cpu or --device auto",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsCpuBuild_WhenProbePassesButOnnxRuntimeHasNoCudaEntryPoint()
    {
        // A provider library beside a CPU build (or a probe that is wrong): ORT itself is asked, and the CPU package
        // answers with a missing entry point, which must read as a CPU build and not as an unexpected error.
        using var gpuBuild = new FakeGpuBuild();
        var probe = new CudaProbe(gpuBuild.Directory, _ => true);

        var error = Assert.Throws<OnnxRuntimeException>(
            () => OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cuda), probe));
        using var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Auto), probe);

        Assert.Equal(CpuBuildCudaError, error.Message);
        Assert.Equal(InferenceDevice.Cpu, session.Device);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsCouldNotBeLoaded_WhenCudaRequestedAndFileIsNotOnnx()
    {
        var path = OnnxRuntimeFixture.Model("not_a_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(
            () => OnnxStyleSession.Open(path, new InferenceOptions(InferenceDevice.Cuda)));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsCouldNotBeLoaded_WhenAutoAndFileIsNotOnnx()
    {
        var path = OnnxRuntimeFixture.Model("not_a_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(
            () => OnnxStyleSession.Open(path, new InferenceOptions(InferenceDevice.Auto)));

        Assert.StartsWith($"model {path} could not be loaded: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_ThrowsArgumentOutOfRange_WhenIntraOpThreadsNegative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(IntraOpThreads: -1)));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_ThrowsArgumentException_WhenSpanLengthsDoNotMatchShape()
    {
        using var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
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
        using var session = OnnxStyleSession.Open(path, new InferenceOptions());
        var buffer = new float[1 * 3 * 4 * 8];

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(buffer, new float[buffer.Length], 1, 4, 8));

        Assert.Equal(
            $"model {path} is not a style model: it produced float32 [1,2,4,8] for float32 [1,3,4,8]; the output must have the input's shape",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void RunChain_ThrowsNotAStyleModel_WhenAModelInsideTheChainChangesTheShape()
    {
        // Inside a chain the output is allocated by ONNX Runtime, so the shape is checked after the run.
        var path = OnnxRuntimeFixture.Model("drops_channel.onnx");
        using var invert = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        using var drops = OnnxStyleSession.Open(path, new InferenceOptions());
        var buffer = new float[2 * 3 * 4 * 8];

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxStyleSession.RunChain([invert, drops, invert], buffer, new float[buffer.Length], 2, 4, 8));

        Assert.Equal(
            $"model {path} is not a style model: it produced float32 [2,2,4,8] for float32 [2,3,4,8]; the output must have the input's shape",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void RunChain_ReleasesItsIntermediates_WhenRunManyTimes()
    {
        // Every run allocates what passes between the models; none may outlive its run.
        using var invert = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        var input = Enumerable.Range(0, 3 * 256 * 256).Select(i => (float)(i % 256)).ToArray();
        var output = new float[input.Length];
        OnnxStyleSession.RunChain([invert, invert, invert], input, output, 1, 256, 256);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.PrivateMemorySize64;

        for (var i = 0; i < 200; i++)
        {
            OnnxStyleSession.RunChain([invert, invert, invert], input, output, 1, 256, 256);
        }

        process.Refresh();
        Assert.Equal(input.Select(v => 255 - v), output);
        Assert.True(process.PrivateMemorySize64 - before < 64L << 20, $"memory grew by {(process.PrivateMemorySize64 - before) >> 20} MiB over 200 chained runs");
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_ThrowsObjectDisposed_WhenSessionDisposed()
    {
        var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        session.Dispose();
        session.Dispose();
        var buffer = new float[3 * 4 * 4];

        Assert.Throws<ObjectDisposedException>(() => session.Run(buffer, new float[buffer.Length], 1, 4, 4));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_EitherFinishesOrThrowsObjectDisposed_WhenDisposedDuringRuns()
    {
        var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        AssertInverts(session, batch: 1, height: 64, width: 64);
        var disposedRuns = 0;

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            if (i == 16)
            {
                session.Dispose();
            }

            try
            {
                AssertInverts(session, batch: 1, height: 64, width: 64);
            }
            catch (ObjectDisposedException)
            {
                Interlocked.Increment(ref disposedRuns);
            }
        });

        // Runs that started before the Dispose finish correctly; at least the one that disposed sees it disposed.
        Assert.InRange(disposedRuns, 1, 64);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Open_StartsThatManyIntraOpThreads_WhenIntraOpThreadsSet()
    {
        // Threads are told apart by id: a thread-pool thread that retires meanwhile (tests run in parallel) must not
        // hide one of the session's.
        var before = ThreadIds();
        using (var session = OnnxStyleSession.Open(
            OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cpu, IntraOpThreads: 7)))
        {
            // The intra-op pool has the calling thread plus six workers; sequential execution starts no inter-op pool.
            var started = ThreadIds().Except(before).Count();
            Assert.True(started >= 6, $"{started} threads started with the session");
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OnnxRuntime_IsThePackagedLinuxBuild_WithNoOtherPlatformsBinaries()
    {
        var output = AppContext.BaseDirectory;

        Assert.StartsWith("1.31.", Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "libonnxruntime.so")), $"no libonnxruntime.so in {output}");
        Assert.DoesNotContain(Directory.GetFiles(output, "*.dll"), f => Path.GetFileName(f).StartsWith("onnxruntime", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(output, "*.dylib"));
        Assert.False(Directory.Exists(Path.Combine(output, "runtimes")), $"{output} has a runtimes folder (natives for other platforms)");
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Run_KeepsMemoryFlat_WhenShapesAlternate()
    {
        using var session = OnnxStyleSession.Open(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
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

    private static HashSet<string> ThreadIds() => [.. Directory.GetDirectories("/proc/self/task").Select(Path.GetFileName).OfType<string>()];

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

    /// <summary>A folder that looks like a GPU build's native folder to <see cref="CudaProbe"/> (ORT never sees it).</summary>
    private sealed class FakeGpuBuild : IDisposable
    {
        public FakeGpuBuild()
        {
            File.WriteAllBytes(System.IO.Path.Combine(Directory, CudaProbe.ProviderLibrary), []);
        }

        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("rotoscope-gpu-build-").FullName;

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
