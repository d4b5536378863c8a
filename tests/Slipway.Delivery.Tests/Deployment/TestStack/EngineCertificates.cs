using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A certificate authority with a server certificate for 127.0.0.1 and a client certificate, in the
/// files a TLS Docker engine (ca.pem, server-cert.pem, server-key.pem) and its clients (DOCKER_CERT_PATH:
/// ca.pem, cert.pem, key.pem) read. Made fresh per test: nothing private is kept in the repository.
/// </summary>
internal static class EngineCertificates
{
    /// <summary>Writes the files into <paramref name="folder"/>.</summary>
    public static void Write(string folder)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=slipway test engine CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(folder, "ca.pem"), ca.ExportCertificatePem());

        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        Issue(ca, folder, "server", "CN=127.0.0.1", "1.3.6.1.5.5.7.3.1", names.Build());
        Issue(ca, folder, "", "CN=slipway deploy", "1.3.6.1.5.5.7.3.2", null);
    }

    /// <param name="prefix">"server" writes server-cert.pem/server-key.pem; "" writes cert.pem/key.pem.</param>
    private static void Issue(X509Certificate2 ca, string folder, string prefix, string subject, string usage, X509Extension? alternativeNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (alternativeNames is not null)
            request.CertificateExtensions.Add(alternativeNames);
        // Within the CA's validity: a leaf may not outlive its issuer (taken from the CA, not the clock, which has moved on).
        using var certificate = request.Create(ca, ca.NotBefore, ca.NotAfter.AddMinutes(-1), RandomNumberGenerator.GetBytes(16));
        var name = prefix.Length == 0 ? "" : prefix + "-";
        File.WriteAllText(Path.Combine(folder, $"{name}cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, $"{name}key.pem"), key.ExportPkcs8PrivateKeyPem());
    }
}
