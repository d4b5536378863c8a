using System.Linq.Expressions;

namespace Slipway.Engine;

/// <summary>
/// The base of a build definition. A build declares its targets as <see cref="Target"/> properties and
/// its inputs as [Parameter] members, and starts with <c>Main() => Execute&lt;Build&gt;(x => x.Compile)</c>.
/// </summary>
public abstract class SlipwayBuild
{
    private BuildRun? run;

    /// <summary>The repository root: the nearest folder upwards that holds <c>.nuke/</c>.</summary>
    public static AbsolutePath RootDirectory { get; internal set; } = FindRoot(Directory.GetCurrentDirectory());

    /// <summary>True on a CI server (CI=true, as GitHub Actions sets it).</summary>
    public static bool IsServerBuild => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsLocalBuild => !IsServerBuild;

    /// <summary>
    /// True under --dry-run: targets declared <see cref="ITargetDefinition.Writes"/> do not run, except those that print
    /// their plan (<see cref="DryRunBehavior.PrintPlan"/>), which must then read only.
    /// </summary>
    protected bool IsDryRun => Run.DryRun;

    /// <summary>The targets this invocation runs, in order, once planned.</summary>
    protected IReadOnlyList<ExecutableTarget> ScheduledTargets => Run.Plan.Targets;

    /// <summary>The full target graph, for generators (CI workflows, docs).</summary>
    public TargetGraph Graph => Run.Graph;

    internal BuildRun Run => run ?? throw new InvalidOperationException("the build has not started");

    public static int Execute<T>(params Expression<Func<T, Target>>[] defaultTargets)
        where T : SlipwayBuild, new() =>
        Execute<T>(Environment.GetCommandLineArgs().Skip(1).ToArray(), defaultTargets);

    public static int Execute<T>(string[] args, params Expression<Func<T, Target>>[] defaultTargets)
        where T : SlipwayBuild, new()
    {
        var build = new T();
        var defaults = defaultTargets.Select(e => ((MemberExpression)e.Body).Member.Name).ToArray();
        return BuildRunner.Run(build, args, defaults, Console.Out, Console.Error, Environment.GetEnvironmentVariables());
    }

    /// <summary>True when the target was named on the command line.</summary>
    protected bool IsInvoked(Target target) => Run.Plan.Invoked.Contains(Run.Graph.Resolve(target));

    /// <summary>True when the target is in this invocation's plan and not skipped by --skip or a static condition.</summary>
    protected bool IsScheduled(Target target)
    {
        var resolved = Run.Graph.Resolve(target);
        return Run.Plan.Targets.Contains(resolved) && !Run.Plan.Skipped.ContainsKey(resolved);
    }

    /// <summary>True when the target ran in this invocation and failed.</summary>
    protected bool HasFailed(Target target) => Run.Graph.Resolve(target).Status == TargetStatus.Failed;

    /// <summary>A short note for the running target's row in the final summary.</summary>
    protected void ReportSummary(string note)
    {
        if (Run.Current is { } current)
            current.Note = note;
    }

    /// <summary>
    /// A line for the running target's section of the CI step summary (a finding, the URL it deployed): shown there
    /// only, under the targets table, so log it as well when the log should have it.
    /// </summary>
    protected void ReportDetail(string detail) => Run.Current?.AddDetail(detail);

    /// <summary>Registers a value (a token, a password) to be masked in all output from now on.</summary>
    protected void MaskSecret(string? value) => Run.Masker.Add(value);

    /// <summary>Called once after parameters are bound and before anything is planned or run.</summary>
    protected internal virtual void OnBuildInitialized()
    {
    }

    /// <summary>
    /// Called once when the plan is final and its requirements are met, before the first target runs (and before
    /// generated CI files are refreshed): the place to load and check, once, configuration the scheduled targets
    /// share. A <see cref="UsageException"/> thrown here is one line on stderr and exit code 2. Not called for --plan.
    /// </summary>
    protected internal virtual void OnBeforeTargets()
    {
    }

    /// <summary>
    /// Turns a failure of the code the targets call into what the user sees: a <see cref="BuildFailedException"/> (its
    /// message, no stack trace, its exit code) or a <see cref="UsageException"/> (one line, exit code 2). Null: an
    /// unexpected failure, shown with its type. Called for every failed target and for <see cref="OnBeforeTargets"/>.
    /// </summary>
    protected internal virtual Exception? Explain(Exception failure) => null;

    /// <summary>Called once after the last target, with the outcome.</summary>
    protected internal virtual void OnBuildFinished(bool succeeded)
    {
    }

    internal void Attach(BuildRun buildRun) => run = buildRun;

    internal static AbsolutePath FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".nuke")))
                return AbsolutePath.Create(dir.FullName);
        }

        return AbsolutePath.Create(start);
    }
}
