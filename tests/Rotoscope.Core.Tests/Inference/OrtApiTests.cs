using System.Runtime.InteropServices;
using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

/// <summary>
/// Calls every OrtApi slot the binding uses and checks behaviour only the right function has, so a wrong index in
/// OrtApi.Slot fails here (or crashes the run) rather than corrupting memory in production.
/// </summary>
[Collection(OnnxRuntimeTestGroup.Name)]
public sealed unsafe class OrtApiTests(OnnxRuntimeFixture fixture)
{
    private OrtApi Api => fixture.Runtime.Api;

    [Fact]
    [Trait("Category", "Integration")]
    public void Status_RoundTripsCodeAndMessage_WhenCreated() // slots 0, 1, 2, 93
    {
        IntPtr status;
        fixed (byte* message = "slot check\0"u8)
        {
            status = Api.CreateStatus(7, message); // ORT_INVALID_PROTOBUF
        }

        Assert.NotEqual(IntPtr.Zero, status);
        Assert.Equal(7, Api.GetErrorCode(status));
        Assert.Equal("slot check", Api.TakeError(status));
        Assert.Null(Api.TakeError(IntPtr.Zero));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void CreateCpuMemoryInfo_IsNamedCpu_WhenCreated() // slots 69, 71, 94
    {
        IntPtr info;
        Api.Check(Api.CreateCpuMemoryInfo(OrtApi.ArenaAllocator, OrtApi.MemTypeDefault, &info), "CreateCpuMemoryInfo");
        using var handle = new OrtHandle(info, Api.ReleaseMemoryInfo);
        byte* name;

        Api.Check(Api.MemoryInfoGetName(info, &name), "MemoryInfoGetName");

        Assert.Equal("Cpu", Marshal.PtrToStringUTF8((IntPtr)name));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void RunOptions_RoundTripsRunTag_WhenSet() // slots 39, 42, 45, 97
    {
        IntPtr options;
        Api.Check(Api.CreateRunOptions(&options), "CreateRunOptions");
        using var handle = new OrtHandle(options, Api.ReleaseRunOptions);
        byte* tag;

        fixed (byte* value = "batch-17\0"u8)
        {
            Api.Check(Api.RunOptionsSetRunTag(options, value), "RunOptionsSetRunTag");
        }

        Api.Check(Api.RunOptionsGetRunTag(options, &tag), "RunOptionsGetRunTag");
        Assert.Equal("batch-17", Marshal.PtrToStringUTF8((IntPtr)tag));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void AddRunConfigEntry_IsHonouredByRun_WhenArenaShrinkageNamesUnknownDevice() // slots 165, 9
    {
        using var session = RawSession("invert.onnx");
        IntPtr options;
        Api.Check(Api.CreateRunOptions(&options), "CreateRunOptions");
        using var handle = new OrtHandle(options, Api.ReleaseRunOptions);
        fixed (byte* key = "memory.enable_memory_arena_shrinkage\0"u8)
        fixed (byte* value = "cpu:0;no_such_device:9\0"u8)
        {
            Api.Check(Api.AddRunConfigEntry(options, key, value), "AddRunConfigEntry");
        }

        var error = RunInvert(session.DangerousGetHandle(), options);

        Assert.NotNull(error);
        Assert.Contains("memory arena shrink list", error, StringComparison.Ordinal);
        Assert.Null(RunInvert(session.DangerousGetHandle(), IntPtr.Zero));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void AddSessionConfigEntry_IsHonouredByCreateSession_WhenModelFormatSaysOrt() // slots 130, 7
    {
        IntPtr options;
        Api.Check(Api.CreateSessionOptions(&options), "CreateSessionOptions");
        using var handle = new OrtHandle(options, Api.ReleaseSessionOptions);
        fixed (byte* key = "session.load_model_format\0"u8)
        fixed (byte* value = "ORT\0"u8)
        {
            Api.Check(Api.AddSessionConfigEntry(options, key, value), "AddSessionConfigEntry");
        }

        IntPtr session = IntPtr.Zero;
        string? error;
        fixed (byte* path = OnnxRuntime.NullTerminatedUtf8(OnnxRuntimeFixture.Model("invert.onnx")))
        {
            error = Api.TakeError(Api.CreateSession(fixture.Runtime.Env.DangerousGetHandle(), path, options, &session));
        }

        // An .onnx file read as the ORT flatbuffer format must fail: proof the entry reached the session.
        using var created = new OrtHandle(session, Api.ReleaseSession);
        Assert.NotNull(error);
        Assert.Contains("LoadOrtModel", error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void SetSessionGraphOptimizationLevel_Rejects_WhenLevelUnknown() // slots 10, 23, 100
    {
        IntPtr options;
        Api.Check(Api.CreateSessionOptions(&options), "CreateSessionOptions");
        using var handle = new OrtHandle(options, Api.ReleaseSessionOptions);

        Assert.Null(Api.TakeError(Api.SetSessionGraphOptimizationLevel(options, OrtApi.GraphOptimizationAll)));
        var error = Api.TakeError(Api.SetSessionGraphOptimizationLevel(options, 42));

        Assert.NotNull(error);
        Assert.Contains("optimization", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void SetIntraOpNumThreads_StartsThatManyPoolThreads_WhenSessionCreated() // slot 24 (not 25, inter-op)
    {
        var before = ThreadCount();
        using (var session = fixture.Runtime.OpenStyleSession(
            OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions(InferenceDevice.Cpu, IntraOpThreads: 7)))
        {
            // The intra-op pool has the calling thread plus six workers; sequential execution starts no inter-op pool.
            Assert.True(ThreadCount() - before >= 6, $"threads: {before} before, {ThreadCount()} with the session");
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void DefaultAllocator_AllocatesAndFrees_WhenAsked() // slots 75, 76, 78
    {
        IntPtr allocator;
        IntPtr again;
        void* block;
        Api.Check(Api.GetAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions");
        Api.Check(Api.GetAllocatorWithDefaultOptions(&again), "GetAllocatorWithDefaultOptions");

        Api.Check(Api.AllocatorAlloc(allocator, 64, &block), "AllocatorAlloc");
        new Span<byte>(block, 64).Fill(0xA5);
        Api.Check(Api.AllocatorFree(allocator, block), "AllocatorFree");

        Assert.Equal(allocator, again);
        Assert.NotEqual(IntPtr.Zero, allocator);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void CreateTensorWithData_WrapsCallerBuffer_WithShapeAndType() // slots 49, 51, 60, 61, 62, 65, 96, 99
    {
        using var session = fixture.Runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());
        IntPtr info;
        Api.Check(Api.CreateCpuMemoryInfo(OrtApi.ArenaAllocator, OrtApi.MemTypeDefault, &info), "CreateCpuMemoryInfo");
        using var infoHandle = new OrtHandle(info, Api.ReleaseMemoryInfo);
        var data = new float[1 * 2 * 3 * 4];
        var shape = stackalloc long[] { 1, 2, 3, 4 };
        IntPtr value;
        void* tensorData;
        IntPtr shapeInfo;
        int elementType;
        nuint rank;
        var dims = new long[4];

        fixed (float* buffer = data)
        {
            Api.Check(
                Api.CreateTensorWithDataAsOrtValue(info, buffer, (nuint)(data.Length * sizeof(float)), shape, 4, OrtApi.ElementTypeFloat, &value),
                "CreateTensorWithDataAsOrtValue");
            using var valueHandle = new OrtHandle(value, Api.ReleaseValue);
            Api.Check(Api.GetTensorMutableData(value, &tensorData), "GetTensorMutableData");
            Api.Check(Api.GetTensorTypeAndShape(value, &shapeInfo), "GetTensorTypeAndShape");
            using var shapeHandle = new OrtHandle(shapeInfo, Api.ReleaseTensorTypeAndShapeInfo);
            Api.Check(Api.GetTensorElementType(shapeInfo, &elementType), "GetTensorElementType");
            Api.Check(Api.GetDimensionsCount(shapeInfo, &rank), "GetDimensionsCount");
            fixed (long* d = dims)
            {
                Api.Check(Api.GetDimensions(shapeInfo, d, rank), "GetDimensions");
            }

            Assert.Equal((IntPtr)buffer, (IntPtr)tensorData);
        }

        Assert.Equal(OrtApi.ElementTypeFloat, elementType);
        Assert.Equal((nuint)4, rank);
        Assert.Equal([1L, 2, 3, 4], dims);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void SessionIntrospection_DescribesInputAndOutput_WhenTheyDiffer() // slots 7, 30, 31, 33, 34, 36, 37, 55, 56, 95, 98
    {
        using var session = RawSession("drops_channel.onnx");
        var s = session.DangerousGetHandle();
        nuint inputs;
        nuint outputs;

        Api.Check(Api.SessionGetInputCount(s, &inputs), "SessionGetInputCount");
        Api.Check(Api.SessionGetOutputCount(s, &outputs), "SessionGetOutputCount");

        Assert.Equal((nuint)1, inputs);
        Assert.Equal((nuint)1, outputs);
        Assert.Equal("input", Name(s, input: true));
        Assert.Equal("output", Name(s, input: false));
        Assert.Equal([-1L, 3, -1, -1], Dims(s, input: true));
        Assert.Equal([-1L, 2, -1, -1], Dims(s, input: false));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void CudaProvider_ReportsCudaError_WhenLibraryIsCpuOnly() // slots 204, 205, 208
    {
        IntPtr options;
        Api.Check(Api.CreateSessionOptions(&options), "CreateSessionOptions");
        using var handle = new OrtHandle(options, Api.ReleaseSessionOptions);
        IntPtr cudaOptions;

        var error = Api.TakeError(Api.CreateCudaProviderOptions(&cudaOptions));
        if (error is null)
        {
            error = Api.TakeError(Api.SessionOptionsAppendExecutionProviderCudaV2(options, cudaOptions));
            Api.ReleaseCudaProviderOptions(cudaOptions);
        }

        Assert.NotNull(error);
        Assert.Contains("CUDA", error, StringComparison.OrdinalIgnoreCase);
    }

    private static int ThreadCount() => Directory.GetDirectories("/proc/self/task").Length;

    private OrtHandle RawSession(string model)
    {
        IntPtr options;
        IntPtr session;
        Api.Check(Api.CreateSessionOptions(&options), "CreateSessionOptions");
        try
        {
            fixed (byte* path = OnnxRuntime.NullTerminatedUtf8(OnnxRuntimeFixture.Model(model)))
            {
                Api.Check(Api.CreateSession(fixture.Runtime.Env.DangerousGetHandle(), path, options, &session), "CreateSession");
            }
        }
        finally
        {
            Api.ReleaseSessionOptions(options);
        }

        return new OrtHandle(session, Api.ReleaseSession);
    }

    private string? RunInvert(IntPtr session, IntPtr runOptions)
    {
        IntPtr info;
        Api.Check(Api.CreateCpuMemoryInfo(OrtApi.ArenaAllocator, OrtApi.MemTypeDefault, &info), "CreateCpuMemoryInfo");
        using var infoHandle = new OrtHandle(info, Api.ReleaseMemoryInfo);
        var data = new float[3 * 4 * 4];
        var shape = stackalloc long[] { 1, 3, 4, 4 };
        IntPtr input;
        IntPtr output = IntPtr.Zero;
        fixed (float* buffer = data)
        fixed (byte* inName = "input\0"u8)
        fixed (byte* outName = "output\0"u8)
        {
            Api.Check(
                Api.CreateTensorWithDataAsOrtValue(info, buffer, (nuint)(data.Length * sizeof(float)), shape, 4, OrtApi.ElementTypeFloat, &input),
                "CreateTensorWithDataAsOrtValue");
            using var inputHandle = new OrtHandle(input, Api.ReleaseValue);
            var error = Api.TakeError(Api.Run(session, runOptions, &inName, &input, 1, &outName, 1, &output));
            if (output != IntPtr.Zero)
            {
                Api.ReleaseValue(output);
            }

            return error;
        }
    }

    private string Name(IntPtr session, bool input)
    {
        IntPtr allocator;
        byte* name;
        Api.Check(Api.GetAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions");
        Api.Check(input ? Api.SessionGetInputName(session, 0, allocator, &name) : Api.SessionGetOutputName(session, 0, allocator, &name), "name");
        var text = Marshal.PtrToStringUTF8((IntPtr)name)!;
        Api.Check(Api.AllocatorFree(allocator, name), "AllocatorFree");
        return text;
    }

    private long[] Dims(IntPtr session, bool input)
    {
        IntPtr typeInfo;
        IntPtr tensorInfo;
        int onnxType;
        nuint rank;
        Api.Check(input ? Api.SessionGetInputTypeInfo(session, 0, &typeInfo) : Api.SessionGetOutputTypeInfo(session, 0, &typeInfo), "type info");
        using var handle = new OrtHandle(typeInfo, Api.ReleaseTypeInfo);
        Api.Check(Api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType), "GetOnnxTypeFromTypeInfo");
        Assert.Equal(OrtApi.OnnxTypeTensor, onnxType);
        Api.Check(Api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "CastTypeInfoToTensorInfo");
        Api.Check(Api.GetDimensionsCount(tensorInfo, &rank), "GetDimensionsCount");
        var dims = new long[(int)rank];
        fixed (long* d = dims)
        {
            Api.Check(Api.GetDimensions(tensorInfo, d, rank), "GetDimensions");
        }

        return dims;
    }
}
