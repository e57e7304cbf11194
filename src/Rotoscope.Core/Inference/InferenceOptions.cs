namespace Rotoscope.Core.Inference;

/// <summary>How a style session is opened: the device and the intra-op thread count (0 = ONNX Runtime's default).</summary>
public sealed record InferenceOptions(InferenceDevice Device = InferenceDevice.Cpu, int IntraOpThreads = 0);
