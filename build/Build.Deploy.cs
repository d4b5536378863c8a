using System.Text.Json;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Publishing;
using Slipway.Engine;
using Slipway.Migrations;
using Slipway.Tools.Docker;

partial class Build
{
    [Parameter("Rollback: the version to go back to, exactly as Releases lists it (default: the previous release)")]
    readonly string? ToVersion;

    /// <summary>
    /// Hand-off from PushEcr: the images it pushed and verified, by digest. When PushEcr does not set it
    /// (or did not run), Deploy finds the app image by its immutable tag in the local engine.
    /// </summary>
    PublishResult? PublishedImages;

    /// <summary>The image repository of the app in docker/images.json.</summary>
    const string AppImageName = "slipway-api";

    /// <summary>The image repository of the reverse proxy, and the compose variable that names its image.</summary>
    const string ProxyImageName = "slipway-nginx";

    const string ProxyImageVariable = "NGINX_IMAGE";

    string ImageTag => $"{Version}-{Git.ShortCommit}";

    DeployEnvironment? deliveryEnvironment;
    DockerClient? environmentEngine;
    string? deployedVersion;

    Target Deploy => _ => _
        .Description("Deploys the pushed images to the environment with zero downtime (blue-green behind nginx, or a swarm's rolling update)")
        .DependsOn(Setup, PushEcr)
        .Triggers(SmokeTest)
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var auth = await RegistryAuthAsync(environment, ct);
            var appImage = await ImageByDigestAsync(environment, docker, AppImageName, ct);
            var variables = StackVariables(environment, await ImageByDigestAsync(environment, docker, ProxyImageName, ct));
            var request = new DeployRequest(environment, RootDirectory, AppVersion, appImage, auth, variables) { ReleaseCommand = ReleaseCommand };
            // --dry-run (shared with Migrate): print the deploy plan and change nothing.
            if (DryRun)
            {
                await PrintPlanAsync(environment, docker, request, ct);
                return;
            }

