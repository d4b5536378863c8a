using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Tools.Docker;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// An ECR environment's images are pulled from the registry its login names (the authorization token's endpoint, where
/// Promote and PushEcr put them), with that login's credentials, even when that is not the address the environment file
/// spells (account.dkr.ecr.region.amazonaws.com): here the login's registry is one of the test's own, as the fake ECR's is.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class RegistryLoginPullTests
{
    [RegistryFact]
    public async Task An_ecr_environment_pulls_with_its_login_from_the_registry_the_login_names_and_without_it_is_refused()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        await using var registry = await PrivateRegistry.StartAsync();
        var pushed = await stack.PushAppAsync("1.0.0+ecr0001");
        var image = new ImageReference(registry.Address, $"{stack.Project}/app", "1.0.0-ecr0001");
        using (var http = new HttpClient())
        {
            await new RegistryClient(http).CopyAsync(new ImageReference(stack.Auth.ServerAddress, $"{stack.Project}/app", pushed.Split('@')[1]),
                new RegistryCredentials(stack.Auth.ServerAddress, stack.Auth.Username, stack.Auth.Password),
                image, new RegistryCredentials(registry.Address, PrivateRegistry.User, registry.Password), _ => { }, default);
        }

        var ecr = stack.Environment with
        {
            Registry = new RegistrySettings(RegistryKind.Ecr, RegistrySettings.EcrAddress("123456789012", "eu-west-1"), null, null, "eu-west-1", "123456789012"),
        };
        var plan = (BlueGreenPlan)await stack.Runner().PlanAsync(stack.Request("1.0.0+ecr0001", pushed));
        var log = new List<string>();
        try
        {
            var anonymous = await Assert.ThrowsAsync<DeployFailedException>(() =>
                new StackContainers(stack.Docker, ecr, plan.Stack, null, log.Add).PullAsync(image.ToString(), always: true, default));
            var login = new RegistryAuth(PrivateRegistry.User, registry.Password, registry.Address);
            await new StackContainers(stack.Docker, ecr, plan.Stack, login, log.Add).PullAsync(image.ToString(), always: true, default);

            Assert.Contains("no basic auth credentials", anonymous.Message, StringComparison.Ordinal);
            Assert.Contains(log, l => l.StartsWith($"pulled {image}", StringComparison.Ordinal));
        }
        finally
        {
            if (await stack.Docker.Images.TryInspectAsync(image.ToString()) is not null)
                await stack.Docker.Images.RemoveAsync(image.ToString());
        }
    }
}
