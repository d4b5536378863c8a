using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Slipway.Tools.Aws;

/// <summary>
/// Finds AWS credentials the way the AWS CLI does, in this order:
/// 1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN;
/// 2. web identity (OIDC, e.g. GitHub Actions): AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, exchanged with
///    STS AssumeRoleWithWebIdentity (AWSSDK.SecurityToken; endpoint overridable with AWS_ENDPOINT_URL_STS);
/// 3. shared profile: AWS_PROFILE (or "default") from AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE.
/// </summary>
public static class AwsCredentialChain
{
    public static async Task<AwsCredentials> ResolveAsync(AwsEnvironment environment, CancellationToken cancellationToken)
    {
        if (FromEnvironment(environment) is { } fromEnvironment)
            return fromEnvironment;
        if (environment["AWS_ROLE_ARN"] is { } roleArn && environment["AWS_WEB_IDENTITY_TOKEN_FILE"] is { } tokenFile)
            return await FromWebIdentityAsync(environment, roleArn, tokenFile, cancellationToken);
        if (FromProfile(environment) is { } fromProfile)
            return fromProfile;

        throw new AwsCredentialsException(
            $"no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (OIDC), "
            + $"or a profile '{environment.Profile}' in {environment.SharedCredentialsFile}");
    }

    private static AwsCredentials? FromEnvironment(AwsEnvironment environment)
    {
        var keyId = environment["AWS_ACCESS_KEY_ID"];
        var secret = environment["AWS_SECRET_ACCESS_KEY"];
        if (keyId is null && secret is null)
            return null;
        if (keyId is null || secret is null)
            throw new AwsCredentialsException(
                $"{(keyId is null ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY")} is not set but {(keyId is null ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")} is: set both, or neither");
        return new AwsCredentials(keyId, secret, environment["AWS_SESSION_TOKEN"], "environment");
    }

    private static AwsCredentials? FromProfile(AwsEnvironment environment)
    {
        var profile = environment.Profile;
        var settings = SharedProfileFiles.ReadProfile(environment, profile);
        if (settings is null)
        {
            if (environment.ProfileChosenExplicitly)
                throw new AwsCredentialsException(
                    $"AWS_PROFILE is '{profile}' but neither {environment.SharedCredentialsFile} nor {environment.ConfigFile} defines it");
            return null;
        }

        if (settings.TryGetValue("aws_access_key_id", out var keyId) && settings.TryGetValue("aws_secret_access_key", out var secret))
            return new AwsCredentials(keyId, secret, settings.GetValueOrDefault("aws_session_token"), $"profile {profile}");

        var kind = settings.ContainsKey("role_arn") ? "assumes a role (role_arn)"
            : settings.Keys.Any(k => k.StartsWith("sso_", StringComparison.OrdinalIgnoreCase)) ? "uses AWS SSO"
            : settings.ContainsKey("credential_process") ? "uses credential_process"
            : "has no aws_access_key_id/aws_secret_access_key";
        throw new AwsCredentialsException(
            $"AWS profile '{profile}' {kind}, which Slipway does not resolve: export credentials (e.g. 'aws configure export-credentials --profile {profile} --format env') or use OIDC");
    }

    private static async Task<AwsCredentials> FromWebIdentityAsync(
        AwsEnvironment environment, string roleArn, string tokenFile, CancellationToken cancellationToken)
    {
        if (!File.Exists(tokenFile))
            throw new AwsCredentialsException($"AWS_WEB_IDENTITY_TOKEN_FILE {tokenFile} does not exist: check the OIDC token step of the CI job");
        var token = (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim();

        var config = new AmazonSecurityTokenServiceConfig { MaxErrorRetry = 1 };
        if (environment.EndpointFor("STS") is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = environment.Region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(environment.Region ?? "us-east-1");
        }

        // AssumeRoleWithWebIdentity is not signed: the OIDC token is the proof of identity.
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config);
        var request = new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = roleArn,
            RoleSessionName = environment["AWS_ROLE_SESSION_NAME"] ?? $"slipway-{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}",
            WebIdentityToken = token,
        };
        try
        {
            var response = await sts.AssumeRoleWithWebIdentityAsync(request, cancellationToken);
            var credentials = response.Credentials;
            return new AwsCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken, $"web identity {roleArn}");
        }
        catch (AmazonSecurityTokenServiceException e)
        {
            throw new AwsCredentialsException($"STS AssumeRoleWithWebIdentity for {roleArn} failed: {e.ErrorCode}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            var where = environment.EndpointFor("STS")?.ToString() ?? $"the STS endpoint of {environment.Region ?? "us-east-1"}";
            throw new AwsCredentialsException($"STS not reachable at {where}: {e.Message}", e);
        }
    }
}
