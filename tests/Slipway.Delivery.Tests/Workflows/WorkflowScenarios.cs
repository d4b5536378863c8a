using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// One simulated GitHub for every scenario on the real workflows: one repository copy, one warm NuGet cache, and, made
/// when a deploy scenario first asks, one pair of staging and production hosts (<see cref="DeployTargets"/>).
/// </summary>
[CollectionDefinition(Name)]
public sealed class WorkflowScenarios : ICollectionFixture<WorkflowScenarios>, IAsyncLifetime
{
    public const string Name = "workflow scenarios";

    private readonly SemaphoreSlim gate = new(1, 1);

    // The AWS account trusts GitHub's OIDC tokens of this repository's production environment only, as its IAM role would.
    private readonly FakeSts sts = new(new OidcTrust(DeployTargets.ProductionRole, ["repo:slipway-org/slipway:environment:production"]));
    private RealRepositoryRunners? runners;
    private DeployTargets? targets;

    internal async Task<RealRepositoryRunners> RunnersAsync()
    {
        await gate.WaitAsync();
        try
        {
            return runners ??= await RealRepositoryRunners.CreateAsync(sts);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The runners, with the repository's staging and production configured to deliver to <see cref="DeployTargets"/>.</summary>
    internal async Task<(RealRepositoryRunners Runners, DeployTargets Targets)> DeployRunnersAsync()
    {
        var ready = await RunnersAsync();
        await gate.WaitAsync();
        try
        {
            if (targets is null)
            {
                targets = await DeployTargets.StartAsync();
                await targets.ConfigureAsync(ready);
            }

            return (ready, targets);
        }
        finally
        {
            gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (targets is not null)
            await targets.DisposeAsync();
        if (runners is not null)
            await runners.DisposeAsync();
        sts.Dispose();
        gate.Dispose();
    }
}
