using Slipway.Stack.Tests.Infrastructure;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>
/// TLS as an independent client sees it: `openssl s_client` handshakes against the real nginx.
/// The client is allowed old protocols (@SECLEVEL=0) so a refusal is nginx's doing, and a control
/// run with TLS 1.1 switched on proves the probe would notice if it were accepted.
/// </summary>
public sealed class TlsTests(EdgeFixture edge) : IClassFixture<EdgeFixture>
{
    [ToolTheory("nginx", "openssl")]
    [InlineData("-tls1_2", "TLSv1.2")]
    [InlineData("-tls1_3", "TLSv1.3")]
    public async Task Modern_protocols_are_accepted_with_a_certificate_that_verifies_against_the_local_ca(string flag, string protocol)
    {
        var handshake = await HandshakeAsync(edge.Nginx, "localhost", flag);

        Assert.True(handshake.Succeeded, handshake.Describe());
        Assert.Contains($"Protocol version: {protocol}", handshake.StandardError + handshake.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Verification: OK", handshake.StandardError + handshake.StandardOutput, StringComparison.Ordinal);
    }

    [ToolTheory("nginx", "openssl")]
    [InlineData("-tls1_1")]
    [InlineData("-tls1")]
    public async Task Old_protocols_are_refused(string flag)
    {
        var handshake = await HandshakeAsync(edge.Nginx, "localhost", flag, "-cipher", "DEFAULT:@SECLEVEL=0");

        Assert.False(handshake.Succeeded, handshake.Describe());
        Assert.Contains("protocol version", handshake.StandardError + handshake.StandardOutput, StringComparison.Ordinal);
    }

    [ToolFact("nginx", "openssl")]
    public async Task Control_the_probe_sees_tls_1_1_when_nginx_allows_it()
    {
        await using var upstream = await UpstreamServer.StartAsync("control");
        await using var permissive = await NginxUnderTest.StartAsync(
            upstream.Port,
            ("snippets/tls.conf", "ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3;"),
            ("snippets/tls.conf", "ssl_ciphers ECDHE-", "ssl_ciphers DEFAULT:@SECLEVEL=0:ECDHE-"));

        var handshake = await HandshakeAsync(permissive, "localhost", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");

        Assert.True(handshake.Succeeded, handshake.Describe());
        Assert.Contains("Protocol version: TLSv1.1", handshake.StandardError + handshake.StandardOutput, StringComparison.Ordinal);
    }

    [ToolTheory("nginx", "openssl")]
    [InlineData("ECDHE-ECDSA-AES128-SHA")]
    [InlineData("ECDHE-ECDSA-AES256-SHA384")]
    public async Task Cbc_cipher_suites_are_refused_on_tls_1_2(string cipher)
    {
        var handshake = await HandshakeAsync(edge.Nginx, "localhost", "-tls1_2", "-cipher", cipher);

        Assert.False(handshake.Succeeded, handshake.Describe());
    }

    [ToolFact("nginx", "openssl")]
    public async Task The_api_host_name_is_covered_by_the_certificate()
    {
        var handshake = await HandshakeAsync(edge.Nginx, "api.localhost", "-tls1_3", "-verify_hostname", "api.localhost");

        Assert.True(handshake.Succeeded, handshake.Describe());
    }

    private static Task<CommandResult> HandshakeAsync(NginxUnderTest nginx, string serverName, params string[] options) =>
        Command.RunAsync(
            "openssl",
            ["s_client", "-connect", $"127.0.0.1:{nginx.HttpsPort}", "-servername", serverName, "-CAfile", nginx.CertificateAuthorityPath,
             "-verify_return_error", "-brief", .. options],
            TimeSpan.FromSeconds(20),
            standardInput: "");
}
