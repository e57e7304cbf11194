using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

public sealed class CudaProbeTests : IDisposable
{
    private readonly string gpuBuild = Directory.CreateTempSubdirectory("rotoscope-gpu-build-").FullName;

    public CudaProbeTests()
    {
        File.WriteAllBytes(Path.Combine(gpuBuild, CudaProbe.ProviderLibrary), []);
    }

    public void Dispose() => Directory.Delete(gpuBuild, recursive: true);

    [Fact]
    [Trait("Category", "Unit")]
    public void WhyUnavailable_SaysCpuBuild_WhenNoProviderLibraryBesideOnnxRuntime()
    {
        var empty = Directory.CreateTempSubdirectory("rotoscope-cpu-build-").FullName;
        try
        {
            // Even with every CUDA library present: installing CUDA cannot help a CPU build.
            Assert.Equal(CudaProbe.CpuBuildReason, new CudaProbe(empty, _ => true).WhyUnavailable());
            Assert.Equal(CudaProbe.CpuBuildReason, new CudaProbe(null, _ => true).WhyUnavailable());
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void WhyUnavailable_NamesTheMissingRuntimeLibrary_WhenOneIsMissing()
    {
        var probe = new CudaProbe(gpuBuild, library => library != "libcublasLt.so.13");

        Assert.Equal("cannot load libcublasLt.so.13 (install the CUDA 13 runtime: cudart, cuBLAS, cuRAND)", probe.WhyUnavailable());
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void WhyUnavailable_NamesTheDriver_WhenOnlyTheDriverIsMissing()
    {
        var probe = new CudaProbe(gpuBuild, library => library != CudaProbe.DriverLibrary);

        Assert.Equal("cannot load libcuda.so.1 (install the NVIDIA driver)", probe.WhyUnavailable());
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void WhyUnavailable_ListsEverything_WhenNothingLoads()
    {
        var asked = new List<string>();
        var probe = new CudaProbe(gpuBuild, library =>
        {
            asked.Add(library);
            return false;
        });

        var reason = probe.WhyUnavailable();

        Assert.Equal(
            "cannot load libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10 (install the CUDA 13 runtime: " +
            "cudart, cuBLAS, cuRAND) and libcudnn.so.9 (install cuDNN 9 for CUDA 13) and libcuda.so.1 (install the NVIDIA driver)",
            reason);
        Assert.Equal(["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9", "libcuda.so.1"], asked);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void WhyUnavailable_NamesCudnn_WhenOnlyCudnnIsMissing()
    {
        var probe = new CudaProbe(gpuBuild, library => library != CudaProbe.CudnnLibrary);

        Assert.Equal("cannot load libcudnn.so.9 (install cuDNN 9 for CUDA 13)", probe.WhyUnavailable());
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void WhyUnavailable_ReturnsNull_WhenProviderAndLibrariesAreThere()
    {
        Assert.Null(new CudaProbe(gpuBuild, _ => true).WhyUnavailable());
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void ForThisProcess_FindsTheLoadedOnnxRuntimeAndSaysCpuBuild_OnTheCpuFlavour()
    {
        var probe = CudaProbe.ForThisProcess();

        Assert.NotNull(probe.ProviderDirectory);
        Assert.True(File.Exists(Path.Combine(probe.ProviderDirectory, "libonnxruntime.so")), $"no libonnxruntime.so in {probe.ProviderDirectory}");
        Assert.Equal(CudaProbe.CpuBuildReason, probe.WhyUnavailable());
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void WhyProviderFailsToLoad_GivesTheLoadersReasonInOneLine_WhenTheProviderCannotLoad()
    {
        // The fake provider is an empty file: the loader rejects it, as it rejects a real one with a missing dependency.
        var reason = new CudaProbe(gpuBuild, _ => true).WhyProviderFailsToLoad();

        Assert.NotNull(reason);
        Assert.StartsWith($"cannot load {CudaProbe.ProviderLibrary}: ", reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reason);
        Assert.DoesNotContain("strace", reason, StringComparison.Ordinal);
        Assert.Null(new CudaProbe(null, _ => true).WhyProviderFailsToLoad());
    }
}
