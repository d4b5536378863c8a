using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>
/// HTTP clients for the nginx under test. Whatever host name a URL carries (localhost, api.localhost),
/// the connection goes to 127.0.0.1 at the URL's port, so host names route inside nginx without DNS.
/// TLS is verified: the chain must end at the run's own CA and the name must match.
/// </summary>
public static class EdgeClient
{
    public static HttpClient Create(NginxUnderTest nginx) => Create(nginx.CertificateAuthority);

    public static HttpClient Create(X509Certificate2 authority) => new(CreateHandler(authority)) { Timeout = TimeSpan.FromSeconds(30) };

    public static SocketsHttpHandler CreateHandler(NginxUnderTest nginx) => CreateHandler(nginx.CertificateAuthority);

    public static SocketsHttpHandler CreateHandler(X509Certificate2 authority) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(authority, certificate, errors),
        },
    };

    /// <summary>True when the server certificate chains to <paramref name="authority"/> and names the host.</summary>
    public static bool IsTrusted(X509Certificate2 authority, X509Certificate? certificate, SslPolicyErrors errors)
    {
        // The chain error is expected (our CA is not in the system store); a name mismatch is not.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }
}
