using System.Text.Json;
using Slipway.Stack.Tests.Infrastructure;

namespace Slipway.Stack.Tests.Compose;

/// <summary>`docker-compose config` (Debian's docker-compose 1.29) accepts every variant, and the merged stack keeps its promises.</summary>
public sealed class ComposeConfigTests
{
    private static readonly string[] Services = ["api", "nginx", "postgres", "redis"];

    public static TheoryData<string> Combinations => new() { "", "dev", "test", "prod", "swarm", "prod+swarm", "dev+test" };

    [ToolTheory("docker-compose")]
    [MemberData(nameof(Combinations))]
    public async Task Every_variant_is_valid_and_hardened(string combination)
    {
        var variants = combination.Split('+', StringSplitOptions.RemoveEmptyEntries);

        var config = await ComposeFiles.ConfigAsync(variants);

        Assert.True(config.Succeeded, config.Describe());
        var stack = ComposeFiles.Parse(config.StandardOutput);
        var services = stack.Map("services");
        Assert.Equal(Services, services.Keys.Order(StringComparer.Ordinal));
        foreach (var name in Services)
        {
            var service = services.Map(name);
            var health = service.Map("healthcheck");
            Assert.NotEmpty(health.List("test"));
            Assert.NotNull(health.Scalar("start_period"));
            Assert.True(service.Flag("read_only"));
            Assert.Contains("ALL", service.List("cap_drop"));
            Assert.False(service.Scalar("user") is null or "root" or "0" || service.Scalar("user")!.StartsWith("0:", StringComparison.Ordinal), $"{name} must run as a non-root user");
            Assert.NotNull(service.Map("deploy").Map("resources").Map("limits").Scalar("memory"));
            var image = service.Scalar("image")!;
            Assert.True(image.Contains("@sha256:", StringComparison.Ordinal) || (image.LastIndexOf(':') > image.LastIndexOf('/') && !image.EndsWith(":latest", StringComparison.Ordinal)), $"{name} image '{image}' is not pinned");
        }

        Assert.True(stack.Map("networks").Map("backend").Flag("internal"));
        Assert.Contains("backend", services.Map("postgres").Map("networks").Keys);
        Assert.DoesNotContain("backend", services.Map("nginx").Map("networks").Keys);
        Assert.Equal(["nginx-upstreams", "pgdata", "redisdata"], stack.Map("volumes").Keys.Order(StringComparer.Ordinal));
    }

    [ToolFact("docker-compose")]
    public async Task In_production_only_nginx_is_published_and_the_data_services_stay_internal()
    {
        var config = await ComposeFiles.ConfigAsync(["prod"], new Dictionary<string, string?> { ["NGINX_BIND_ADDRESS"] = "0.0.0.0" });

        Assert.True(config.Succeeded, config.Describe());
        var services = ComposeFiles.Parse(config.StandardOutput).Map("services");
        foreach (var name in new[] { "api", "postgres", "redis" })
            Assert.Empty(services.Map(name).List("ports"));
        Assert.Equal(["backend"], services.Map("postgres").Map("networks").Keys);
        Assert.Equal(["backend"], services.Map("redis").Map("networks").Keys);
        Assert.Equal(["0.0.0.0:80:8080/tcp", "0.0.0.0:443:8443/tcp"], services.Map("nginx").List("ports").Select(p => p.ToString()));
        Assert.All(Services, name => Assert.Equal("always", services.Map(name).Scalar("restart")));
        Assert.All(Services, name => Assert.Equal("json-file", services.Map(name).Map("logging").Scalar("driver")));
    }

    [ToolFact("docker-compose")]
    public async Task Dev_publishes_debug_ports_on_loopback_only()
    {
        var config = await ComposeFiles.ConfigAsync(["dev"]);

        Assert.True(config.Succeeded, config.Describe());
        var services = ComposeFiles.Parse(config.StandardOutput).Map("services");
        var published = Services.SelectMany(name => services.Map(name).List("ports")).Select(p => p.ToString()!).ToList();
        Assert.Contains("127.0.0.1:5432:5432/tcp", published);
        Assert.Contains("127.0.0.1:6379:6379/tcp", published);
        Assert.All(published, port => Assert.StartsWith("127.0.0.1:", port, StringComparison.Ordinal));
    }

    [ToolTheory("docker-compose")]
    [InlineData("API_IMAGE")]
    [InlineData("POSTGRES_PASSWORD")]
    public async Task A_missing_required_variable_fails_with_its_name(string variable)
    {
        var config = await ComposeFiles.ConfigAsync(["prod"], new Dictionary<string, string?> { [variable] = null });

        Assert.False(config.Succeeded);
        Assert.Contains($"set {variable}", config.StandardError, StringComparison.Ordinal);
    }

    [ToolFact("docker-compose")]
    public async Task Image_mirror_swaps_the_registry_of_the_pinned_base_images_from_base_images_json()
    {
        var config = await ComposeFiles.ConfigAsync([], new Dictionary<string, string?> { ["IMAGE_MIRROR"] = "127.0.0.1:5000" });

        Assert.True(config.Succeeded, config.Describe());
        var services = ComposeFiles.Parse(config.StandardOutput).Map("services");
        using var pinned = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryRoot.Combine("docker", "base-images.json")));
        string Mirrored(string name) => "127.0.0.1:5000/library/" + pinned.RootElement.GetProperty(name).GetString();
        Assert.Equal(Mirrored("postgres"), services.Map("postgres").Scalar("image"));
        Assert.Equal(Mirrored("redis"), services.Map("redis").Scalar("image"));
        Assert.Equal(Mirrored("nginx"), services.Map("nginx").Map("build").Map("args").Scalar("NGINX_BASE"));
    }

    [ToolFact("docker")]
    public async Task Docker_stack_reads_the_swarm_variant_with_host_ports_and_rolling_updates_that_roll_back()
    {
        var environment = ComposeFiles.ReadEnvExample().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        environment["API_IMAGE"] = "127.0.0.1:5000/slipway/api:swarm-test";
        environment["POSTGRES_PASSWORD"] = "swarm-test-password";

        var config = await Command.RunAsync(
            "docker",
            ["stack", "config", "-c", Path.Combine(ComposeFiles.Directory, ComposeFiles.Base), "-c", Path.Combine(ComposeFiles.Directory, ComposeFiles.VariantFile("swarm"))],
            TimeSpan.FromSeconds(60),
            environment);

        Assert.True(config.Succeeded, config.Describe());
        var stack = ComposeFiles.Parse(config.StandardOutput);
        var services = stack.Map("services");
        var ports = services.Map("nginx").List("ports").Cast<IDictionary<object, object>>().Select(p => new YamlMap(p)).ToList();
        Assert.Equal(2, ports.Count);
        Assert.All(ports, port => Assert.Equal("host", port.Scalar("mode")));
        var api = services.Map("api").Map("deploy");
        Assert.Equal("start-first", api.Map("update_config").Scalar("order"));
        Assert.Equal("rollback", api.Map("update_config").Scalar("failure_action"));
        Assert.Equal("2", api.Scalar("replicas"));
        Assert.Equal("overlay", stack.Map("networks").Map("edge").Scalar("driver"));
        Assert.Equal("overlay", stack.Map("networks").Map("backend").Scalar("driver"));
        Assert.True(stack.Map("networks").Map("backend").Flag("internal"));
    }
}
