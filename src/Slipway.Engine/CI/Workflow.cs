using System.Text.RegularExpressions;

namespace Slipway.Engine.CI;

/// <summary>
/// A GitHub Actions workflow declared in C#: its triggers and the jobs that run targets. Jobs, their
/// <c>needs:</c>, <c>--skip</c> lists, artifacts and permissions are derived from the target graph by the generator.
/// </summary>
/// <param name="fileName">The file under .github/workflows, without extension (e.g. <c>ci</c>).</param>
/// <param name="name">The name GitHub shows.</param>
public sealed partial class Workflow(string fileName, string name)
{
    private readonly List<WorkflowTrigger> triggers = [];
    private readonly List<KeyValuePair<string, string>> environment = [];
    private readonly List<(WorkflowJob Job, WorkflowStage? Stage)> jobs = [];

    public string FileName { get; } = ValidFileName().IsMatch(fileName)
        ? fileName
        : throw new ArgumentException($"workflow file name '{fileName}' must be lower-case letters, digits and dashes", nameof(fileName));

    public string Name { get; } = name;

    public IReadOnlyList<WorkflowTrigger> Triggers => triggers;

    /// <summary>Workflow-level concurrency: e.g. one run per ref, superseded runs cancelled.</summary>
    public WorkflowConcurrency? Concurrency { get; private set; }

    public string Runner { get; private set; } = "ubuntu-24.04";

    public int TimeoutMinutes { get; private set; } = 30;

    /// <summary>Plain (non-secret) variables for every job.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment => environment;

    /// <summary>Jobs in declaration order; a job of a stage belongs to that stage's environment.</summary>
    public IReadOnlyList<(WorkflowJob Job, WorkflowStage? Stage)> Jobs => jobs;

    public Workflow OnPush(string[]? branches = null, string[]? paths = null, string[]? pathsIgnore = null) =>
        Add(new PushTrigger(branches ?? [], paths ?? [], pathsIgnore ?? []));

    public Workflow OnPullRequest(string[]? branches = null, string[]? paths = null, string[]? pathsIgnore = null) =>
        Add(new PullRequestTrigger(branches ?? [], paths ?? [], pathsIgnore ?? []));

    public Workflow OnWorkflowDispatch(params WorkflowInput[] inputs) => Add(new WorkflowDispatchTrigger(inputs));

    public Workflow OnSchedule(params string[] crons) => Add(new ScheduleTrigger(crons));

    /// <summary>Whether <c>uses:</c> names each action's release commit (with its version as a comment) instead of its major tag.</summary>
    public bool PinsActions { get; private set; }

    public Workflow WithConcurrency(string group, bool cancelInProgress)
    {
        Concurrency = new WorkflowConcurrency(group, cancelInProgress ? "true" : "false");
        return this;
    }

    /// <summary>
    /// A newer push to a pull request cancels its older run; runs of other events each get a group of their own, so
    /// nothing else is cancelled or left waiting (GitHub keeps only one pending run per group).
    /// </summary>
    public Workflow CancelSupersededPullRequestRuns()
    {
        Concurrency = new WorkflowConcurrency(
            $"{FileName}-${{{{ github.event_name == 'pull_request' && github.ref || github.run_id }}}}",
            "${{ github.event_name == 'pull_request' }}");
        return this;
    }

    /// <summary>Pins every action to the commit of its release (<see cref="ActionVersions"/>), as Dependabot then keeps it.</summary>
    public Workflow PinActionsToCommits()
    {
        PinsActions = true;
        return this;
    }

    public Workflow RunsOn(string runner)
    {
        Runner = runner;
        return this;
    }

    public Workflow WithTimeout(int minutes)
    {
        TimeoutMinutes = minutes > 0 ? minutes : throw new ArgumentOutOfRangeException(nameof(minutes), "a timeout is at least one minute");
        return this;
    }

    public Workflow WithEnvironmentVariable(string name, string value)
    {
        environment.Add(new(name, value));
        return this;
    }

    /// <summary>A job that runs <paramref name="target"/> and whatever it needs that no earlier job runs.</summary>
    public Workflow Job(Target target, Action<WorkflowJob>? configure = null) => Job([target], configure);

    public Workflow Job(Target[] targets, Action<WorkflowJob>? configure = null)
    {
        jobs.Add((Configure(new WorkflowJob(targets), configure), null));
        return this;
    }

    /// <summary>
    /// Jobs that deliver to one GitHub environment. Stages run in declaration order: the first jobs of a stage
    /// wait for the previous stage to finish.
    /// </summary>
    public Workflow Stage(WorkflowStage stage, Action<WorkflowStage> configure)
    {
        configure(stage);
        foreach (var job in stage.Jobs)
            jobs.Add((job, stage));
        return this;
    }

