using Slipway.Engine;

partial class Build
{
    Target Deploy => _ => _
        .Description("Deploys the pushed images to the environment with zero downtime")
        .DependsOn(PushEcr, Migrate)
        .Triggers(SmokeTest)
        .Executes(() => NotImplemented(6));

    Target SmokeTest => _ => _
        .Description("Checks the deployed environment through its public URL")
        .After(Deploy)
        .Executes(() => NotImplemented(6));

    Target Rollback => _ => _
        .Description("Returns the environment to the previous release (automatic when SmokeTest fails)")
        .TriggeredBy(SmokeTest)
        .AssuredAfterFailure()
        .OnlyWhenDynamic(() => IsInvoked(Rollback) || HasFailed(SmokeTest))
        .Executes(() => NotImplemented(6));
}
