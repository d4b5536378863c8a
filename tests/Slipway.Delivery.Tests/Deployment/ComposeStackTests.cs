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
}
