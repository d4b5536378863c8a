namespace Slipway.Tools.Processes;

/// <summary>How to run a process; every property is optional.</summary>
public sealed record ProcessOptions
{
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// The variables of this process that the child inherits; null (the default) passes them all. Our own tools
    /// inherit everything; a third-party tool gets <see cref="MinimalEnvironment"/>, so that the credentials in our
    /// environment (AWS keys and tokens, the GitHub OIDC request token, GITHUB_TOKEN) never reach it.
    /// </summary>
    public IReadOnlySet<string>? InheritOnly { get; init; }

    /// <summary>Variables added to (or, with a null value, removed from) the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Kill the process tree and fail when it runs longer than this.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Called for every line of stdout and stderr as it arrives (from a pool thread).</summary>
    public Action<OutputLine>? OnOutput { get; init; }

    /// <summary>Written to the process's standard input, which is then closed.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Throw <see cref="ProcessFailedException"/> on a non-zero exit code (the default).</summary>
    public bool CheckExitCode { get; init; } = true;

    /// <summary>What any tool needs to run: where to find programs, a home, a temporary folder and a locale.</summary>
    public static IReadOnlySet<string> MinimalEnvironment { get; } = new HashSet<string>(["PATH", "HOME", "TMPDIR", "LANG"], StringComparer.Ordinal);

    /// <summary>
    /// For a third-party tool that goes on the network: <see cref="MinimalEnvironment"/>, the proxy and CA bundle
    /// variables, and this process's variables named with the tool's own prefix (its settings, e.g. TRIVY_).
    /// </summary>
    public static IReadOnlySet<string> ThirdPartyEnvironment(string ownPrefix) =>
        MinimalEnvironment
            .Concat(["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"])
            .Concat(System.Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => name.StartsWith(ownPrefix, StringComparison.Ordinal)))
            .ToHashSet(StringComparer.Ordinal);
}
