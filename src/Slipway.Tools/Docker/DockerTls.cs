using Docker.DotNet.Handler.Abstractions;
using Docker.DotNet.X509;
using Slipway.Tools.Tls;

namespace Slipway.Tools.Docker;

/// <summary>
/// TLS both ways from DOCKER_CERT_PATH: the client certificate (cert.pem, key.pem) and the engine's CA
/// (ca.pem). The library's own CA check skips the host name, so our validator replaces it.
/// </summary>
internal static class DockerTls
{
    public static IAuthProvider Credentials(string certPath)
    {
        string File(string name)
        {
            var path = Path.Combine(certPath, name);
            return System.IO.File.Exists(path)
                ? path
                : throw new DockerConfigurationException($"{path} not found: DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem");
        }

        var ca = DockerTlsCertificates.LoadCertificateAuthorityFromPemFile(File("ca.pem"));
        var client = DockerTlsCertificates.LoadCertificateFromPemFiles(File("cert.pem"), File("key.pem"));
        return new CertificateCredentials(client) { ServerCertificateValidationCallback = PrivateCa.Validator(ca) };
    }
}
