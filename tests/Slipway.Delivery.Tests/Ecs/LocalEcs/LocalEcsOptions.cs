using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>What a test tells the plane: its account, its key, what the tasks' execution role may pull and read.</summary>
internal sealed record LocalEcsOptions
{
    public string Region { get; init; } = "eu-west-1";

    public string Account { get; init; } = "123456789012";

    /// <summary>The only key the plane accepts (any other is UnrecognizedClientException); random per plane by default.</summary>
    public string AccessKeyId { get; init; } = "AKIA" + Convert.ToHexString(Guid.NewGuid().ToByteArray())[..16];

    public string SecretAccessKey { get; init; } = Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + Convert.ToBase64String(Guid.NewGuid().ToByteArray());

    /// <summary>When set, the key is temporary (as OIDC gives one): requests must carry it as X-Amz-Security-Token.</summary>
    public string? SessionToken { get; init; }

    /// <summary>What the execution role pulls images with (the test registry's basic auth); null pulls anonymously.</summary>
    public RegistryAuth? RegistryCredentials { get; init; }

    /// <summary>The VPC's subnets: awsvpc configurations must name some of them; all map to the plane's Docker network.</summary>
    public IReadOnlyList<string> Subnets { get; init; } = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"];

    public IReadOnlyList<string> SecurityGroups { get; init; } = ["sg-0a1b2c3d4e5f60001"];

    /// <summary>The target group's deregistration delay: how long a deregistered target keeps its connections before it is stopped.</summary>
    public TimeSpan DeregistrationDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the scheduler looks at services and tasks.</summary>
    public TimeSpan SchedulerInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
