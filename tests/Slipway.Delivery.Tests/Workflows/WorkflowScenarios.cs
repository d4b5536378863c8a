namespace Slipway.Delivery.Tests.Workflows;

/// <summary>One simulated GitHub for every scenario on the real workflows: one repository copy, one warm NuGet cache.</summary>
[CollectionDefinition(Name)]
public sealed class WorkflowScenarios : ICollectionFixture<WorkflowScenarios>, IAsyncLifetime
{
    public const string Name = "workflow scenarios";

    private readonly SemaphoreSlim gate = new(1, 1);
    private RealRepositoryRunners? runners;

    internal async Task<RealRepositoryRunners> RunnersAsync()
    {
        await gate.WaitAsync();
        try
        {
            return runners ??= await RealRepositoryRunners.CreateAsync();
        }
        finally
        {
            gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (runners is not null)
            await runners.DisposeAsync();
        gate.Dispose();
    }
}
