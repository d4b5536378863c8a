using System.Globalization;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment.SmokeTests;

/// <summary>
/// A TCP connection to a port on a container's own loopback, carried by <c>docker exec</c> of a relay (bash's
/// /dev/tcp, or nc where there is no bash): it travels over the engine API the deploy already holds, so it reaches
/// a local or a remote engine's container alike, and no port is published for it.
/// </summary>
public sealed class ExecRelay(DockerClient docker, string container, int port)
{
    /// <summary>stdin to the port and the port to stdout, ending when the server closes the connection.</summary>
    private const string Script = """
        port=$0
        if command -v bash >/dev/null 2>&1; then
          exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1; cat <&0 >&3 & cat <&3; kill $! 2>/dev/null' "$port"
        fi
        exec nc 127.0.0.1 "$port"
        """;

    public string Container => container;

    /// <summary>The address a request names: the container's own loopback.</summary>
    public Uri Url => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

    public async ValueTask<Stream> OpenAsync(CancellationToken ct) =>
        await docker.Containers.OpenExecStreamAsync(container, ["sh", "-c", Script, port.ToString(CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
}
