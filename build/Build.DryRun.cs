using Slipway.Migrations;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Images;
using Slipway.Engine;
using Slipway.Tools.Docker;
using Slipway.Tools.Registry;

/// <summary>
/// Deploy and Rollback under --dry-run: the plan the real run executes, read from the repository, the engine, the
/// registry and the ledger. Nothing is built, pulled, pushed, started, locked or recorded; the real run prints the
/// same plan lines (the strategy's plan, the rollback's and the migrations') before it carries them out.
/// </summary>
partial class Build
{
    async Task PrintDeployPlanAsync(CancellationToken ct)
    {
        var environment = DeliveryEnvironment;
        var docker = await DryRunEngineAsync(environment, ct);
        var auth = await RegistryAuthAsync(environment, ct);
        var images = await PlanImagesAsync(environment, auth, ct);
        await PrintLockAsync(docker, ct);
        var request = DeployRequestFor(environment, auth, images[AppImageName], images[ProxyImageName]);
        using var releaser = Releaser(docker, auth);
        var plan = await releaser.PlanAsync(request, ct);
        Print(plan.Describe());
        // An ECS plan names its release phase itself: a one-off task of the new task definition revision.
        if (environment.Strategy != DeployStrategy.Ecs)
            await PrintStackMigrationsAsync(request, plan.Replaces, ct);
        ReportSummary($"plan only: {plan.Summary}");
    }

    async Task PrintRollbackPlanAsync(CancellationToken ct)
    {
        var environment = DeliveryEnvironment;
        var docker = await DryRunEngineAsync(environment, ct);
        await PrintLockAsync(docker, ct);
        var request = RollbackRequestFor(environment, null);
        using var releaser = Releaser(docker, null);
        var plan = await releaser.PlanRollbackAsync(request, ct);
        Print(plan.Describe());
        if (MigrateTo is { } schema)
        {
            if (DatabaseUrl is null)
                throw new UsageException("--migrate-to needs --database-url (or DATABASE_URL)");
            Print((await Migrator.PlanAsync(DatabaseUrl, MigrationsDirectory, schema, MigrationOptions.Default, ct)).Describe());
        }

        ReportSummary($"plan only: back to {plan.Choice.Target.Version}");
    }

    /// <summary>The environment's engine, which a dry run reads but never starts: when none answers, that is the one line.</summary>
    async Task<DockerClient> DryRunEngineAsync(DeployEnvironment environment, CancellationToken ct)
    {
        try
        {
            return await EngineAsync(ct);
        }
        catch (DeployFailedException e)
        {
            throw new DeployFailedException($"the dry run reads {environment.Names.Environment}'s engine: {e.Message}");
        }
    }

    /// <summary>
    /// Each image of this release as BuildImages and PushEcr would make it: its tag, its inputs hash, and whether the registry
    /// has it (by its tag, or by its inputs from an earlier build). Returns image name → the reference the deploy would run:
    /// by digest when the registry has the tag, else the tag itself (the plan names both by the tag).
    /// </summary>
    async Task<IReadOnlyDictionary<string, string>> PlanImagesAsync(DeployEnvironment environment, RegistryAuth auth, CancellationToken ct)
    {
        var planned = await new ImageBuilder(await BuildEngineAsync(ct)).PlanAsync(ImagesRequest(environment, registryAuth: null), ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var registry = new RegistryClient(http);
        var credentials = new RegistryCredentials(auth.ServerAddress, auth.Username, auth.Password);
        async Task<string?> DigestAsync(string name, string tag)
        {
            try
            {
                return await registry.GetManifestDigestAsync(new ImageReference(auth.ServerAddress, name, tag), credentials, ct);
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException)
            {
                throw new BuildFailedException($"the dry run could not ask {environment.Registry.Address} for {name}:{tag}: {e.Message}", e);
            }
        }

        var references = new Dictionary<string, string>();
        foreach (var image in planned)
        {
            var tagged = await DigestAsync(image.Name, image.Tag);
            var built = image.InputsHash is { } hash ? await DigestAsync(image.Name, InputsHash.RegistryTag(hash)) : null;
            Log.Info($"image        {image.Reference}{(image.InputsHash is { } inputs ? $", inputs {Short(inputs)}" : "")}: {ImageFate(image, tagged, built, environment.Registry.Address)}");
            references[image.Name] = tagged is null ? ReleaseImage(environment, image.Name) : $"{environment.Registry.Address}/{image.Name}@{tagged}";
        }

        return references;
    }

    /// <summary>What BuildImages and PushEcr would do with an image, given what the engine and the registry hold.</summary>
    static string ImageFate(PlannedImage image, string? tagged, string? built, string registry) => (image, tagged, built) switch
    {
        ({ InputsHash: null }, _, _) => $"inputs known once built ({image.Unknown}); BuildImages builds it, PushEcr pushes it",
        (_, { } digest, _) => $"{registry} has it ({Short(digest)}); nothing new to push",
        (_, null, { } digest) => $"built before ({registry} has its inputs as {Short(digest)}); {(image.OnEngine ? "BuildImages re-tags it" : "BuildImages reuses that build")}, PushEcr tags it {image.Tag}",
        ({ OnEngine: true }, null, null) => $"on the engine, not in {registry}; BuildImages re-tags it, PushEcr pushes it",
        _ => $"new; BuildImages builds it, PushEcr pushes it to {registry}",
    };

    static string Short(string digest) => digest[(digest.IndexOf(':', StringComparison.Ordinal) + 1)..][..12];

    /// <summary>Who holds the deploy lock, read and left as it is.</summary>
    async Task PrintLockAsync(DockerClient docker, CancellationToken ct)
    {
        using var releaser = Releaser(docker, null);
        var holder = await releaser.Store.ReadLockAsync(ct);
        Log.Info(holder is null
            ? "lock         free (the real run takes it)"
            : $"lock         held by {holder}{(holder.IsStale ? ", stale" : "")}: the real run stops there");
    }

    /// <summary>
    /// The release phase: the new app image migrates the stack's database in a container on its network before the app
    /// changes. A dry run starts no container, so it names the migrations the image ships; the database applies those it lacks.
    /// </summary>
    async Task PrintStackMigrationsAsync(DeployRequest request, bool deployedBefore, CancellationToken ct)
    {
        var migrations = MigrationSet.Load(MigrationsDirectory);
        Log.Info($"release      {string.Join(' ', request.ReleaseCommand ?? [])} in a container of {ReleaseImage(request.Environment, AppImageName)} on the stack's network, before the app changes: " +
            (deployedBefore
                ? $"the migrations of {MigrationsDirectory.RelativeTo(RootDirectory)} up to version {migrations.LatestVersion} that the database lacks"
                : $"the stack's database starts with this deploy: every migration up to version {migrations.LatestVersion}"));
    }

    static void Print(IEnumerable<string> lines)
    {
        foreach (var line in lines)
            Log.Info(line);
    }
}
