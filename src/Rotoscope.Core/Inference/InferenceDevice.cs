namespace Rotoscope.Core.Inference;

/// <summary>Where a style model runs: the CPU, a CUDA GPU, or CUDA when available and the CPU otherwise.</summary>
public enum InferenceDevice
{
    Cpu,
    Cuda,
    Auto,
}
