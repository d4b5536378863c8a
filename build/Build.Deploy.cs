using System.Text.Json;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Publishing;
using Slipway.Engine;
using Slipway.Migrations;
using Slipway.Tools.Aws;
using Slipway.Tools.Docker;

partial class Build
{
    [Parameter("Rollback: the version to go back to, exactly as Releases lists it (default: the release that served before the one serving now)")]
    readonly string? ToVersion;

    [Parameter("Deploy: allow recreating PostgreSQL, Redis or nginx's runtime when their specification changed (their connections drop)")]
    readonly bool RecreateInfrastructure;

    [Parameter("Rollback: go back to a release older than the live schema even when a migration in between is not marked backward-compatible")]
    readonly bool AllowNewerSchema;

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
            using var releaser = Releaser(docker, auth);
            var result = await RecordedOnGitHubAsync(environment, () => releaser.DeployAsync(request, ct), ct);
            deployedVersion = result.Release.Version;
            ReportSummary(result.Summary);
            ReportDetail($"{result.Release.Version} deployed to {environment.Names.Environment} at {environment.PublicUrl}: {result.Summary}");
        });

    Target SmokeTest => _ => _
        .Description("Checks the deployed environment through nginx: health, dependencies and version on its check listener, then /health with the security headers through the public URL")
        .After(Deploy)
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var version = deployedVersion ?? await CurrentVersionAsync(ct);
            var report = await ReleaseChecks.RunAsync(await EngineAsync(ct), environment, version, Log.Info, ct);
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
            // A swarm pulls the release it goes back to; on one engine, its image is already there.
            var auth = environment.Strategy == DeployStrategy.Swarm ? await RegistryAuthAsync(environment, ct) : null;
            var request = RollbackRequestFor(environment, auth);
            using var releaser = Releaser(docker, auth);
            var result = await releaser.RollbackAsync(request, ct);
            ReportSummary($"back to {result.Release.Version}: {result.Summary}");
            ReportDetail($"{environment.Names.Environment} at {environment.PublicUrl} rolled back to {result.Release.Version}: {result.Summary}");
            await RecordRollbackOnGitHubAsync(result.Release.Version, ct);
            // Migrations go down only when asked, and after the app: version N-1 runs on version N's schema.
            if (MigrateTo is { } schema)
            {
                if (DatabaseUrl is null)
                    throw new UsageException("--migrate-to needs --database-url (or DATABASE_URL)");
                var plan = await Migrator.PlanAsync(DatabaseUrl, MigrationsDirectory, schema, MigrationOptions.Default, ct);
                var migrated = await Migrator.ApplyAsync(plan, Log.Info, ct);
                Log.Info($"schema {migrated.FromVersion} → {migrated.FinalVersion}");
            }
        });

    Target Releases => _ => _
        .Description("Prints the environment's release ledger: versions, outcomes, who, when, images by digest; * marks what serves")
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            using var releaser = Releaser(await EngineAsync(ct), null);
            var releases = await (await releaser.Store.OpenReadOnlyLedgerAsync(Log.Warn, ct)).ReadAsync(ct);
            var serving = await releaser.ServingAsync(ct);
            Log.Plain(ReleaseLedger.Format(releases, ReleaseLedger.Reconcile(releases, serving, environment.Names.Environment, environment.Compose.AppService, Log.Warn)));
            var holder = await releaser.Store.ReadLockAsync(ct);
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
            using var releaser = Releaser(await EngineAsync(ct), null);
            var broken = await releaser.Store.BreakLockAsync(Force, ct);
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
        var environment = EnvironmentFile.Load(RootDirectory, TargetEnvironment);
        var swarm = environment.Strategy == DeployStrategy.Swarm;
        // Deploy and a single-host Rollback hand the secrets to the stack; PushEcr, Deploy, a swarm Rollback and
        // a build from the environment's own mirror log in to its registry.
        if (IsScheduled(Deploy) || (IsScheduled(Rollback) && !swarm))
            SecretValues.EnsureAvailable(environment, Environment.GetEnvironmentVariable);
        if (IsScheduled(PushEcr) || IsScheduled(Deploy) || (IsScheduled(Rollback) && swarm) || (IsScheduled(BuildImages) && ImageMirror == environment.Registry.Address))
            SecretValues.EnsureRegistryPassword(environment, Environment.GetEnvironmentVariable);
        // ECR logins, and an ecs environment's service, lock and ledger: without AWS credentials, say so before images are built.
        var ecr = environment.Registry.Kind == RegistryKind.Ecr && (IsScheduled(PushEcr) || IsScheduled(Promote) || IsScheduled(Deploy));
        var ecs = environment.Strategy == DeployStrategy.Ecs && (IsScheduled(Deploy) || IsScheduled(Rollback) || IsScheduled(Releases) || IsScheduled(Unlock));
        if (ecr || ecs)
            EnsureAwsCredentials(ecs ? $"{environment.Names.Environment} is an ECS service" : $"{environment.Names.Environment}'s images are in ECR");
        deliveryEnvironment = environment.TrustedCaFile is { } ca ? environment with { TrustedCaFile = Path.GetFullPath(ca, RootDirectory) } : environment;
    }

    /// <summary>Fails in one line when the AWS SDK's chain finds no credentials (the clients resolve them again when they call).</summary>
    static void EnsureAwsCredentials(string what)
    {
        try
        {
            AwsCredentialResolver.ResolveAsync(null, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (AwsCredentialsException e)
        {
            throw new UsageException($"{what}: {e.Message}");
        }
    }

    /// <summary>The environment's strategy, run under its lock and ledger; the caller disposes it.</summary>
    ReleaseRunner Releaser(DockerClient docker, RegistryAuth? auth) => ReleaseRunner.For(docker, DeliveryEnvironment, auth, Log.Info);

    /// <summary>The environment's engine: the one Setup readied, else the one that answers (nothing is started here).</summary>
    async Task<DockerClient> EngineAsync(CancellationToken ct)
    {
        if (environmentEngine is not null)
            return environmentEngine;
        var environment = DeliveryEnvironment;
        var endpoint = setup?.Engine ?? await LocalSetup.FindEngineAsync(environment, RootDirectory, Environment.GetEnvironmentVariable, ct);
        Log.Info($"{environment.Names.Environment} · engine {endpoint} · registry {environment.Registry.Address} · {environment.Strategy switch { DeployStrategy.Swarm => "swarm", DeployStrategy.Ecs => $"ECS service {environment.Ecs!.Service} in {environment.Ecs.Cluster}", _ => "single-host blue-green" }}");
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

        var credentials = setup?.Registry ?? LocalSetup.RegistryCredentials(environment, RootDirectory, Environment.GetEnvironmentVariable);
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
    /// <remarks>The compose files interpolate the environment's secrets and this release's proxy image.</remarks>
    DeployRequest DeployRequestFor(DeployEnvironment environment, RegistryAuth auth, string appImage, string proxyImage) =>
        new(environment, RootDirectory, AppVersion, appImage, auth, new Dictionary<string, string>(Secrets(environment)) { [SingleHostDeployer.ProxyImageVariable] = proxyImage })
        {
            ReleaseCommand = ReleaseCommand,
            RecreateInfrastructure = RecreateInfrastructure,
            ImageNames = new Dictionary<string, string>
            {
                [appImage] = ReleaseImage(environment, AppImageName),
                [proxyImage] = ReleaseImage(environment, ProxyImageName),
            },
        };

    /// <summary>An image of this release by its immutable tag in the environment's registry.</summary>
    string ReleaseImage(DeployEnvironment environment, string name) => $"{environment.Registry.Address}/{name}:{ImageTag}";

    /// <summary>
    /// What a rollback is asked: the environment, the migrations shipped (for the schema check), and the secrets when the
    /// strategy recreates containers from the compose files (a swarm's services keep theirs).
    /// </summary>
    RollbackRequest RollbackRequestFor(DeployEnvironment environment, RegistryAuth? auth) =>
        new(environment,
            RootDirectory,
            environment.Strategy == DeployStrategy.Swarm ? new Dictionary<string, string>() : Secrets(environment),
            auth,
            MigrationSet.Load(MigrationsDirectory))
        {
            ToVersion = ToVersion,
            AllowNewerSchema = AllowNewerSchema,
        };

    IReadOnlyDictionary<string, string> Secrets(DeployEnvironment environment)
    {
        var values = SecretValues.Resolve(environment, RootDirectory, Environment.GetEnvironmentVariable, Log.Info, IsDryRun);
        foreach (var value in values.Values)
            MaskSecret(value);
        return values;
    }

    async Task<string> CurrentVersionAsync(CancellationToken ct)
    {
        var environment = DeliveryEnvironment;
        using var releaser = Releaser(await EngineAsync(ct), null);
        var ledger = await releaser.Store.OpenReadOnlyLedgerAsync(Log.Warn, ct);
        return ReleaseLedger.Current(await ledger.ReadAsync(ct))?.Version
            ?? throw new BuildFailedException($"nothing has been deployed to {environment.Names.Environment} yet: run ./build.sh Deploy --environment {environment.Names.Environment}");
    }
}
