using System.Runtime.InteropServices;

namespace Rotoscope.Core.Inference;

/// <summary>Owns one ONNX Runtime object and releases it with its OrtApi Release function.</summary>
internal sealed unsafe class OrtHandle : SafeHandle
{
    private readonly delegate* unmanaged<IntPtr, void> release;

    public OrtHandle(IntPtr value, delegate* unmanaged<IntPtr, void> release)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        this.release = release;
        SetHandle(value);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        release(handle);
        return true;
    }
}
