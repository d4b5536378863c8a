using System.Text.Json;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Publishing;
using Slipway.Engine;
using Slipway.Tools.Registry;

/// <summary>
/// Build once, promote by digest: production deploys the images staging verified. Promote copies what the earlier
/// stage's PushEcr handed over (artifacts/images/pushed.json) into this environment's registry, and hands the same
/// digests on to Deploy in its place.
/// </summary>
partial class Build
{
    [Parameter("Promote: the environment whose pushed images (artifacts/images/pushed.json) go to --environment's registry", Name = "promote-from")]
    readonly EnvironmentName PromoteFrom = EnvironmentName.Staging;

    Target Promote => _ => _
        .Description("Copies the images --promote-from pushed and verified into the environment's registry by digest (no rebuild), for Deploy")
        .After(PushEcr)
        .Before(Deploy)
        .Consumes(PushEcr)
        .Produces("artifacts/images")
        .Writes()
        .Executes(async ct =>
        {
            if (PromoteFrom == TargetEnvironment)
                throw new UsageException($"--promote-from {PromoteFrom.ToString().ToLowerInvariant()} is the environment itself: promote from the stage before it (e.g. --promote-from staging --environment prod)");
            if (!File.Exists(PushedImagesFile))
                throw new UsageException($"Promote reads {PushedImagesFile.RelativeTo(RootDirectory)}, which is missing: run ./build.sh PushEcr --environment {PromoteFrom.ToString().ToLowerInvariant()} first (on CI it is that job's artifact)");
            var source = EnvironmentFile.Load(RootDirectory, PromoteFrom);
            var destination = DeliveryEnvironment;
            SecretValues.EnsureRegistryPassword(source, Environment.GetEnvironmentVariable);
            SecretValues.EnsureRegistryPassword(destination, Environment.GetEnvironmentVariable);

            var handOff = JsonSerializer.Deserialize<PublishResult>(await File.ReadAllTextAsync(PushedImagesFile, ct))
                ?? throw new UsageException($"{PushedImagesFile.RelativeTo(RootDirectory)} is empty: run PushEcr again");

            using var http = new HttpClient();
            var promoter = new ImagePromoter(new RegistryLogin(http), new RegistryClient(http));
            var result = await promoter.PromoteAsync(await RegistryTargetAsync(source, ct), await RegistryTargetAsync(destination, ct), handOff, Log.Info, ct);
            PublishedImages = result;
            await File.WriteAllTextAsync(PushedImagesFile, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }), ct);
            ReportSummary($"{result.Images.Count} images {handOff.Registry} → {result.Registry} by digest, verified");
        });

    /// <summary>An environment's registry as the publisher and promoter log in to it: ECR through AWS, else its user and password.</summary>
    async Task<RegistryTarget> RegistryTargetAsync(DeployEnvironment environment, CancellationToken ct)
    {
        if (environment.Registry.Kind == RegistryKind.Ecr)
            return new EcrRegistryTarget(environment.Registry.Region!, environment.Registry.Account!);
        var auth = await RegistryAuthAsync(environment, ct);
        return new BasicAuthRegistryTarget(new RegistryCredentials(auth.ServerAddress, auth.Username, auth.Password));
    }
}
