using Slipway.Spelling;
using System.Collections;
using System.Linq.Expressions;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Slipway.Engine.CI;

namespace Slipway.Engine;

/// <summary>Runs one invocation: parse, bind, plan, check requirements, execute, summarize.</summary>
internal static partial class BuildRunner
{
    public const int Success = 0;
    public const int TargetFailed = 1;
    public const int UsageError = 2;

    public static int Run(SlipwayBuild build, string[] args, string[] defaultTargets, TextWriter stdout, TextWriter stderr, IDictionary environment, CancellationToken cancellationToken = default) =>
        Run(build, args, defaultTargets, stdout, stderr, environment, TimeProvider.System, cancellationToken);

    /// <param name="time">The clock that times the targets and the build.</param>
    public static int Run(SlipwayBuild build, string[] args, string[] defaultTargets, TextWriter stdout, TextWriter stderr, IDictionary environment, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var masker = new SecretMasker();
        var output = new MaskingWriter(stdout, masker);
        var errors = new MaskingWriter(stderr, masker);
        Log.Out = output;
        Log.Error = errors;
        var isConsole = ReferenceEquals(stdout, Console.Out);
        if (isConsole)
        {
            Log.Terminal = TerminalStatus.For(stdout, Console.IsOutputRedirected, environment, masker);
            Console.SetOut(output);
            Console.SetError(errors);
        }

        try
        {
            return RunCore(build, args, defaultTargets, environment, masker, isConsole, time, cancellationToken);
        }
        catch (UsageException e)
        {
            Log.RawError($"error: {e.Message}");
            GitHubActions.For(environment, masker)?.Error("Build", e.Message);
            return UsageError;
        }
        finally
        {
            Log.Terminal = null;
            output.Flush();
            errors.Flush();
        }
    }

    private static int RunCore(SlipwayBuild build, string[] args, string[] defaultTargets, IDictionary environment, SecretMasker masker, bool isConsole, TimeProvider time, CancellationToken cancellationToken)
    {
        var root = SlipwayBuild.RootDirectory;
        var parameters = BuildParameter.Discover(build.GetType());
        var commandLine = CommandLine.Parse(args, parameters);
        Log.Verbose = commandLine.Verbose;
        var binder = new ParameterBinder(root, parameters, environment);
        binder.MaskSecrets(commandLine, masker);
        binder.Bind(build, commandLine);

        var graph = TargetGraph.Create(build);
        var defaults = defaultTargets.Select(name => graph[name]).ToList();
        if (Directory.Exists(root / ".nuke"))
            BuildSchema.Write(root / ".nuke" / "build.schema.json", parameters);
        IReadOnlyList<GeneratedFile> GenerateWorkflows() =>
            build is IDeclareWorkflows declaring ? WorkflowGenerator.Generate(declaring.Workflows, graph, parameters) : [];
        if (commandLine.GenerateCi)
        {
            var workflows = GenerateWorkflows();
            var written = WorkflowFiles.WriteChanged(root, workflows);
            Log.Raw(written.Count == 0 ? $"{workflows.Count} generated CI files are up to date" : string.Join('\n', written.Select(f => $"wrote {f}")));
            return Success;
        }

        if (commandLine.Help)
        {
            HelpText.Write(Log.Out, graph, parameters, defaults, build);
            return Success;
        }

        var invoked = commandLine.Targets.Count == 0 ? defaults : commandLine.Targets.Select(name => ResolveTarget(graph, name)).ToList();
        var skip = commandLine.Skip?.Select(name => ResolveTarget(graph, name)).ToList();
        var plan = ExecutionPlan.Create(graph, invoked, skip);
        var run = new BuildRun(graph, plan, parameters, masker, commandLine.DryRun, GitHubActions.For(environment, masker));
        build.Attach(run);
        build.OnBuildInitialized();
        plan.ApplyStaticConditions(t => FirstFalse(t.Definition.StaticConditions), commandLine.DryRun);

        if (commandLine.Plan)
        {
            foreach (var target in plan.Targets.Where(t => !plan.Skipped.ContainsKey(t)))
                Log.Raw(target.Name);
            return Success;
        }

        CheckRequirements(build, plan, parameters, environment);
        try
        {
            build.OnBeforeTargets();
        }
        catch (Exception e) when (build.Explain(e) is { } explained)
        {
            // Before the first target, whatever the configuration lacks is a usage error.
            throw explained as UsageException ?? new UsageException(explained.Message);
        }

        SyncWorkflows(root, GenerateWorkflows(), environment, commandLine.DryRun);
        return Execute(build, run, isConsole, time, cancellationToken);
    }

