using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Styles;
using TorchSharp;
using static TorchSharp.torch;

namespace Rotoscope.Training;

/// <summary>What a training run learns from and where it keeps its state.</summary>
/// <param name="StyleImage">The style image (JPEG or PNG).</param>
/// <param name="ContentDirectory">Folder of content photographs (JPEG or PNG) the crops are cut from.</param>
/// <param name="RunDirectory">The run's own folder: settings, checkpoints, the exported model and its preview.</param>
/// <param name="ResNet18">ResNet18.onnx (see <see cref="LibTorch.ResNet18Path"/>).</param>
public sealed record TrainingJob(string StyleImage, string ContentDirectory, string RunDirectory, string ResNet18, TrainingSettings Settings)
{
    /// <summary>How often a checkpoint is written while training (one is also written on cancel and at the end).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>LibTorch threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Train on the GPU (needs a CUDA LibTorch, see <see cref="LibTorch.Load"/>). Runs on the GPU are not bit-for-bit
    /// reproducible, and a run's checkpoints resume on either device.
    /// </summary>
    public bool Cuda { get; init; }
}

/// <summary>A finished run: the exported model, its preview, and the record of how it went.</summary>
/// <param name="Losses">The total loss of every step, from step 1 (also those before a resume).</param>
/// <param name="TrainingSeconds">Time spent in training steps over all sessions of this run.</param>
/// <param name="OnnxDifference">Largest absolute difference (0..255) between ONNX Runtime and LibTorch on the preview.</param>
public sealed record TrainingOutcome(string ModelPath, string PreviewPath, int Steps, int ResumedFrom, IReadOnlyList<double> Losses, double TrainingSeconds, double OnnxDifference);

/// <summary>
/// Trains a <see cref="StyleNetwork"/> from one style image with Adam and the ResNet18 perceptual loss, deterministically
/// for a seed; checkpoints every few minutes and on cancel, resumes from the last checkpoint, exports ONNX and checks
/// it against LibTorch. Call <see cref="LibTorch.Load"/> first.
/// </summary>
public sealed class StyleTrainer(TrainingJob job)
{
    /// <summary>Largest ONNX-vs-LibTorch difference (0..255) accepted before a model is handed out.</summary>
    public const double OnnxTolerance = 0.5;

    private const string RunFile = "run.json";
    private const string CheckpointFolder = "checkpoint";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The run's identity: settings and the hashes of its images. Resuming requires the same.</summary>
    public RunRecord Describe()
    {
        var content = ContentFiles(job.ContentDirectory);
        var contentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', content.Select(f => $"{Path.GetFileName(f)} {StyleCatalog.HashFile(f)}")))));
        return new RunRecord(job.Settings, StyleCatalog.HashFile(job.StyleImage), contentHash, content.Count);
    }

    /// <summary>
    /// Fails with one line when a style image is missing, not a JPEG or PNG, smaller than 64 pixels a side or over
    /// 100 megapixels. Needs no LibTorch: the CLI checks before loading it.
    /// </summary>
    public static void CheckStyleImage(string path, string given)
    {
        if (!File.Exists(path))
        {
            throw new RotoscopeException($"style image not found: {given}");
        }

        TrainingImages.Decode(path, "style image").Dispose();
    }

    /// <summary>Whether the run folder holds a checkpoint of an earlier, unfinished session.</summary>
    public int CheckpointStep() => ReadState(CheckpointPath())?.Step ?? 0;

    /// <summary>Trains (or resumes), exports and verifies; on cancel, writes a checkpoint and throws.</summary>
    public TrainingOutcome Run(IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var settings = job.Settings;
        settings.Validate();
        if (!File.Exists(job.StyleImage))
        {
            throw new RotoscopeException($"style image not found: {job.StyleImage}");
        }

        torch.set_num_threads(job.Threads > 0 ? job.Threads : Environment.ProcessorCount);
        Directory.CreateDirectory(job.RunDirectory);
        CheckRun(Describe());

        var device = job.Cuda ? CUDA : CPU;
        using var style = TrainingImages.Load(job.StyleImage, "style image");
        using var styleFit = TrainingImages.FitShortSide(style, settings.StyleSize).to(device);
        using var content = ContentSet.Load(ContentFiles(job.ContentDirectory), job.ContentDirectory, settings.Size);
        using var features = ResNetFeatures.Load(job.ResNet18, PerceptualLoss.StyleTaps, device);
        using var loss = new PerceptualLoss(features, styleFit);

        // Weights are drawn on the CPU whatever the device, so a seed gives the same start everywhere.
        torch.manual_seed(settings.Seed);
        using var network = new StyleNetwork(settings.Channels, settings.Blocks);
        network.to(device);
        using var adam = optim.Adam(network.parameters(), settings.LearningRate);
        var state = LoadCheckpoint(network, adam) ?? new CheckpointState(0, [], 0);
        var resumedFrom = state.Step;
        var losses = new List<double>(state.Losses);
        var seconds = state.TrainingSeconds;

        network.train();
        var clock = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        var speed = new SpeedMeter();
        for (var step = state.Step + 1; step <= settings.Steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                SaveCheckpoint(network, adam, new CheckpointState(step - 1, losses, seconds + clock.Elapsed.TotalSeconds));
                cancellationToken.ThrowIfCancellationRequested();
            }

            var values = Step(network, adam, loss, content, step);
            losses.Add(values.Total);
            progress?.Report(new TrainingProgress(step, settings.Steps, values, clock.Elapsed, speed.Tick(clock.Elapsed), resumedFrom));
            if (sinceCheckpoint.Elapsed >= job.CheckpointInterval && step < settings.Steps)
            {
                SaveCheckpoint(network, adam, new CheckpointState(step, losses, seconds + clock.Elapsed.TotalSeconds));
                WritePreview(network, content);
                sinceCheckpoint.Restart();
            }
        }

