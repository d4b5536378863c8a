namespace Slipway.Delivery;

/// <summary>
/// Shows long work (seeding, an image build, a push): its title as one line, then, in an interactive terminal, a
/// status line with the latest event the work reports, cleared when the work ends. The line that says how it ended
/// is the caller's, so both modes print the same title and final line. The build passes its console's.
/// </summary>
public delegate Task ProgressDisplay(string title, Func<IProgress<string>, Task> work);

/// <summary>The display of CI and redirected output: the title as one line, the events dropped.</summary>
public static class PlainProgress
{
    /// <summary>Events reported here are not shown anywhere.</summary>
    public static IProgress<string> Dropped { get; } = new DroppedEvents();

    public static ProgressDisplay Through(Action<string> log) => (title, work) =>
    {
        log(title);
        return work(Dropped);
    };

    private sealed class DroppedEvents : IProgress<string>
    {
        public void Report(string value)
        {
        }
    }
}
