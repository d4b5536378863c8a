using System.Text.Json;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.DeployDriver;

/// <summary>
/// The deploy the driver runs, as a JSON file. The registry password is in neither the file nor the
/// command line: it is read from the variable the environment's registry settings name.
/// </summary>
/// <param name="StallAfter">When the deploy logs a line containing this, it stops right there (the driver's log
/// call never returns), so a test kills it at that step and not a moment later, however fast the next one is.</param>
public sealed record DeployOrder(DeployEnvironment Environment, string RepositoryRoot, string Version, string AppImage, string? StallAfter = null)
{
    public static DeployOrder Read(string path) =>
        JsonSerializer.Deserialize<DeployOrder>(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path} holds no deploy order");

    public void Write(string path) => File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this));

    public DeployRequest ToRequest(Func<string, string?> variable)
    {
        var registry = Environment.Registry;
        var password = registry.PasswordVariable is { } name && variable(name) is { } value
            ? value
            : throw new InvalidOperationException($"set {registry.PasswordVariable ?? "the registry's password variable"} to the password of {registry.Address}");
        return new DeployRequest(Environment, RepositoryRoot, Version, AppImage, new RegistryAuth(registry.User ?? "", password, registry.Address), new Dictionary<string, string>());
    }
}
