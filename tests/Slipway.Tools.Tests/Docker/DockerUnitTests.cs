using System.Text.Json.Nodes;
using Slipway.Tools.Docker;

namespace Slipway.Tools.Tests.Docker;

public sealed class DockerUnitTests
{
    [Fact]
    public void Endpoint_from_environment_follows_the_docker_cli()
    {
        Assert.Equal("/var/run/docker.sock", DockerEndpoint.FromEnvironment(_ => null).SocketPath);

        var tcp = DockerEndpoint.FromEnvironment(name => name == "DOCKER_HOST" ? "tcp://127.0.0.1:2375" : null);
        Assert.Equal(new Uri("http://127.0.0.1:2375/"), tcp.TcpUri);
        Assert.False(tcp.UseTls);

        var tls = DockerEndpoint.FromEnvironment(name => name switch
        {
            "DOCKER_HOST" => "tcp://127.0.0.1",
            "DOCKER_TLS_VERIFY" => "1",
            "DOCKER_CERT_PATH" => "/certs",
            _ => null,
        });
        Assert.Equal(new Uri("https://127.0.0.1:2376/"), tls.TcpUri);
        Assert.Equal("/certs", tls.CertPath);
    }

    [Theory]
    [InlineData("ssh://user@host")]
    [InlineData("unix://")]
    [InlineData("tcp://")]
    public void Unsupported_docker_host_is_one_clear_line(string host)
    {
        var error = Assert.Throws<DockerConfigurationException>(() => DockerEndpoint.Parse(host));

        Assert.StartsWith($"DOCKER_HOST '{host}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Tls_without_certificate_files_names_the_missing_file()
    {
        var empty = Directory.CreateTempSubdirectory("slipway-certs-").FullName;
        try
        {
            var error = Assert.Throws<DockerConfigurationException>(() => DockerTls.Credentials(empty));
            Assert.Equal($"{Path.Combine(empty, "ca.pem")} not found: DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem", error.Message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task Unreachable_engine_is_one_clear_line()
    {
        using var client = new DockerClient(DockerEndpoint.Parse("unix:///nonexistent/slipway/docker.sock"));

        var error = await Assert.ThrowsAsync<DockerEngineUnreachableException>(() => client.System.PingAsync());

        Assert.Equal("Docker engine not reachable at unix:///nonexistent/slipway/docker.sock: start Docker or set DOCKER_HOST", error.Message);
    }

    [Fact]
    public void Registry_auth_never_prints_the_password()
    {
        var auth = new RegistryAuth("AWS", "??>>??>>", "127.0.0.1:5000");

        Assert.DoesNotContain("??>>", auth.ToString(), StringComparison.Ordinal);
        Assert.Equal("??>>??>>", auth.ToAuthConfig().Password);
        Assert.Equal("127.0.0.1:5000", auth.ToAuthConfig().ServerAddress);
    }

    [Theory]
    [InlineData("1.41", null, "1.41")] // Debian's 20.10
    [InlineData("1.52", "1.44", "1.52")] // Docker 29.0
    [InlineData("1.60", "1.44", "1.54")] // an engine newer than the library: we speak our newest
    public void Api_version_is_the_older_of_client_and_engine(string server, string? minimum, string agreed) =>
        Assert.Equal(Version.Parse(agreed), ApiVersionNegotiation.Agree(ApiVersionNegotiation.ClientMaximum, server, minimum));

    [Fact]
    public void An_engine_whose_minimum_is_above_our_newest_is_refused_in_one_line()
    {
        var error = Assert.Throws<DockerApiException>(() => ApiVersionNegotiation.Agree(new Version(1, 41), "1.52", "1.44"));

        Assert.Equal("the engine needs API 1.44 or newer, and this client speaks at most 1.41: upgrade Slipway's Docker client", error.Message);
    }

    [Fact]
    public void A_service_spec_round_trips_through_the_engine_json_with_durations_in_nanoseconds()
    {
        var spec = new ServiceSpec
        {
            Name = "app",
            Image = "127.0.0.1:5000/app:1",
            StopGracePeriod = TimeSpan.FromSeconds(20),
            Healthcheck = new HealthcheckSpec(["CMD", "true"], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 3, TimeSpan.Zero),
            Update = new RollingUpdate(1, TimeSpan.Zero, "rollback", TimeSpan.FromSeconds(5), 0, "start-first"),
            Restart = new ServiceRestartPolicy("any", TimeSpan.FromSeconds(1), null, null),
            Networks = [new NetworkAttachment("backend", ["api"])],
            Ports = [new ServicePort(80, 8080, Mode: "host")],
        };

        var json = ServiceSpecJson.ToJson(spec.ToLibrary());

        Assert.Equal(20_000_000_000, json["TaskTemplate"]!["ContainerSpec"]!["StopGracePeriod"]!.GetValue<long>());
        Assert.Equal(5_000_000_000, json["UpdateConfig"]!["Monitor"]!.GetValue<long>());
        Assert.Equal("start-first", json["UpdateConfig"]!["Order"]!.GetValue<string>());
        Assert.Equal("host", json["EndpointSpec"]!["Ports"]![0]!["PublishMode"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(json, ServiceSpecJson.ToJson(ServiceSpecJson.FromJson(json))));
    }

    [Theory]
    [InlineData("nginx:1.25-alpine", "nginx", "1.25-alpine")]
    [InlineData("127.0.0.1:5000/dotnet/aspnet:10.0", "127.0.0.1:5000/dotnet/aspnet", "10.0")]
    [InlineData("127.0.0.1:5000/app@sha256:abc", "127.0.0.1:5000/app", "sha256:abc")]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000/app", "latest")]
    public void References_split_into_repository_and_tag_or_digest(string reference, string repository, string tag) =>
        Assert.Equal((repository, tag), ImageOperations.Split(reference));
}
