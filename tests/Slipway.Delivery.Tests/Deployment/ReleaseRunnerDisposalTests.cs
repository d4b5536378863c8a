using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>Who disposes an ecs environment's store (a DynamoDB client): the runner that made it, never one it was given.</summary>
public sealed class ReleaseRunnerDisposalTests(Dynalite dynamo) : IClassFixture<Dynalite>
{
    [DynaliteFact]
    public async Task A_runner_from_For_disposes_the_store_it_made_and_leaves_a_given_store_to_its_owner()
    {
        var environment = EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Ecs);
        using var docker = new DockerClient();

        var made = ReleaseRunner.For(docker, environment, null, _ => { });
        made.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => made.Store.ReadLockAsync());

        using var given = dynamo.Store("disposal");
        new ReleaseRunner(environment, new EcsDeployer(environment, _ => { }), given, _ => { }).Dispose();
        Assert.Null(await given.ReadLockAsync());
    }
}
