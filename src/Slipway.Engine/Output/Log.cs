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

    /// <summary>The interactive terminal's status line, or null for the plain output (CI, redirected, TERM=dumb).</summary>
    internal static TerminalStatus? Terminal { get; set; }

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

    /// <summary>
    /// Runs long work under its title line: in an interactive terminal the latest
    /// event the work reports is shown, masked, on a status line that is cleared when the work ends; otherwise the
    /// events are dropped and the output is the title line alone.
    /// </summary>
    public static async Task ProgressAsync(string title, Func<IProgress<string>, Task> work)
    {
        Info(title);
        if (Terminal is not { } terminal || !await terminal.TryShowAsync(title, work).ConfigureAwait(false))
            await work(new Progress<string>()).ConfigureAwait(false);
    }

    internal static void Raw(string line)
    {
        lock (Gate)
            WriteLine(Out, line);
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
                WriteLine(writer, prefix + line);
        }
    }

    /// <summary>While a status line is shown, standard output goes through it so the line lands above the status.</summary>
    private static void WriteLine(TextWriter writer, string line)
    {
        if (writer == Out && Terminal is { IsShown: true } terminal)
            terminal.WriteLine(line);
        else
            writer.WriteLine(line);
    }
}