    private Workflow Add(WorkflowTrigger trigger)
    {
        if (triggers.Any(t => t.EventName == trigger.EventName))
            throw new ArgumentException($"workflow '{FileName}' already has a {trigger.EventName} trigger");
        triggers.Add(trigger);
        return this;
    }

    internal static WorkflowJob Configure(WorkflowJob job, Action<WorkflowJob>? configure)
    {
        configure?.Invoke(job);
        return job;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex ValidFileName();
}

/// <param name="Group">The concurrency group; may use expressions such as <c>${{ github.ref }}</c>.</param>
/// <param name="CancelInProgress"><c>true</c>, <c>false</c>, or an expression.</param>
public sealed record WorkflowConcurrency(string Group, string CancelInProgress);

/// <summary>
/// The jobs that deliver to one environment (staging, production). Every job of the stage references the GitHub
/// environment (its protection rules, secrets and variables apply), passes <see cref="BuildArguments"/> to the
/// build, and shares one concurrency group per environment that never cancels a job in progress.
/// </summary>
/// <param name="environment">The GitHub environment name.</param>
public sealed class WorkflowStage(string environment)
{
    private readonly List<WorkflowJob> jobs = [];

    public string Environment { get; } = environment;

    public string? Url { get; private set; }

    public IReadOnlyList<string> BuildArguments { get; private set; } = [];

    /// <summary>An expression (without <c>${{ }}</c>) that must hold for the stage to run, e.g. on a dispatch input.</summary>
    public string? Condition { get; private set; }

    public IReadOnlyList<WorkflowJob> Jobs => jobs;

    public WorkflowStage WithUrl(string url)
    {
        Url = url;
        return this;
    }

    public WorkflowStage WithBuildArguments(params string[] arguments)
    {
        BuildArguments = arguments;
        return this;
    }

    public WorkflowStage When(string condition)
    {
        Condition = condition;
        return this;
    }

    /// <summary>What the environment's file names that its jobs must be given (secrets, certificates, cloud credentials).</summary>
    public IReadOnlyList<EnvironmentNeed> Needs { get; private set; } = [];

    /// <summary>Targets (with what they depend on) that an earlier stage's job ran and this stage takes over, e.g. the pushed images.</summary>
    public IReadOnlyList<Target> Reused { get; private set; } = [];

    public WorkflowStage Requires(params EnvironmentNeed[] needs)
    {
        Needs = [.. Needs, .. needs];
        return this;
    }

    /// <summary>
    /// This stage builds on what an earlier stage's job ran: those targets are skipped here, that job becomes a need,
    /// and what they produced is downloaded from it (build once, promote).
    /// </summary>
    public WorkflowStage Reuses(params Target[] targets)
    {
        Reused = [.. Reused, .. targets];
        return this;
    }

    public WorkflowStage Job(Target target, Action<WorkflowJob>? configure = null) => Job([target], configure);

    /// <summary>One job that runs <paramref name="targets"/> and everything they trigger: one approval for all of it.</summary>
    public WorkflowStage Job(Target[] targets, Action<WorkflowJob>? configure = null)
    {
        jobs.Add(Workflow.Configure(new WorkflowJob(targets), configure));
        return this;
    }
}

/// <summary>Something a stage's environment needs on the runner; generation fails when no job of the stage supplies it.</summary>
/// <param name="DeclaredIn">Where the need comes from, for the error (e.g. <c>.nuke/environments/prod.json: secrets</c>).</param>
public abstract record EnvironmentNeed(string DeclaredIn)
{
    /// <summary>An environment variable the build reads, supplied from the GitHub environment's secret of the same name.</summary>
    public static EnvironmentNeed Secret(string name, string declaredIn) => new SecretNeed(GitHubExpression.UpperSnake(name, "secret"), declaredIn);

    /// <summary>A folder of client certificates (the engine's TLS), written from secrets at job start.</summary>
    public static EnvironmentNeed Certificates(string folder, string declaredIn) => new CertificatesNeed(folder, declaredIn);

    /// <summary>AWS credentials (ECR), from a configure-aws-credentials step.</summary>
    public static EnvironmentNeed AwsCredentials(string declaredIn) => new AwsCredentialsNeed(declaredIn);

    internal abstract string What { get; }

    internal abstract string Remedy { get; }

    internal abstract bool SuppliedBy(WorkflowJob job);
}

internal sealed record SecretNeed(string Name, string DeclaredIn) : EnvironmentNeed(DeclaredIn)
{
    internal override string What => $"secret {Name}";

    internal override string Remedy => $"give a job of the stage .WithSecrets(\"{Name}\")";

    internal override bool SuppliedBy(WorkflowJob job) => job.EnvironmentSecrets.Contains(Name);
}

internal sealed record CertificatesNeed(string Folder, string DeclaredIn) : EnvironmentNeed(DeclaredIn)
{
    internal override string What => $"the certificates in {Folder}";

