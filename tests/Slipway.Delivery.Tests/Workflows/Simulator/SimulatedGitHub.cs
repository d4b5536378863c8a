using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>What triggered a run: the event, the ref and commit, and workflow_dispatch's inputs.</summary>
internal sealed record WorkflowTrigger(string EventName, string Sha, string Ref = "refs/heads/main", IReadOnlyDictionary<string, string>? Inputs = null);

internal enum JobConclusion
{
    Success,
    Failure,
    Cancelled,
    Skipped,
}

/// <summary>A finished job: its conclusion, its masked log, the secrets its expressions read, its step outcomes.</summary>
internal sealed record JobResult(string Id, JobConclusion Conclusion, string Log, IReadOnlySet<string> SecretsRead,
    IReadOnlyList<(string Step, JobConclusion Outcome)> Steps, IReadOnlyDictionary<string, string> Outputs, string Summary);

/// <summary>A job as a run would start it (see <see cref="SimulatedGitHub.ResolveAsync"/>).</summary>
internal sealed record ResolvedJob(string Id, bool Runs, string? Environment, string? ConcurrencyGroup, bool CancelInProgress,
    IReadOnlyDictionary<string, string> Permissions, IReadOnlySet<string> SecretsRead);

/// <summary>A finished run: the workflow's conclusion is failure when a job failed, cancelled when it was cancelled.</summary>
internal sealed record WorkflowRun(int Id, string Workflow, JobConclusion Conclusion, IReadOnlyDictionary<string, JobResult> Jobs, ArtifactStore Artifacts)
{
    public string Logs => string.Join("\n", Jobs.Values.Select(j => $"=== job {j.Id}: {j.Conclusion}\n{j.Log}"));
}

/// <summary>
/// The GitHub side of one repository, as the workflow simulator plays it: the repository (a git repository the test
/// commits to, cloned afresh for every job), its secrets and variables (repository-wide and per environment: an
/// environment's only reach jobs naming that environment), its Actions cache, its concurrency groups, the runner
/// machine's own variables and the OIDC trust of a fake STS. Each job runs on a fresh runner folder; jobs whose needs
/// are done run at the same time, as on GitHub.
/// </summary>
internal sealed class SimulatedGitHub(string origin, string root)
{
    private int runs;

    /// <summary>owner/name, as in github.repository and the OIDC token's subject.</summary>
    public string Repository { get; init; } = "slipway-org/slipway";

    public Dictionary<string, string> Secrets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Dictionary<string, string>> EnvironmentSecrets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Dictionary<string, string>> EnvironmentVariables { get; } = new(StringComparer.Ordinal);

    /// <summary>Variables of the runner machine itself (its image), which every step sees; see the scenarios for why each is there.</summary>
    public Dictionary<string, string> RunnerVariables { get; } = new(StringComparer.Ordinal);

    public CacheStore Cache { get; } = new(Path.Combine(root, "cache"));

    /// <summary>
    /// Steps the simulated runner serves itself instead of running them, by step name: only for a step that needs what
    /// this machine cannot have (a download from the internet); each scenario says which and why. True: the step succeeded.
    /// </summary>
    public Dictionary<string, Func<SimulatedJob, Task<bool>>> ServedSteps { get; } = new(StringComparer.Ordinal);

    public ConcurrencyGroups Concurrency { get; } = new();

    internal List<StepHold> Holds { get; } = [];

    /// <summary>Holds the first job <paramref name="job"/> of any run that reaches <paramref name="step"/> there until released.</summary>
    public StepHold HoldBefore(string job, string step)
    {
        var hold = new StepHold(job, step);
        Holds.Add(hold);
        return hold;
    }

    /// <summary>Where configure-aws-credentials exchanges the job's OIDC token (null: no AWS account is trusted).</summary>
    public FakeSts? Sts { get; init; }

    public string Origin => origin;

    internal string Root => root;

