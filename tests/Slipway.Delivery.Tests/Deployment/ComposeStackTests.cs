using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Images;

namespace Slipway.Delivery.Tests.Deployment;

public sealed class ComposeStackTests
{
    private static readonly Dictionary<string, string> Variables = new()
    {
        ["API_IMAGE"] = "127.0.0.1:5000/slipway-api@sha256:abc",
        ["POSTGRES_PASSWORD"] = "secret",
        ["IMAGE_MIRROR"] = "127.0.0.1:5000",
    };

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("${IMAGE_MIRROR:-docker.io}/library/redis", "127.0.0.1:5000/library/redis")]
    [InlineData("${UNSET:-docker.io}/library/redis", "docker.io/library/redis")]
    [InlineData("${EMPTY:-fallback}|${EMPTY-kept}", "fallback|")]
    [InlineData("pg_isready -U \"$$POSTGRES_USER\"", "pg_isready -U \"$POSTGRES_USER\"")]
    [InlineData("$IMAGE_MIRROR/x", "127.0.0.1:5000/x")]
    [InlineData("${UNSET:-${IMAGE_MIRROR}}", "127.0.0.1:5000")]
    public void Variables_are_interpolated_as_compose_does(string text, string expected)
    {
        var values = new Dictionary<string, string>(Variables) { ["EMPTY"] = "" };
        Assert.Equal(expected, ComposeInterpolation.Apply(text, values.GetValueOrDefault, "test.yml"));
    }

    [Fact]
    public void A_required_variable_that_is_missing_names_itself_and_the_hint()
    {
        var error = Assert.Throws<ComposeException>(() => ComposeInterpolation.Apply("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (see .env.example)}", _ => null, "docker-compose.yml"));
        Assert.Equal("docker-compose.yml: POSTGRES_PASSWORD is required: set POSTGRES_PASSWORD (see .env.example)", error.Message);
    }

    [Fact]
    public void The_repository_stack_is_read_from_its_compose_files_not_restated()
    {
        var stack = ComposeStack.Load([RepositoryFiles.PathOf("docker/compose/docker-compose.yml"), RepositoryFiles.PathOf("docker/compose/docker-compose.prod.yml")], Variables.GetValueOrDefault);

        Assert.Equal(["api", "nginx", "postgres", "redis"], stack.Services.Keys.Order());
        var api = stack.Service("api");
        Assert.Equal("127.0.0.1:5000/slipway-api@sha256:abc", api.Image);
        Assert.Equal("postgres://slipway:secret@postgres:5432/slipway", api.Environment["DATABASE_URL"]);
        Assert.Equal(["edge", "backend"], api.Networks);
        Assert.True(api.ReadOnly);                       // from the x-hardening merge key
        Assert.Equal(["ALL"], api.CapDrop);
        Assert.Equal("always", api.Restart);             // the prod file overrides unless-stopped
        Assert.Equal(TimeSpan.FromSeconds(20), api.Healthcheck!.StartPeriod);
        Assert.Equal("CMD", api.Healthcheck.Test[0]);
        Assert.Equal("127.0.0.1:5000/library/postgres:15.4-alpine", stack.Service("postgres").Image);
        Assert.Equal([("pgdata", "/var/lib/postgresql/data")], stack.Service("postgres").NamedVolumes);
        Assert.True(stack.Networks["backend"].Internal);
        Assert.Contains(stack.Service("nginx").BindMounts, b => b.EndsWith("/nginx/certs:/etc/nginx/certs:ro", StringComparison.Ordinal));
        Assert.Equal([new Slipway.Tools.Docker.PortBinding(8443, 443, "127.0.0.1")], stack.Service("nginx").Ports.Where(p => p.ContainerPort == 8443));
        var order = stack.StartOrder().Select(s => s.Name).ToList();
        Assert.True(order.IndexOf("postgres") < order.IndexOf("api") && order.IndexOf("api") < order.IndexOf("nginx"), string.Join(",", order));
    }

    [Fact]
    public void The_api_image_is_required()
    {
        var error = Assert.Throws<ComposeException>(() => ComposeStack.Load([RepositoryFiles.PathOf("docker/compose/docker-compose.yml")], name => name == "POSTGRES_PASSWORD" ? "x" : null));
        Assert.Contains("API_IMAGE is required: set API_IMAGE to the API image reference", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    public void Durations_use_compose_units(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ComposeService.Duration(text, "x"));

    [Fact]
    public void A_duration_without_unit_is_rejected() =>
        Assert.Equal("x: '10' is not a duration such as 10s, 500ms or 1m30s", Assert.Throws<ComposeException>(() => ComposeService.Duration("10", "x")).Message);

    [Fact]
    public void The_swarm_variant_becomes_swarm_services_with_rolling_updates_host_ports_and_the_upstream_config()
    {
        var stack = ComposeStack.Load([RepositoryFiles.PathOf("docker/compose/docker-compose.yml"), RepositoryFiles.PathOf("docker/compose/docker-compose.swarm.yml")], Variables.GetValueOrDefault);

        var nginx = stack.Service("nginx");
        // The swarm file's long-syntax ports replace the base file's short ones for the same published port.
        Assert.Equal([(8080, 80, "host"), (8443, 443, "host")], nginx.Ports.Select((p, i) => (p.ContainerPort, p.HostPort, nginx.PortModes[i])));
        Assert.Equal([("nginx-upstream", "/etc/nginx/upstreams/api.conf")], nginx.Configs);
        Assert.Equal(RepositoryFiles.PathOf("nginx/swarm/api.conf"), stack.Configs["nginx-upstream"]);
        Assert.Equal(("stop-first", "rollback", TimeSpan.FromSeconds(15)), (nginx.Deploy.Update.Order, nginx.Deploy.Update.FailureAction, nginx.Deploy.Update.Monitor));

        var api = stack.Service("api");
        Assert.Equal((2, "dnsrr"), (api.Deploy.Replicas, api.Deploy.EndpointMode));
        Assert.Equal(new Slipway.Tools.Docker.RollingUpdate(1, TimeSpan.Zero, "rollback", TimeSpan.FromSeconds(30), 0, "start-first"), api.Deploy.Update);
        Assert.Equal("start-first", api.Deploy.Rollback.Order);
        Assert.Equal(TimeSpan.FromSeconds(20), api.StopGracePeriod);
        Assert.Equal(new Slipway.Tools.Docker.ServiceLimits(1_000_000_000, 512L << 20), api.Deploy.Limits);
        Assert.Equal(1, stack.Service("postgres").Deploy.MaxReplicasPerNode);
        // Reached by name from the API's tasks and the release phase's container: without iptables a virtual IP does not route.
        Assert.Equal(("dnsrr", "dnsrr"), (stack.Service("postgres").Deploy.EndpointMode, stack.Service("redis").Deploy.EndpointMode));

        var names = new Slipway.Delivery.Environments.StackNames("slipway", "prod");
        var spec = SwarmServices.Spec(api, names, new Dictionary<string, SwarmConfig>(), "1.2.3");
        Assert.Equal("slipway-prod_api", spec.Name);
        Assert.Equal(["slipway-prod_edge", "slipway-prod_backend"], spec.Networks.Select(n => n.Name));
        Assert.All(spec.Networks, n => Assert.Equal(["api"], n.Aliases));
        Assert.Equal("1.2.3", spec.Labels["org.slipway.version"]);
        Assert.Equal("slipway-prod", spec.Labels["com.docker.stack.namespace"]);
        Assert.Equal([new Slipway.Tools.Docker.ServiceMount("tmpfs", "", "/tmp")], spec.Mounts);
        Assert.Equal("any", spec.Restart?.Condition);
        var again = SwarmServices.Spec(api, names, new Dictionary<string, SwarmConfig>(), "1.2.3");
        var other = SwarmServices.Spec(api with { Image = "127.0.0.1:5000/slipway-api@sha256:def" }, names, new Dictionary<string, SwarmConfig>(), "1.2.4");
        Assert.Equal(spec.Labels["org.slipway.spec"], again.Labels["org.slipway.spec"]);
        Assert.NotEqual(spec.Labels["org.slipway.spec"], other.Labels["org.slipway.spec"]);

        var proxy = SwarmServices.Spec(nginx, names, new Dictionary<string, SwarmConfig> { ["nginx-upstream"] = new("cfg1", "slipway-prod_nginx-upstream-abc") }, null);
        Assert.Equal([new Slipway.Tools.Docker.ServiceConfigFile("cfg1", "slipway-prod_nginx-upstream-abc", "/etc/nginx/upstreams/api.conf")], proxy.Configs);
        Assert.Equal([new Slipway.Tools.Docker.ServicePort(8080, 80, "tcp", "host"), new Slipway.Tools.Docker.ServicePort(8443, 443, "tcp", "host")], proxy.Ports);
        Assert.Contains(proxy.Mounts, m => m == new Slipway.Tools.Docker.ServiceMount("volume", "slipway-prod_nginx-upstreams", "/etc/nginx/upstreams"));
        Assert.Contains(proxy.Mounts, m => m.Type == "bind" && m.Target == "/etc/nginx/certs" && m.ReadOnly);
    }

    [Theory]
    [InlineData("endpoint_mode: mesh", "x.yml: services.api.deploy.endpoint_mode: 'mesh' is not one of vip, dnsrr")]
    [InlineData("replicas: two", "x.yml: services.api.deploy.replicas: 'two' is not a whole number")]
    [InlineData("update_config: {order: last-first}", "x.yml: services.api.deploy.update_config.order: 'last-first' is not one of stop-first, start-first")]
    [InlineData("resources: {limits: {memory: lots}}", "x.yml: services.api.deploy.resources.limits: cpus must be a number such as 0.50 and memory a size such as 128M")]
    public void A_deploy_section_swarm_would_reject_is_rejected_naming_the_key(string deploy, string message)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-compose-").FullName;
        try
        {
            var file = Path.Combine(folder, "x.yml");
            File.WriteAllText(file, $"services:\n  api:\n    image: app\n    deploy:\n      {deploy}\n");
            Assert.Equal(message, Assert.Throws<ComposeException>(() => ComposeStack.Load([file], _ => null)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
