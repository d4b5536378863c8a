using Slipway.Delivery.Environments;
using Slipway.Tools.Aws;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// A deploy to an ECS service before it runs: the live task definition it copies, and the new revision's container
/// (the release's image by digest, its version as a docker label). Printable before anything runs.
/// </summary>
/// <param name="Live">The service as read when planning.</param>
/// <param name="LiveDefinition">The task definition the service runs now, copied field by field into the new revision.</param>
/// <param name="LiveVersion">The version the live task definition's container is labelled with; null when no deploy of ours made it.</param>
/// <param name="NewDefinition">The new revision as it will be registered (its ARN is known once it is).</param>
/// <param name="Tags">The live task definition's tags, carried over.</param>
public sealed record EcsPlan(
    DeployRequest Request,
    EcsSettings Ecs,
    EcsService Live,
    EcsTaskDefinition LiveDefinition,
    string? LiveVersion,
    EcsTaskDefinition NewDefinition,
    IReadOnlyList<EcsTag>? Tags) : IReleasePlan
{
    public string Version => Request.Version;

    public string Colour => EcsDeployer.Rolling;

    public IReadOnlyDictionary<string, string> Images => new Dictionary<string, string> { [Ecs.ContainerName] = Request.AppImage };

    public bool Replaces => LiveVersion is not null;

    public string Summary => $"{LiveVersion ?? "(none)"} → {Version} on ECS service {Ecs.Service}";

    public string LiveDefinitionName => $"{LiveDefinition.Family}:{LiveDefinition.Revision}";

    public IEnumerable<string> Describe()
    {
        var environment = Request.Environment;
        var secrets = NewDefinition.ContainerDefinitions.Single(c => c.Name == Ecs.ContainerName).Secrets ?? [];
        yield return $"environment  {environment.Names.Environment} (ecs, cluster {Ecs.Cluster}, service {Ecs.Service}, {Ecs.Region})";
        yield return $"app          {Ecs.ContainerName} {Version} = {Named(Request.AppImage)}";
        yield return $"task def     {LiveDefinitionName} ({LiveVersion ?? "not deployed by Slipway"}) → a new revision of {LiveDefinition.Family}, copied with {Ecs.ContainerName} by digest" +
            (secrets.Count == 0 ? "" : $", secrets by reference: {string.Join(", ", secrets.Select(s => $"{s.Name} ← {s.ValueFrom}"))}");
        if (Request.ReleaseCommand is { Count: > 0 } command)
            yield return $"release      one-off task of the new revision, command `{string.Join(' ', command)}`, subnets {string.Join(",", Ecs.Subnets)}, security groups {string.Join(",", Ecs.SecurityGroups)}; non-zero exit stops the deploy before the service changes";
        yield return $"update       service {Ecs.Service} → the new revision, circuit breaker on with rollback, {Live.DesiredCount} tasks; follow the PRIMARY deployment's rolloutState ≤ {environment.Health.Timeout.TotalSeconds:0} s";
        yield return $"then         smoke via {Ecs.LoadBalancerUrl}; on failure the service goes back to {LiveDefinitionName}";
    }

    private string Named(string image) => Request.ImageNames.GetValueOrDefault(image, image);
}

/// <summary>A rollback on ECS: the service goes back to the task definition revision the ledger recorded for the target release.</summary>
public sealed record EcsRollback(RollbackChoice Choice, string TaskDefinition, IReadOnlyList<string> Steps) : RollbackPlan(Choice, EcsDeployer.Rolling, Steps);
