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
    [Parameter("Rollback: the version to go back to, exactly as Releases lists it (default: the release that served before the one serving now)")]
    readonly string? ToVersion;

    [Parameter("Deploy: allow recreating PostgreSQL, Redis or nginx's runtime when their specification changed (their connections drop)")]
    readonly bool RecreateInfrastructure;

    [Parameter("Rollback: go back to a release older than the live schema even when a migration in between is not marked backward-compatible")]
    readonly bool AllowNewerSchema;

    /// <summary>The exit code of a deploy, rollback or unlock refused because another deploy holds the environment's lock.</summary>
    const int LockHeldExitCode = 3;

    /// <summary>
    /// Hand-off from PushEcr: the images it pushed and verified, by digest. When PushEcr does not set it
    /// (or did not run), Deploy finds the app image by its immutable tag in the local engine.
    /// </summary>
    PublishResult? PublishedImages;

    /// <summary>The image repository of the app in docker/images.json.</summary>
    const string AppImageName = "slipway-api";

    /// <summary>The image repository of the reverse proxy, and the compose variable that names its image.</summary>
    const string ProxyImageName = "slipway-nginx";

    string ImageTag => $"{Version}-{Git.ShortCommit}";

    DeployEnvironment? deliveryEnvironment;
    DockerClient? environmentEngine;
    string? deployedVersion;

    Target Deploy => _ => _
        .Description("Deploys the pushed images to the environment with zero downtime (blue-green behind nginx, or a swarm's rolling update)")
        .DependsOn(Setup, PushEcr)
        // pushed.json: on CI the deploy job downloads it from the job that pushed (or promoted) the images.
        .Consumes(PushEcr)
        .Triggers(SmokeTest)
        .Writes(DryRunBehavior.PrintPlan)
        .Executes(async ct =>
        {
            if (IsDryRun)
            {
                await PrintDeployPlanAsync(ct);
                return;
            }

            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var auth = await RegistryAuthAsync(environment, ct);
            var request = DeployRequestFor(environment, auth,
                await ImageByDigestAsync(environment, docker, AppImageName, ct),
                await ImageByDigestAsync(environment, docker, ProxyImageName, ct));
            var result = await RecordedOnGitHubAsync(environment, () => Deployment(() => environment.Strategy == DeployStrategy.Swarm
                ? SwarmDeployer.DeployAsync(docker, request, Log.Info, ct)
                : SingleHostDeployer.DeployAsync(docker, request, Log.Info, ct)), ct);
            deployedVersion = result.Release.Version;
            ReportSummary(result.Summary);
        });

    Target SmokeTest => _ => _
        .Description("Checks the deployed environment through nginx: health, dependencies and version on its check listener, then /health with the security headers through the public URL")
        .After(Deploy)
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var version = deployedVersion ?? await CurrentVersionAsync(environment, ct);
            var report = await Deployment(async () => await ReleaseChecks.RunAsync(await EngineAsync(ct), environment, version, Log.Info, ct));
            Log.Info(report.Table());
            ReportSummary(report.Summary);
            if (!report.Passed)
                throw new BuildFailedException($"smoke checks failed through nginx: {report.FailureLines}");
            Log.Plain($"open {environment.PublicUrl}");
        });

    Target Rollback => _ => _
        .Description("Returns the environment to the previous release, or --to-version V, without rebuilding (automatic when SmokeTest fails)")
        .TriggeredBy(SmokeTest)
        .AssuredAfterFailure()
        .OnlyWhenDynamic(() => IsInvoked(Rollback) || HasFailed(SmokeTest))
        .Writes(DryRunBehavior.PrintPlan)
        .Executes(async ct =>
        {
            if (IsDryRun)
            {
                await PrintRollbackPlanAsync(ct);
                return;
            }

            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var swarm = environment.Strategy == DeployStrategy.Swarm;
            var request = await RollbackRequestAsync(environment, docker, swarm ? await RegistryAuthAsync(environment, ct) : null, ct);
            var result = await Deployment(() => swarm
                ? SwarmDeployer.RollbackAsync(docker, request, Log.Info, ct)
                : SingleHostDeployer.RollbackAsync(docker, request, Log.Info, ct));
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
        .Description("Prints the environment's release ledger: versions, outcomes, who, when, images by digest; * marks what serves")
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var ledger = await Deployment(() => ReleaseLedger.OpenAsync(docker, environment.Names, Log.Warn, ct));
            var releases = await Deployment(() => ledger.ReadAsync(ct));
            var serving = await Deployment(() => environment.Strategy == DeployStrategy.Swarm
                ? SwarmDeployer.ServingAsync(docker, environment, ct)
                : SingleHostDeployer.ServingAsync(docker, environment, ct));
            Log.Plain(ReleaseLedger.Format(releases, ReleaseLedger.Reconcile(releases, serving, environment.Names.Environment, environment.Compose.AppService, Log.Warn)));
            var holder = await Deployment(() => DeployLock.ReadAsync(docker, environment.Names, ct));
            if (holder is not null)
                Log.Warn($"deploy lock held by {holder}, lease until {holder.Expires.ToLocalTime():HH:mm:ss}{(holder.StaleBecause is { } gone ? $" — stale ({gone})" : "")}");
            ReportSummary($"{releases.Count} releases");
        });

    Target Unlock => _ => _
        .Description("Breaks the environment's deploy lock when its deploy is gone (lease run out, or its process dead); --force breaks a live one")
        .Writes()
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await EngineAsync(ct);
            var broken = await Deployment(() => DeployLock.BreakAsync(docker, environment.Names, Force, ct));
            var note = broken switch
            {
                null => $"{environment.Names.Environment} was not locked",
                { StaleBecause: { } gone } => $"broke the stale lock of {broken} ({gone})",
                _ => $"broke the live lock of {broken} (--force)",
            };
            Log.Info(note);
            ReportSummary(note);
        });

    /// <summary>The targets that read the environment file; when one is scheduled, OnBeforeTargets loads and checks it.</summary>
    Target[] EnvironmentTargets => [Setup, BuildImages, ScanImages, PushEcr, Promote, Deploy, SmokeTest, Rollback, Releases, Unlock];

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

    /// <summary>
    /// The deploy of this release, the same for the real run and --dry-run: only how the images were found differs (by
    /// digest once pushed, or as planned), and the plan names them by their tag either way.
    /// </summary>
    DeployRequest DeployRequestFor(DeployEnvironment environment, RegistryAuth auth, string appImage, string proxyImage)
    {
        var variables = StackVariables(environment, proxyImage);
        return new DeployRequest(environment, RootDirectory, AppVersion, appImage, auth, variables)
        {
            ReleaseCommand = ReleaseCommand,
            RecreateInfrastructure = RecreateInfrastructure,
            ImageNames = new Dictionary<string, string>
            {
                [appImage] = ReleaseImage(environment, AppImageName),
                [proxyImage] = ReleaseImage(environment, ProxyImageName),
            },
        };
    }

    /// <summary>An image of this release by its immutable tag in the environment's registry.</summary>
    string ReleaseImage(DeployEnvironment environment, string name) => $"{environment.Registry.Address}/{name}:{ImageTag}";

    /// <summary>What the compose files interpolate: the environment's secrets and this release's proxy image.</summary>
    IReadOnlyDictionary<string, string> StackVariables(DeployEnvironment environment, string proxyImage) =>
        new Dictionary<string, string>(Secrets(environment)) { [SingleHostDeployer.ProxyImageVariable] = proxyImage };

    /// <summary>What a rollback is asked: the environment, the migrations shipped (for the schema check), the variables the stack needs.</summary>
    async Task<RollbackRequest> RollbackRequestAsync(DeployEnvironment environment, DockerClient docker, RegistryAuth? auth, CancellationToken ct) =>
        new(environment,
            RootDirectory,
            environment.Strategy == DeployStrategy.Swarm ? new Dictionary<string, string>() : StackVariables(environment, await ProxyImageInUseAsync(environment, docker, ct)),
            auth,
            await Run(() => Task.FromResult(MigrationSet.Load(MigrationsDirectory))))
        {
            ToVersion = ToVersion,
            AllowNewerSchema = AllowNewerSchema,
        };

    /// <summary>The proxy image whose configuration serves now: what a rollback keeps when the ledger has no proxy image for its release.</summary>
    async Task<string> ProxyImageInUseAsync(DeployEnvironment environment, DockerClient docker, CancellationToken ct)
    {
        var name = environment.Names.Container(environment.Compose.ProxyService);
        var proxy = await docker.Containers.TryInspectAsync(name, ct)
            ?? throw new BuildFailedException($"{environment.Names.Environment} has no running {environment.Compose.ProxyService}: deploy before rolling back");
        // A delivered release is named after its image's id, which the engine accepts as a reference.
        return await ProxyReleases.LiveAsync(docker, name, ct) ?? proxy.Config.Image;
    }

    IReadOnlyDictionary<string, string> Secrets(DeployEnvironment environment)
    {
        var values = Deployment(() => SecretValues.Resolve(environment, RootDirectory, Environment.GetEnvironmentVariable, Log.Info, IsDryRun));
        foreach (var value in values.Values)
            MaskSecret(value);
        return values;
    }

    async Task<string> CurrentVersionAsync(DeployEnvironment environment, CancellationToken ct)
    {
        var docker = await EngineAsync(ct);
        var ledger = await Deployment(() => ReleaseLedger.OpenAsync(docker, environment.Names, Log.Warn, ct));
        return ReleaseLedger.Current(await ledger.ReadAsync(ct))?.Version
            ?? throw new BuildFailedException($"nothing has been deployed to {environment.Names.Environment} yet: run ./build.sh Deploy --environment {environment.Names.Environment}");
    }

    /// <summary>Deployment errors are the whole story: a held lock exits <see cref="LockHeldExitCode"/>, a bad environment file 2, the rest 1.</summary>
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
        DeployLockedException => new BuildFailedException(e.Message, e) { ExitCode = LockHeldExitCode },
        EnvironmentFileException => new UsageException(e.Message),
        DeployFailedException failed => new BuildFailedException(failed.RolledBack ? $"Deploy failed and was rolled back: {e.Message}" : e.Message, e),
        ComposeException or DockerEngineUnreachableException or DockerTimeoutException or DockerConfigurationException or DockerApiException or DockerStreamException => new BuildFailedException(e.Message, e),
        _ => null,
    };
}
