using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;

namespace Slipway.Tools.Aws;

/// <summary>
/// AWS credentials through the AWS SDK's default chain, in its order: environment variables (AWS_ACCESS_KEY_ID...),
/// web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, e.g. GitHub OIDC), the AWS_PROFILE (else "default")
/// profile of ~/.aws/config and ~/.aws/credentials (keys, role_arn, SSO, credential_process), ECS container
/// credentials, and EC2 instance metadata, which is asked only on EC2 (<see cref="InstanceMetadataGuard"/>).
/// STS is reached through the SDK too, so AWS_REGION and AWS_ENDPOINT_URL_STS apply as they do to the AWS CLI.
/// </summary>
public static class AwsCredentialResolver
{
    public const string NoCredentials =
        "no AWS credentials found: set AWS_PROFILE to a profile in ~/.aws/config (for an SSO profile, run 'aws sso login --profile NAME' first), "
        + "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (OIDC in CI)";

    /// <summary>Credentials from <paramref name="source"/>, or from the SDK's default chain when it is null.</summary>
    public static async Task<ResolvedAwsCredentials> ResolveAsync(AWSCredentials? source, CancellationToken cancellationToken)
    {
        var fromChain = source is null;
        source ??= await FindSourceAsync(cancellationToken).ConfigureAwait(false);
        var description = Describe(source, fromChain);
        try
        {
            return new ResolvedAwsCredentials(await source.GetCredentialsAsync().ConfigureAwait(false), description);
        }
        catch (Exception e) when (e is AmazonClientException or ProcessAWSCredentialException or InvalidOperationException or HttpRequestException or IOException)
        {
            var hint = source is SSOAWSCredentials ? $" (run 'aws sso login --profile {ProfileName}')" : "";
            throw new AwsCredentialsException($"AWS credentials from {description} failed: {OneLine(e)}{hint}", e);
        }
    }

    private static async Task<AWSCredentials> FindSourceAsync(CancellationToken cancellationToken)
    {
        InstanceMetadataGuard.DisableUnlessOnEc2();
        using var chain = new DefaultAWSCredentialsIdentityResolver();
        try
        {
            return await chain.ResolveIdentityAsync(null, cancellationToken).ConfigureAwait(false);
        }
        catch (ProfileNotFoundException e)
        {
            throw new AwsCredentialsException(
                $"AWS_PROFILE is '{ProfileName}' but no such profile is in ~/.aws/config or ~/.aws/credentials (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): "
                + "add it ('aws configure --profile NAME' or 'aws configure sso') or unset AWS_PROFILE", e);
        }
        catch (ProcessAWSCredentialException e)
        {
            throw new AwsCredentialsException($"AWS credentials from credential_process of profile {ProfileName} failed: {OneLine(e)}", e);
        }
        catch (AmazonClientException e)
        {
            // The chain tried every source and lists each one's miss over several lines; one line says what to set.
            throw new AwsCredentialsException(NoCredentials, e);
        }
    }

    private static string ProfileName => DefaultAWSCredentialsIdentityResolver.GetProfileName();

    private static string Describe(AWSCredentials source, bool fromChain) => source switch
    {
        BasicAWSCredentials or SessionAWSCredentials when !fromChain => "given credentials",
        EnvironmentVariablesAWSCredentials => "environment variables",
        AssumeRoleWithWebIdentityCredentials webIdentity => $"web identity {webIdentity.RoleArn}",
        AssumeRoleAWSCredentials role => $"role {role.RoleArn} of profile {ProfileName}",
        ProcessAWSCredentials => $"credential_process of profile {ProfileName}",
        SSOAWSCredentials => $"SSO profile {ProfileName}",
        GenericContainerCredentials => "container credentials",
        BasicAWSCredentials or SessionAWSCredentials => $"profile {ProfileName}",
        _ => source.GetType().Name, // e.g. DefaultInstanceProfileAWSCredentials (EC2 instance metadata), internal to the SDK
    };

    // The SDK wraps (e.g. "Error calling AssumeRole for role ..." around STS's own error): keep each distinct first line.
    private static string OneLine(Exception error)
    {
        var parts = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            var line = e.Message.Split('\n', 2)[0].Trim().TrimEnd('.');
            if (e is AmazonServiceException { ErrorCode: { Length: > 0 } code } && !line.StartsWith(code, StringComparison.Ordinal))
                line = $"{code}: {line}";
            var saysNothing = line.Length == 0 || line.StartsWith("Exception of type '", StringComparison.Ordinal);
            if (!saysNothing && !parts.Any(p => p.Contains(line, StringComparison.Ordinal)))
                parts.Add(line);
        }

        return string.Join(": ", parts);
    }
}
