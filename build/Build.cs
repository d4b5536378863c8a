using Slipway.Delivery.Environments;
using Slipway.Engine;

/// <summary>The pipeline of this repository: compile and test, then images, then delivery.</summary>
partial class Build : SlipwayBuild
{
    public static int Main() => Execute<Build>(x => x.Compile);

    [Parameter("Where to deliver: the environment described by .nuke/environments/<environment>.json", Name = "environment", EnvironmentVariable = "SLIPWAY_ENVIRONMENT")]
    readonly EnvironmentName TargetEnvironment = EnvironmentName.Local;

    [Parameter("Build configuration (Release on CI)")]
    readonly Configuration Configuration = IsServerBuild ? Configuration.Release : Configuration.Debug;

    [Parameter("Semantic version of this release; the git commit is added to it")]
    readonly string Version = "0.1.0";

    AbsolutePath Solution => RootDirectory / "Slipway.sln";

    AbsolutePath ArtifactsDirectory => RootDirectory / "artifacts";
}

enum Configuration
{
    Debug,
    Release,
}
