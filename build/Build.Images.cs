using Slipway.Engine;

partial class Build
{
    Target BuildImages => _ => _
        .Description("Builds every container image, tagged <version>-<commit>; reuses images whose inputs are unchanged")
        .DependsOn(Compile)
        .Executes(() => NotImplemented(4));

    Target ScanImages => _ => _
        .Description("Scans the images with Trivy and fails on findings at or above the severity gate")
        .DependsOn(BuildImages)
        .Produces("artifacts/scan")
        .Executes(() => NotImplemented(4));

    Target PushEcr => _ => _
        .Description("Pushes the images to the environment's registry (ECR, or a local registry) and verifies digests")
        .DependsOn(ScanImages)
        .Produces("artifacts/images")
        .Executes(() => NotImplemented(4));
}
