using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Rotoscope.Core.Inference;

/// <summary>One style model loaded into ONNX Runtime, reused across batches; <see cref="Run"/> is thread-safe.</summary>
public sealed unsafe class OnnxStyleSession : IDisposable
{
    private const int Channels = 3;
    private const int Rank = 4;

    private readonly OrtApi api;
    private readonly OrtHandle env;
    private readonly OrtHandle session;
    private readonly OrtHandle runOptions;
    private readonly OrtHandle shrinkingRunOptions;
    private readonly OrtHandle memoryInfo;
    private readonly byte[] inputName;
    private readonly byte[] outputName;
    private int disposed;
    private long lastShape;

    private OnnxStyleSession(
        OnnxRuntime runtime,
        string modelPath,
        InferenceDevice device,
        string? fallbackNote,
        OrtHandle session,
        OrtHandle runOptions,
        OrtHandle shrinkingRunOptions,
        OrtHandle memoryInfo,
        byte[] inputName,
        byte[] outputName)
    {
        api = runtime.Api;
        env = runtime.Env;
        ModelPath = modelPath;
        Device = device;
        FallbackNote = fallbackNote;
        this.session = session;
        this.runOptions = runOptions;
        this.shrinkingRunOptions = shrinkingRunOptions;
        this.memoryInfo = memoryInfo;
        this.inputName = inputName;
        this.outputName = outputName;
    }

    /// <summary>The model file this session was loaded from.</summary>
    public string ModelPath { get; }

    /// <summary>The device actually used: <see cref="InferenceDevice.Cpu"/> or <see cref="InferenceDevice.Cuda"/>.</summary>
    public InferenceDevice Device { get; }

    /// <summary>Why <see cref="InferenceDevice.Auto"/> fell back to the CPU; null when it did not.</summary>
    public string? FallbackNote { get; }

