using System.Text.Json;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Images;
using Slipway.Delivery.Publishing;
using Slipway.Delivery.Scanning;
using Slipway.Engine;
using Slipway.Tools.Docker;
using Slipway.Tools.Registry;
using Slipway.Tools.Trivy;

partial class Build
{
    [Parameter("Registry that mirrors every base image (host[:port][/prefix]), for air-gapped builds")]
    readonly string? ImageMirror;

    [Parameter("Severities that fail ScanImages")]
    readonly string SeverityGate = "CRITICAL,HIGH";

    [Parameter("ScanImages ignores vulnerabilities that have no fixed version yet")]
    readonly bool IgnoreUnfixed;

    /// <summary>The repository's web address for the OCI source label: known on GitHub Actions, absent locally.</summary>
    static string? SourceUrl =>
        Environment.GetEnvironmentVariable("GITHUB_REPOSITORY") is { Length: > 0 } repository
            ? $"{Environment.GetEnvironmentVariable("GITHUB_SERVER_URL") ?? "https://github.com"}/{repository}"
            : null;

    AbsolutePath ScanReportsDirectory => ArtifactsDirectory / "scan";

    AbsolutePath PushedImagesFile => ArtifactsDirectory / "images" / "pushed.json";

    ImagePlan Images => ImagePlan.Load(RootDirectory / ImagePlan.DefaultPath);

    Target BuildImages => _ => _
        .Description("Builds every container image, tagged <version>-<commit>; reuses images whose inputs are unchanged")
        // Not on Compile: the images compile the app themselves (docker/api.Dockerfile), so a deploy of a changed app
        // waits for one compiler, not for the whole solution's; Compile and Test gate the commit on CI.
        .DependsOn(Setup)
        .Writes()
        .Executes(async ct =>
        {
            var docker = await BuildEngineAsync(ct);
            var environment = DeliveryEnvironment;
            // The registry is asked for an image built before from the same inputs where its credentials are at hand
            // (Setup's local registry, or the mirror); elsewhere a rebuild gives the same digest, so nothing is re-pushed.
            var registryAuth = environment.Bootstrap || ImageMirror == environment.Registry.Address ? await RegistryAuthAsync(environment, ct) : null;
            var request = ImagesRequest(environment, registryAuth);
            var results = await new ImageBuilder(docker, Log.ProgressAsync).BuildAsync(request, Log.Info, ct);
            ReportSummary(string.Join(", ", results.Select(r => $"{r.Name} {(r.Reused ? "reused" : "built")}")));
        });

    Target ScanImages => _ => _
        .Description("Scans the images with Trivy and fails on findings at or above the severity gate")
        .DependsOn(BuildImages)
        .Produces("artifacts/scan")
        .Executes(async ct =>
        {
            var scanner = new TrivyScanner();
            var policy = new ScanPolicy
            {
                Gate = ScanPolicy.ParseGate(SeverityGate),
                IgnoreUnfixed = IgnoreUnfixed,
                Ignores = File.Exists(RootDirectory / ".trivyignore") ? TrivyIgnoreFile.Load(RootDirectory / ".trivyignore") : TrivyIgnoreFile.Empty,
            };
            var images = scanner.Locate() is null ? [] : await SaveImagesAsync(ct);
            var requirement = TrivyRequirements.For(TargetEnvironment, IsServerBuild);
            var result = await new ImageScanning(scanner).ScanAsync(images, policy, requirement, ScanReportsDirectory, DateOnly.FromDateTime(DateTime.UtcNow), Log.Info, ct);
            if (result.Skipped)
            {
                ReportSummary($"skipped: {result.SkippedBecause} (required for staging, prod and CI)");
                return;
            }

            foreach (var line in result.Table)
                Log.Info(line);
            foreach (var line in ScanTable.SummaryLines(result.Images))
                ReportDetail(line);
            ReportSummary(result.Passed ? $"{result.Images.Count} images passed the {SeverityGate} gate" : "findings above the gate");
            result.EnsurePassed(policy.Gate);
        });

    Target PushEcr => _ => _
        .Description("Pushes the images to the environment's registry (ECR, or a local registry) and verifies digests")
        .DependsOn(ScanImages)
        .Writes()
        .Produces("artifacts/images")
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            var docker = await BuildEngineAsync(ct);
            var auth = await RegistryAuthAsync(environment, ct);
            RegistryTarget target = environment.Registry.Kind == RegistryKind.Ecr
                ? new EcrRegistryTarget(environment.Registry.Region!, environment.Registry.Account!)
                : new BasicAuthRegistryTarget(new RegistryCredentials(auth.ServerAddress, auth.Username, auth.Password));
            using var http = new HttpClient();
            var publisher = new ImagePublisher(new RegistryLogin(http), new DockerImagePusher(docker), new RegistryClient(http), Log.ProgressAsync);
            var images = new List<ImageToPublish>();
            foreach (var image in Images.Images)
            {
                var local = await docker.Images.TryInspectAsync($"{image.Name}:{ImageTag}", ct);
                var inputs = local?.Labels.GetValueOrDefault(InputsHash.Label);
                images.Add(new ImageToPublish(image.Name, ImageTag, inputs is null ? null : InputsHash.RegistryTag(inputs)));
            }

            var result = await publisher.PublishAsync(target, images, Log.Info, ct);
            PublishedImages = result;
            PushedImagesFile.Parent.CreateDirectory();
            await File.WriteAllTextAsync(PushedImagesFile, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }), ct);
            foreach (var image in result.Images)
                Log.Info($"{image.Reference} → {image.Digest} (verified in the registry)");
            ReportSummary($"{result.Images.Count} images → {result.Registry}, digests verified");
        });

    /// <summary>What BuildImages builds, and what a dry run plans; <paramref name="registryAuth"/> lets the build pull an image built before from its inputs tag.</summary>
    BuildImagesRequest ImagesRequest(DeployEnvironment environment, RegistryAuth? registryAuth) => new(
        RootDirectory,
        Images,
        BaseImageCatalog.Load(RootDirectory / BaseImageCatalog.DefaultPath),
        new ImageVersion(Version, Git.Commit),
        Git.CommitTime,
        ImageMirror,
        ImageMirror == environment.Registry.Address ? registryAuth : null,
        SourceUrl: SourceUrl,
        Registry: registryAuth);

    /// <summary>Images are built where they are pushed from: the local environment's engine, otherwise DOCKER_HOST.</summary>
    DockerClient? buildEngine;

    /// <summary>Where images are built: the local environment's engine (bootstrapped if need be), else DOCKER_HOST's; one client per build.</summary>
    async Task<DockerClient> BuildEngineAsync(CancellationToken ct) =>
        TargetEnvironment.IsOnThisMachine() ? await EngineAsync(ct) : buildEngine ??= new DockerClient(DockerEndpoint.FromEnvironment());

    async Task<IReadOnlyList<ImageToScan>> SaveImagesAsync(CancellationToken ct)
    {
        var docker = await BuildEngineAsync(ct);
        var folder = (RootDirectory / ".nuke" / "temp" / "scan").CreateDirectory();
        var saved = new List<ImageToScan>();
        foreach (var image in Images.Images)
        {
            var reference = $"{image.Name}:{ImageTag}";
            var tarball = folder / $"{image.Name}.tar";
            await using (var file = File.Create(tarball))
                await docker.Images.SaveAsync([reference], file, ct);
            saved.Add(new ImageToScan(reference, tarball));
        }

        return saved;
    }
}
