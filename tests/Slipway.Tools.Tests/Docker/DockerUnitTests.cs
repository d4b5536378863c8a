using System.Text;
using System.Text.Json;
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
            var error = Assert.Throws<DockerConfigurationException>(() => DockerTransport.TlsOptions(empty));
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
    public void Registry_auth_header_is_base64url_json_and_the_password_never_prints()
    {
        // A password whose base64 has '+' and '/' in it, which base64url replaces.
        var auth = new RegistryAuth("AWS", "??>>??>>", "127.0.0.1:5000");

        var header = auth.ToHeader();

        Assert.DoesNotContain('+', header);
        Assert.DoesNotContain('/', header);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(header.Replace('-', '+').Replace('_', '/')));
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("AWS", doc.RootElement.GetProperty("username").GetString());
        Assert.Equal("??>>??>>", doc.RootElement.GetProperty("password").GetString());
        Assert.Equal("127.0.0.1:5000", doc.RootElement.GetProperty("serveraddress").GetString());
        Assert.DoesNotContain("??>>", auth.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Multiplexed_log_stream_is_split_by_stream()
    {
        byte[] Frame(byte stream, string text)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            return [stream, 0, 0, 0, 0, 0, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];
        }

        byte[] data = [.. Frame(1, "out 1\n"), .. Frame(2, "err 1\n"), .. Frame(1, new string('x', 300) + "\n")];

        var logs = ContainerOperations.Demultiplex(data);

        Assert.Equal("out 1\n" + new string('x', 300) + "\n", logs.StandardOutput);
        Assert.Equal("err 1\n", logs.StandardError);
    }

    [Fact]
    public void A_tty_stream_without_frames_is_all_stdout() =>
        Assert.Equal(new ContainerLogs("plain text\n", ""), ContainerOperations.Demultiplex("plain text\n"u8));

    [Theory]
    [InlineData("nginx:1.25-alpine", "nginx", "1.25-alpine")]
    [InlineData("127.0.0.1:5000/dotnet/aspnet:10.0", "127.0.0.1:5000/dotnet/aspnet", "10.0")]
    [InlineData("127.0.0.1:5000/app@sha256:abc", "127.0.0.1:5000/app", "sha256:abc")]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000/app", "latest")]
    public void References_split_into_repository_and_tag_or_digest(string reference, string repository, string tag) =>
        Assert.Equal((repository, tag), ImageOperations.Split(reference));
}
