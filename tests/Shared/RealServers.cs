using System.Net.Sockets;

namespace Slipway.Testing;

/// <summary>
/// Where the real servers used by integration tests live. `.ci/run` starts them and exports these
/// variables; on a laptop they may be absent, and the tests that need them skip. With
/// SLIPWAY_REQUIRE_REAL=1 (set by `.ci/run` and CI) a missing server fails the test instead, with a
/// message naming the server and how to start it (<see cref="RealServerFactAttribute"/>).
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

    /// <summary>How each server the tests use is started: `.ci/run` starts them all and exports their variables.</summary>
    public const string StartAll = "start it with bash .ci/run, which starts every server the tests use and exports their variables";

    public const string InstallTools = "install it with sudo docker/scripts/install.sh test";

    /// <summary>
    /// The outcome for a test whose server is <paramref name="present"/> or not: run it (both null); skip it, saying why
    /// (a laptop without the server); or, under SLIPWAY_REQUIRE_REAL=1, fail it naming the server and how to start it.
    /// </summary>
    public static (string? Skip, string? Failure) Verdict(bool present, bool required, string what, string howToStart) =>
        present ? (null, null)
        : required ? (null, $"{what} is not reachable and SLIPWAY_REQUIRE_REAL=1 forbids skipping: {howToStart}")
        : ($"{what} is not reachable ({howToStart}); skipped", null);

    /// <summary>
    /// For a test body or fixture that finds out late what it lacks: throws the failure that names it, whatever
    /// SLIPWAY_REQUIRE_REAL says (a test that has started must not pass without its server).
    /// </summary>
    public static void Require(bool present, string what, string howToStart)
    {
        if (!present)
            throw new RealServerMissingException(Verdict(present, required: true, what, howToStart).Failure!);
    }
}

public sealed class RealServerMissingException(string message) : Exception(message);

/// <summary>A fact that needs a reachable Docker engine.</summary>
public sealed class DockerFactAttribute : RealServerFactAttribute
{
    public DockerFactAttribute() => Needs(RealServers.DockerReachable, $"the Docker engine at {RealServers.DockerHost}", RealServers.StartAll);
}

/// <summary>A theory that needs a reachable Docker engine.</summary>
public sealed class DockerTheoryAttribute : RealServerTheoryAttribute
{
    public DockerTheoryAttribute() => Needs(RealServers.DockerReachable, $"the Docker engine at {RealServers.DockerHost}", RealServers.StartAll);
}

/// <summary>A fact that needs the test PostgreSQL server (SLIPWAY_TEST_DATABASE_URL).</summary>
public sealed class PostgresFactAttribute : RealServerFactAttribute
{
    public PostgresFactAttribute() => Needs(RealServers.TcpReachable(RealServers.DatabaseUrl), "PostgreSQL (SLIPWAY_TEST_DATABASE_URL)", RealServers.StartAll + " (or bash .ci/postgres.sh start)");
}

/// <summary>A fact that needs the test Redis server (SLIPWAY_TEST_REDIS_URL).</summary>
public sealed class RedisFactAttribute : RealServerFactAttribute
{
    public RedisFactAttribute() => Needs(RealServers.TcpReachable(RealServers.RedisUrl), "Redis (SLIPWAY_TEST_REDIS_URL)", RealServers.StartAll + " (or bash .ci/redis.sh start)");
}

/// <summary>A fact that needs the Docker engine and the test registry with basic auth.</summary>
public sealed class RegistryFactAttribute : RealServerFactAttribute
{
    public RegistryFactAttribute() => Needs(
        RealServers.DockerReachable && RealServers.TcpReachable(RealServers.Registry is { } r ? $"http://{r}" : null),
        $"the Docker engine at {RealServers.DockerHost} and the registry (SLIPWAY_TEST_REGISTRY)", RealServers.StartAll);
}

/// <summary>A fact that needs a command-line tool on PATH (nginx, chromium, skopeo, ...).</summary>
public sealed class ToolFactAttribute : RealServerFactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !OnPath(t)).ToArray();
        Needs(missing.Length == 0, $"{string.Join(", ", missing)} (not on PATH)", RealServers.InstallTools);
    }

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
