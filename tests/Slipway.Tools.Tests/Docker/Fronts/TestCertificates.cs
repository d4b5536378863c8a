using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Tools.Tests.Docker.Fronts;

/// <summary>
/// A throwaway CA, a client certificate in a DOCKER_CERT_PATH folder (ca.pem, cert.pem, key.pem), and
/// server certificates from the same CA for the names a test chooses. Made fresh per test.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 ca;

    public TestCertificates()
    {
        var request = new CertificateRequest("CN=slipway test engine CA", caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CertPath = Directory.CreateTempSubdirectory("slipway-docker-tls-").FullName;
        File.WriteAllText(Path.Combine(CertPath, "ca.pem"), ca.ExportCertificatePem());
        using var client = Issue("CN=slipway deploy", "1.3.6.1.5.5.7.3.2", null);
        File.WriteAllText(Path.Combine(CertPath, "cert.pem"), client.ExportCertificatePem());
        File.WriteAllText(Path.Combine(CertPath, "key.pem"), client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The client's DOCKER_CERT_PATH.</summary>
    public string CertPath { get; }

    /// <summary>TLS for an engine whose certificate names <paramref name="address"/> or <paramref name="dnsName"/>, requiring a client certificate from the CA.</summary>
    public SslServerAuthenticationOptions Server(IPAddress? address, string? dnsName)
    {
        var names = new SubjectAlternativeNameBuilder();
        if (address is not null)
            names.AddIpAddress(address);
        if (dnsName is not null)
            names.AddDnsName(dnsName);
        var server = Issue($"CN={dnsName ?? address?.ToString()}", "1.3.6.1.5.5.7.3.1", names.Build());
        return new SslServerAuthenticationOptions
        {
            // A PEM-made key is ephemeral; SslStream needs it in a PKCS#12 round trip to serve.
            ServerCertificate = X509CertificateLoader.LoadPkcs12(server.Export(X509ContentType.Pkcs12), null),
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            },
        };
    }

    private X509Certificate2 Issue(string subject, string usage, X509Extension? alternativeNames)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (alternativeNames is not null)
            request.CertificateExtensions.Add(alternativeNames);
        using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), ca.NotAfter.AddMinutes(-1), RandomNumberGenerator.GetBytes(16));
        return certificate.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        Directory.Delete(CertPath, recursive: true);
        ca.Dispose();
        caKey.Dispose();
    }
}
