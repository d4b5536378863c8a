namespace Slipway.Tools.Docker;

/// <summary>
/// Where the engine listens: a unix socket or tcp, optionally TLS with a client certificate,
/// as the docker CLI reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
/// </summary>
public sealed record DockerEndpoint
{
    public const string DefaultSocket = "unix:///var/run/docker.sock";

    private DockerEndpoint(string address) => Address = address;

    /// <summary>As written: unix:///path or tcp://host:port.</summary>
    public string Address { get; }

    public string? SocketPath { get; private init; }

    public Uri? TcpUri { get; private init; }

    /// <summary>Folder with ca.pem, cert.pem and key.pem; set when TLS is on.</summary>
    public string? CertPath { get; private init; }

    public bool UseTls => CertPath is not null;

    /// <summary>The address in the library's terms: unix:///path, or http(s)://host:port.</summary>
    internal Uri EngineUri => TcpUri ?? new Uri("unix://" + SocketPath);

    public static DockerEndpoint Parse(string address, string? certPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = address["unix://".Length..];
            if (path.Length == 0)
                throw new DockerConfigurationException($"DOCKER_HOST '{address}' has no socket path: use unix:///path/to/docker.sock");
            return new DockerEndpoint(address) { SocketPath = path };
        }

        if (address.StartsWith("tcp://", StringComparison.Ordinal)
            && Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
        {
            var port = uri.IsDefaultPort ? (certPath is null ? 2375 : 2376) : uri.Port;
            var scheme = certPath is null ? "http" : "https";
            return new DockerEndpoint(address) { TcpUri = new UriBuilder(scheme, uri.Host, port).Uri, CertPath = certPath };
        }

        throw new DockerConfigurationException($"DOCKER_HOST '{address}' is not supported: use unix:///path/to/docker.sock or tcp://host:port");
    }

    /// <summary>The endpoint the docker CLI would use with these variables.</summary>
    public static DockerEndpoint FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        var host = variable("DOCKER_HOST") is { Length: > 0 } h ? h : DefaultSocket;
        string? certPath = null;
        if (variable("DOCKER_TLS_VERIFY") is { Length: > 0 } verify && verify != "0")
        {
            certPath = variable("DOCKER_CERT_PATH") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }

        return Parse(host, certPath);
    }

    public override string ToString() => Address;
}
