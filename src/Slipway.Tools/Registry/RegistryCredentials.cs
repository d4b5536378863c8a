using System.Text;

namespace Slipway.Tools.Registry;

/// <summary>A registry login. ToString masks the password; it is only ever sent to the registry itself.</summary>
public sealed record RegistryCredentials(string Server, string User, string Password)
{
    public override string ToString() => $"{User}:****@{Server}";

    /// <summary>The value of an HTTP Basic Authorization header.</summary>
    public string BasicAuthorization => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
}
