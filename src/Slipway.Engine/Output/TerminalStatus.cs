using System.Collections;
using Spectre.Console;

namespace Slipway.Engine;

/// <summary>
/// The live status line of an interactive terminal (a Spectre.Console status). Every text is masked before it is
/// drawn; lines the log writes while the status is shown go through here so they land above it.
/// </summary>
internal sealed class TerminalStatus(IAnsiConsole console, SecretMasker masker)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private int shown;

    public bool IsShown => Volatile.Read(ref shown) == 1;

    /// <summary>
    /// A status line for <paramref name="stdout"/> when it is a terminal a person watches: not redirected, not CI
    /// (the CI variable set), TERM not "dumb"; colourless under NO_COLOR. Otherwise null: the plain output.
    /// </summary>
    public static TerminalStatus? For(TextWriter stdout, bool isOutputRedirected, IDictionary environment, SecretMasker masker)
    {
        if (isOutputRedirected || environment["CI"] is string { Length: > 0 } || environment["TERM"] as string == "dumb")
            return null;
        return new TerminalStatus(AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
            ColorSystem = environment["NO_COLOR"] is string { Length: > 0 } ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(stdout),
        }), masker);
    }

    public void WriteLine(string line) => console.Write(new Text(masker.Mask(line) + "\n"));

    /// <summary>Runs the work under a status line; false (the work not run) when one is already shown.</summary>
    public async Task<bool> TryShowAsync(string title, Func<IProgress<string>, Task> work)
    {
        if (Interlocked.CompareExchange(ref shown, 1, 0) != 0)
            return false;
        try
        {
            var latest = new LatestEvent(title);
            await console.Status().StartAsync(Describe(latest.Text), async context =>
            {
                // The work reports from any thread; the status is only touched here, at the refresh rate.
                var running = work(latest);
                while (await Task.WhenAny(running, Task.Delay(Interval)).ConfigureAwait(false) != running)
                    Show(context, latest);
                Show(context, latest);
                await running.ConfigureAwait(false);
            }).ConfigureAwait(false);
            return true;
        }
        finally
        {
            Volatile.Write(ref shown, 0);
        }
    }

    private void Show(StatusContext context, LatestEvent latest)
    {
        context.Status = Describe(latest.Text);
        context.Refresh();
    }

    /// <summary>One line of markup: masked, control characters (a build step's colours, carriage returns) blanked, cut to the width.</summary>
    private string Describe(string text)
    {
        var visible = new string(masker.Mask(text).Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        var room = Math.Max(console.Profile.Width - 4, 10);
        return Markup.Escape(visible.Length > room ? visible[..(room - 1)] + "…" : visible);
    }

    private sealed class LatestEvent(string initial) : IProgress<string>
    {
        private string text = initial;

        public string Text => Volatile.Read(ref text);

        public void Report(string value) => Volatile.Write(ref text, value);
    }
}