    /// <summary>Locally, rewrites generated CI files that changed (--dry-run: names them); on CI (CI=true), fails when any is stale.</summary>
    private static void SyncWorkflows(AbsolutePath root, IReadOnlyList<GeneratedFile> workflows, IDictionary environment, bool dryRun)
    {
        if (string.Equals(environment["CI"] as string, "true", StringComparison.OrdinalIgnoreCase))
        {
            var stale = WorkflowFiles.FindStale(root, workflows);
            if (stale.Count > 0)
                throw new UsageException($"generated CI files are stale: {string.Join(", ", stale)}. Run {WorkflowGenerator.RegenerateCommand} and commit the result.");
            return;
        }

        if (dryRun)
        {
            foreach (var file in WorkflowFiles.FindStale(root, workflows))
                Log.Info($"would update {file} from the build definition");
            return;
        }

        foreach (var file in WorkflowFiles.WriteChanged(root, workflows))
            Log.Info($"updated {file} from the build definition");
    }

    private static ExecutableTarget ResolveTarget(TargetGraph graph, string name)
    {
        if (graph.Find(name) is { } target)
            return target;
        var suggestion = DidYouMean.Closest(name, graph.Targets.Select(t => t.Name));
        throw new UsageException($"unknown target '{name}'." +
            (suggestion is null ? "" : $" Did you mean '{suggestion}'?") + " Run ./build.sh --help for the list.");
    }

    private static void CheckRequirements(SlipwayBuild build, ExecutionPlan plan, IReadOnlyList<BuildParameter> parameters, IDictionary environment)
    {
        var path = environment["PATH"] as string ?? "";
        foreach (var target in plan.Targets.Where(t => !plan.Skipped.ContainsKey(t)))
        {
            foreach (var required in target.Definition.RequiredParameters)
            {
                var member = MemberName(required.Body);
                var parameter = parameters.FirstOrDefault(p => p.MemberName == member);
                var present = parameter is not null ? parameter.HasValue(build) : required.Compile()() is not null;
                if (present)
                    continue;
                throw new UsageException(parameter is null
                    ? $"{target.Name} requires {member}, which is not set"
                    : $"{target.Name} requires --{parameter.CommandLineName}: pass it on the command line, set ${parameter.EnvironmentVariable}" +
                      (parameter.IsSecret ? "" : ", or add it to .nuke/parameters.json"));
            }

            if (FirstFalse(target.Definition.RequiredConditions) is { } condition)
                throw new UsageException($"{target.Name} requires {condition}, which is false");

            foreach (var tool in target.Definition.RequiredTools)
            {
                if (!ToolOnPath(tool, path))
                    throw new UsageException($"{target.Name} requires '{tool}' on PATH: install it and try again");
            }
        }
    }

