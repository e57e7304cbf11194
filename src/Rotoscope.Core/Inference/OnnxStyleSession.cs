using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OrtException = Microsoft.ML.OnnxRuntime.OnnxRuntimeException;

namespace Rotoscope.Core.Inference;

/// <summary>One style model loaded into ONNX Runtime, reused across batches; <see cref="Run"/> is thread-safe.</summary>
public sealed class OnnxStyleSession : IDisposable
{
    private const int Channels = 3;
    private const int Rank = 4;

    private readonly InferenceSession session;
    private readonly RunOptions runOptions;
    private readonly RunOptions shrinkingRunOptions;
    private readonly string[] inputNames;
    private readonly string[] outputNames;
    // Where the chain's models keep what they pass to each other: the GPU's memory on CUDA.
    private readonly OrtMemoryInfo deviceMemory;
    private long lastShape;
    private int disposed;

    // One for the session itself plus one per run in flight: the native objects are released when it reaches zero, so
    // a Dispose on another thread never pulls them from under a run.
    private int leases = 1;

    private OnnxStyleSession(string modelPath, InferenceDevice device, string? deviceNote, InferenceSession session)
    {
        ModelPath = modelPath;
        Device = device;
        DeviceNote = deviceNote;
        this.session = session;
        inputNames = [session.InputNames[0]];
        outputNames = [session.OutputNames[0]];
        runOptions = new RunOptions();
        shrinkingRunOptions = new RunOptions();
        deviceMemory = OrtMemoryInfo.DefaultInstance;
        try
        {
            // Only the CPU arena is shrunk: on CUDA the GPU's arena keeps the high-water mark of every shape it has seen
            // (GPU memory is large, and a worker sees few shapes), so nothing rests on finding that arena by name.
            shrinkingRunOptions.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
            if (device == InferenceDevice.Cuda)
            {
                deviceMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
            }
        }
        catch
        {
            shrinkingRunOptions.Dispose();
            runOptions.Dispose();
            throw;
        }
    }

    /// <summary>The model file this session was loaded from.</summary>
    public string ModelPath { get; }

    /// <summary>The device actually used: <see cref="InferenceDevice.Cpu"/> or <see cref="InferenceDevice.Cuda"/>.</summary>
    public InferenceDevice Device { get; }

    /// <summary>What <see cref="InferenceDevice.Auto"/> chose and why, for the user; null for an explicit device.</summary>
    public string? DeviceNote { get; }

    /// <summary>Opens a model as a style session; the model must map float32 NCHW RGB to the same shape.</summary>
    public static OnnxStyleSession Open(string modelPath, InferenceOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        return Open(modelPath, options, options.Device == InferenceDevice.Cpu ? null : CudaProbe.ForThisProcess());
    }

    /// <summary>
    /// Runs the model over a batch: <paramref name="input"/> and <paramref name="output"/> are NCHW float32 RGB
    /// (0..255) of exactly <paramref name="batch"/> x 3 x <paramref name="height"/> x <paramref name="width"/> values.
    /// </summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output, int batch, int height, int width) =>
        RunChain([this], input, output, batch, height, width);

    /// <summary>
    /// Runs <paramref name="sessions"/> one after another over a batch, as <see cref="Run"/> does for one: the first reads
    /// <paramref name="input"/>, the last writes <paramref name="output"/>, and what passes between them stays where the
    /// models run (on a GPU, in its memory: no round trip through the host between models).
    /// </summary>
    public static unsafe void RunChain(IReadOnlyList<OnnxStyleSession> sessions, ReadOnlySpan<float> input, Span<float> output, int batch, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentOutOfRangeException.ThrowIfZero(sessions.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var count = (long)batch * Channels * height * width;
        if (input.Length != count)
        {
            throw new ArgumentException(
                $"input has {input.Length} values but a {batch}x{Channels}x{height}x{width} batch needs {count}", nameof(input));
        }

        if (output.Length != count)
        {
            throw new ArgumentException(
                $"output has room for {output.Length} values but a {batch}x{Channels}x{height}x{width} batch needs {count}",
                nameof(output));
        }

        long[] shape = [batch, Channels, height, width];
        var bytes = count * sizeof(float);
        var leased = 0;
        try
        {
            for (; leased < sessions.Count; leased++)
            {
                sessions[leased].Lease();
            }

            // Both ends wrap the caller's buffers without copying (pinned until the runs have finished): ORT reads the
            // batch in place and the last model writes straight into the caller's output.
            fixed (float* inputData = input)
            fixed (float* outputData = output)
            {
                using var inputValue = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)inputData, bytes);
                using var outputValue = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)outputData, bytes);
                if (sessions.Count == 1)
                {
                    sessions[0].RunOne(inputValue, outputValue, shape);
                    return;
                }

