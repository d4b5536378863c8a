using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Benchmarks.Deploy;

/// <summary>
/// The docker CLI against one engine, with its own client configuration folder: the registry login the
/// swarm passes on with --with-registry-auth lives there and is deleted on dispose.
/// </summary>
internal sealed class DockerCli(string host, string configFolder, Action<string> log) : IDisposable
{
    public async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        log("$ docker " + string.Join(' ', arguments));
        return await ProcessRunner.RunAsync("docker", arguments, Options());
    }

    public async Task LoginAsync(RegistryAuth auth) =>
        await ProcessRunner.RunAsync("docker", ["login", auth.ServerAddress, "--username", auth.Username, "--password-stdin"],
            Options() with { StandardInput = auth.Password });

    private ProcessOptions Options() => new()
    {
        Environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = host, ["DOCKER_CONFIG"] = configFolder },
        Timeout = TimeSpan.FromMinutes(5),
    };

    public void Dispose()
    {
        if (Directory.Exists(configFolder))
            Directory.Delete(configFolder, recursive: true);
    }
}
