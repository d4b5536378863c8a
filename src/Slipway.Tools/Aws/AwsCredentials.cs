namespace Slipway.Tools.Aws;

/// <summary>Resolved AWS credentials and where they came from. ToString never shows the secret or the session token.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken, string Source)
{
    public override string ToString() =>
        $"AWS credentials {Mask(AccessKeyId)} from {Source}{(SessionToken is null ? "" : " (temporary)")}";

    /// <summary>Shows only the last four characters of an access key ID, e.g. ****MPLE.</summary>
    public static string Mask(string accessKeyId) =>
        accessKeyId.Length <= 4 ? "****" : "****" + accessKeyId[^4..];
}

/// <summary>No usable AWS credentials, or a credential source that is misconfigured.</summary>
public sealed class AwsCredentialsException(string message, Exception? inner = null) : Exception(message, inner);
