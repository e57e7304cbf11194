using System.Runtime.InteropServices;

namespace Rotoscope.Core.Inference;

/// <summary>The part of the ONNX Runtime C API function table (OrtApi) that Rotoscope calls, as typed function pointers.</summary>
/// <remarks>
/// OrtApi is a struct of function pointers that only ever grows at the end, so an index taken from
/// onnxruntime_c_api.h holds for every later API version. Each index below is exercised by OrtApiTests.
/// </remarks>
internal sealed unsafe class OrtApi
{
    /// <summary>The C API version requested from OrtGetApiBase (ONNX Runtime 1.30).</summary>
    public const uint Version = 30;

    public const int ElementTypeFloat = 1; // ONNXTensorElementDataType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT
    public const int OnnxTypeTensor = 1; // ONNXType.ONNX_TYPE_TENSOR
    public const int LoggingLevelFatal = 4; // OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL
    public const int GraphOptimizationAll = 99; // GraphOptimizationLevel.ORT_ENABLE_ALL
    public const int ArenaAllocator = 1; // OrtAllocatorType.OrtArenaAllocator
    public const int MemTypeDefault = 0; // OrtMemType.OrtMemTypeDefault

    public readonly delegate* unmanaged<int, byte*, IntPtr> CreateStatus;
    public readonly delegate* unmanaged<IntPtr, int> GetErrorCode;
    public readonly delegate* unmanaged<IntPtr, byte*> GetErrorMessage;
    public readonly delegate* unmanaged<int, byte*, IntPtr*, IntPtr> CreateEnv;
    public readonly delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr*, IntPtr> CreateSession;
    public readonly delegate* unmanaged<IntPtr, IntPtr, byte**, IntPtr*, nuint, byte**, nuint, IntPtr*, IntPtr> Run;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> CreateSessionOptions;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> SessionGetInputCount;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> SessionGetOutputCount;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr> SessionGetInputName;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr> SessionGetOutputName;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> CreateRunOptions;
    public readonly delegate* unmanaged<IntPtr, byte*, IntPtr> RunOptionsSetRunTag;
    public readonly delegate* unmanaged<IntPtr, byte**, IntPtr> RunOptionsGetRunTag;
    public readonly delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<IntPtr, void**, IntPtr> GetTensorMutableData;
    public readonly delegate* unmanaged<IntPtr, IntPtr*, IntPtr> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<IntPtr, int*, IntPtr> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged<IntPtr, int*, IntPtr> GetTensorElementType;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> GetDimensionsCount;
    public readonly delegate* unmanaged<IntPtr, long*, nuint, IntPtr> GetDimensions;
    public readonly delegate* unmanaged<IntPtr, IntPtr*, IntPtr> GetTensorTypeAndShape;
    public readonly delegate* unmanaged<int, int, IntPtr*, IntPtr> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<IntPtr, byte**, IntPtr> MemoryInfoGetName;
    public readonly delegate* unmanaged<IntPtr, nuint, void**, IntPtr> AllocatorAlloc;
    public readonly delegate* unmanaged<IntPtr, void*, IntPtr> AllocatorFree;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseEnv;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseStatus;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseSession;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseValue;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseRunOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged<IntPtr, byte*, byte*, IntPtr> AddRunConfigEntry;
    public readonly delegate* unmanaged<IntPtr, byte*, byte*, IntPtr> AddSessionConfigEntry;
    public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr> SessionOptionsAppendExecutionProviderCudaV2;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> CreateCudaProviderOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseCudaProviderOptions;

