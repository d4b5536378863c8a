using System.Security.Cryptography;
using System.Text.Json;

namespace Slipway.Delivery.Environments;

/// <summary>
/// The values of an environment's secrets, looked up by name in the process environment. For the
/// local environment a missing one is generated once (URL-safe, so it can sit in a DATABASE_URL) and
/// kept in .nuke/temp/secrets/local.json, readable by the owner only. Values are never logged.
/// </summary>
public static class SecretValues
{
    public const string Folder = ".nuke/temp/secrets";

    public static IReadOnlyDictionary<string, string> Resolve(DeployEnvironment environment, string root, Func<string, string?> variable, Action<string> log)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(root, Folder, environment.Names.Environment + ".json");
        var kept = File.Exists(file) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file)) ?? [] : [];
        var generated = false;
        foreach (var name in environment.Secrets)
        {
            if (variable(name) is { Length: > 0 } value)
            {
                values[name] = value;
            }
            else if (environment.GenerateMissingSecrets)
            {
                if (!kept.TryGetValue(name, out var stored))
                {
                    stored = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(18));
                    kept[name] = stored;
                    generated = true;
                    log($"secret {name}: generated for {environment.Names.Environment}, kept in {Folder}/{environment.Names.Environment}.json");
                }

                values[name] = stored;
            }
            else
            {
                throw new EnvironmentFileException($"secret {name} is not set: export it from your secret store before deploying {environment.Names.Environment} (never write it into {environment.SourceFile})");
            }
        }

        if (generated)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, JsonSerializer.Serialize(kept));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return values;
    }
}
