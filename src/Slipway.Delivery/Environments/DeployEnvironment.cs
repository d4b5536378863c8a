using Slipway.Tools.Docker;

namespace Slipway.Delivery.Environments;

/// <summary>One environment as described by <c>.nuke/environments/&lt;name&gt;.json</c>; secrets appear by name only.</summary>
public sealed record DeployEnvironment
{
    public required EnvironmentName Name { get; init; }

    /// <summary>The file it was read from, for messages.</summary>
    public required string SourceFile { get; init; }

    public required DockerSettings Docker { get; init; }

    public required RegistrySettings Registry { get; init; }

    public required DeployStrategy Strategy { get; init; }

    /// <summary>Prefix of every container, network and volume of this environment's stack.</summary>
    public required string Project { get; init; }

    public required Uri PublicUrl { get; init; }

    /// <summary>The CA that signed the public certificate (a local CA), trusted for smoke checks only; null to use the system store.</summary>
    public string? TrustedCaFile { get; init; }

    /// <summary>The compose stack; an ECS environment has none and names only its app (<see cref="ComposeSettings.ForEcs"/>).</summary>
    public required ComposeSettings Compose { get; init; }

    /// <summary>The ECS service the "ecs" strategy updates; null for the other strategies.</summary>
    public EcsSettings? Ecs { get; init; }

    /// <summary>Names of environment variables holding secrets the stack needs (e.g. POSTGRES_PASSWORD).</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Local only: a missing secret is generated once and kept in .nuke/secrets (see <see cref="SecretValues"/>).</summary>
    public bool GenerateMissingSecrets { get; init; }

    public required HealthSettings Health { get; init; }

    public required SmokeSettings Smoke { get; init; }

    /// <summary>How long the old colour keeps serving in-flight requests after the switch.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Local only: start a private engine and a local registry when none is reachable.</summary>
    public bool Bootstrap { get; init; }

    /// <summary>Names derived from <see cref="Project"/> and <see cref="Name"/>: stack, lock, ledger.</summary>
    public StackNames Names => new(Project, Name.Id());
}

/// <param name="Host">unix:///path or tcp://host:port; null means DOCKER_HOST, else the default socket.</param>
/// <param name="CertPath">Folder with ca.pem, cert.pem, key.pem for tcp+TLS.</param>
public sealed record DockerSettings(string? Host, string? CertPath)
{
    public DockerEndpoint Resolve(Func<string, string?> variable) =>
        Host is null ? DockerEndpoint.FromEnvironment(variable) : DockerEndpoint.Parse(Host, CertPath);
}

public enum RegistryKind
{
    Basic,
    Ecr,
}

/// <summary>Where images are pulled from. The password is named (an environment variable), never stored.</summary>
public sealed record RegistrySettings(RegistryKind Kind, string Address, string? User, string? PasswordVariable, string? Region, string? Account)
{
    public static string EcrAddress(string account, string region) => $"{account}.dkr.ecr.{region}.amazonaws.com";
}

public enum DeployStrategy
{
    SingleHost,
    Swarm,
    Ecs,
}

/// <summary>An ECS Fargate service behind a load balancer, named as build/terraform/outputs.tf names its outputs.</summary>
/// <param name="Region">aws_region.</param>
/// <param name="Cluster">ecs_cluster_name.</param>
/// <param name="Service">ecs_service_name.</param>
/// <param name="ContainerName">container_name: the container of the task definition whose image a deploy replaces.</param>
/// <param name="LoadBalancerUrl">load_balancer_url: where smoke checks go.</param>
/// <param name="Subnets">task_subnet_ids: the one-off migration task's subnets.</param>
/// <param name="SecurityGroups">task_security_group_ids: the one-off migration task's security groups.</param>
/// <param name="LogGroup">log_group_name: the awslogs group of the app's and the migration task's containers.</param>
/// <param name="LogStreamPrefix">log_stream_prefix: a task's stream is &lt;prefix&gt;/&lt;container&gt;/&lt;task id&gt;.</param>
/// <param name="Table">dynamodb_table_name: the release ledger and deploy lock.</param>
public sealed record EcsSettings(
    string Region,
    string Cluster,
    string Service,
    string ContainerName,
    Uri LoadBalancerUrl,
    IReadOnlyList<string> Subnets,
    IReadOnlyList<string> SecurityGroups,
    string LogGroup,
    string LogStreamPrefix,
    string Table);

/// <param name="Files">Compose files, relative to the repository root, later ones overriding earlier ones.</param>
/// <param name="AppService">The service deployed blue-green (the API).</param>
/// <param name="ProxyService">The nginx service whose upstream include is switched.</param>
/// <param name="UpstreamFile">The upstream include inside the proxy container.</param>
/// <param name="AppPort">The port the app listens on inside its container.</param>
/// <param name="Variables">Non-secret values for the compose files' ${VARIABLES}.</param>
public sealed record ComposeSettings(
    IReadOnlyList<string> Files,
    string AppService,
    string ProxyService,
    string UpstreamFile,
    int AppPort,
    IReadOnlyDictionary<string, string> Variables)
{
    /// <summary>An ECS environment's: no compose files, no proxy (the load balancer is AWS's); the app is the task definition's container.</summary>
    public static ComposeSettings ForEcs(string containerName) => new([], containerName, "", "", 0, new Dictionary<string, string>());
}

/// <param name="Timeout">How long a new colour may take to report healthy.</param>
public sealed record HealthSettings(TimeSpan Timeout);

/// <param name="Timeout">Overall budget for the smoke checks.</param>
/// <param name="Retries">Attempts per check after the first failure.</param>
/// <param name="InitialBackoff">Wait before the first retry; doubles each time.</param>
public sealed record SmokeSettings(TimeSpan Timeout, int Retries, TimeSpan InitialBackoff);

/// <summary>The names an environment's resources get on its engine.</summary>
public sealed record StackNames(string Project, string Environment)
{
    /// <summary>The compose project name: containers are "&lt;stack&gt;-&lt;service&gt;".</summary>
    public string Stack => $"{Project}-{Environment}";

    public string Lock => $"{Project}-lock-{Environment}";

    public string LedgerVolume => $"{Project}-ledger-{Environment}";

    public string LedgerContainer => $"{Project}-ledger-{Environment}-io";

    public string Container(string service) => $"{Stack}-{service}";

    public string Network(string network) => $"{Stack}_{network}";

    /// <summary>A swarm service, named as <c>docker stack deploy</c> names it.</summary>
    public string SwarmService(string service) => $"{Stack}_{service}";

    public string Volume(string volume) => $"{Stack}_{volume}";
}
