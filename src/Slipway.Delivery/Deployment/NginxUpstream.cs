using System.Text;
using System.Text.RegularExpressions;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// The API upstream include inside the nginx container (nginx/upstreams/api.conf in the repo): read to
/// find the live colour, rewritten to point at another, then validated with <c>nginx -t</c> and applied
/// with <c>nginx -s reload</c>, which starts new workers and lets the old ones finish their requests.
/// </summary>
public static partial class NginxUpstream
{
    /// <summary>The host:port of the first server line, or null when the file or line is absent.</summary>
    public static async Task<string?> ReadServerAsync(DockerClient docker, string proxyContainer, string upstreamFile, CancellationToken ct = default)
    {
        var bytes = await docker.Containers.ReadFileAsync(proxyContainer, upstreamFile, ct).ConfigureAwait(false);
        return bytes is null ? null : ServerOf(Encoding.UTF8.GetString(bytes));
    }

    internal static string? ServerOf(string config) => ServerLine().Match(config) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The include with every server line replaced by one pointing at <paramref name="server"/>.</summary>
    internal static string Rewrite(string config, string server)
    {
        if (!ServerLine().IsMatch(config))
            throw new DeployFailedException("the nginx upstream include has no 'server host:port;' line to switch");
        var first = true;
        return ServerLine().Replace(config, m =>
        {
            if (!first)
                return "";
            first = false;
            return m.Value.Replace(m.Groups[1].Value, server, StringComparison.Ordinal);
        });
    }

    /// <summary>Points the upstream at <paramref name="server"/> in a container that is not running yet (first start).</summary>
    public static async Task WriteAsync(DockerClient docker, string proxyContainer, string upstreamFile, string server, FileOwner? owner, CancellationToken ct = default)
    {
        var current = await docker.Containers.ReadFileAsync(proxyContainer, upstreamFile, ct).ConfigureAwait(false)
            ?? throw new DeployFailedException($"{upstreamFile} not found in the nginx container: the proxy image must ship the upstream include");
        var updated = Rewrite(Encoding.UTF8.GetString(current), server);
        await docker.Containers.WriteFileAsync(proxyContainer, Path.GetDirectoryName(upstreamFile)!, Path.GetFileName(upstreamFile), Encoding.UTF8.GetBytes(updated), owner, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Switches a running nginx to <paramref name="server"/>: rewrite, <c>nginx -t</c>, <c>nginx -s reload</c>.
    /// A configuration nginx rejects is put back as it was, and the switch fails.
    /// </summary>
    public static async Task SwitchAsync(DockerClient docker, string proxyContainer, string upstreamFile, string server, FileOwner? owner, IReadOnlyList<string> nginxArguments, CancellationToken ct = default)
    {
        var original = await docker.Containers.ReadFileAsync(proxyContainer, upstreamFile, ct).ConfigureAwait(false)
            ?? throw new DeployFailedException($"{upstreamFile} not found in the nginx container");
        var directory = Path.GetDirectoryName(upstreamFile)!;
        var name = Path.GetFileName(upstreamFile);
        await docker.Containers.WriteFileAsync(proxyContainer, directory, name, Encoding.UTF8.GetBytes(Rewrite(Encoding.UTF8.GetString(original), server)), owner, ct).ConfigureAwait(false);
        var test = await docker.Containers.ExecAsync(proxyContainer, ["nginx", .. nginxArguments, "-t", "-q"], ct: ct).ConfigureAwait(false);
        if (!test.Succeeded)
        {
            await docker.Containers.WriteFileAsync(proxyContainer, directory, name, original, owner, ct).ConfigureAwait(false);
            throw new DeployFailedException($"nginx rejected the upstream {server}: {(test.StandardError + test.StandardOutput).Trim()}");
        }

        await NginxReload.RunAsync(docker, proxyContainer, nginxArguments, ct).ConfigureAwait(false);
    }

    /// <summary>The -p/-c arguments of the proxy's command line, so -t and -s act on the same configuration.</summary>
    public static IReadOnlyList<string> ConfigArguments(IReadOnlyList<string>? command) =>
        command is null ? [] : [.. new[] { "-p", "-c" }.SelectMany(flag => ProxyReleases.Argument(command, flag) is { } value ? [flag, value] : Array.Empty<string>())];

    [GeneratedRegex(@"^\s*server\s+([^\s;]+)[^;]*;[ \t]*\r?\n?", RegexOptions.Multiline)]
    private static partial Regex ServerLine();
}