    /// <summary>Runs a workflow file of the commit (read from the commit, as GitHub does); only <paramref name="jobs"/> when given.</summary>
    public async Task<WorkflowRun> RunAsync(string workflowPath, WorkflowTrigger trigger, IReadOnlyCollection<string>? jobs = null)
    {
        var (id, folder, workflow) = await LoadAsync(workflowPath, trigger);
        var run = new RunContext(this, id, workflow, trigger, new ArtifactStore(Path.Combine(folder, "artifacts")), folder);
        using var runCancellation = new CancellationTokenSource();
        string? group = null;
        if (workflow.Concurrency is { } concurrency)
        {
            var scope = run.Scope(null, null, new RunStatus(false, false), null);
            group = WorkflowExpression.Interpolate(concurrency.Group, scope);
            var cancel = WorkflowExpression.IsTruthy(WorkflowExpression.Evaluate(Unwrap(concurrency.CancelInProgress), scope));
            if (!await Concurrency.EnterAsync(group, cancel, $"run {id}", runCancellation))
                return new WorkflowRun(id, workflow.Name, JobConclusion.Cancelled, new Dictionary<string, JobResult>(), run.Artifacts);
        }

        try
        {
            var selected = workflow.Jobs.Where(j => jobs is null || jobs.Contains(j.Id)).ToList();
            foreach (var job in selected)
            {
                foreach (var need in job.Needs.Where(n => !selected.Exists(s => s.Id == n)))
                    throw new WorkflowSimulationException($"job {job.Id} needs {need}, which this run does not include");
            }

            var results = await RunJobsAsync(run, selected, runCancellation.Token);
            var conclusion = results.Values.Any(r => r.Conclusion == JobConclusion.Failure) ? JobConclusion.Failure
                : results.Values.Any(r => r.Conclusion == JobConclusion.Cancelled) ? JobConclusion.Cancelled
                : JobConclusion.Success;
            return new WorkflowRun(id, workflow.Name, conclusion, results, run.Artifacts);
        }
        finally
        {
            if (group is not null)
                Concurrency.Leave(group, $"run {id}");
        }
    }

    /// <summary>
    /// What each job of a run on this trigger is given, running no step: whether it runs when every job before it
    /// succeeds, its environment, concurrency group, permissions, and the secrets its expressions read.
    /// </summary>
    public async Task<IReadOnlyList<ResolvedJob>> ResolveAsync(string workflowPath, WorkflowTrigger trigger)
    {
        var (id, folder, workflow) = await LoadAsync(workflowPath, trigger);
        var run = new RunContext(this, id, workflow, trigger, new ArtifactStore(Path.Combine(folder, "artifacts")), folder);
        var results = new Dictionary<string, JobResult>(StringComparer.Ordinal);
        var resolved = new List<ResolvedJob>();
        while (resolved.Count < workflow.Jobs.Count)
        {
            var job = workflow.Jobs.FirstOrDefault(j => !results.ContainsKey(j.Id) && j.Needs.All(results.ContainsKey))
                ?? throw new WorkflowSimulationException("the jobs' needs form a cycle");
            var outcome = new SimulatedJob(run, job, results.Where(r => job.Needs.Contains(r.Key)).ToDictionary()).Resolve();
            resolved.Add(outcome);
            results[job.Id] = new JobResult(job.Id, outcome.Runs ? JobConclusion.Success : JobConclusion.Skipped, "", outcome.SecretsRead, [], new Dictionary<string, string>(), "");
        }

        return resolved;
    }

    /// <summary>The run's own concurrency group and cancel-in-progress on this trigger (null: the workflow has none).</summary>
    public async Task<(string Group, bool CancelInProgress)?> ResolveConcurrencyAsync(string workflowPath, WorkflowTrigger trigger)
    {
        var (id, folder, workflow) = await LoadAsync(workflowPath, trigger);
        if (workflow.Concurrency is not { } concurrency)
            return null;
        var run = new RunContext(this, id, workflow, trigger, new ArtifactStore(Path.Combine(folder, "artifacts")), folder);
        var scope = run.Scope(null, null, new RunStatus(false, false), null);
        return (WorkflowExpression.Interpolate(concurrency.Group, scope), WorkflowExpression.IsTruthy(WorkflowExpression.Evaluate(Unwrap(concurrency.CancelInProgress), scope)));
    }

    private async Task<(int Id, string Folder, WorkflowFile Workflow)> LoadAsync(string workflowPath, WorkflowTrigger trigger)
    {
        var id = Interlocked.Increment(ref runs);
        var folder = Path.Combine(root, "r" + id);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, Path.GetFileName(workflowPath));
        await File.WriteAllTextAsync(file, await Shell.RunAsync("git", ["show", $"{trigger.Sha}:{workflowPath}"], origin) + "\n");
        var workflow = WorkflowFile.Load(file);
        if (!workflow.Events.Contains(trigger.EventName))
            throw new WorkflowSimulationException($"{workflowPath} does not run on {trigger.EventName} (on: {string.Join(", ", workflow.Events)})");
        return (id, folder, workflow);
    }

    private static async Task<Dictionary<string, JobResult>> RunJobsAsync(RunContext run, List<JobSpec> jobs, CancellationToken cancellation)
    {
        var results = new Dictionary<string, JobResult>(StringComparer.Ordinal);
        var running = new Dictionary<string, Task<JobResult>>(StringComparer.Ordinal);
        while (results.Count < jobs.Count)
        {
            foreach (var job in jobs.Where(j => !results.ContainsKey(j.Id) && !running.ContainsKey(j.Id) && j.Needs.All(results.ContainsKey)))
                running[job.Id] = new SimulatedJob(run, job, results.Where(r => job.Needs.Contains(r.Key)).ToDictionary()).RunAsync(cancellation);
            if (running.Count == 0)
                throw new WorkflowSimulationException($"jobs {string.Join(", ", jobs.Where(j => !results.ContainsKey(j.Id)).Select(j => j.Id))} need each other (a cycle)");
            var done = await Task.WhenAny(running.Values);
            var result = await done;
            results[result.Id] = result;
            running.Remove(result.Id);
        }

        return results;
    }

    internal static string Unwrap(string text)
    {
        var trimmed = text.Trim();
        return trimmed.StartsWith("${{", StringComparison.Ordinal) && trimmed.EndsWith("}}", StringComparison.Ordinal) ? trimmed[3..^2] : trimmed;
    }
}

