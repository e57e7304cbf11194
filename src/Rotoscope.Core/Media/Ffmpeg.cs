using System.Buffers;
using System.Globalization;

namespace Rotoscope.Core.Media;

/// <summary>Probes, splits and assembles videos by running ffprobe/ffmpeg, with raw rgb24 frames over pipes.</summary>
public sealed class Ffmpeg(FfmpegTools tools)
{
    private readonly FfmpegTools _tools = tools ?? throw new ArgumentNullException(nameof(tools));

    /// <summary>Reads the video's geometry, rate, duration and audio streams; refuses inputs that are not videos.</summary>
    public async Task<VideoInfo> ProbeAsync(string inputPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        if (!File.Exists(inputPath))
        {
            throw new MediaException($"input not found: {inputPath}");
        }

        var process = ToolProcess.Start(_tools.FfprobePath, FfmpegArguments.Probe(inputPath), cancellationToken);
        await using (process.ConfigureAwait(false))
        {
            process.CloseStandardInput();
            using var reader = new StreamReader(process.StandardOutput);
            var json = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            var exitCode = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                var cause = process.Stderr.LastMeaningfulLine(inputPath) ?? $"ffprobe exited with code {exitCode}";
                var message = cause.Contains("No such file or directory", StringComparison.Ordinal)
                    ? $"input not found: {inputPath}"
                    : $"{inputPath} is not a readable video: {cause}";
                throw new MediaException(message, exitCode, process.Stderr.ToString());
            }

            return FfprobeOutput.Parse(inputPath, json);
        }
    }

    /// <summary>
    /// Decodes the video once at exactly <paramref name="fps"/>, autorotated to info's display geometry, and calls
    /// <paramref name="onFrame"/> with each rgb24 frame (Width*Height*3 bytes) and its zero-based index. The buffer is
    /// reused: the callee consumes or copies it before its task completes. When <paramref name="audioOutputPath"/> is
    /// given and the input has audio, every audio stream is copied (not re-encoded) into that Matroska file in the same
    /// run; without audio no file is written. Returns the number of frames and, when ffmpeg succeeded but reported
    /// errors on the way (a damaged or truncated file), its last such line.
    /// </summary>
    public async Task<SplitOutcome> SplitAsync(
        string inputPath,
        VideoInfo info,
        Rational fps,
        string? audioOutputPath,
        Func<ReadOnlyMemory<byte>, long, CancellationToken, ValueTask> onFrame,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(onFrame);
        var frameSize = checked(info.Width * info.Height * 3);
        var arguments = FfmpegArguments.Split(inputPath, fps, info.Colorimetry, info.HasAudio ? audioOutputPath : null);

        var process = ToolProcess.Start(_tools.FfmpegPath, arguments, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(frameSize);
        try
        {
            await using (process.ConfigureAwait(false))
            {
                process.CloseStandardInput();
                var frame = buffer.AsMemory(0, frameSize);
                long frames = 0;
                while (true)
                {
                    var read = await process.StandardOutput
                        .ReadAtLeastAsync(frame, frameSize, throwOnEndOfStream: false, cancellationToken)
                        .ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (read < frameSize)
                    {
                        await ThrowIfFailedAsync(process, "split", inputPath, cancellationToken).ConfigureAwait(false);
                        throw new MediaException(
                            $"split of {inputPath} failed: ffmpeg ended with a partial frame ({read} of {frameSize} bytes; "
                            + $"expected {info.Width}x{info.Height} rgb24)",
                            exitCode: 0,
                            process.Stderr.ToString());
                    }

                    // Disposal of the process (finally) kills ffmpeg if the callee throws.
                    await onFrame(frame, frames, cancellationToken).ConfigureAwait(false);
                    frames++;
                }

                await ThrowIfFailedAsync(process, "split", inputPath, cancellationToken).ConfigureAwait(false);

                // At loglevel error, anything on stderr of a successful run is a decoding or demuxing error.
                return new SplitOutcome(frames, process.Stderr.LastMeaningfulLine(inputPath));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Encodes the frames that <paramref name="writeFrames"/> writes to ffmpeg's stdin (whole rgb24 frames of
    /// spec.Width*spec.Height*3 bytes, then return) into spec.OutputPath, muxing spec.AudioPath's audio if given.
    /// If the writer throws, ffmpeg is killed and the exception propagates.
    /// </summary>
    public async Task AssembleAsync(
        AssembleSpec spec,
        Func<Stream, CancellationToken, Task> writeFrames,
        Action<long> framesEncoded,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(writeFrames);
        ArgumentNullException.ThrowIfNull(framesEncoded);
        var arguments = FfmpegArguments.Assemble(spec);
        var frameSize = (long)spec.Width * spec.Height * 3;

        var process = ToolProcess.Start(_tools.FfmpegPath, arguments, cancellationToken);
        await using (process.ConfigureAwait(false))
        {
            // ffmpeg writes its output to a file and its progress ("frame=N" lines) to stdout.
            process.ReadStandardOutputLines(line =>
            {
                if (line.StartsWith("frame=", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var frames))
                {
                    framesEncoded(frames);
                }
            });
            var stdin = new FrameCountingStream(process.StandardInput);
            await using (stdin.ConfigureAwait(false))
            {
                try
                {
                    await writeFrames(stdin, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    // A broken pipe means ffmpeg stopped reading: we killed it on cancellation, or it failed and
                    // its stderr says why.
                    cancellationToken.ThrowIfCancellationRequested();
                    process.CloseStandardInput();
                    await ThrowIfFailedAsync(process, "assemble", spec.OutputPath, cancellationToken, e)
                        .ConfigureAwait(false);
                    throw;
                }
            }

            if (stdin.BytesWritten % frameSize != 0)
            {
                throw new MediaException(
                    $"assemble of {spec.OutputPath} failed: the frame writer wrote {stdin.BytesWritten} bytes, "
                    + $"not whole {spec.Width}x{spec.Height} rgb24 frames of {frameSize} bytes");
            }

            process.CloseStandardInput();
            await ThrowIfFailedAsync(process, "assemble", spec.OutputPath, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Encodes a small review copy from numbered stills on disk (see <see cref="ReviewCopySpec"/>).</summary>
    public async Task EncodeReviewCopyAsync(ReviewCopySpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var process = ToolProcess.Start(_tools.FfmpegPath, FfmpegArguments.ReviewCopy(spec), cancellationToken);
        await using (process.ConfigureAwait(false))
        {
            process.CloseStandardInput();
            await ThrowIfFailedAsync(process, "review copy", spec.OutputPath, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a synthetic clip (see <see cref="FfmpegArguments.TestClip"/>) to <paramref name="outputPath"/>.</summary>
    public async Task GenerateTestClipAsync(string outputPath, int width, int height, Rational fps, double seconds, CancellationToken cancellationToken)
    {
        var process = ToolProcess.Start(_tools.FfmpegPath, FfmpegArguments.TestClip(outputPath, width, height, fps, seconds), cancellationToken);
        await using (process.ConfigureAwait(false))
        {
            process.CloseStandardInput();
            await ThrowIfFailedAsync(process, "generate", outputPath, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ThrowIfFailedAsync(
        ToolProcess process,
        string operation,
        string path,
        CancellationToken cancellationToken,
        Exception? innerException = null)
    {
        var exitCode = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);

        // A kill on cancellation shows up as a failed exit; report the cancellation, not a media error.
        cancellationToken.ThrowIfCancellationRequested();
        if (exitCode != 0)
        {
            var cause = process.Stderr.LastMeaningfulLine(path) ?? $"ffmpeg exited with code {exitCode}";
            throw new MediaException(
                $"{operation} of {path} failed: {cause}", exitCode, process.Stderr.ToString(), innerException);
        }
    }
}

/// <summary>What a split decoded: the frame count and, if ffmpeg reported errors while decoding, its last such line.</summary>
public sealed record SplitOutcome(long Frames, string? DecodeError);
