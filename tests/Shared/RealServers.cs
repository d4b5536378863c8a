using System.Net.Sockets;

namespace Slipway.Testing;

/// <summary>
/// Where the real servers used by integration tests live. `.ci/run` starts them and exports these
/// variables; on a laptop they may be absent, and the tests that need them skip. With
/// SLIPWAY_REQUIRE_REAL=1 (set by `.ci/run`) a missing server fails the test instead of skipping it.
/// </summary>
public static class RealServers
{
    public static bool Required => Environment.GetEnvironmentVariable("SLIPWAY_REQUIRE_REAL") == "1";

    /// <summary>The Docker endpoint: DOCKER_HOST, or the default socket.</summary>
    public static string DockerHost =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    public static string? DatabaseUrl => Variable("SLIPWAY_TEST_DATABASE_URL");

    public static string? RedisUrl => Variable("SLIPWAY_TEST_REDIS_URL");

    /// <summary>A registry with basic auth, host:port (e.g. 127.0.0.1:5000).</summary>
    public static string? Registry => Variable("SLIPWAY_TEST_REGISTRY");

    public static string? RegistryUser => Variable("SLIPWAY_TEST_REGISTRY_USER");

    public static string? RegistryPassword => Variable("SLIPWAY_TEST_REGISTRY_PASSWORD");

    public static bool DockerReachable => dockerReachable.Value;

    private static readonly Lazy<bool> dockerReachable = new(() =>
    {
        var host = DockerHost;
        try
        {
            if (host.StartsWith("unix://", StringComparison.Ordinal))
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(host["unix://".Length..]));
                return true;
            }

            if (host.StartsWith("tcp://", StringComparison.Ordinal))
            {
                var uri = new Uri(host);
                using var client = new TcpClient();
                client.Connect(uri.Host, uri.Port);
                return true;
            }
        }
        catch (SocketException)
        {
        }

        return false;
    });

    public static bool TcpReachable(string? url)
    {
        if (url is null)
            return false;
        try
        {
            var uri = new Uri(url);
            using var client = new TcpClient();
            client.Connect(uri.Host, uri.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? Variable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary>The skip reason, or null when the test must run (server present, or required).</summary>
    internal static string? SkipUnless(bool present, string what) =>
        present || Required ? null : $"{what} not reachable (set up by .ci/run); skipped";
}

/// <summary>A fact that needs a reachable Docker engine.</summary>
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute() => Skip = RealServers.SkipUnless(RealServers.DockerReachable, $"Docker engine at {RealServers.DockerHost}");
}

/// <summary>A theory that needs a reachable Docker engine.</summary>
public sealed class DockerTheoryAttribute : TheoryAttribute
{
    public DockerTheoryAttribute() => Skip = RealServers.SkipUnless(RealServers.DockerReachable, $"Docker engine at {RealServers.DockerHost}");
}

/// <summary>A fact that needs the test PostgreSQL server (SLIPWAY_TEST_DATABASE_URL).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = RealServers.SkipUnless(RealServers.TcpReachable(RealServers.DatabaseUrl), "PostgreSQL (SLIPWAY_TEST_DATABASE_URL)");
}

/// <summary>A fact that needs the test Redis server (SLIPWAY_TEST_REDIS_URL).</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute() => Skip = RealServers.SkipUnless(RealServers.TcpReachable(RealServers.RedisUrl), "Redis (SLIPWAY_TEST_REDIS_URL)");
}

/// <summary>A fact that needs the Docker engine and the test registry with basic auth.</summary>
public sealed class RegistryFactAttribute : FactAttribute
{
    public RegistryFactAttribute() => Skip = RealServers.SkipUnless(
        RealServers.DockerReachable && RealServers.TcpReachable(RealServers.Registry is { } r ? $"http://{r}" : null),
        $"Docker engine and registry (SLIPWAY_TEST_REGISTRY)");
}

/// <summary>A fact that needs a command-line tool on PATH (nginx, chromium, skopeo, ...).</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !OnPath(t)).ToArray();
        Skip = RealServers.SkipUnless(missing.Length == 0, $"{string.Join(", ", missing)} (not on PATH)");
    }

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