/// <summary>One run's shared state: its workflow, trigger, artifacts, and the contexts every job starts from.</summary>
internal sealed class RunContext(SimulatedGitHub github, int id, WorkflowFile workflow, WorkflowTrigger trigger, ArtifactStore artifacts, string folder)
{
    public SimulatedGitHub GitHub => github;

    public int Id => id;

    public WorkflowFile Workflow => workflow;

    public WorkflowTrigger Trigger => trigger;

    public ArtifactStore Artifacts => artifacts;

    public string Folder => folder;

    public IReadOnlyDictionary<string, string> Inputs =>
        workflow.InputDefaults.Concat(trigger.Inputs ?? new Dictionary<string, string>())
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, object?> GitHubContext(string? job, string? workspace) => Map(new Dictionary<string, object?>
    {
        ["event_name"] = trigger.EventName,
        ["sha"] = trigger.Sha,
        ["ref"] = trigger.Ref,
        ["ref_name"] = trigger.Ref.Split('/').Last(),
        ["ref_type"] = "branch",
        ["repository"] = github.Repository,
        ["repository_owner"] = github.Repository.Split('/')[0],
        ["run_id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["run_number"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["run_attempt"] = "1",
        ["workflow"] = workflow.Name,
        ["actor"] = "release-manager",
        ["job"] = job,
        ["workspace"] = workspace,
        ["server_url"] = "https://github.com",
        ["event"] = Map(new Dictionary<string, object?> { ["inputs"] = Strings(Inputs) }),
    });

    /// <summary>The secrets a job sees: the repository's, overridden by its environment's when it names one.</summary>
    public IReadOnlyDictionary<string, string> SecretsFor(string? environment) => Layer(github.Secrets, environment is null ? null : github.EnvironmentSecrets.GetValueOrDefault(environment));

    public IReadOnlyDictionary<string, string> VariablesFor(string? environment) => Layer(github.Variables, environment is null ? null : github.EnvironmentVariables.GetValueOrDefault(environment));

    /// <summary>The expression scope of a run- or job-level key (concurrency, if, environment) or of a step.</summary>
    public ExpressionScope Scope(string? environment, IReadOnlyDictionary<string, JobResult>? needs, RunStatus status, string? workspace,
        IReadOnlyDictionary<string, object?>? extra = null, string? job = null)
    {
        var contexts = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["github"] = GitHubContext(job, workspace),
            ["inputs"] = Strings(Inputs),
            ["vars"] = Strings(VariablesFor(environment)),
        };
        if (needs is not null)
        {
            contexts["needs"] = Map(needs.ToDictionary(n => n.Key, n => (object?)Map(new Dictionary<string, object?>
            {
                ["result"] = n.Value.Conclusion.ToString().ToLowerInvariant(),
                ["outputs"] = Strings(n.Value.Outputs),
            })));
        }

        foreach (var (name, value) in extra ?? new Dictionary<string, object?>())
            contexts[name] = value;
        return new ExpressionScope(contexts, status, workspace);
    }

    public static IReadOnlyDictionary<string, object?> Strings(IReadOnlyDictionary<string, string> values) =>
        values.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyDictionary<string, object?> Map(Dictionary<string, object?> values) =>
        new Dictionary<string, object?>(values, StringComparer.OrdinalIgnoreCase);

    private static Dictionary<string, string> Layer(Dictionary<string, string> repository, Dictionary<string, string>? environment)
    {
        var layered = new Dictionary<string, string>(repository, StringComparer.Ordinal);
        foreach (var (name, value) in environment ?? [])
            layered[name] = value;
        return layered;
    }

    public JsonObject EventPayload() => new()
    {
        ["ref"] = trigger.Ref,
        ["after"] = trigger.Sha,
        ["repository"] = new JsonObject { ["full_name"] = github.Repository },
        ["inputs"] = new JsonObject(Inputs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
    };
}
