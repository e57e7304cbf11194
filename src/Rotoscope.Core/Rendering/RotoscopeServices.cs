using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Media;
using Rotoscope.Core.Stills;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Rendering;

/// <summary>Composes a render node's steps (videos and stills): the local store, catalog, ffmpeg and ONNX Runtime (the scheduler that runs them is added by Jobs/).</summary>
public static class RotoscopeServices
{
    /// <summary>Registers everything a render's steps need in one process.</summary>
    public static IServiceCollection AddRotoscope(this IServiceCollection services, RotoscopeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = new LocalBlobStore(options.DataDirectory);
        services.AddSingleton(options);
        services.AddSingleton(store);
        // The frame store: the local data:// store, or a shared one on S3 (--store).
        services.AddSingleton<IBlobStore>(provider => options.FrameStore is { } uri
            ? provider.GetRequiredService<Connectors>().StoreAt(uri)
            : store);
        services.AddSingleton(_ => StyleCatalog.Load(options.ModelsDirectory, UserStyles.DirectoryOf(options.DataDirectory)));
        services.AddSingleton(_ => new Connectors(ConnectorConfig.Load(options.ConnectorsFile), options.Environment, store));
        services.AddSingleton(new Ffmpeg(options.Ffmpeg));
        services.AddSingleton(_ => new StyleRunner(options.Inference));
        services.AddSingleton(_ => new CodecPool());
        services.AddSingleton<RenderMonitor>();
        services.AddSingleton<RenderPlanner>();
        services.AddSingleton(new ScratchSpace(options.TempDirectory));
        services.AddSingleton(new RenderLocks(Path.Combine(store.Root, "locks")));
        services.AddSingleton<FrameSplitter>();
        services.AddSingleton<BatchStylizer>();
        services.AddSingleton<VideoAssembler>();
        services.AddSingleton<RenderService>();
        services.AddSingleton<StillStores>();
        services.AddSingleton<StillRecords>();
        services.AddSingleton<StillPlanner>();
        services.AddSingleton<StillStylizer>();
        return services;
    }
}