    private static int Execute(SlipwayBuild build, BuildRun run, bool isConsole, TimeProvider time, CancellationToken external)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(external);
        ConsoleCancelEventHandler? onCancel = null;
        PosixSignalRegistration? onTerminate = null;
        if (isConsole)
        {
            onCancel = (_, e) =>
            {
                e.Cancel = true;
                Log.RawError("cancelling: the running target is stopped; targets marked AssuredAfterFailure still run");
                cancellation.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                cancellation.Cancel();
            });
        }

        if (run.DryRun)
            Log.Raw(DryRunHeader(run.Plan));
        var started = time.GetTimestamp();
        var broken = false;
        var usageFailure = false;
        string? firstFailure = null;
        int? firstExitCode = null;
        try
        {
            foreach (var target in run.Plan.Targets)
            {
                if (run.Plan.Skipped.TryGetValue(target, out var reason))
                {
                    target.Status = TargetStatus.Skipped;
                    target.Note ??= reason;
                    continue;
                }

                if (target.Dependencies.FirstOrDefault(d => d.Status is not (TargetStatus.Succeeded or TargetStatus.Skipped)) is { } missing)
                {
                    target.Note = $"{missing.Name} did not succeed";
                    continue;
                }

                if ((broken || cancellation.IsCancellationRequested) && !target.Definition.IsAssured)
                {
                    target.Note = "not run after an earlier failure";
                    continue;
                }

                if (FirstFalse(target.Definition.DynamicConditions) is { } condition)
                {
                    target.Status = TargetStatus.Skipped;
                    target.Note = $"condition false: {condition}";
                    continue;
                }

                var token = target.Definition.IsAssured ? CancellationToken.None : cancellation.Token;
                var exitCode = RunTarget(build, run, target, time, token, ref usageFailure);
                if (target.Status is TargetStatus.Failed or TargetStatus.Cancelled)
                {
                    firstFailure ??= target.Name;
                    firstExitCode ??= exitCode;
                    if (!target.Definition.ProceedsAfterFailure || target.Status == TargetStatus.Cancelled)
                        broken = true;
                }
            }
        }
        finally
        {
            if (onCancel is not null)
                Console.CancelKeyPress -= onCancel;
            onTerminate?.Dispose();
        }

        var succeeded = firstFailure is null && !cancellation.IsCancellationRequested;
        build.OnBuildFinished(succeeded);
        var verdict = BuildSummary.Verdict(time.GetElapsedTime(started), succeeded, firstFailure, cancellation.IsCancellationRequested, run.DryRun);
        BuildSummary.Write(Log.Out, run.Plan, verdict);
        run.GitHub?.WriteSummary(run.Plan, verdict, succeeded);
        return succeeded ? Success : usageFailure ? UsageError : firstExitCode ?? TargetFailed;
    }

    /// <summary>One line before the first target of a --dry-run: which targets print their plan, which would run.</summary>
    private static string DryRunHeader(ExecutionPlan plan)
    {
        var planners = plan.Targets.Where(t => t.Definition.WhenDry == DryRunBehavior.PrintPlan && !plan.Skipped.ContainsKey(t)).Select(t => t.Name).ToList();
        var wouldRun = plan.Targets.Where(plan.WouldRun.Contains).Select(t => t.Name).ToList();
        return "dry run: nothing that writes runs" +
            (planners.Count == 0 ? "" : $"; {string.Join(", ", planners)} print{(planners.Count == 1 ? "s" : "")} what {(planners.Count == 1 ? "it" : "they")} would do") +
            (wouldRun.Count == 0 ? "" : $"; would run: {string.Join(", ", wouldRun)}");
    }

    /// <summary>Runs one target and returns the exit code its failure asks for (<see cref="TargetFailed"/> unless it names its own).</summary>
    private static int RunTarget(SlipwayBuild build, BuildRun run, ExecutableTarget target, TimeProvider time, CancellationToken token, ref bool usageFailure)
    {
        run.GitHub?.StartGroup(target.Name);
        Log.Raw($"▸ {target.Name}");
        run.Current = target;
        target.Status = TargetStatus.Running;
        var started = time.GetTimestamp();
        string? failure = null;
        try
        {
            foreach (var action in target.Definition.Actions)
            {
                token.ThrowIfCancellationRequested();
                action(token).GetAwaiter().GetResult();
            }

            target.Status = TargetStatus.Succeeded;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            target.Status = TargetStatus.Cancelled;
            target.Note = "cancelled";
        }
        catch (Exception e)
        {
            var thrown = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : e;
            var error = build.Explain(thrown) ?? thrown;
            target.Status = TargetStatus.Failed;
            target.Note = FirstLine(error.Message);
            failure = error.Message;
            usageFailure |= error is UsageException;
            Log.Failure($"✗ {error.Message}");
            if (error is not (BuildFailedException or UsageException))
                Log.Failure(Log.Verbose ? error.ToString() : $"({error.GetType().Name}; run with --verbose for the stack trace)");
            if (error is BuildFailedException failed)
                return failed.ExitCode;
        }
        finally
        {
            target.Duration = time.GetElapsedTime(started);
            run.Current = null;
            run.GitHub?.EndGroup();
            // After the group, so the annotation's line shows with the group folded.
            if (failure is not null)
                run.GitHub?.Error($"{target.Name} failed", failure);
        }

        return TargetFailed;
    }

    private static string? FirstFalse(IEnumerable<Expression<Func<bool>>> conditions) =>
        conditions.Where(c => !c.Compile()()).Select(c => Readable(c.Body)).FirstOrDefault();

    private static string MemberName(Expression body) => body switch
    {
        MemberExpression member => member.Member.Name,
        UnaryExpression unary => MemberName(unary.Operand),
        _ => Readable(body),
    };

    /// <summary>An expression as a person would write it: <c>value(Build).IsLocal</c> becomes <c>IsLocal</c>.</summary>
    internal static string Readable(Expression expression)
    {
        var text = ClosurePrefix().Replace(expression.ToString(), "");
        return text.StartsWith('(') && text.EndsWith(')') ? text[1..^1] : text;
    }

    private static bool ToolOnPath(string tool, string path) =>
        Path.IsPathRooted(tool) ? File.Exists(tool) :
        path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

    [GeneratedRegex(@"value\([^)]*\)\.")]
    private static partial Regex ClosurePrefix();
}
