using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>
/// One job on a fresh runner: its own folders (workspace, RUNNER_TEMP, HOME), nothing of another job's but what comes
/// through artifacts and the cache. Steps run as GitHub runs them: <c>run:</c> through <c>bash -e</c> with the runner's
/// file commands (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY), <c>uses:</c> through
/// <see cref="EmulatedActions"/>; post steps (actions/cache's save) in reverse order at the end; then, as the runner does,
/// every process still carrying this job's RUNNER_TRACKING_ID is killed ("Cleaning up orphan processes").
/// </summary>
internal sealed partial class SimulatedJob(RunContext run, JobSpec spec, IReadOnlyDictionary<string, JobResult> needs)
{
    private readonly StringBuilder log = new();
    private readonly List<string> masks = [];
    private readonly SortedSet<string> secretsRead = new(StringComparer.Ordinal);
    private readonly List<ExpressionScope> scopes = [];
    private readonly Dictionary<string, string> exported = new(StringComparer.Ordinal);
    private readonly List<string> addedPath = [];
    private readonly Dictionary<string, object?> steps = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Name, Func<Task> Action)> postSteps = [];
    private readonly StringBuilder summary = new();
    private readonly string tracking = Guid.NewGuid().ToString("N");
    private string? environment;

    public string Root { get; } = Path.Combine(run.Folder, spec.Id);

    public string Workspace => Path.Combine(Root, "w", run.GitHub.Repository.Split('/')[1]);

    public string Temp => Path.Combine(Root, "t");

    public string Home => Path.Combine(Root, "h");

    public RunContext Run => run;

    public JobSpec Spec => spec;

    public string? EnvironmentName => environment;

    /// <summary>The job's effective permissions (its own, else the workflow's).</summary>
    public IReadOnlyDictionary<string, string> Permissions => spec.Permissions ?? run.Workflow.Permissions ?? new Dictionary<string, string>();

    public bool MayRequestIdToken => Permissions.GetValueOrDefault("id-token") == "write" || Permissions.GetValueOrDefault("*") == "write-all";

    public async Task<JobResult> RunAsync(CancellationToken runCancellation)
    {
        var needsFailed = needs.Values.Any(n => n.Conclusion is JobConclusion.Failure or JobConclusion.Cancelled);
        var needsSkipped = needs.Values.Any(n => n.Conclusion == JobConclusion.Skipped);
        var jobScope = Track(run.Scope(null, needs, new RunStatus(needsFailed, runCancellation.IsCancellationRequested, needsSkipped), null, job: spec.Id));
        if (!WorkflowExpression.Condition(spec.If, jobScope))
            return Result(JobConclusion.Skipped, []);
        if (spec.RunsOn is not { } image || !image.StartsWith("ubuntu-", StringComparison.Ordinal))
            throw new WorkflowSimulationException($"job {spec.Id}: runs-on {spec.RunsOn} is not emulated (the simulated runner is an ubuntu-* image)");
        environment = spec.Environment is { } named ? WorkflowExpression.Interpolate(named.Name, jobScope) : null;
        masks.AddRange(run.SecretsFor(environment).Values.Where(v => v.Length > 0));

        using var jobCancellation = CancellationTokenSource.CreateLinkedTokenSource(runCancellation);
        string? group = null;
        if (spec.Concurrency is { } concurrency)
        {
            group = WorkflowExpression.Interpolate(concurrency.Group, jobScope);
            var cancel = WorkflowExpression.IsTruthy(WorkflowExpression.Evaluate(SimulatedGitHub.Unwrap(concurrency.CancelInProgress), jobScope));
            Write($"waiting for concurrency group {group}");
            if (!await run.GitHub.Concurrency.EnterAsync(group, cancel, $"run {run.Id} job {spec.Id}", jobCancellation))
            {
                Write($"cancelled: a newer member of concurrency group {group} is pending");
                return Result(JobConclusion.Cancelled, []);
            }
        }

        try
        {
            jobCancellation.CancelAfter(TimeSpan.FromMinutes(spec.TimeoutMinutes));
            return await ExecuteAsync(needsFailed, jobCancellation.Token);
        }
        finally
        {
            if (group is not null)
                run.GitHub.Concurrency.Leave(group, $"run {run.Id} job {spec.Id}");
        }
    }

    /// <summary>This job's if, environment, concurrency and every step's env, with and script evaluated, and nothing run.</summary>
    public ResolvedJob Resolve()
    {
        var needsSkipped = needs.Values.Any(n => n.Conclusion == JobConclusion.Skipped);
        var jobScope = Track(run.Scope(null, needs, new RunStatus(false, false, needsSkipped), null, job: spec.Id));
        if (!WorkflowExpression.Condition(spec.If, jobScope))
            return new ResolvedJob(spec.Id, false, null, null, false, Permissions, new SortedSet<string>());
        environment = spec.Environment is { } named ? WorkflowExpression.Interpolate(named.Name, jobScope) : null;
        var group = spec.Concurrency is { } concurrency ? WorkflowExpression.Interpolate(concurrency.Group, jobScope) : null;
        var cancel = spec.Concurrency is { } c && WorkflowExpression.IsTruthy(WorkflowExpression.Evaluate(SimulatedGitHub.Unwrap(c.CancelInProgress), jobScope));
        // Before checkout the workspace is empty: hashFiles() is ''.
        Directory.CreateDirectory(Workspace);
        var status = new RunStatus(false, false);
        var jobEnv = new Dictionary<string, string>(run.Workflow.Env, StringComparer.Ordinal);
        foreach (var (name, value) in spec.Env)
            jobEnv[name] = WorkflowExpression.Interpolate(value, StepScope(status, jobEnv));
        foreach (var step in spec.Steps)
        {
            var stepEnv = new Dictionary<string, string>(jobEnv, StringComparer.Ordinal);
            foreach (var (name, value) in step.Env)
                stepEnv[name] = WorkflowExpression.Interpolate(value, StepScope(status, jobEnv));
            var scope = StepScope(status, stepEnv);
            foreach (var value in step.With.Values.Append(step.Run ?? ""))
                WorkflowExpression.Interpolate(value, scope);
        }

        var read = Result(JobConclusion.Success, []).SecretsRead;
        return new ResolvedJob(spec.Id, true, environment, group, cancel, Permissions, read);
    }

    private async Task<JobResult> ExecuteAsync(bool needsFailed, CancellationToken cancellation)
    {
        foreach (var folder in new[] { Workspace, Temp, Home, Shims })
            Directory.CreateDirectory(folder);
        WriteSudoShim();
        await File.WriteAllTextAsync(Path.Combine(Temp, "event.json"), run.EventPayload().ToJsonString());
        Write($"job {spec.Id} ({spec.Name}) on a fresh runner{(environment is null ? "" : $", environment {environment}")}");

        var outcomes = new List<(string, JobConclusion)>();
        var failed = false;
        try
        {
            var jobEnvScope = StepScope(new RunStatus(needsFailed, false), new Dictionary<string, string>(run.Workflow.Env));
            var jobEnv = new Dictionary<string, string>(run.Workflow.Env, StringComparer.Ordinal);
            foreach (var (name, value) in spec.Env)
                jobEnv[name] = WorkflowExpression.Interpolate(value, jobEnvScope);

            foreach (var step in spec.Steps)
            {
                var status = new RunStatus(failed, cancellation.IsCancellationRequested);
                var stepEnv = new Dictionary<string, string>(jobEnv, StringComparer.Ordinal);
                foreach (var (name, value) in exported)
                    stepEnv[name] = value;
                var scope = StepScope(status, stepEnv);
                if (!WorkflowExpression.Condition(step.If, scope))
                {
                    Write($"--- {step.Title}: skipped");
                    outcomes.Add((step.Title, JobConclusion.Skipped));
                    continue;
                }

                foreach (var (name, value) in step.Env)
                    stepEnv[name] = WorkflowExpression.Interpolate(value, scope);
                scope = StepScope(status, stepEnv);
                // A step that runs after a cancellation (if: always()) gets its own few minutes, as on GitHub.
                using var afterCancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
                var token = cancellation.IsCancellationRequested ? afterCancel.Token : cancellation;
                Write($"--- {step.Title}");
                var outcome = await StepAsync(step, scope, stepEnv, token);
                outcomes.Add((step.Title, outcome));
                Write($"--- {step.Title}: {outcome}");
                if (outcome != JobConclusion.Success)
                    failed = true;
            }

            if (!failed && !cancellation.IsCancellationRequested)
            {
                foreach (var (name, action) in Enumerable.Reverse(postSteps))
                {
                    Write($"--- Post {name}");
                    await action();
                }
            }
        }
        finally
        {
            await KillOrphansAsync();
        }

        var conclusion = cancellation.IsCancellationRequested ? JobConclusion.Cancelled : failed ? JobConclusion.Failure : JobConclusion.Success;
        var outputScope = StepScope(new RunStatus(failed, false), exported);
        var outputs = spec.Outputs.ToDictionary(o => o.Key, o => WorkflowExpression.Interpolate(o.Value, outputScope), StringComparer.Ordinal);
        return Result(conclusion, outcomes, outputs);
    }

    private async Task<JobConclusion> StepAsync(StepSpec step, ExpressionScope scope, Dictionary<string, string> env, CancellationToken cancellation)
    {
        var stepId = step.Id ?? $"__{steps.Count}";
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        JobConclusion outcome;
        try
        {
            foreach (var hold in run.GitHub.Holds)
                await hold.PassAsync(this, step.Title, cancellation);
            if (run.GitHub.ServedSteps.TryGetValue(step.Title, out var serve))
            {
                Write($"(served by the simulated runner instead of its {(step.Uses is null ? "script" : step.Uses)})");
                outcome = await serve(this) ? JobConclusion.Success : JobConclusion.Failure;
            }
            else if (step.Uses is { } uses)
            {
                var with = step.With.ToDictionary(w => w.Key, w => WorkflowExpression.Interpolate(w.Value, scope), StringComparer.Ordinal);
                outcome = await EmulatedActions.RunAsync(this, uses, with, outputs, cancellation) ? JobConclusion.Success : JobConclusion.Failure;
            }
            else
            {
                outcome = await ScriptAsync(step, WorkflowExpression.Interpolate(step.Run ?? "", scope), env, outputs, cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            outcome = JobConclusion.Cancelled;
        }
        catch (WorkflowSimulationException e)
        {
            Write($"::error::{e.Message}");
            outcome = JobConclusion.Failure;
        }

        var text = outcome.ToString().ToLowerInvariant();
        steps[stepId] = RunContext.Map(new Dictionary<string, object?> { ["outputs"] = RunContext.Strings(outputs), ["outcome"] = text, ["conclusion"] = text });
        return outcome;
    }

    private async Task<JobConclusion> ScriptAsync(StepSpec step, string script, Dictionary<string, string> env, Dictionary<string, string> outputs, CancellationToken cancellation)
    {
        if (step.Shell is { } shell && shell != "bash")
            throw new WorkflowSimulationException($"shell: {shell} is not emulated by the workflow simulator (bash only)");
        var commands = Path.Combine(Temp, "_runner_file_commands");
        Directory.CreateDirectory(commands);
        var files = new[] { "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY" }
            .ToDictionary(f => f, f => Path.Combine(commands, $"{f.ToLowerInvariant()}_{Guid.NewGuid():N}"));
        foreach (var file in files.Values)
            await File.WriteAllTextAsync(file, "", cancellation);
        var scriptFile = Path.Combine(Temp, $"{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(scriptFile, script, cancellation);

        var processEnv = ProcessEnvironment(env);
        foreach (var (name, file) in files)
            processEnv[name] = file;
        var directory = step.WorkingDirectory is { } relative ? Path.Combine(Workspace, relative) : Workspace;
        // GitHub's default for run: on Linux when no shell is named: bash -e {0}.
        var code = await Shell.RunAsync("bash", ["-e", scriptFile], directory, processEnv, Output, cancellation);
        Write($"exit code {code}");

        foreach (var (name, value) in ReadFileCommand(files["GITHUB_ENV"]))
            exported[name] = value;
        foreach (var (name, value) in ReadFileCommand(files["GITHUB_OUTPUT"]))
            outputs[name] = value;
        addedPath.InsertRange(0, File.ReadAllLines(files["GITHUB_PATH"]).Where(l => l.Length > 0).Reverse());
        summary.Append(await File.ReadAllTextAsync(files["GITHUB_STEP_SUMMARY"], CancellationToken.None));
        return code == 0 ? JobConclusion.Success : JobConclusion.Failure;
    }

    /// <summary>The environment of a step's process: the runner machine's, the runner's own GITHUB_*/RUNNER_* variables, then the workflow's.</summary>
    public Dictionary<string, string> ProcessEnvironment(IReadOnlyDictionary<string, string> env)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = string.Join(':', addedPath.Append(Shims).Append("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")),
            ["HOME"] = Home,
            ["LANG"] = "C.UTF-8",
            ["USER"] = "runner",
        };
        foreach (var (name, value) in run.GitHub.RunnerVariables)
            variables[name] = value;
        var github = new Dictionary<string, string>
        {
            ["CI"] = "true",
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_WORKFLOW"] = run.Workflow.Name,
            ["GITHUB_RUN_ID"] = run.Id.ToString(CultureInfo.InvariantCulture),
            ["GITHUB_RUN_NUMBER"] = run.Id.ToString(CultureInfo.InvariantCulture),
            ["GITHUB_RUN_ATTEMPT"] = "1",
            ["GITHUB_JOB"] = spec.Id,
            ["GITHUB_REPOSITORY"] = run.GitHub.Repository,
            ["GITHUB_REPOSITORY_OWNER"] = run.GitHub.Repository.Split('/')[0],
            ["GITHUB_SHA"] = run.Trigger.Sha,
            ["GITHUB_REF"] = run.Trigger.Ref,
            ["GITHUB_REF_NAME"] = run.Trigger.Ref.Split('/').Last(),
            ["GITHUB_REF_TYPE"] = "branch",
            ["GITHUB_EVENT_NAME"] = run.Trigger.EventName,
            ["GITHUB_EVENT_PATH"] = Path.Combine(Temp, "event.json"),
            ["GITHUB_WORKSPACE"] = Workspace,
            ["GITHUB_SERVER_URL"] = "https://github.com",
            ["GITHUB_API_URL"] = "https://api.github.com",
            ["GITHUB_ACTOR"] = "release-manager",
            ["RUNNER_OS"] = "Linux",
            ["RUNNER_ARCH"] = "X64",
            ["RUNNER_NAME"] = $"sim-runner-{run.Id}-{spec.Id}",
            ["RUNNER_TEMP"] = Temp,
            ["RUNNER_TOOL_CACHE"] = Path.Combine(Root, "tool"),
            ["RUNNER_TRACKING_ID"] = tracking,
        };
        foreach (var (name, value) in github)
            variables[name] = value;
        if (MayRequestIdToken)
        {
            variables["ACTIONS_ID_TOKEN_REQUEST_URL"] = "https://simulated.actions.githubusercontent.com/token";
            variables["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = tracking;
        }

        foreach (var (name, value) in env)
            variables[name] = value;
        return variables;
    }

    // ---- what the emulated actions use

    public void Write(string line)
    {
        foreach (var secret in masks)
            line = line.Replace(secret, "***", StringComparison.Ordinal);
        lock (log)
        {
            log.AppendLine(line);
            // As it happens, for whoever watches a long job (the run's folder, <job>.log).
            File.AppendAllText(Root + ".log", line + "\n");
        }
    }

    public void Mask(string value)
    {
        if (value.Length > 0)
            masks.Add(value);
    }

    public void Export(string name, string value) => exported[name] = value;

    public void AddPath(string folder) => addedPath.Insert(0, folder);

    public void AddPostStep(string name, Func<Task> action) => postSteps.Add((name, action));

    /// <summary>The OIDC token's subject GitHub gives this job (repo:OWNER/REPO:environment:NAME when it names one).</summary>
    public string OidcSubject => environment is null ? $"repo:{run.GitHub.Repository}:ref:{run.Trigger.Ref}" : $"repo:{run.GitHub.Repository}:environment:{environment}";

    /// <summary>Expands a leading ~ as the runner does, and makes a relative path the workspace's.</summary>
    public string ResolvePath(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home, path[2..]) : Path.GetFullPath(Path.Combine(Workspace, path));

    private string Shims => Path.Combine(Root, "bin");

    private void WriteSudoShim()
    {
        // A GitHub-hosted runner gives its user passwordless sudo. The simulator's runner is already root, so sudo only runs
        // the command; options it would need to interpret fail loudly instead of being ignored.
        var sudo = Path.Combine(Shims, "sudo");
        File.WriteAllText(sudo, "#!/bin/bash\n# Passwordless sudo, as on a GitHub-hosted runner; the simulated runner is root already.\n" +
            "[[ ${1:-} != -* ]] || { echo \"sudo shim: option $1 is not emulated\" >&2; exit 2; }\nexec \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(sudo, (UnixFileMode)0b111_101_101);
    }

    private void Output(string line)
    {
        if (line.StartsWith("::add-mask::", StringComparison.Ordinal))
        {
            Mask(line["::add-mask::".Length..]);
            return;
        }

        Write(line);
    }

    private ExpressionScope StepScope(RunStatus status, IReadOnlyDictionary<string, string> env) =>
        Track(run.Scope(environment, needs, status, Workspace, new Dictionary<string, object?>
        {
            ["secrets"] = RunContext.Strings(run.SecretsFor(environment)),
            ["env"] = RunContext.Strings(env),
            ["steps"] = RunContext.Map(new Dictionary<string, object?>(steps)),
            ["runner"] = RunContext.Map(new Dictionary<string, object?> { ["os"] = "Linux", ["arch"] = "X64", ["temp"] = Temp, ["tool_cache"] = Path.Combine(Root, "tool"), ["name"] = $"sim-runner-{run.Id}" }),
            ["job"] = RunContext.Map(new Dictionary<string, object?> { ["status"] = status.Success ? "success" : status.Cancelled ? "cancelled" : "failure" }),
            ["strategy"] = RunContext.Map([]),
            ["matrix"] = RunContext.Map([]),
        }, spec.Id));

    private ExpressionScope Track(ExpressionScope scope)
    {
        lock (scopes)
            scopes.Add(scope);
        return scope;
    }

    private JobResult Result(JobConclusion conclusion, IReadOnlyList<(string, JobConclusion)> outcomes, IReadOnlyDictionary<string, string>? outputs = null)
    {
        lock (scopes)
        {
            foreach (var name in scopes.SelectMany(s => s.SecretsRead))
                secretsRead.Add(name);
        }

        lock (log)
            return new JobResult(spec.Id, conclusion, log.ToString(), new SortedSet<string>(secretsRead, StringComparer.Ordinal), outcomes,
                outputs ?? new Dictionary<string, string>(), summary.ToString());
    }

    /// <summary>name=value lines and name&lt;&lt;DELIMITER blocks, as the runner reads GITHUB_ENV and GITHUB_OUTPUT.</summary>
    private static IEnumerable<(string Name, string Value)> ReadFileCommand(string file)
    {
        var lines = File.ReadAllLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
                continue;
            var heredoc = HeredocStart().Match(line);
            if (heredoc.Success)
            {
                var delimiter = heredoc.Groups[2].Value;
                var value = new List<string>();
                while (++i < lines.Length && lines[i] != delimiter)
                    value.Add(lines[i]);
                if (i >= lines.Length)
                    throw new WorkflowSimulationException($"{Path.GetFileName(file)}: no closing {delimiter} for {heredoc.Groups[1].Value}");
                yield return (heredoc.Groups[1].Value, string.Join('\n', value));
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new WorkflowSimulationException($"{Path.GetFileName(file)}: invalid line '{line}'");
            yield return (line[..equals], line[(equals + 1)..]);
        }
    }

    [GeneratedRegex("^([^=<]+)<<(.+)$")]
    private static partial Regex HeredocStart();

    /// <summary>As the runner at the end of a job: every process with this job's RUNNER_TRACKING_ID is stopped (TERM, then KILL).</summary>
    private async Task KillOrphansAsync()
    {
        var marker = Encoding.ASCII.GetBytes($"RUNNER_TRACKING_ID={tracking}\0");
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var orphans = new List<int>();
            foreach (var folder in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
                    continue;
                try
                {
                    if (File.ReadAllBytes(Path.Combine(folder, "environ")).AsSpan().IndexOf(marker) >= 0)
                        orphans.Add(pid);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // gone meanwhile
                }
            }

            if (orphans.Count == 0)
                return;
            if (attempt == 0)
                Write($"Cleaning up orphan processes: {string.Join(", ", orphans)}");
            await Shell.RunAsync("kill", [attempt < 20 ? "-TERM" : "-KILL", .. orphans.Select(p => p.ToString(CultureInfo.InvariantCulture))], "/", null, _ => { }, CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
