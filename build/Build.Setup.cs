using Slipway.Delivery.Environments;
using Slipway.Engine;

partial class Build
{
    /// <summary>What Setup left ready for the targets after it; null when Setup did not run (they then start nothing).</summary>
    SetupResult? setup;

    Target Setup => _ => _
        .Description("Prepares this machine for local delivery: packages, a Docker engine, a registry, the base-image mirror, certificates (converges; safe to re-run)")
        .Before(Restore)
        .Writes()
        .OnlyWhenDynamic(() => IsInvoked(Setup) || DeliveryEnvironment.Bootstrap)
        .Executes(async ct =>
        {
            var environment = DeliveryEnvironment;
            if (!environment.Bootstrap)
                throw new UsageException($"{environment.Names.Environment} has no bootstrap (its engine and registry are run elsewhere): Setup prepares environments with \"bootstrap\": true, such as local");
            setup = await new LocalSetup(environment, RootDirectory, Environment.GetEnvironmentVariable, Log.Info, Log.ProgressAsync).RunAsync(ct);
            MaskSecret(setup.Registry.Password);
            ReportSummary($"engine {setup.Engine} · registry {setup.Registry.Server} · base images and certificates ready");
        });

    Target Down => _ => _
        .Description("Stops the private Docker engine and local registry that Setup started")
        .Requires(() => TargetEnvironment.IsOnThisMachine())
        .Writes()
        .Executes(async ct =>
        {
            await LocalSetup.DownAsync(RootDirectory, Log.Info, ct);
            ReportSummary("engine and registry stopped");
        });
}
