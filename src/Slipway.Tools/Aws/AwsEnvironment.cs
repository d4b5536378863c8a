namespace Slipway.Tools.Aws;

/// <summary>
/// The inputs the AWS credential chain reads: environment variables and the home directory. Passed explicitly
/// so that tests (and the build) decide what the chain sees.
/// </summary>
public sealed class AwsEnvironment(Func<string, string?> variable, string homeDirectory)
{
    public static AwsEnvironment FromProcess() => new(
        Environment.GetEnvironmentVariable,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    public string HomeDirectory { get; } = homeDirectory;

    public string? this[string name] => variable(name) is { Length: > 0 } value ? value : null;

    public string Profile => this["AWS_PROFILE"] ?? "default";

    public bool ProfileChosenExplicitly => this["AWS_PROFILE"] is not null;

    public string SharedCredentialsFile => this["AWS_SHARED_CREDENTIALS_FILE"] ?? Path.Combine(HomeDirectory, ".aws", "credentials");

    public string ConfigFile => this["AWS_CONFIG_FILE"] ?? Path.Combine(HomeDirectory, ".aws", "config");

    public string? Region => this["AWS_REGION"] ?? this["AWS_DEFAULT_REGION"];

    /// <summary>AWS's service-specific endpoint override, e.g. AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL.</summary>
    public Uri? EndpointFor(string serviceEnvironmentSuffix) =>
        (this[$"AWS_ENDPOINT_URL_{serviceEnvironmentSuffix}"] ?? this["AWS_ENDPOINT_URL"]) is { } url ? new Uri(url) : null;
}
