using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Slipway.Tools.Processes;
using Slipway.Tools.Registry;

namespace Slipway.Testing;

/// <summary>
/// A one-layer image written as an OCI image layout on disk (no network, no base image), pushed to a registry
/// with `skopeo copy oci:DIR:TAG docker://...`. Its manifest digest is known before the push.
/// </summary>
public sealed class OciTestImage : IDisposable
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private readonly DirectoryInfo layout = Directory.CreateTempSubdirectory("slipway-oci-");

    public OciTestImage(string tag)
    {
        Tag = tag;
        var (layerTar, layerGz) = Layer($"slipway test image {Guid.NewGuid()}\n");
        var config = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { Cmd = new[] { "/hello.txt" } },
            rootfs = new { type = "layers", diff_ids = new[] { Digest(layerTar) } },
        }));
        var manifest = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = ManifestType,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = WriteBlob(config), size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = WriteBlob(layerGz), size = layerGz.Length } },
        }));
        ManifestDigest = WriteBlob(manifest);
        File.WriteAllText(Path.Combine(layout.FullName, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(layout.FullName, "index.json"), JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            manifests = new[]
            {
                new
                {
                    mediaType = ManifestType,
                    digest = ManifestDigest,
                    size = manifest.Length,
                    annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = tag },
                },
            },
        }));
    }

    public string Tag { get; }

    /// <summary>sha256 of the manifest bytes: the digest the registry must report after the push.</summary>
    public string ManifestDigest { get; }

    public async Task PushAsync(ImageReference target, RegistryCredentials credentials, CancellationToken cancellationToken)
    {
        var authFile = Path.Combine(layout.FullName, "auth.json");
        File.WriteAllText(authFile, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["auths"] = new Dictionary<string, object> { [target.Registry] = new Dictionary<string, string> { ["auth"] = credentials.BasicAuthorization } },
        }));
        await ProcessRunner.RunAsync(
            "skopeo",
            ["copy", "--dest-tls-verify=false", "--dest-authfile", authFile, $"oci:{layout.FullName}:{Tag}", $"docker://{target}"],
            new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) },
            cancellationToken);
    }

    private string WriteBlob(byte[] content)
    {
        var digest = Digest(content);
        var blobs = Directory.CreateDirectory(Path.Combine(layout.FullName, "blobs", "sha256"));
        File.WriteAllBytes(Path.Combine(blobs.FullName, digest["sha256:".Length..]), content);
        return digest;
    }

    private static (byte[] Tar, byte[] Gzip) Layer(string content)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                Mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            writer.WriteEntry(entry);
        }

        using var gzip = new MemoryStream();
        using (var compressor = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
            compressor.Write(tar.ToArray());
        return (tar.ToArray(), gzip.ToArray());
    }

    private static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public void Dispose() => layout.Delete(recursive: true);
}
