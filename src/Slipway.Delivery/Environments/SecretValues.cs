using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Slipway.Delivery.Environments;

/// <summary>
/// The values of an environment's secrets, looked up by name in the process environment. For the
/// local environment a missing one is generated once (URL-safe, so it can sit in a DATABASE_URL) and
/// kept in .nuke/secrets/local.env, readable by the owner only. Values are never logged.
/// </summary>
public static class SecretValues
{
    /// <summary>
    /// Outside .nuke/temp on purpose: .nuke/temp is a cache a user may wipe, while the database volume keeps the
    /// password it was created with, so a password generated anew would lock the stack out of its own database.
    /// </summary>
    public const string Folder = ".nuke/secrets";

    /// <summary>Where generated secrets were kept (as JSON) before; moved to <see cref="Folder"/> on first use.</summary>
    private const string FormerFolder = ".nuke/temp/secrets";

    /// <summary>Fails, naming the environment file, when a secret it lists is neither set nor generated; touches no file.</summary>
    public static void EnsureAvailable(DeployEnvironment environment, Func<string, string?> variable)
    {
        if (!environment.GenerateMissingSecrets && environment.Secrets.FirstOrDefault(name => variable(name) is not { Length: > 0 }) is { } missing)
            throw new EnvironmentFileException($"{environment.SourceFile}: secret {missing} is not set: export it from your secret store before deploying {environment.Names.Environment} (never write its value into the file)");
    }

    /// <summary>Fails, naming the environment file, when a basic-auth registry's password variable is empty and no local bootstrap keeps one.</summary>
    public static void EnsureRegistryPassword(DeployEnvironment environment, Func<string, string?> variable)
    {
        var registry = environment.Registry;
        if (registry is { Kind: RegistryKind.Basic, PasswordVariable: { } name } && !environment.Bootstrap && variable(name) is not { Length: > 0 })
            throw new EnvironmentFileException($"{environment.SourceFile}: registry.passwordVariable {name} is not set: export {name} with the password for {registry.Address} from your secret store");
    }

    /// <param name="dryRun">Writes no file: a secret still to be generated gets a value that is kept nowhere (the log says it would be kept).</param>
    public static IReadOnlyDictionary<string, string> Resolve(DeployEnvironment environment, string root, Func<string, string?> variable, Action<string> log, bool dryRun = false)
    {
        EnsureAvailable(environment, variable);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = environment.Secrets.Where(name => variable(name) is not { Length: > 0 }).ToList();
        foreach (var name in environment.Secrets.Except(missing))
            values[name] = variable(name)!;
        if (missing.Count == 0)
            return values;

        var relative = $"{Folder}/{environment.Names.Environment}.env";
        var file = Path.Combine(root, relative);
        var kept = File.Exists(file) ? ReadEnvFile(file) : MoveFormerFile(environment, root, file, relative, dryRun, log);
        var generated = false;
        foreach (var name in missing)
        {
            if (!kept.TryGetValue(name, out var stored))
            {
                stored = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(18));
                kept[name] = stored;
                generated = true;
                log(dryRun
                    ? $"secret {name}: would be generated for {environment.Names.Environment} and kept in {relative}"
                    : $"secret {name}: generated for {environment.Names.Environment}, kept in {relative}");
            }

            values[name] = stored;
        }

        if (generated && !dryRun)
            OwnerOnlyFile.Write(file, EnvFileText(kept));
        return values;
    }

    /// <summary>Secrets kept under .nuke/temp by earlier versions, moved to the new place (and removed from the old).</summary>
    private static Dictionary<string, string> MoveFormerFile(DeployEnvironment environment, string root, string file, string relative, bool dryRun, Action<string> log)
    {
        var former = Path.Combine(root, FormerFolder, environment.Names.Environment + ".json");
        if (!File.Exists(former))
            return new Dictionary<string, string>(StringComparer.Ordinal);
        var kept = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(former)) ?? [];
        if (dryRun)
            return kept;
        OwnerOnlyFile.Write(file, EnvFileText(kept));
        File.Delete(former);
        log($"secrets: moved {FormerFolder}/{environment.Names.Environment}.json to {relative} (kept outside .nuke/temp, which may be wiped)");
        return kept;
    }

    private static Dictionary<string, string> ReadEnvFile(string file) =>
        File.ReadAllLines(file)
            .Where(line => line.Length > 0 && !line.StartsWith('#') && line.Contains('=', StringComparison.Ordinal))
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    private static string EnvFileText(IReadOnlyDictionary<string, string> secrets)
    {
        var text = new StringBuilder("# Generated by ./build.sh for the local stack; the database volume keeps these, so keep this file with it.\n");
        foreach (var (name, value) in secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
            text.Append(name).Append('=').Append(value).Append('\n');
        return text.ToString();
    }
}