    public OrtApi(IntPtr table)
    {
        var slots = (IntPtr*)table;
        CreateStatus = (delegate* unmanaged<int, byte*, IntPtr>)slots[Slot.CreateStatus];
        GetErrorCode = (delegate* unmanaged<IntPtr, int>)slots[Slot.GetErrorCode];
        GetErrorMessage = (delegate* unmanaged<IntPtr, byte*>)slots[Slot.GetErrorMessage];
        CreateEnv = (delegate* unmanaged<int, byte*, IntPtr*, IntPtr>)slots[Slot.CreateEnv];
        CreateSession = (delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr*, IntPtr>)slots[Slot.CreateSession];
        Run = (delegate* unmanaged<IntPtr, IntPtr, byte**, IntPtr*, nuint, byte**, nuint, IntPtr*, IntPtr>)slots[Slot.Run];
        CreateSessionOptions = (delegate* unmanaged<IntPtr*, IntPtr>)slots[Slot.CreateSessionOptions];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<IntPtr, int, IntPtr>)slots[Slot.SetSessionGraphOptimizationLevel];
        SetIntraOpNumThreads = (delegate* unmanaged<IntPtr, int, IntPtr>)slots[Slot.SetIntraOpNumThreads];
        SessionGetInputCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)slots[Slot.SessionGetInputCount];
        SessionGetOutputCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)slots[Slot.SessionGetOutputCount];
        SessionGetInputTypeInfo = (delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)slots[Slot.SessionGetInputTypeInfo];
        SessionGetOutputTypeInfo = (delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)slots[Slot.SessionGetOutputTypeInfo];
        SessionGetInputName = (delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr>)slots[Slot.SessionGetInputName];
        SessionGetOutputName = (delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr>)slots[Slot.SessionGetOutputName];
        CreateRunOptions = (delegate* unmanaged<IntPtr*, IntPtr>)slots[Slot.CreateRunOptions];
        RunOptionsSetRunTag = (delegate* unmanaged<IntPtr, byte*, IntPtr>)slots[Slot.RunOptionsSetRunTag];
        RunOptionsGetRunTag = (delegate* unmanaged<IntPtr, byte**, IntPtr>)slots[Slot.RunOptionsGetRunTag];
        CreateTensorWithDataAsOrtValue =
            (delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)slots[Slot.CreateTensorWithDataAsOrtValue];
        GetTensorMutableData = (delegate* unmanaged<IntPtr, void**, IntPtr>)slots[Slot.GetTensorMutableData];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)slots[Slot.CastTypeInfoToTensorInfo];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<IntPtr, int*, IntPtr>)slots[Slot.GetOnnxTypeFromTypeInfo];
        GetTensorElementType = (delegate* unmanaged<IntPtr, int*, IntPtr>)slots[Slot.GetTensorElementType];
        GetDimensionsCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)slots[Slot.GetDimensionsCount];
        GetDimensions = (delegate* unmanaged<IntPtr, long*, nuint, IntPtr>)slots[Slot.GetDimensions];
        GetTensorTypeAndShape = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)slots[Slot.GetTensorTypeAndShape];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, IntPtr*, IntPtr>)slots[Slot.CreateCpuMemoryInfo];
        MemoryInfoGetName = (delegate* unmanaged<IntPtr, byte**, IntPtr>)slots[Slot.MemoryInfoGetName];
        AllocatorAlloc = (delegate* unmanaged<IntPtr, nuint, void**, IntPtr>)slots[Slot.AllocatorAlloc];
        AllocatorFree = (delegate* unmanaged<IntPtr, void*, IntPtr>)slots[Slot.AllocatorFree];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<IntPtr*, IntPtr>)slots[Slot.GetAllocatorWithDefaultOptions];
        ReleaseEnv = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseEnv];
        ReleaseStatus = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseStatus];
        ReleaseMemoryInfo = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseMemoryInfo];
        ReleaseSession = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseSession];
        ReleaseValue = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseValue];
        ReleaseRunOptions = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseRunOptions];
        ReleaseTypeInfo = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseTypeInfo];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseTensorTypeAndShapeInfo];
        ReleaseSessionOptions = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseSessionOptions];
        AddRunConfigEntry = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)slots[Slot.AddRunConfigEntry];
        AddSessionConfigEntry = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)slots[Slot.AddSessionConfigEntry];
        SessionOptionsAppendExecutionProviderCudaV2 =
            (delegate* unmanaged<IntPtr, IntPtr, IntPtr>)slots[Slot.SessionOptionsAppendExecutionProviderCudaV2];
        CreateCudaProviderOptions = (delegate* unmanaged<IntPtr*, IntPtr>)slots[Slot.CreateCudaProviderOptions];
        ReleaseCudaProviderOptions = (delegate* unmanaged<IntPtr, void>)slots[Slot.ReleaseCudaProviderOptions];
    }

    /// <summary>Returns the status's error text (copied) and releases the status; null when the call succeeded.</summary>
    public string? TakeError(IntPtr status)
    {
        if (status == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            // The message belongs to the status: copy it before ReleaseStatus frees it.
            return Marshal.PtrToStringUTF8((IntPtr)GetErrorMessage(status)) ?? "unknown ONNX Runtime error";
        }
        finally
        {
            ReleaseStatus(status);
        }
    }

    /// <summary>Throws an <see cref="OnnxRuntimeException"/> saying "context: ORT text" when the call failed.</summary>
    public void Check(IntPtr status, string context)
    {
        if (TakeError(status) is { } error)
        {
            throw new OnnxRuntimeException($"{context}: {error}", error);
        }
    }

    /// <summary>Indices of the functions used, in the order of struct OrtApi in onnxruntime_c_api.h.</summary>
    internal static class Slot
    {
        public const int CreateStatus = 0;
        public const int GetErrorCode = 1;
        public const int GetErrorMessage = 2;
        public const int CreateEnv = 3;
        public const int CreateSession = 7;
        public const int Run = 9;
        public const int CreateSessionOptions = 10;
        public const int SetSessionGraphOptimizationLevel = 23;
        public const int SetIntraOpNumThreads = 24;
        public const int SessionGetInputCount = 30;
        public const int SessionGetOutputCount = 31;
        public const int SessionGetInputTypeInfo = 33;
        public const int SessionGetOutputTypeInfo = 34;
        public const int SessionGetInputName = 36;
        public const int SessionGetOutputName = 37;
        public const int CreateRunOptions = 39;
        public const int RunOptionsSetRunTag = 42;
        public const int RunOptionsGetRunTag = 45;
        public const int CreateTensorWithDataAsOrtValue = 49;
        public const int GetTensorMutableData = 51;
        public const int CastTypeInfoToTensorInfo = 55;
        public const int GetOnnxTypeFromTypeInfo = 56;
        public const int GetTensorElementType = 60;
        public const int GetDimensionsCount = 61;
        public const int GetDimensions = 62;
        public const int GetTensorTypeAndShape = 65;
        public const int CreateCpuMemoryInfo = 69;
        public const int MemoryInfoGetName = 71;
        public const int AllocatorAlloc = 75;
        public const int AllocatorFree = 76;
        public const int GetAllocatorWithDefaultOptions = 78;
        public const int ReleaseEnv = 92;
        public const int ReleaseStatus = 93;
        public const int ReleaseMemoryInfo = 94;
        public const int ReleaseSession = 95;
        public const int ReleaseValue = 96;
        public const int ReleaseRunOptions = 97;
        public const int ReleaseTypeInfo = 98;
        public const int ReleaseTensorTypeAndShapeInfo = 99;
        public const int ReleaseSessionOptions = 100;
        public const int AddSessionConfigEntry = 130;
        public const int AddRunConfigEntry = 165;
        public const int SessionOptionsAppendExecutionProviderCudaV2 = 204;
        public const int CreateCudaProviderOptions = 205;
        public const int ReleaseCudaProviderOptions = 208;
    }
}
