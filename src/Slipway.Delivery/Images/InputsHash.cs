using System.Security.Cryptography;
using System.Text;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Images;

/// <summary>
/// The content hash of everything an image is made of: the Dockerfile, every file the build context
/// sends (after .dockerignore), the build arguments, and the ids of the resolved base images.
/// Equal hashes mean an equal image, so the build can be skipped.
/// </summary>
public static class InputsHash
{
    public const string Label = "io.slipway.inputs-hash";

    /// <summary>The tag naming an image by its inputs ("inputs-" and the hash's hex), pushed next to the version tag.</summary>
    public static string RegistryTag(string hash) => "inputs-" + hash["sha256:".Length..];

    public static async Task<string> ComputeAsync(
        BuildContext context,
        IReadOnlyDictionary<string, string> buildArgs,
        IReadOnlyDictionary<string, string> baseImageIds,
        string? target,
        CancellationToken ct = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string kind, string text) => hash.AppendData(Encoding.UTF8.GetBytes($"{kind}\0{text}\0"));

        Add("dockerfile", context.Dockerfile);
        Add("target", target ?? "");
        foreach (var (name, value) in buildArgs.OrderBy(p => p.Key, StringComparer.Ordinal))
            Add("arg", $"{name}={value}");
        foreach (var (arg, id) in baseImageIds.OrderBy(p => p.Key, StringComparer.Ordinal))
            Add("base", $"{arg}={id}");

        // The archive itself holds every kept file with its mode and content, in a fixed order and
        // with fixed timestamps, so hashing it covers files, permissions and the Dockerfile at once.
        var start = context.Archive.Position;
        var buffer = new byte[81920];
        int read;
        while ((read = await context.Archive.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            hash.AppendData(buffer, 0, read);
        context.Archive.Position = start;
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
