namespace Slipway.Tools.Docker;

/// <summary>
/// Our facade over the Docker.DotNet library, grouped like the engine's API into <see cref="System"/>,
/// <see cref="Images"/>, <see cref="Containers"/>, <see cref="Networks"/>, <see cref="Volumes"/>, and the
/// swarm's <see cref="Swarm"/>, <see cref="Services"/> and <see cref="Configs"/>. It negotiates the API
/// version with the engine, bounds every call with a timeout, and throws only our exception types.
/// </summary>
public sealed class DockerClient : IDisposable
{
    private readonly EngineConnection engine;

    /// <param name="endpoint">Where the engine listens; <see cref="DockerEndpoint.FromEnvironment"/> by default.</param>
    /// <param name="timeouts">How long calls may take; <see cref="DockerTimeouts.Default"/> by default.</param>
    public DockerClient(DockerEndpoint? endpoint = null, DockerTimeouts? timeouts = null)
    {
        engine = new EngineConnection(endpoint ?? DockerEndpoint.FromEnvironment(), timeouts ?? DockerTimeouts.Default);
        System = new SystemOperations(engine);
        Images = new ImageOperations(engine);
        Containers = new ContainerOperations(engine);
        Networks = new NetworkOperations(engine);
        Volumes = new VolumeOperations(engine);
        Swarm = new SwarmOperations(engine);
        Services = new ServiceOperations(engine);
        Configs = new ConfigOperations(engine);
    }

    /// <summary>The newest API version this client speaks; an older engine is met at its own.</summary>
    public static string MaxApiVersion => ApiVersionNegotiation.ClientMaximum.ToString();

    public DockerEndpoint Endpoint => engine.Endpoint;

    public SystemOperations System { get; }

    public ImageOperations Images { get; }

    public ContainerOperations Containers { get; }

    public NetworkOperations Networks { get; }

    public VolumeOperations Volumes { get; }

    public SwarmOperations Swarm { get; }

    public ServiceOperations Services { get; }

    public ConfigOperations Configs { get; }

    /// <summary>The API version agreed with the engine (asked on first use): min(<see cref="MaxApiVersion"/>, the engine's).</summary>
    public async Task<string> ApiVersionAsync(CancellationToken ct = default) =>
        (await engine.CallAsync("version negotiation", (docker, _) => Task.FromResult(docker.Options.ApiVersion!), ct).ConfigureAwait(false)).ToString();

    public void Dispose() => engine.Dispose();
}

public sealed class SystemOperations
{
    private readonly EngineConnection engine;

    internal SystemOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>Succeeds when the engine answers; throws <see cref="DockerEngineUnreachableException"/> otherwise.</summary>
    public Task PingAsync(CancellationToken ct = default) =>
        engine.CallAsync("ping", (docker, token) => docker.System.PingAsync(token), ct);

    public async Task<VersionResponse> VersionAsync(CancellationToken ct = default)
    {
        var version = await engine.CallAsync("version", (docker, token) => docker.System.GetVersionAsync(token), ct).ConfigureAwait(false);
        return new VersionResponse(version.Version ?? "", version.APIVersion ?? "", version.MinAPIVersion, version.Os ?? "", version.Arch ?? "");
    }
}

public sealed record VersionResponse(string Version, string ApiVersion, string? MinAPIVersion, string Os, string Arch);
