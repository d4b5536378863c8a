namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>
/// GitHub's concurrency groups, shared by every run of one simulated repository: at most one run or job in a group runs,
/// and at most one waits. A newcomer to a busy group becomes its pending member; a member already pending is cancelled
/// ("Canceling since a higher priority waiting request ... exists"); the running member is cancelled only when the
/// newcomer says cancel-in-progress: true.
/// </summary>
internal sealed class ConcurrencyGroups
{
    private readonly Dictionary<string, Group> groups = new(StringComparer.OrdinalIgnoreCase);

    private readonly List<string> events = [];

    /// <summary>What happened in the groups so far, in order ("run 2 deploy-staging: pending behind run 1"), for the tests.</summary>
    public List<string> Events
    {
        get
        {
            lock (groups)
                return [.. events];
        }
    }

    /// <summary>Waits for the group. False when this member was cancelled while pending.</summary>
    public Task<bool> EnterAsync(string group, bool cancelInProgress, string member, CancellationTokenSource running)
    {
        var entry = new Member(member, running);
        lock (groups)
        {
            if (!groups.TryGetValue(group, out var state))
                groups[group] = state = new Group();
            if (state.Holder is null)
            {
                state.Holder = entry;
                events.Add($"{member} {group}: running");
                entry.Granted.SetResult(true);
                return entry.Granted.Task;
            }

            if (cancelInProgress)
            {
                events.Add($"{state.Holder.Name} {group}: cancelled in progress by {member}");
                state.Holder.Running.Cancel();
            }

            if (state.Pending is { } replaced)
            {
                events.Add($"{replaced.Name} {group}: pending member cancelled by {member}");
                replaced.Granted.SetResult(false);
            }

            state.Pending = entry;
            events.Add($"{member} {group}: pending behind {state.Holder.Name}");
            return entry.Granted.Task;
        }
    }

    public void Leave(string group, string member)
    {
        lock (groups)
        {
            var state = groups[group];
            if (state.Holder?.Name != member)
                return;
            events.Add($"{member} {group}: done");
            state.Holder = state.Pending;
            state.Pending = null;
            if (state.Holder is { } next)
            {
                events.Add($"{next.Name} {group}: running");
                next.Granted.SetResult(true);
            }
        }
    }

    private sealed class Group
    {
        public Member? Holder { get; set; }

        public Member? Pending { get; set; }
    }

    private sealed record Member(string Name, CancellationTokenSource Running)
    {
        public TaskCompletionSource<bool> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