                // Between models the output is bound to the device of the models on both sides of it (ORT allocates
                // it from that device's arena); only a chain that spans devices passes through the host.
                IDisposable? previous = null;
                var current = inputValue;
                try
                {
                    for (var i = 0; i < sessions.Count - 1; i++)
                    {
                        var between = sessions[i].Device == sessions[i + 1].Device ? sessions[i].deviceMemory : OrtMemoryInfo.DefaultInstance;
                        var outputs = sessions[i].RunToDevice(current, between, shape);
                        previous?.Dispose();
                        (previous, current) = (outputs, outputs[0]);
                    }

                    sessions[^1].RunOne(current, outputValue, shape);
                }
                finally
                {
                    previous?.Dispose();
                }
            }
        }
        finally
        {
            for (var i = 0; i < leased; i++)
            {
                sessions[i].Unlease();
            }
        }
    }

    // Runs the model into a preallocated output of the input's shape.
    private void RunOne(OrtValue input, OrtValue output, long[] shape)
    {
        var options = OptionsFor(shape);
        try
        {
            session.Run(options, inputNames, [input], outputNames, [output]);
        }
        catch (OrtException e)
        {
            throw Diagnose(e, options, input, shape);
        }
    }

    // Runs the model into an output ORT allocates on the device <paramref name="memory"/> describes; the caller owns
    // the returned collection (its one value lives as long as it does).
    private IDisposableReadOnlyCollection<OrtValue> RunToDevice(OrtValue input, OrtMemoryInfo memory, long[] shape)
    {
        var options = OptionsFor(shape);
        using var binding = session.CreateIoBinding();
        binding.BindInput(inputNames[0], input);
        binding.BindOutputToDevice(outputNames[0], memory);
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = session.RunWithBoundResults(options, binding);
        }
        catch (OrtException e)
        {
            throw Diagnose(e, options, input, shape);
        }

        var produced = outputs[0].GetTensorTypeAndShape();
        if (produced.ElementDataType != TensorElementType.Float || !produced.Shape.AsSpan().SequenceEqual(shape))
        {
            outputs.Dispose();
            throw ChangedShape(produced, shape);
        }

        return outputs;
    }

    // The arena keeps the high-water mark of every input shape it has seen, so memory would grow with each new frame
    // size; shrinking it costs a third of the run time (pages are returned and faulted in again), so it is done only on
    // the first run of a new shape: flat memory, and full speed for the steady stream of one shape.
    private RunOptions OptionsFor(long[] shape)
    {
        var shapeKey = (shape[0] << 42) | (shape[2] << 21) | shape[3];
        return Interlocked.Exchange(ref lastShape, shapeKey) == shapeKey ? runOptions : shrinkingRunOptions;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            Unlease();
        }
    }

    internal static OnnxStyleSession Open(string modelPath, InferenceOptions options, CudaProbe? cuda)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads);
        var (session, device, note) = CreateSession(modelPath, options, cuda);
        try
        {
            Validate(session, modelPath);
            return new OnnxStyleSession(modelPath, device, note, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static (InferenceSession Session, InferenceDevice Device, string? Note) CreateSession(
        string modelPath, InferenceOptions options, CudaProbe? cuda)
    {
        if (options.Device == InferenceDevice.Cpu)
        {
            return (CreateCpuSession(modelPath, options), InferenceDevice.Cpu, null);
        }

        ArgumentNullException.ThrowIfNull(cuda);
        var cudaError = cuda.WhyUnavailable();
        if (cudaError is null)
        {
            var cudaSession = TryCreateCudaSession(modelPath, options, cuda, out cudaError);
            if (cudaSession is not null)
            {
                return (cudaSession, InferenceDevice.Cuda, options.Device == InferenceDevice.Auto ? "CUDA execution provider available; using CUDA" : null);
            }
        }

        // A model that cannot load fails here with its own error, whatever CUDA said.
        var cpuSession = CreateCpuSession(modelPath, options);
        if (options.Device == InferenceDevice.Auto)
        {
            return (cpuSession, InferenceDevice.Cpu, $"CUDA execution provider unavailable ({cudaError}); using CPU");
        }

        cpuSession.Dispose();
        throw new OnnxRuntimeException(
            $"CUDA was requested but the CUDA execution provider is unavailable: {cudaError}; use --device cpu or --device auto", cudaError);
    }

    private static InferenceSession CreateCpuSession(string modelPath, InferenceOptions options)
    {
        using var sessionOptions = CreateSessionOptions(options);
        return LoadModel(modelPath, sessionOptions);
    }

    // Null (with the reason) when the CUDA provider cannot be attached or the session cannot be created with it.
    private static InferenceSession? TryCreateCudaSession(string modelPath, InferenceOptions options, CudaProbe cuda, out string? error)
    {
        using var sessionOptions = CreateSessionOptions(options);
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(0);
        }
        catch (EntryPointNotFoundException)
        {
            // The CPU package's library does not export the CUDA entry point at all.
            error = CudaProbe.CpuBuildReason;
            return null;
        }
        catch (OrtException e)
        {
            // ORT says only "Failed to load shared library"; the loader knows which library or symbol is missing.
            error = cuda.WhyProviderFailsToLoad() ?? OneLine(e.Message);
            return null;
        }

        try
        {
            error = null;
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OrtException e)
        {
            // No GPU, a driver too old for CUDA 13, out of device memory, or a model that cannot load at all (the CPU
            // attempt that follows reports that one).
            error = OneLine(e.Message);
            return null;
        }
    }

    private static SessionOptions CreateSessionOptions(InferenceOptions options)
    {
        _ = OnnxEnvironment.Instance;
        var sessionOptions = new SessionOptions();
        try
        {
            sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            sessionOptions.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            // Idle intra-op threads would otherwise spin between runs, taking the cores that decode and encode
            // frames for the next batch while this one waits its turn.
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            if (options.IntraOpThreads > 0)
            {
                sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
            }

            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    private static InferenceSession LoadModel(string modelPath, SessionOptions sessionOptions)
    {
        try
        {
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OrtException e)
        {
            var error = OneLine(e.Message);
            throw new OnnxRuntimeException($"model {modelPath} could not be loaded: {error}", error);
        }
    }

    private static void Validate(InferenceSession session, string modelPath)
    {
        if (session.InputMetadata.Count != 1)
        {
            throw NotAStyleModel(modelPath, "input must be float32 NCHW with 3 channels", $"{session.InputMetadata.Count} inputs");
        }

        if (session.OutputMetadata.Count != 1)
        {
            throw NotAStyleModel(modelPath, "output must be float32 NCHW", $"{session.OutputMetadata.Count} outputs");
        }

        var input = session.InputMetadata[session.InputNames[0]];
        if (!IsFloatTensor(input) || input.Dimensions[1] != Channels)
        {
            throw NotAStyleModel(modelPath, "input must be float32 NCHW with 3 channels", Describe(input));
        }

        var output = session.OutputMetadata[session.OutputNames[0]];
        if (!IsFloatTensor(output))
        {
            throw NotAStyleModel(modelPath, "output must be float32 NCHW", Describe(output));
        }
    }

    private static bool IsFloatTensor(NodeMetadata value) =>
        value.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR && value.ElementDataType == TensorElementType.Float && value.Dimensions.Length == Rank;

    // Dimensions are -1 where the model leaves them symbolic.
    private static string Describe(NodeMetadata value) => value.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR
        ? $"{ElementTypeName(value.ElementDataType)} [{string.Join(',', value.Dimensions.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]"
        : $"a non-tensor value ({value.OnnxValueType})";

    private static OnnxRuntimeException NotAStyleModel(string modelPath, string requirement, string found) =>
        new($"model {modelPath} is not a style model: {requirement} (found {found})");

    private static string ElementTypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.Int16 => "int16",
        TensorElementType.Int32 => "int32",
        TensorElementType.Int64 => "int64",
        TensorElementType.String => "string",
        TensorElementType.Bool => "bool",
        TensorElementType.Float16 => "float16",
        TensorElementType.Double => "float64",
        TensorElementType.BFloat16 => "bfloat16",
        _ => $"element type {(int)type}",
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    // A preallocated output of the wrong shape fails with ORT's generic buffer-reuse message: run once more with an
    // output ORT allocates itself, to tell a model that changes the shape (not a style model) from any other failure.
    private OnnxRuntimeException Diagnose(OrtException error, RunOptions options, OrtValue inputValue, long[] shape)
    {
        try
        {
            using var outputs = session.Run(options, inputNames, [inputValue], outputNames);
            var produced = outputs[0].GetTensorTypeAndShape();
            if (produced.ElementDataType != TensorElementType.Float || !produced.Shape.AsSpan().SequenceEqual(shape))
            {
                return ChangedShape(produced, shape);
            }
        }
        catch (OrtException)
        {
            // The model fails either way: its first error is the one to report.
        }

        var message = OneLine(error.Message);
        return new OnnxRuntimeException($"model {ModelPath} failed on a {string.Join('x', shape)} batch: {message}", message);
    }

    private OnnxRuntimeException ChangedShape(OrtTensorTypeAndShapeInfo produced, long[] shape) => new(
        $"model {ModelPath} is not a style model: it produced {ElementTypeName(produced.ElementDataType)} " +
        $"[{string.Join(',', produced.Shape)}] for float32 [{string.Join(',', shape)}]; the output must have the input's shape");

    private void Lease()
    {
        while (true)
        {
            var current = Volatile.Read(ref leases);
            ObjectDisposedException.ThrowIf(current == 0 || Volatile.Read(ref disposed) != 0, this);
            if (Interlocked.CompareExchange(ref leases, current + 1, current) == current)
            {
                return;
            }
        }
    }

    private void Unlease()
    {
        if (Interlocked.Decrement(ref leases) == 0)
        {
            session.Dispose();
            runOptions.Dispose();
            shrinkingRunOptions.Dispose();
            if (deviceMemory != OrtMemoryInfo.DefaultInstance)
            {
                deviceMemory.Dispose();
            }
        }
    }
}