            var result = await RecordedOnGitHubAsync(environment, () => Deployment(() => environment.Strategy == DeployStrategy.Swarm
                ? SwarmDeployer.DeployAsync(docker, request, Log.Info, ct)
                : SingleHostDeployer.DeployAsync(docker, request, Log.Info, ct)), ct);
            deployedVersion = result.Release.Version;
            ReportSummary(result.Summary);
        });

    Target SmokeTest => _ => _
        .Description("Checks the deployed environment through its public URL: health, dependencies, version, security headers")
        .After(Deploy)
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var version = deployedVersion ?? await CurrentVersionAsync(environment, ct);
            var report = await SmokeTester.RunAsync(SingleHostDeployer.PublicSmokeTarget(environment, version), ct);
            Log.Info(report.Table());
            ReportSummary(report.Summary);
            if (!report.Passed)
                throw new BuildFailedException($"smoke checks failed through {environment.PublicUrl}: {string.Join("; ", report.Failures.Select(f => $"{f.Name} → {f.Detail}"))}");
            Log.Plain($"open {environment.PublicUrl}");
        });

    Target Rollback => _ => _
        .Description("Returns the environment to the previous release, or --to-version V, without rebuilding (automatic when SmokeTest fails)")
        .TriggeredBy(SmokeTest)
        .AssuredAfterFailure()
        .OnlyWhenDynamic(() => IsInvoked(Rollback) || HasFailed(SmokeTest))
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var result = environment.Strategy == DeployStrategy.Swarm
                ? await Deployment(async () => await SwarmDeployer.RollbackAsync(docker, environment, ToVersion, await RegistryAuthAsync(environment, ct), Log.Info, ct))
                : await Deployment(async () => await SingleHostDeployer.RollbackAsync(docker, environment, RootDirectory, StackVariables(environment, await ProxyImageInUseAsync(environment, docker, ct)), ToVersion, Log.Info, ct));
            ReportSummary($"back to {result.Release.Version}: {result.Summary}");
            await RecordRollbackOnGitHubAsync(result.Release.Version, ct);
            // Migrations go down only when asked, and after the app: version N-1 runs on version N's schema.
            if (MigrateTo is { } schema)
            {
                if (DatabaseUrl is null)
                    throw new UsageException("--migrate-to needs --database-url (or DATABASE_URL)");
                var plan = await Run(() => Migrator.PlanAsync(DatabaseUrl, MigrationsDirectory, schema, MigrationOptions.Default, ct));
                var migrated = await Run(() => Migrator.ApplyAsync(plan, Log.Info, ct));
                Log.Info($"schema {migrated.FromVersion} → {migrated.FinalVersion}");
            }
        });

    Target Releases => _ => _
        .Description("Prints the environment's release ledger: versions, outcomes, who, when, images by digest")
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var ledger = await Deployment(() => ReleaseLedger.OpenAsync(docker, environment.Names, ct));
            var releases = await Deployment(() => ledger.ReadAsync(ct));
            Log.Plain(ReleaseLedger.Format(releases));
            var holder = await DeployLock.ReadAsync(docker, environment.Names, ct);
            if (holder is not null)
                Log.Warn($"deploy lock held by {holder}{(holder.IsStale ? " — stale (that process is gone)" : "")}");
            ReportSummary($"{releases.Count} releases");
        });

    Target Unlock => _ => _
        .Description("Breaks the environment's deploy lock left by a dead deploy")
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var broken = await DeployLock.BreakAsync(docker, environment.Names, ct);
            var note = broken is null ? $"{environment.Names.Environment} was not locked" : $"broke the lock of {broken}{(broken.IsStale ? " (stale)" : "")}";
            Log.Info(note);
            ReportSummary(note);
        });

    async Task PrintPlanAsync(DeployEnvironment environment, DockerClient docker, DeployRequest request, CancellationToken ct)
    {
        if (environment.Strategy == DeployStrategy.Swarm)
        {
            var swarm = await Deployment(() => SwarmDeployer.PlanAsync(docker, request, ct));
            foreach (var line in swarm.Describe())
                Log.Info(line);
            ReportSummary($"plan only: {swarm.LiveVersion ?? "(none)"} → {swarm.Version}, rolling update");
            return;
        }

        var plan = await Deployment(() => SingleHostDeployer.PlanAsync(docker, request, ct));
        foreach (var line in plan.Describe())
            Log.Info(line);
        ReportSummary($"plan only: {plan.LiveColour ?? "(none)"} → {plan.NewColour}");
    }

    /// <summary>The targets that read the environment file; when one is scheduled, OnBeforeTargets loads and checks it.</summary>
    Target[] EnvironmentTargets => [Setup, BuildImages, ScanImages, PushEcr, Deploy, SmokeTest, Rollback, Releases, Unlock];

    /// <summary>The environment file of --environment, as OnBeforeTargets loaded and checked it.</summary>
    DeployEnvironment DeliveryEnvironment => deliveryEnvironment
        ?? throw new InvalidOperationException($"the environment file was not loaded: add the running target to {nameof(EnvironmentTargets)}");

    /// <summary>
    /// Loads and checks the environment file once, before Compile and before any side effect: a typo in it, or a
    /// secret or registry password the scheduled targets need but nobody exported, is one line and exit 2 at
    /// once, not a failure half-way through a deploy.
    /// </summary>
    protected override void OnBeforeTargets()
    {
        if (!EnvironmentTargets.Any(IsScheduled))
            return;
        try
        {
            var environment = EnvironmentFile.Load(RootDirectory, TargetEnvironment);
            var swarm = environment.Strategy == DeployStrategy.Swarm;
            // Deploy and a single-host Rollback hand the secrets to the stack; PushEcr, Deploy, a swarm Rollback and
            // a build from the environment's own mirror log in to its registry.
            if (IsScheduled(Deploy) || (IsScheduled(Rollback) && !swarm))
                SecretValues.EnsureAvailable(environment, Environment.GetEnvironmentVariable);
            if (IsScheduled(PushEcr) || IsScheduled(Deploy) || (IsScheduled(Rollback) && swarm) || (IsScheduled(BuildImages) && ImageMirror == environment.Registry.Address))
                SecretValues.EnsureRegistryPassword(environment, Environment.GetEnvironmentVariable);
            deliveryEnvironment = environment.TrustedCaFile is { } ca ? environment with { TrustedCaFile = Path.GetFullPath(ca, RootDirectory) } : environment;
        }
        catch (EnvironmentFileException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The environment's engine: the one Setup readied, else the one that answers (nothing is started here).</summary>
    async Task<DockerClient> EngineAsync(CancellationToken ct)
    {
        if (environmentEngine is not null)
            return environmentEngine;
        var environment = DeliveryEnvironment;
        var endpoint = setup?.Engine ?? await Deployment(() => LocalSetup.FindEngineAsync(environment, RootDirectory, Environment.GetEnvironmentVariable, ct));
        Log.Info($"{environment.Names.Environment} · engine {endpoint} · registry {environment.Registry.Address} · {(environment.Strategy == DeployStrategy.Swarm ? "swarm" : "single-host blue-green")}");
        return environmentEngine = new DockerClient(endpoint);
    }

    async Task<RegistryAuth> RegistryAuthAsync(DeployEnvironment environment, CancellationToken ct)
    {
        if (environment.Registry.Kind == RegistryKind.Ecr)
        {
            using var http = new HttpClient();
            var session = await new RegistryLogin(http)
                .LoginAsync(new EcrRegistryTarget(environment.Registry.Region!, environment.Registry.Account!), Log.Info, ct);
            MaskSecret(session.Credentials.Password);
            return new RegistryAuth(session.Credentials.User, session.Credentials.Password, session.Host);
        }

        var credentials = setup?.Registry ?? Deployment(() => LocalSetup.RegistryCredentials(environment, RootDirectory, Environment.GetEnvironmentVariable));
        MaskSecret(credentials.Password);
        return new RegistryAuth(credentials.User, credentials.Password, credentials.Server);
    }

    /// <summary>
    /// An image of this release by digest: from PushEcr's hand-off (in this process, or artifacts/images/pushed.json
    /// downloaded from the PushEcr job on CI), else from the local image tagged &lt;version&gt;-&lt;commit&gt;.
    /// A digest, unlike a tag, stays the same when an unchanged image is re-tagged, so nginx is not recreated for nothing.
    /// </summary>
    async Task<string> ImageByDigestAsync(DeployEnvironment environment, DockerClient docker, string name, CancellationToken ct)
    {
        PublishedImages ??= File.Exists(PushedImagesFile)
            ? JsonSerializer.Deserialize<PublishResult>(await File.ReadAllTextAsync(PushedImagesFile, ct))
            : null;
        var pushed = PublishedImages?.Images.FirstOrDefault(i => i.Reference.Contains($"/{name}:{ImageTag}", StringComparison.Ordinal));
        if (pushed is not null)
            return $"{pushed.Reference[..pushed.Reference.LastIndexOf(':')]}@{pushed.Digest}";
        var tagged = $"{name}:{ImageTag}";
        var image = await docker.Images.TryInspectAsync(tagged, ct)
            ?? throw new BuildFailedException($"{tagged} is not on the engine: run ./build.sh PushEcr --environment {environment.Names.Environment} first");
        var digest = image.RepoDigests?.FirstOrDefault(d => d.StartsWith($"{environment.Registry.Address}/{name}@", StringComparison.Ordinal))
            ?? throw new BuildFailedException($"{tagged} was never pushed to {environment.Registry.Address}: run ./build.sh PushEcr --environment {environment.Names.Environment}");
        Log.Info($"{name} image {digest} (found by its tag {ImageTag}; PushEcr did not hand over its digests)");
        return digest;
    }

    /// <summary>What the compose files interpolate: the environment's secrets and this release's proxy image.</summary>
    IReadOnlyDictionary<string, string> StackVariables(DeployEnvironment environment, string proxyImage) =>
        new Dictionary<string, string>(Secrets(environment)) { [ProxyImageVariable] = proxyImage };

    /// <summary>The proxy image serving now: a rollback switches the app's colour and leaves nginx as it is.</summary>
    async Task<string> ProxyImageInUseAsync(DeployEnvironment environment, DockerClient docker, CancellationToken ct)
    {
        var proxy = await docker.Containers.TryInspectAsync(environment.Names.Container(environment.Compose.ProxyService), ct);
        return proxy?.Config.Image ?? throw new BuildFailedException($"{environment.Names.Environment} has no running {environment.Compose.ProxyService}: deploy before rolling back");
    }

    IReadOnlyDictionary<string, string> Secrets(DeployEnvironment environment)
    {
        var values = Deployment(() => SecretValues.Resolve(environment, RootDirectory, Environment.GetEnvironmentVariable, Log.Info));
        foreach (var value in values.Values)
            MaskSecret(value);
        return values;
    }

    async Task<string> CurrentVersionAsync(DeployEnvironment environment, CancellationToken ct)
    {
        var docker = await EngineAsync(ct);
        var ledger = await Deployment(() => ReleaseLedger.OpenAsync(docker, environment.Names, ct));
        return ReleaseLedger.Current(await ledger.ReadAsync(ct))?.Version
            ?? throw new BuildFailedException($"nothing has been deployed to {environment.Names.Environment} yet: run ./build.sh Deploy --environment {environment.Names.Environment}");
    }

    /// <summary>Deployment errors are the whole story: a held lock is a usage error (exit 2), the rest fail the target (exit 1).</summary>
    static async Task<T> Deployment<T>(Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    static async Task Deployment(Func<Task> step) => await Deployment(async () =>
    {
        await step();
        return true;
    });

    static T Deployment<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    static Exception? Translate(Exception e) => e switch
    {
        DeployLockedException => new UsageException(e.Message),
        EnvironmentFileException => new UsageException(e.Message),
        DeployFailedException failed => new BuildFailedException(failed.RolledBack ? $"Deploy failed and was rolled back: {e.Message}" : e.Message, e),
        ComposeException or DockerEngineUnreachableException or DockerTimeoutException or DockerConfigurationException or DockerApiException or DockerStreamException => new BuildFailedException(e.Message, e),
        _ => null,
    };
}
