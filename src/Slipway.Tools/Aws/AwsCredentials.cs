using Amazon.Runtime;

namespace Slipway.Tools.Aws;

/// <summary>AWS credentials the SDK resolved, and where they came from. ToString never shows the secret or the session token.</summary>
public sealed record ResolvedAwsCredentials(ImmutableCredentials Credentials, string Source)
{
    public override string ToString() =>
        $"AWS credentials {Mask(Credentials.AccessKey)} from {Source}{(Credentials.UseToken ? " (temporary)" : "")}";

    /// <summary>Shows only the last four characters of an access key ID, e.g. ****MPLE.</summary>
    public static string Mask(string accessKeyId) =>
        accessKeyId.Length <= 4 ? "****" : "****" + accessKeyId[^4..];
}

/// <summary>No usable AWS credentials, or a credential source that failed; the message is one line saying what to do.</summary>
public sealed class AwsCredentialsException(string message, Exception? inner = null) : Exception(message, inner);
