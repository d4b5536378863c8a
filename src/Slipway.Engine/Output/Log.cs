namespace Slipway.Engine;

/// <summary>
/// The build's log: one line per step under the running target's header. Every line passes through
/// the secret masker. Domain code receives <see cref="Info"/> as an <c>Action&lt;string&gt;</c>.
/// </summary>
public static class Log
{
    private static readonly Lock Gate = new();

    public static bool Verbose { get; internal set; }

    internal static TextWriter Out { get; set; } = Console.Out;

    internal static TextWriter Error { get; set; } = Console.Error;

    public static void Info(string message) => Write(Out, "  ", message);

    /// <summary>A line without indentation, for results other tools read (e.g. "Tests: 3 passed, 0 failed").</summary>
    public static void Plain(string message) => Write(Out, "", message);

    public static void Warn(string message) => Write(Out, "  warning: ", message);

    public static void Failure(string message) => Write(Error, "  ", message);

    /// <summary>Detail shown only with --verbose.</summary>
    public static void Debug(string message)
    {
        if (Verbose)
            Write(Out, "  · ", message);
    }

    internal static void Raw(string line)
    {
        lock (Gate)
            Out.WriteLine(line);
    }

    internal static void RawError(string line)
    {
        lock (Gate)
            Error.WriteLine(line);
    }

    private static void Write(TextWriter writer, string prefix, string message)
    {
        lock (Gate)
        {
            foreach (var line in message.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
                writer.WriteLine(prefix + line);
        }
    }
}
