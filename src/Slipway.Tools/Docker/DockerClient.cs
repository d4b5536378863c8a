namespace Slipway.Tools.Docker;

/// <summary>
/// A small Docker Engine API client: HTTP over the unix socket or tcp(+TLS), grouped like the
/// engine's API into <see cref="System"/>, <see cref="Images"/>, <see cref="Containers"/>,
/// <see cref="Networks"/>, <see cref="Volumes"/>, and the swarm's
/// <see cref="Swarm"/>, <see cref="Services"/> and <see cref="Configs"/>.
/// </summary>
public sealed class DockerClient : IDisposable
{
    private readonly DockerTransport transport;

    /// <param name="endpoint">Where the engine listens; <see cref="DockerEndpoint.FromEnvironment"/> by default.</param>
    /// <param name="apiVersion">Pin an API version (e.g. "1.41"); by default the engine's, capped at <see cref="MaxApiVersion"/>.</param>
    public DockerClient(DockerEndpoint? endpoint = null, string? apiVersion = null)
    {
        transport = new DockerTransport(endpoint ?? DockerEndpoint.FromEnvironment(), apiVersion);
        System = new SystemOperations(transport);
        Images = new ImageOperations(transport);
        Containers = new ContainerOperations(transport);
        Networks = new NetworkOperations(transport);
        Volumes = new VolumeOperations(transport);
        Swarm = new SwarmOperations(transport);
        Services = new ServiceOperations(transport);
        Configs = new ConfigOperations(transport);
    }

    public const string MaxApiVersion = DockerTransport.MaxApiVersion;

    public DockerEndpoint Endpoint => transport.Endpoint;

    public SystemOperations System { get; }

    public ImageOperations Images { get; }

    public ContainerOperations Containers { get; }

    public NetworkOperations Networks { get; }

    public VolumeOperations Volumes { get; }

    public SwarmOperations Swarm { get; }

    public ServiceOperations Services { get; }

    public ConfigOperations Configs { get; }

    /// <summary>The API version in use (negotiated on first call unless pinned).</summary>
    public Task<string> ApiVersionAsync(CancellationToken ct = default) => transport.ApiVersionAsync(ct);

    public void Dispose() => transport.Dispose();
}

public sealed class SystemOperations
{
    private readonly DockerTransport transport;

    internal SystemOperations(DockerTransport transport) => this.transport = transport;

    /// <summary>Succeeds when the engine answers; throws <see cref="DockerEngineUnreachableException"/> otherwise.</summary>
    public async Task PingAsync(CancellationToken ct = default)
    {
        using var response = await transport.SendAsync(HttpMethod.Get, "_ping", ct: ct).ConfigureAwait(false);
    }

    public Task<VersionResponse> VersionAsync(CancellationToken ct = default) =>
        transport.GetJsonAsync<VersionResponse>("version", ct: ct);
}
