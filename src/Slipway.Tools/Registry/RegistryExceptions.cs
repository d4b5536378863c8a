namespace Slipway.Tools.Registry;

/// <summary>The registry could not be reached or answered with an unexpected error.</summary>
public class RegistryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The registry refused the credentials (or demanded some and none were given).</summary>
public sealed class RegistryAuthenticationException(string message) : RegistryException(message);
