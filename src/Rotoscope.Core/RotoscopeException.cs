namespace Rotoscope.Core;

/// <summary>A failure whose message is already one clear line for the user (bad input, missing style, unwritable output).</summary>
public sealed class RotoscopeException : Exception
{
    /// <summary>Creates the exception with a user-facing <paramref name="message"/>.</summary>
    public RotoscopeException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a user-facing <paramref name="message"/> and its cause.</summary>
    public RotoscopeException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
