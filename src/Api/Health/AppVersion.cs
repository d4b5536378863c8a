using System.Reflection;

namespace Api.Health;

/// <summary>
/// The version /health reports. Stamped at build time (`dotnet publish -p:AppVersion=1.4.0` sets
/// InformationalVersion); a deploy names the release the container serves in APP_VERSION (1.4.0+3f2c1ab),
/// since an image whose inputs did not change is reused, unchanged, by later releases.
/// </summary>
public static class AppVersion
{
    public static string Stamped { get; } =
        typeof(AppVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static string Current { get; } = Resolve(Environment.GetEnvironmentVariable("APP_VERSION"));

    public static string Resolve(string? release) => string.IsNullOrWhiteSpace(release) ? Stamped : release.Trim();
}
