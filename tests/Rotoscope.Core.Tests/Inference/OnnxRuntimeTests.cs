using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

[Collection(OnnxRuntimeTestGroup.Name)]
public sealed class OnnxRuntimeTests(OnnxRuntimeFixture fixture)
{
    [Fact]
    [Trait("Category", "Integration")]
    public void Version_Is1300_WhenBootstrapLibraryLoaded()
    {
        Assert.Equal("1.30.0", fixture.Runtime.Version);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Load_ThrowsWithBootstrapHint_WhenLibraryMissing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rotoscope-missing-{Guid.NewGuid():N}", "libonnxruntime.so.1");

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxRuntime.Load(path));

        Assert.Equal(
            $"ONNX Runtime library not found at {path}; run scripts/bootstrap.sh or set ROTOSCOPE_ORT_LIBRARY",
            error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Load_ThrowsCouldNotBeLoaded_WhenFileIsNotALibrary()
    {
        var path = OnnxRuntimeFixture.Model("not_a_model.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxRuntime.Load(path));

        Assert.Equal($"ONNX Runtime library at {path} could not be loaded: {path}: invalid ELF header", error.Message);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void Load_SharesTheProcessEnvironment_WhenCalledTwice()
    {
        using var second = OnnxRuntime.Load(OnnxRuntime.DefaultLibraryPath(OnnxRuntimeFixture.ProcessEnvironment()));
        using var session = second.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions());

        Assert.Equal(fixture.Runtime.Version, second.Version);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void OpenStyleSession_ThrowsObjectDisposed_WhenRuntimeDisposed()
    {
        var runtime = OnnxRuntime.Load(OnnxRuntime.DefaultLibraryPath(OnnxRuntimeFixture.ProcessEnvironment()));
        runtime.Dispose();

        Assert.Throws<ObjectDisposedException>(
            () => runtime.OpenStyleSession(OnnxRuntimeFixture.Model("invert.onnx"), new InferenceOptions()));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void DefaultLibraryPath_ReturnsOverride_WhenVariableSet()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ROTOSCOPE_ORT_LIBRARY"] = "/opt/ort-gpu/libonnxruntime.so.1",
            ["HOME"] = "/home/nobody",
        };

        Assert.Equal("/opt/ort-gpu/libonnxruntime.so.1", OnnxRuntime.DefaultLibraryPath(environment));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void DefaultLibraryPath_ReturnsXdgInstall_WhenItExists()
    {
        var dataHome = Directory.CreateTempSubdirectory("rotoscope-xdg-").FullName;
        try
        {
            var folder = Path.Combine(dataHome, "rotoscope", "runtime", "onnxruntime-1.30.0");
            Directory.CreateDirectory(folder);
            var library = Path.Combine(folder, "libonnxruntime.so.1");
            File.WriteAllBytes(library, []);
            var environment = new Dictionary<string, string?> { ["XDG_DATA_HOME"] = dataHome, ["HOME"] = "/home/nobody" };

            Assert.Equal(library, OnnxRuntime.DefaultLibraryPath(environment));
        }
        finally
        {
            Directory.Delete(dataHome, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void DefaultLibraryPath_UsesHomeLocalShare_WhenXdgDataHomeUnsetOrRelative()
    {
        var home = Directory.CreateTempSubdirectory("rotoscope-home-").FullName;
        try
        {
            var folder = Path.Combine(home, ".local", "share", "rotoscope", "runtime", "onnxruntime-1.30.0");
            Directory.CreateDirectory(folder);
            var library = Path.Combine(folder, "libonnxruntime.so.1");
            File.WriteAllBytes(library, []);

            Assert.Equal(library, OnnxRuntime.DefaultLibraryPath(new Dictionary<string, string?> { ["HOME"] = home }));
            Assert.Equal(
                library,
                OnnxRuntime.DefaultLibraryPath(new Dictionary<string, string?> { ["HOME"] = home, ["XDG_DATA_HOME"] = "relative/data" }));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void DefaultLibraryPath_ReturnsNull_WhenNothingInstalled()
    {
        var empty = Directory.CreateTempSubdirectory("rotoscope-empty-").FullName;
        try
        {
            var environment = new Dictionary<string, string?> { ["XDG_DATA_HOME"] = empty, ["ROTOSCOPE_ORT_LIBRARY"] = "" };

            Assert.Null(OnnxRuntime.DefaultLibraryPath(environment));
            Assert.Null(OnnxRuntime.DefaultLibraryPath(new Dictionary<string, string?>()));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
