using System.Reflection;

namespace Api.Health;

/// <summary>The version stamped at build time: `dotnet publish -p:AppVersion=1.4.0-3f2c1ab` sets InformationalVersion.</summary>
public static class AppVersion
{
    public static string Current { get; } =
        typeof(AppVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
