using System.Globalization;
using System.Text;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// The load balancer in front of a service: an nginx container (the seeded base image) on the VPC network, published on
/// 127.0.0.1. Registering or deregistering a target rewrites its upstream and reloads nginx, then waits until the new
/// workers answer with the new configuration's generation, so a target is in (or out of) rotation when the call returns.
/// Old workers finish the requests they hold, as a target group's deregistration delay lets connections drain.
/// </summary>
internal sealed class NginxLoadBalancer
{
    public const string Image = "nginx:1.25-alpine";
    private const int GenerationPort = 8081;
    private readonly DockerClient docker;
    private readonly string containerId;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly SortedSet<string> targets = new(StringComparer.Ordinal);
    private int generation;

    private NginxLoadBalancer(DockerClient docker, string containerId, int port)
    {
        this.docker = docker;
        this.containerId = containerId;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Url { get; }

    public static async Task<NginxLoadBalancer> StartAsync(DockerClient docker, string name, string network, IReadOnlyDictionary<string, string> labels, int port, CancellationToken ct)
    {
        var id = await docker.Containers.CreateAsync(new ContainerSpec
        {
            Name = name,
            Image = Image,
            Labels = labels,
            Networks = [new NetworkAttachment(network, [])],
            Ports = [new PortBinding(80, port)],
        }, ct);
        var balancer = new NginxLoadBalancer(docker, id, port);
        await balancer.WriteConfigurationAsync(ct);
        await docker.Containers.StartAsync(id, ct);
        await balancer.WaitForGenerationAsync(ct);
        return balancer;
    }

    public Task RegisterAsync(string target, CancellationToken ct) => ChangeAsync(() => targets.Add(target), ct);

    public Task DeregisterAsync(string target, CancellationToken ct) => ChangeAsync(() => targets.Remove(target), ct);

    private async Task ChangeAsync(Func<bool> change, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            if (!change())
                return;
            await WriteConfigurationAsync(ct);
            var reload = await docker.Containers.ExecAsync(containerId, ["nginx", "-s", "reload"], ct: ct);
            if (!reload.Succeeded)
                throw new InvalidOperationException($"nginx -s reload failed in the load balancer: {reload.StandardError.Trim()}");
            await WaitForGenerationAsync(ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private Task WriteConfigurationAsync(CancellationToken ct)
    {
        generation++;
        var upstream = targets.Count == 0
            ? "location / { return 503 'no healthy targets\\n'; }"
            : "location / { proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection \"\"; }";
        var configuration = new StringBuilder();
        if (targets.Count > 0)
        {
            configuration.Append("upstream targets {\n");
            foreach (var target in targets)
                configuration.Append(CultureInfo.InvariantCulture, $"    server {target};\n");
            configuration.Append("    keepalive 16;\n}\n");
        }

        configuration.Append(CultureInfo.InvariantCulture, $$"""
            server {
                listen 80;
                {{upstream}}
            }
            server {
                listen 127.0.0.1:{{GenerationPort}};
                location = /generation { return 200 '{{generation}}'; }
            }

            """);
        return docker.Containers.WriteFileAsync(containerId, "/etc/nginx/conf.d", "default.conf", Encoding.UTF8.GetBytes(configuration.ToString()), ct: ct);
    }

    // A reload is asynchronous in nginx: the master starts new workers after `nginx -s reload` returns.
    private async Task WaitForGenerationAsync(CancellationToken ct)
    {
        var expected = generation.ToString(CultureInfo.InvariantCulture);
        string last = "";
        for (var attempt = 0; attempt < 200; attempt++)
        {
            // The seeded image has bash but neither wget nor curl.
            var answer = await docker.Containers.ExecAsync(containerId, ["bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{GenerationPort} && printf 'GET /generation HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"], ct: ct);
            last = answer.StandardOutput.Split('\n')[^1].Trim() + answer.StandardError.Trim();
            if (answer.Succeeded && last == expected)
                return;
            await Task.Delay(50, ct);
        }

        throw new InvalidOperationException($"the load balancer did not take configuration generation {expected} (last answer: {last})");
    }
}
