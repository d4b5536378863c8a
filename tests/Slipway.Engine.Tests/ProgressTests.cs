using System.Collections;

namespace Slipway.Engine.Tests;

/// <summary>
/// Long work shown through <see cref="Log.ProgressAsync"/>: the plain lines on CI and redirected output, a
/// Spectre.Console status line in an interactive terminal, secrets masked in both.
/// </summary>
[Collection("engine")]
public sealed class ProgressTests : IDisposable
{
    private const string Secret = "hunter2-s3cr3t";
    private const string Escape = "\u001b";

    private readonly Harness harness = new();

    public void Dispose()
    {
        Log.Terminal = null;
        Log.Out = Console.Out;
        harness.Dispose();
    }

    private sealed class Seeding : SlipwayBuild
    {
        [Parameter("token"), Secret]
        public readonly string? Token;

        /// <summary>What the build printed before progress existed: the title and the final line.</summary>
        Target Today => _ => _.Executes(() =>
        {
            Log.Info($"base images: seeding them with {Token}");
            Log.Info("base images: all 3 in the registry");
        });

        Target WithProgress => _ => _.Executes(async () =>
        {
            await Log.ProgressAsync($"base images: seeding them with {Token}", events =>
            {
                events.Report("seed: debootstrap bookworm (minbase)");
                events.Report($"seed: push with {Token}");
                return Task.CompletedTask;
            });
            Log.Info("base images: all 3 in the registry");
        });
    }

    /// <summary>The lines one target printed, from its header to the blank line before the summary.</summary>
    private string TargetSection(string target)
    {
        var output = harness.Run(new Seeding(), [target, "--token", Secret], [target]).Output;
        var start = output.IndexOf($"▸ {target}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, output);
        var body = output[(start + target.Length + 3)..];
        return body[..body.IndexOf("\n\n", StringComparison.Ordinal)];
    }

    [Fact]
    public void Redirected_output_is_byte_identical_to_the_lines_printed_before_progress()
    {
        harness.Environment["TERM"] = "xterm-256color";
        var section = TargetSection("WithProgress");
        Assert.Equal("  base images: seeding them with ****\n  base images: all 3 in the registry", section);
        Assert.Equal(TargetSection("Today"), section);
    }

    [Fact]
    public void On_CI_the_output_has_no_events_no_escape_characters_and_no_secret()
    {
        harness.Environment["CI"] = "true";
        var result = harness.Run(new Seeding(), ["WithProgress", "--token", Secret], ["WithProgress"]);
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain(Escape, result.Output + result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("seed:", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, result.Output + result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, null, "xterm-256color")]
    [InlineData(false, "true", "xterm-256color")]
    [InlineData(false, "1", "xterm")]
    [InlineData(false, null, "dumb")]
    public void Redirected_CI_or_dumb_terminals_get_the_plain_output(bool redirected, string? ci, string term)
    {
        var environment = new Hashtable { ["CI"] = ci, ["TERM"] = term };
        Assert.Null(TerminalStatus.For(new StringWriter(), redirected, environment, new SecretMasker()));
    }

    [Fact]
    public void A_terminal_a_person_watches_gets_the_status_line()
    {
        Assert.NotNull(TerminalStatus.For(new StringWriter(), isOutputRedirected: false, new Hashtable { ["TERM"] = "xterm-256color" }, new SecretMasker()));
    }

    /// <summary>The real wiring of an interactive run: the log's masking writer and the status line share one terminal.</summary>
    private static StringWriter Interactive(IDictionary environment, SecretMasker masker)
    {
        var terminal = new StringWriter();
        Log.Out = new MaskingWriter(terminal, masker);
        Log.Terminal = TerminalStatus.For(terminal, isOutputRedirected: false, environment, masker);
        Assert.NotNull(Log.Terminal);
        return terminal;
    }

    private static async Task BuildOneImageAsync()
    {
        await Log.ProgressAsync($"api: building docker/api/Dockerfile with {Secret}", async events =>
        {
            events.Report("Step 1/2 : FROM debian:bookworm-slim");
            await Task.Delay(250);
            Log.Info($"api: a line written while the status is shown, {Secret}");
            events.Report($"Step 2/2 : RUN curl -u ci:{Secret} http://127.0.0.1/");
        });
        Log.Info("api:1.0.0-abc1234: built, 98.0 MB, 1.2 s");
    }

    [Fact]
    public async Task An_interactive_terminal_shows_the_latest_event_masked_between_the_same_title_and_final_line()
    {
        var masker = new SecretMasker();
        masker.Add(Secret);
        var terminal = Interactive(new Hashtable { ["TERM"] = "xterm-256color" }, masker);

        await BuildOneImageAsync();

        var output = terminal.ToString();
        Assert.StartsWith("  api: building docker/api/Dockerfile with ****\n", output, StringComparison.Ordinal);
        Assert.EndsWith("  api:1.0.0-abc1234: built, 98.0 MB, 1.2 s\n", output, StringComparison.Ordinal);
        Assert.Contains(Escape, output, StringComparison.Ordinal);
        Assert.Contains("Step 1/2 : FROM debian:bookworm-slim", output, StringComparison.Ordinal);
        Assert.Contains("Step 2/2 : RUN curl -u ci:**** http://127.0.0.1/", output, StringComparison.Ordinal);
        Assert.Contains("  api: a line written while the status is shown, ****\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
        Assert.False(Log.Terminal!.IsShown);
    }

    [Fact]
    public async Task NO_COLOR_leaves_the_status_line_without_colours()
    {
        var coloured = Interactive(new Hashtable { ["TERM"] = "xterm-256color" }, new SecretMasker());
        await BuildOneImageAsync();
        var plain = Interactive(new Hashtable { ["TERM"] = "xterm-256color", ["NO_COLOR"] = "1" }, new SecretMasker());
        await BuildOneImageAsync();

        const string colour = Escape + "[38;5;";
        Assert.Contains(colour, coloured.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(colour, plain.ToString(), StringComparison.Ordinal);
        Assert.Contains("Step 2/2", plain.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_work_inside_long_work_is_shown_plain_under_the_outer_status()
    {
        var terminal = Interactive(new Hashtable { ["TERM"] = "xterm" }, new SecretMasker());
        var inner = false;
        await Log.ProgressAsync("outer", events => Log.ProgressAsync("inner", _ =>
        {
            inner = true;
            return Task.CompletedTask;
        }));
        Assert.True(inner);
        Assert.Contains("  inner\n", terminal.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_work_clears_the_status_and_fails_with_its_own_exception()
    {
        Interactive(new Hashtable { ["TERM"] = "xterm" }, new SecretMasker());
        var error = await Assert.ThrowsAsync<BuildFailedException>(() =>
            Log.ProgressAsync("pushing api", _ => throw new BuildFailedException("push refused")));
        Assert.Equal("push refused", error.Message);
        Assert.False(Log.Terminal!.IsShown);
    }
}
