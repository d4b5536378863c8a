using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Tools.Tls;

/// <summary>
/// Trusts exactly one certificate authority (a Docker daemon's ca.pem, the local CA of our nginx) for one
/// client's connections, instead of the machine's store; the host name must still match.
/// </summary>
public static class PrivateCa
{
    public static RemoteCertificateValidationCallback Validator(X509Certificate2 ca) =>
        (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
}