        seconds += clock.Elapsed.TotalSeconds;
        if (resumedFrom < settings.Steps)
        {
            // The trained weights are kept before the export, so a failure there never costs the training.
            SaveCheckpoint(network, adam, new CheckpointState(settings.Steps, losses, seconds));
        }

        network.eval();
        network.to(CPU); // the export reads the weights, and the check compares with ONNX Runtime on the CPU
        var (modelPath, previewPath, difference) = Export(network, content);
        return new TrainingOutcome(modelPath, previewPath, settings.Steps, resumedFrom, losses, seconds, difference);
    }

    private LossValues Step(StyleNetwork network, TorchSharp.Modules.Adam adam, PerceptualLoss loss, ContentSet content, int step)
    {
        var settings = job.Settings;
        using var scope = NewDisposeScope();
        // Cosine decay from the learning rate to a tenth of it over the run; a pure function of the step, as is the
        // batch (its generator is seeded from seed and step), so a resumed run continues exactly where it stopped.
        var rate = settings.LearningRate * (0.1 + (0.9 * 0.5 * (1 + Math.Cos(Math.PI * (step - 1) / settings.Steps))));
        foreach (var group in adam.ParamGroups)
        {
            group.LearningRate = rate;
        }

        var random = new Random(unchecked((settings.Seed * 1_000_003) + step));
        var batch = content.Batch(settings.Batch, settings.Size, random).to(job.Cuda ? CUDA : CPU);
        var output = network.forward(batch);

        // The loss network samples at strides up to 16: a texture finer than that, in step with its sampling grid,
        // costs little and the network learns it (a fine grid over everything). Seen through a window that moves by
        // a random 0..15 pixels each step, such a texture no longer lines up and is penalised like any other.
        var (dy, dx) = settings.Jitter ? (random.Next(16), random.Next(16)) : (0, 0);
        var (total, values) = loss.Compute(output[.., .., dy.., dx..], batch[.., .., dy.., dx..], settings);
        if (settings.StabilityWeight > 0)
        {
            var stability = Stability(network, batch, output, random, step);
            total = total + (settings.StabilityWeight * stability);
            values = values with { Total = total.item<float>(), Stability = stability.item<float>() };
        }

        adam.zero_grad();
        total.backward();
        adam.step();
        if (!double.IsFinite(values.Total))
        {
            throw new RotoscopeException($"training diverged at step {step} (loss {values.Total}); try a lower --strength-of-style");
        }

        return values;
    }

    // Video asks of a per-frame network that its output move with the scene: the same picture shifted by a few
    // pixels, with fresh sensor noise, must give the same output shifted. Texture tied to the network's own stride-4
    // grid, or that reacts to noise, fails this and boils on video (and shows as a fine grid on stills). Mean squared
    // difference over the interior, in units of 255, so that the weight reads like the other losses'.
    private Tensor Stability(StyleNetwork network, Tensor batch, Tensor output, Random random, int step)
    {
        const int Margin = 8; // the network pads at the edges: what it sees there differs after a shift
        var (sy, sx) = (1 + random.Next(7), 1 + random.Next(7));
        // The first crop of the batch only: the check costs a generator pass, and one crop a step teaches it as well.
        var shifted = batch[..1, .., sy.., sx..];
        var generator = new Generator(unchecked((ulong)((job.Settings.Seed * 7_919L) + step)));
        var noise = randn(shifted.shape, generator: generator) * 3.0;
        var noisy = (shifted + noise.to(batch.device)).clamp(0, 255);
        var moved = network.forward(noisy);
        var difference = moved[.., .., Margin..^Margin, Margin..^Margin] - output[..1, .., (sy + Margin)..^Margin, (sx + Margin)..^Margin];
        return (difference / 255.0).square().mean();
    }

    private (string Model, string Preview, double Difference) Export(StyleNetwork network, ContentSet content)
    {
        var modelPath = Path.Combine(job.RunDirectory, "model.onnx");
        var previewPath = PreviewPath;
        WriteAtomically(modelPath, StyleNetworkOnnx.Write(network, LibTorch.TorchSharpVersion));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = PreviewInput(content);
        var expected = network.forward(input);
        var (height, width) = ((int)input.shape[2], (int)input.shape[3]);
        var actual = new float[3 * height * width];
        using (var session = OnnxStyleSession.Open(modelPath, new InferenceOptions(InferenceDevice.Cpu, job.Threads)))
        {
            session.Run(input.contiguous().data<float>().ToArray(), actual, 1, height, width);
        }

        var difference = (tensor(actual, [1, 3, height, width]) - expected).abs().max().item<float>();
        if (!(difference <= OnnxTolerance))
        {
            throw new RotoscopeException($"the exported model differs from the trained network by {difference:0.###} (of 255) in ONNX Runtime; this is a bug in the exporter");
        }

        WriteAtomically(previewPath, TrainingImages.ToJpeg(expected));
        return (modelPath, previewPath, difference);
    }

    /// <summary>Where the run's preview image is (written at each periodic checkpoint and at the end).</summary>
    public string PreviewPath => Path.Combine(job.RunDirectory, "preview.jpg");

    // The first content photo through the network as it is now (instance norm keeps no running statistics, so
    // training and inference compute the same).
    private void WritePreview(StyleNetwork network, ContentSet content)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        WriteAtomically(PreviewPath, TrainingImages.ToJpeg(network.forward(PreviewInput(content).to(job.Cuda ? CUDA : CPU))));
    }

    private static Tensor PreviewInput(ContentSet content) => TrainingImages.FitShortSide(content.First.unsqueeze(0), 256).round();

    private void CheckRun(RunRecord record)
    {
        var path = Path.Combine(job.RunDirectory, RunFile);
        if (File.Exists(path))
        {
            var existing = JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json);
            if (existing != record)
            {
                throw new RotoscopeException(
                    $"{job.RunDirectory} holds a training run with other settings or images; run the same command as before to resume it, or add --restart to start over");
            }

            return;
        }

        WriteAtomically(path, JsonSerializer.SerializeToUtf8Bytes(record, Json));
    }

    private string CheckpointPath() => Path.Combine(job.RunDirectory, CheckpointFolder);

    private CheckpointState? LoadCheckpoint(StyleNetwork network, TorchSharp.Modules.Adam adam)
    {
        var folder = CheckpointPath();
        if (!Directory.Exists(folder) && Directory.Exists(folder + ".old"))
        {
            folder += ".old";   // a crash between the two renames of SaveCheckpoint
        }

        var state = ReadState(folder);
        if (state is null)
        {
            return null;
        }

        network.load(Path.Combine(folder, "network.dat"));
        adam.load_state_dict(Path.Combine(folder, "adam.dat"));
        return state;
    }

    private static CheckpointState? ReadState(string folder)
    {
        var path = Path.Combine(folder, "state.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), Json) : null;
    }

    // A checkpoint is a folder written in full under another name, then swapped in: a crash at any point leaves the
    // previous checkpoint or the new one, never half of one.
    private void SaveCheckpoint(StyleNetwork network, TorchSharp.Modules.Adam adam, CheckpointState state)
    {
        var folder = CheckpointPath();
        var partial = folder + ".partial";
        var old = folder + ".old";
        try
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            Directory.CreateDirectory(partial);
            network.save(Path.Combine(partial, "network.dat"));
            adam.save_state_dict(Path.Combine(partial, "adam.dat"));
            File.WriteAllBytes(Path.Combine(partial, "state.json"), JsonSerializer.SerializeToUtf8Bytes(state, Json));
            if (Directory.Exists(old))
            {
                Directory.Delete(old, recursive: true);
            }

            if (Directory.Exists(folder))
            {
                Directory.Move(folder, old);
            }

            Directory.Move(partial, folder);
            if (Directory.Exists(old))
            {
                Directory.Delete(old, recursive: true);
            }
        }
        catch (IOException e)
        {
            throw new RotoscopeException($"cannot write a checkpoint in {job.RunDirectory}: {e.Message}", e);
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var partial = path + ".partial";
        File.WriteAllBytes(partial, bytes);
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>The content images of a folder, as training reads them (JPEG and PNG, sorted by name).</summary>
    internal static IReadOnlyList<string> ContentFiles(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory)
                .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)]
            : throw new RotoscopeException($"content folder not found: {directory}");

    /// <summary>A run's identity, kept in its folder as run.json.</summary>
    public sealed record RunRecord(TrainingSettings Settings, string StyleSha256, string ContentSha256, int ContentImages);

    private sealed record CheckpointState(int Step, IReadOnlyList<double> Losses, double TrainingSeconds);

    // Steps per second over the last ~20 steps (the first steps are slower while LibTorch warms up).
    private sealed class SpeedMeter
    {
        private readonly Queue<TimeSpan> times = new();

        public double Tick(TimeSpan now)
        {
            times.Enqueue(now);
            if (times.Count > 21)
            {
                times.Dequeue();
            }

            var span = (now - times.Peek()).TotalSeconds;
            return times.Count > 1 && span > 0 ? (times.Count - 1) / span : 0;
        }
    }
}