    internal override string Remedy => $"give a job of the stage .WithCertificates(\"{Folder}\", ...)";

    internal override bool SuppliedBy(WorkflowJob job) => job.Certificates?.Folder == Folder;
}

internal sealed record AwsCredentialsNeed(string DeclaredIn) : EnvironmentNeed(DeclaredIn)
{
    internal override string What => "AWS credentials";

    internal override string Remedy => "add WorkflowSteps.ConfigureAwsCredentials(...) before the build of a job of the stage";

    internal override bool SuppliedBy(WorkflowJob job) =>
        job.StepsBefore.Any(s => s.Uses?.StartsWith(ActionVersions.ConfigureAwsCredentials.Repository + "@", StringComparison.Ordinal) == true);
}

/// <summary>One job: the targets it invokes, and what it adds to the generated setup steps.</summary>
public sealed class WorkflowJob
{
    private readonly List<WorkflowStep> before = [];
    private readonly List<WorkflowStep> after = [];
    private readonly List<string> secrets = [];
    private readonly List<string> environmentSecrets = [];
    private readonly List<KeyValuePair<string, string>> environment = [];

    internal WorkflowJob(IReadOnlyList<Target> targets) =>
        Targets = targets.Count > 0 ? targets : throw new ArgumentException("a job runs at least one target", nameof(targets));

    public IReadOnlyList<Target> Targets { get; }

    /// <summary>Steps after setup and before the build runs (credentials, registry logins).</summary>
    public IReadOnlyList<WorkflowStep> StepsBefore => before;

    /// <summary>Steps after the build ran (reports).</summary>
    public IReadOnlyList<WorkflowStep> StepsAfter => after;

    /// <summary>Members of the build marked [Secret]; passed to the build step as <c>NAME: ${{ secrets.NAME }}</c>.</summary>
    public IReadOnlyList<string> Secrets => secrets;

    /// <summary>When set, the job runs only when the job that runs this target failed (a rollback).</summary>
    public Target? OnlyAfterFailureOf { get; private set; }

    public int? TimeoutMinutes { get; private set; }

    public WorkflowJob Before(params WorkflowStep[] steps)
    {
        before.AddRange(steps);
        return this;
    }

    public WorkflowJob After(params WorkflowStep[] steps)
    {
        after.AddRange(steps);
        return this;
    }

    /// <summary>Secrets of the job's GitHub environment, by name, as variables of the build step (<c>NAME: ${{ secrets.NAME }}</c>).</summary>
    public IReadOnlyList<string> EnvironmentSecrets => environmentSecrets;

    /// <summary>Plain variables of the build step.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment => environment;

    /// <summary>Client certificates written at job start from the secrets PREFIX_CA, PREFIX_CERT, PREFIX_KEY, removed at its end.</summary>
    public (string Folder, string SecretPrefix)? Certificates { get; private set; }

    /// <summary>What runs the build instead of ./build.sh, with the same arguments (e.g. .ci/run, which starts the real servers first).</summary>
    public string Launcher { get; private set; } = "./build.sh";

    public WorkflowJob WithSecrets(params string[] names)
    {
        environmentSecrets.AddRange(names.Select(n => GitHubExpression.UpperSnake(n, "secret")).Where(n => !environmentSecrets.Contains(n)));
        return this;
    }

    public WorkflowJob WithCertificates(string folder, string secretPrefix)
    {
        Certificates = (folder.TrimEnd('/'), GitHubExpression.UpperSnake(secretPrefix, "secret prefix"));
        return this;
    }

    public WorkflowJob WithEnvironmentVariable(string name, string value)
    {
        environment.Add(new(name, value));
        return this;
    }

    public WorkflowJob RunsThrough(string launcher)
    {
        Launcher = launcher;
        return this;
    }

    public WorkflowJob ImportSecrets(params string[] parameterMembers)
    {
        secrets.AddRange(parameterMembers);
        return this;
    }

    /// <summary>Targets whose jobs must have passed before this one starts, though it does not depend on them (tests before a deploy).</summary>
    public IReadOnlyList<Target> Gates { get; private set; } = [];

    public WorkflowJob WaitsFor(params Target[] targets)
    {
        Gates = [.. Gates, .. targets];
        return this;
    }

    public WorkflowJob RunsWhenFailed(Target target)
    {
        OnlyAfterFailureOf = target;
        return this;
    }

    public WorkflowJob WithTimeout(int minutes)
    {
        TimeoutMinutes = minutes > 0 ? minutes : throw new ArgumentOutOfRangeException(nameof(minutes), "a timeout is at least one minute");
        return this;
    }
}

/// <summary>A build that declares GitHub Actions workflows; the engine keeps .github/workflows in step with it.</summary>
public interface IDeclareWorkflows
{
    IEnumerable<Workflow> Workflows { get; }
}