    /// <summary>
    /// Runs the model over a batch: <paramref name="input"/> and <paramref name="output"/> are NCHW float32 RGB
    /// (0..255) of exactly <paramref name="batch"/> x 3 x <paramref name="height"/> x <paramref name="width"/> values.
    /// </summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output, int batch, int height, int width)
    {
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

        // The arena keeps the high-water mark of every input shape it has seen, so memory would grow with each new
        // frame size; shrinking it costs a third of the run time (pages are returned and faulted in again), so it is
        // done only on the first run of a new shape: flat memory, and full speed for the steady stream of one shape.
        var shapeKey = ((long)batch << 42) | ((long)height << 21) | (long)width;
        var runOptions = Interlocked.Exchange(ref lastShape, shapeKey) == shapeKey ? this.runOptions : shrinkingRunOptions;

        // The leases keep the native objects alive if another thread disposes this session mid-run.
        var sessionLease = false;
        var runOptionsLease = false;
        var memoryInfoLease = false;
        try
        {
            session.DangerousAddRef(ref sessionLease);
            runOptions.DangerousAddRef(ref runOptionsLease);
            memoryInfo.DangerousAddRef(ref memoryInfoLease);
            RunCore(runOptions, input, output, batch, height, width);
        }
        finally
        {
            if (memoryInfoLease)
            {
                memoryInfo.DangerousRelease();
            }

            if (runOptionsLease)
            {
                runOptions.DangerousRelease();
            }

            if (sessionLease)
            {
                session.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        session.Dispose();
        runOptions.Dispose();
        shrinkingRunOptions.Dispose();
        memoryInfo.Dispose();

        // Taken in Open: the OrtEnv must outlive every session created in it.
        env.DangerousRelease();
    }

    internal static OnnxStyleSession Open(OnnxRuntime runtime, string modelPath, InferenceOptions options)
    {
        var api = runtime.Api;
        var envLease = false;
        OrtHandle? session = null;
        OrtHandle? runOptions = null;
        OrtHandle? shrinkingRunOptions = null;
        OrtHandle? memoryInfo = null;
        try
        {
            runtime.Env.DangerousAddRef(ref envLease);
            (session, var device, var note) = CreateSession(runtime, modelPath, options);
            var (inputName, outputName) = Validate(api, session.DangerousGetHandle(), modelPath);
            runOptions = CreateRunOptions(api, shrinkArena: false);
            shrinkingRunOptions = CreateRunOptions(api, shrinkArena: true);
            memoryInfo = CreateCpuMemoryInfo(api);
            return new OnnxStyleSession(runtime, modelPath, device, note, session, runOptions, shrinkingRunOptions, memoryInfo, inputName, outputName);
        }
        catch
        {
            memoryInfo?.Dispose();
            shrinkingRunOptions?.Dispose();
            runOptions?.Dispose();
            session?.Dispose();
            if (envLease)
            {
                runtime.Env.DangerousRelease();
            }

            throw;
        }
    }

    private static (OrtHandle Session, InferenceDevice Device, string? Note) CreateSession(
        OnnxRuntime runtime, string modelPath, InferenceOptions options)
    {
        if (options.Device == InferenceDevice.Cpu)
        {
            return (CreateCpuSession(runtime, modelPath, options), InferenceDevice.Cpu, null);
        }

        string? cudaError;
        try
        {
            var cudaSession = TryCreateSession(runtime, modelPath, options, cuda: true, out cudaError);
            if (cudaSession is not null)
            {
                return (cudaSession, InferenceDevice.Cuda, null);
            }
        }
        catch (OnnxRuntimeException e) when (options.Device == InferenceDevice.Auto)
        {
            // The provider attached but the session failed (no GPU, driver mismatch, or a bad model); the CPU
            // attempt below either works or reports the model's own error.
            cudaError = e.StatusText ?? e.Message;
        }

        if (options.Device == InferenceDevice.Cuda)
        {
            throw new OnnxRuntimeException(
                $"CUDA was requested but the CUDA execution provider is unavailable: {cudaError}; use --device cpu or point " +
                $"{OnnxRuntime.LibraryPathVariable} at a GPU build",
                cudaError);
        }

        var cpuSession = CreateCpuSession(runtime, modelPath, options);
        return (cpuSession, InferenceDevice.Cpu, $"CUDA execution provider unavailable ({cudaError}); using CPU");
    }

    private static OrtHandle CreateCpuSession(OnnxRuntime runtime, string modelPath, InferenceOptions options) =>
        TryCreateSession(runtime, modelPath, options, cuda: false, out _)
        ?? throw new UnreachableException("the CPU execution provider is always available");

    // Returns null (with the reason) when cuda is asked for and the CUDA provider cannot be attached.
    private static OrtHandle? TryCreateSession(
        OnnxRuntime runtime, string modelPath, InferenceOptions options, bool cuda, out string? cudaError)
    {
        var api = runtime.Api;
        cudaError = null;
        IntPtr sessionOptions;
        api.Check(api.CreateSessionOptions(&sessionOptions), "could not create ONNX Runtime session options");
        try
        {
            api.Check(
                api.SetSessionGraphOptimizationLevel(sessionOptions, OrtApi.GraphOptimizationAll),
                "could not set the graph optimization level");
            // Idle intra-op threads would otherwise spin between runs, taking the cores that decode and encode
            // frames for the next batch while this one waits its turn.
            fixed (byte* key = "session.intra_op.allow_spinning\0"u8)
            fixed (byte* value = "0\0"u8)
            {
                api.Check(api.AddSessionConfigEntry(sessionOptions, key, value), "could not turn off thread spinning");
            }

            if (options.IntraOpThreads > 0)
            {
                api.Check(
                    api.SetIntraOpNumThreads(sessionOptions, options.IntraOpThreads),
                    $"could not use {options.IntraOpThreads} intra-op threads");
            }

            if (cuda && (cudaError = AppendCuda(api, sessionOptions)) is not null)
            {
                if (runtime.MissingCudaProviderHint() is { } hint)
                {
                    cudaError = $"{cudaError} ({hint})";
                }

                return null;
            }

            IntPtr session;
            var path = OnnxRuntime.NullTerminatedUtf8(modelPath);
            fixed (byte* pathPtr = path)
            {
                var error = api.TakeError(api.CreateSession(runtime.Env.DangerousGetHandle(), pathPtr, sessionOptions, &session));
                if (error is not null)
                {
                    throw new OnnxRuntimeException($"model {modelPath} could not be loaded: {error}", error);
                }
            }

            return new OrtHandle(session, api.ReleaseSession);
        }
        finally
        {
            api.ReleaseSessionOptions(sessionOptions);
        }
    }

    private static string? AppendCuda(OrtApi api, IntPtr sessionOptions)
    {
        IntPtr cudaOptions;
        if (api.TakeError(api.CreateCudaProviderOptions(&cudaOptions)) is { } createError)
        {
            return createError;
        }

        try
        {
            return api.TakeError(api.SessionOptionsAppendExecutionProviderCudaV2(sessionOptions, cudaOptions));
        }
        finally
        {
            api.ReleaseCudaProviderOptions(cudaOptions);
        }
    }

    private static (byte[] InputName, byte[] OutputName) Validate(OrtApi api, IntPtr session, string modelPath)
    {
        nuint inputs;
        nuint outputs;
        api.Check(api.SessionGetInputCount(session, &inputs), $"model {modelPath}: could not count inputs");
        api.Check(api.SessionGetOutputCount(session, &outputs), $"model {modelPath}: could not count outputs");
        if (inputs != 1)
        {
            throw NotAStyleModel(modelPath, "input must be float32 NCHW with 3 channels", $"{inputs} inputs");
        }

        if (outputs != 1)
        {
            throw NotAStyleModel(modelPath, "output must be float32 NCHW", $"{outputs} outputs");
        }

        IntPtr typeInfo;
        api.Check(api.SessionGetInputTypeInfo(session, 0, &typeInfo), $"model {modelPath}: could not read the input type");
        var input = DescribeTensor(api, typeInfo);
        if (input.ElementType != OrtApi.ElementTypeFloat || input.Dimensions.Length != Rank || input.Dimensions[1] != Channels)
        {
            throw NotAStyleModel(modelPath, "input must be float32 NCHW with 3 channels", input.Description);
        }

        api.Check(api.SessionGetOutputTypeInfo(session, 0, &typeInfo), $"model {modelPath}: could not read the output type");
        var output = DescribeTensor(api, typeInfo);
        if (output.ElementType != OrtApi.ElementTypeFloat || output.Dimensions.Length != Rank)
        {
            throw NotAStyleModel(modelPath, "output must be float32 NCHW", output.Description);
        }

        return (ReadName(api, session, input: true, modelPath), ReadName(api, session, input: false, modelPath));
    }

    // Takes ownership of typeInfo. Dimensions are -1 where the model leaves them symbolic.
    private static (int ElementType, long[] Dimensions, string Description) DescribeTensor(OrtApi api, IntPtr typeInfo)
    {
        try
        {
            int onnxType;
            api.Check(api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType), "could not read a model's value type");
            if (onnxType != OrtApi.OnnxTypeTensor)
            {
                return (0, [], $"a non-tensor value (ONNX type {onnxType})");
            }

            // Owned by typeInfo: not released separately.
            IntPtr tensorInfo;
            api.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "could not read a model's tensor type");
            var (elementType, dimensions) = ReadShape(api, tensorInfo);
            var shape = string.Join(',', dimensions.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)));
            return (elementType, dimensions, $"{ElementTypeName(elementType)} [{shape}]");
        }
        finally
        {
            api.ReleaseTypeInfo(typeInfo);
        }
    }

    private static (int ElementType, long[] Dimensions) ReadShape(OrtApi api, IntPtr tensorInfo)
    {
        int elementType;
        nuint rank;
        api.Check(api.GetTensorElementType(tensorInfo, &elementType), "could not read a tensor's element type");
        api.Check(api.GetDimensionsCount(tensorInfo, &rank), "could not read a tensor's rank");
        var dimensions = new long[(int)rank];
        fixed (long* dims = dimensions)
        {
            api.Check(api.GetDimensions(tensorInfo, dims, rank), "could not read a tensor's shape");
        }

        return (elementType, dimensions);
    }

    private static byte[] ReadName(OrtApi api, IntPtr session, bool input, string modelPath)
    {
        IntPtr allocator;
        api.Check(api.GetAllocatorWithDefaultOptions(&allocator), "could not get ONNX Runtime's default allocator");
        byte* name;
        var status = input ? api.SessionGetInputName(session, 0, allocator, &name) : api.SessionGetOutputName(session, 0, allocator, &name);
        api.Check(status, $"model {modelPath}: could not read the {(input ? "input" : "output")} name");
        try
        {
            var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);
            var copy = new byte[span.Length + 1];
            span.CopyTo(copy);
            return copy;
        }
        finally
        {
            // Allocated by the default allocator on our behalf; it must go back to the same allocator.
            api.Check(api.AllocatorFree(allocator, name), "could not free a model name");
        }
    }

    private static OrtHandle CreateRunOptions(OrtApi api, bool shrinkArena)
    {
        IntPtr options;
        api.Check(api.CreateRunOptions(&options), "could not create ONNX Runtime run options");
        var handle = new OrtHandle(options, api.ReleaseRunOptions);
        try
        {
            if (!shrinkArena)
            {
                return handle;
            }

            fixed (byte* key = "memory.enable_memory_arena_shrinkage\0"u8)
            fixed (byte* value = "cpu:0\0"u8)
            {
                api.Check(api.AddRunConfigEntry(options, key, value), "could not enable arena shrinkage");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static OrtHandle CreateCpuMemoryInfo(OrtApi api)
    {
        IntPtr info;
        api.Check(api.CreateCpuMemoryInfo(OrtApi.ArenaAllocator, OrtApi.MemTypeDefault, &info), "could not describe CPU memory");
        return new OrtHandle(info, api.ReleaseMemoryInfo);
    }

    private static OnnxRuntimeException NotAStyleModel(string modelPath, string requirement, string found) =>
        new($"model {modelPath} is not a style model: {requirement} (found {found})");

    private static string ElementTypeName(int elementType) => elementType switch
    {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        16 => "bfloat16",
        _ => $"element type {elementType}",
    };

    private void RunCore(OrtHandle runOptions, ReadOnlySpan<float> input, Span<float> output, int batch, int height, int width)
    {
        var shape = stackalloc long[Rank] { batch, Channels, height, width };
        IntPtr inputValue = IntPtr.Zero;
        IntPtr outputValue = IntPtr.Zero;
        try
        {
            // The tensor wraps the caller's buffer without copying: it stays pinned until the run has finished.
            fixed (float* inputData = input)
            fixed (byte* inName = inputName)
            fixed (byte* outName = outputName)
            {
                ThrowIfFailed(
                    api.CreateTensorWithDataAsOrtValue(
                        memoryInfo.DangerousGetHandle(),
                        inputData,
                        (nuint)input.Length * sizeof(float),
                        shape,
                        Rank,
                        OrtApi.ElementTypeFloat,
                        &inputValue),
                    "could not wrap the input batch");
                var status = api.Run(
                    session.DangerousGetHandle(), runOptions.DangerousGetHandle(), &inName, &inputValue, 1, &outName, 1, &outputValue);
                if (api.TakeError(status) is { } error)
                {
                    throw new OnnxRuntimeException($"model {ModelPath} failed on a {batch}x{Channels}x{height}x{width} batch: {error}", error);
                }
            }

            CopyOutput(outputValue, output, new ReadOnlySpan<long>(shape, Rank));
        }
        finally
        {
            // Run allocated the output value; both values are ours to release.
            if (outputValue != IntPtr.Zero)
            {
                api.ReleaseValue(outputValue);
            }

            if (inputValue != IntPtr.Zero)
            {
                api.ReleaseValue(inputValue);
            }
        }
    }

    private void CopyOutput(IntPtr outputValue, Span<float> output, ReadOnlySpan<long> expected)
    {
        IntPtr shapeInfo;
        ThrowIfFailed(api.GetTensorTypeAndShape(outputValue, &shapeInfo), "could not read the output shape");
        try
        {
            int elementType;
            nuint rank;
            ThrowIfFailed(api.GetTensorElementType(shapeInfo, &elementType), "could not read the output type");
            ThrowIfFailed(api.GetDimensionsCount(shapeInfo, &rank), "could not read the output rank");
            var dimensions = rank == Rank ? stackalloc long[Rank] : new long[(int)rank];
            fixed (long* dims = dimensions)
            {
                ThrowIfFailed(api.GetDimensions(shapeInfo, dims, rank), "could not read the output shape");
            }

            if (elementType != OrtApi.ElementTypeFloat || !expected.SequenceEqual(dimensions))
            {
                throw new OnnxRuntimeException(
                    $"model {ModelPath} is not a style model: it produced {ElementTypeName(elementType)} " +
                    $"[{string.Join(',', dimensions.ToArray())}] for float32 [{string.Join(',', expected.ToArray())}]; " +
                    "the output must have the input's shape");
            }
        }
        finally
        {
            api.ReleaseTensorTypeAndShapeInfo(shapeInfo);
        }

        void* data;
        ThrowIfFailed(api.GetTensorMutableData(outputValue, &data), "could not read the output");
        new ReadOnlySpan<float>(data, output.Length).CopyTo(output);
    }

    // Keeps the per-batch path free of message formatting unless something failed.
    private void ThrowIfFailed(IntPtr status, string what)
    {
        if (api.TakeError(status) is { } error)
        {
            throw new OnnxRuntimeException($"model {ModelPath}: {what}: {error}", error);
        }
    }
}
