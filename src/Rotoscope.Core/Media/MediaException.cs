namespace Rotoscope.Core.Media;

/// <summary>An ffmpeg/ffprobe failure or an unusable input; Message is one line fit for users.</summary>
public sealed class MediaException : Exception
{
    public MediaException()
        : this("media operation failed")
    {
    }

    public MediaException(string message)
        : this(message, exitCode: null, stderrTail: string.Empty, innerException: null)
    {
    }

    public MediaException(string message, Exception innerException)
        : this(message, exitCode: null, stderrTail: string.Empty, innerException)
    {
    }

    public MediaException(string message, int? exitCode, string stderrTail, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        StderrTail = stderrTail ?? string.Empty;
    }

    /// <summary>The tool's exit code, when it ran and exited.</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines the tool wrote to stderr (bounded); empty when it did not run.</summary>
    public string StderrTail { get; }
}
