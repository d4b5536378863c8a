using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment.SmokeTests;

/// <summary>
/// The checks of a release that nginx sends traffic to. Health, version and dependencies go through
/// nginx's check listener (<see cref="ProxyCheckListener"/>), which the public rate limit does not
/// count; then /health once through the public URL, so TLS, the security headers and the public route
/// are proven too, its 429s waited out within the smoke budget (and, when other clients hold the limit full for all
/// of it, the 429 answers' TLS and headers are what the public check can prove). A proxy without the listener gets every
/// check through the public URL, said in one line.
/// </summary>
public static class ReleaseChecks
{
    public static async Task<SmokeReport> RunAsync(DockerClient docker, DeployEnvironment environment, string version, Action<string> log, CancellationToken ct = default)
    {
        // Behind an AWS load balancer there is no nginx of ours: no check listener, no security headers added at the edge.
        if (environment.Strategy == DeployStrategy.Ecs)
            return await SmokeTester.RunAsync(EcsDeployer.SmokeTarget(environment, version), ct).ConfigureAwait(false);
        var publicTarget = SingleHostDeployer.PublicSmokeTarget(environment, version);
        var (listener, missing) = await ProxyCheckListener.FindAsync(docker, environment, ct).ConfigureAwait(false);
        if (listener is null)
        {
            log($"{missing}: every check goes through {environment.PublicUrl}, where the rate limit counts them");
            return await SmokeTester.RunAsync(publicTarget, ct).ConfigureAwait(false);
        }

        var inside = await SmokeTester.RunAsync(listener.Target(version, environment.Smoke), ct).ConfigureAwait(false);
        if (!inside.Passed)
            return inside;
        return inside.Then(await SmokeTester.RunAsync(publicTarget with { Dependencies = false, SaturationTolerated = true }, ct).ConfigureAwait(false));
    }

}
