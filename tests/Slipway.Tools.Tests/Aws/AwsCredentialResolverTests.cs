using System.Diagnostics;
using Amazon.Runtime;
using Slipway.Tools.Aws;
using Xunit.Abstractions;

namespace Slipway.Tools.Tests.Aws;

// The AWS SDK's default chain reads this process's environment, so these tests set it (and run alone). Every
// endpoint is on 127.0.0.1: STS is FakeSts, which replays STS's documented XML; the profiles are AwsTestProfiles.
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class AwsCredentialResolverTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] ChainInputs =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_REGION", "AWS_DEFAULT_REGION",
    ];

    private readonly EnvironmentScope environment = Clean();

    private static EnvironmentScope Clean()
    {
        var scope = new EnvironmentScope().Set(InstanceMetadataGuard.DisabledVariable, "true");
        foreach (var name in ChainInputs)
            scope.Set(name, null);
        return scope;
    }

    private static Task<ResolvedAwsCredentials> Resolve() => AwsCredentialResolver.ResolveAsync(null, CancellationToken.None);

    [Fact]
    public async Task Environment_variables_come_first()
    {
        environment.Set("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT").Set("AWS_SECRET_ACCESS_KEY", "env-secret").Set("AWS_SESSION_TOKEN", "env-token")
            .Set("AWS_PROFILE", "static");

        var resolved = await Resolve();

        Assert.Equal(("AKIAENVIRONMENT", "env-secret", "env-token"), (resolved.Credentials.AccessKey, resolved.Credentials.SecretKey, resolved.Credentials.Token));
        Assert.Equal("AWS credentials ****MENT from environment variables (temporary)", resolved.ToString());
    }

    [Fact]
    public async Task AWS_PROFILE_selects_a_profile_with_keys()
    {
        environment.Set("AWS_PROFILE", "static");

        var resolved = await Resolve();

        Assert.Equal(("AKIASTATICEXAMPLE", "static-secret"), (resolved.Credentials.AccessKey, resolved.Credentials.SecretKey));
        Assert.False(resolved.Credentials.UseToken);
        Assert.Equal("profile static", resolved.Source);
    }

    [Fact]
    public async Task A_credential_process_profile_runs_the_process_and_reads_its_json()
    {
        environment.Set("AWS_PROFILE", "from-process");

        var resolved = await Resolve();

        Assert.Equal(("ASIAPROCESSEXAMPLE", "process-secret", "process-token"), (resolved.Credentials.AccessKey, resolved.Credentials.SecretKey, resolved.Credentials.Token));
        Assert.Equal("credential_process of profile from-process", resolved.Source);
    }

    [Fact]
    public async Task A_failing_credential_process_is_one_line_naming_the_profile()
    {
        environment.Set("AWS_PROFILE", "failing-process");

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        output.WriteLine(error.Message);
        Assert.StartsWith("AWS credentials from credential_process of profile failing-process failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("token expired, log in again", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_role_arn_profile_assumes_the_role_with_its_source_profile_through_sts()
    {
        using var sts = new FakeSts();
        environment.Set("AWS_PROFILE", "deploy-role").Set("AWS_ENDPOINT_URL_STS", sts.Url.ToString());

        var resolved = await Resolve();

        Assert.Equal((FakeSts.AccessKeyId, FakeSts.SecretAccessKey, FakeSts.SessionToken), (resolved.Credentials.AccessKey, resolved.Credentials.SecretKey, resolved.Credentials.Token));
        Assert.Equal($"role {AwsTestProfiles.RoleArn} of profile deploy-role", resolved.Source);
        var request = Assert.Single(sts.Requests);
        var form = FakeSts.Form(request);
        Assert.Equal(("AssumeRole", AwsTestProfiles.RoleArn, "slipway-test"), (form["Action"], form["RoleArn"], form["RoleSessionName"]));
        // Signed with the source profile's keys, for STS in the profile's region.
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={AwsTestProfiles.BaseAccessKeyId}/", request.Header("Authorization"), StringComparison.Ordinal);
        Assert.Contains("/eu-west-1/sts/aws4_request", request.Header("Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Web_identity_exchanges_the_oidc_token_with_sts()
    {
        using var sts = new FakeSts(acceptedWebIdentityToken: "oidc-jwt-from-ci");
        var tokenFile = Path.Combine(AwsTestProfiles.Directory, $"token-{Guid.NewGuid():N}");
        File.WriteAllText(tokenFile, "oidc-jwt-from-ci");
        environment.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/github-deploy").Set("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
            .Set("AWS_ROLE_SESSION_NAME", "slipway-ci").Set("AWS_REGION", "eu-west-1").Set("AWS_ENDPOINT_URL_STS", sts.Url.ToString())
            .Set("AWS_PROFILE", "static"); // web identity comes before profiles

        var resolved = await Resolve();

        Assert.Equal((FakeSts.AccessKeyId, FakeSts.SecretAccessKey, FakeSts.SessionToken), (resolved.Credentials.AccessKey, resolved.Credentials.SecretKey, resolved.Credentials.Token));
        Assert.Equal("web identity arn:aws:iam::123456789012:role/github-deploy", resolved.Source);
        var request = Assert.Single(sts.Requests);
        var form = FakeSts.Form(request);
        Assert.Equal(("AssumeRoleWithWebIdentity", "arn:aws:iam::123456789012:role/github-deploy", "slipway-ci", "oidc-jwt-from-ci"),
            (form["Action"], form["RoleArn"], form["RoleSessionName"], form["WebIdentityToken"]));
        Assert.Null(request.Header("Authorization")); // the token, not a signature, proves identity
    }

    [Fact]
    public async Task A_rejected_oidc_token_is_one_line_with_sts_error_code()
    {
        using var sts = new FakeSts(acceptedWebIdentityToken: "another-token");
        var tokenFile = Path.Combine(AwsTestProfiles.Directory, $"token-{Guid.NewGuid():N}");
        File.WriteAllText(tokenFile, "expired-jwt");
        environment.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/github-deploy").Set("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
            .Set("AWS_REGION", "eu-west-1").Set("AWS_ENDPOINT_URL_STS", sts.Url.ToString());

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        output.WriteLine(error.Message);
        Assert.StartsWith("AWS credentials from web identity arn:aws:iam::123456789012:role/github-deploy failed: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("InvalidIdentityToken: Token expired", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_chosen_profile_that_does_not_exist_is_named()
    {
        environment.Set("AWS_PROFILE", "prod");

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.StartsWith("AWS_PROFILE is 'prod' but no such profile is in ~/.aws/config", error.Message, StringComparison.Ordinal);
    }

    // Fast because nothing slow is asked: Off_ec2_the_instance_metadata_endpoint_is_never_asked proves the one source that
    // would wait (IMDS) is not; no wall-clock bound here, which a loaded CI machine would break.
    [Fact]
    public async Task No_credentials_anywhere_fails_with_one_line_naming_what_to_set()
    {
        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        Assert.Equal(AwsCredentialResolver.NoCredentials, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    // IMDS is pointed at a listener on 127.0.0.1 (AWS_EC2_METADATA_SERVICE_ENDPOINT), so that asking it would be seen here
    // and never reach 169.254.169.254. This machine shows no sign of EC2, so the guard must turn IMDS off.
    [Fact]
    public async Task Off_ec2_the_instance_metadata_endpoint_is_never_asked()
    {
        using var imds = new LoopbackHttpServer(_ => new Reply(404, "text/plain", ""));
        environment.Set(InstanceMetadataGuard.DisabledVariable, null).Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.Url.ToString().TrimEnd('/'));
        Assert.False(InstanceMetadataGuard.LooksLikeEc2("/"), "this test needs a machine that is not an EC2 instance");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<AwsCredentialsException>(Resolve);

        output.WriteLine($"no credentials, IMDS variable unset: failed in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(AwsCredentialResolver.NoCredentials, error.Message);
        Assert.Equal("true", Environment.GetEnvironmentVariable(InstanceMetadataGuard.DisabledVariable));
        Assert.Empty(imds.Requests);
    }

    [Fact]
    public async Task Given_credentials_are_used_as_they_are()
    {
        var resolved = await AwsCredentialResolver.ResolveAsync(new BasicAWSCredentials("AKIAGIVENEXAMPLE", "given-secret"), CancellationToken.None);

        Assert.Equal("AWS credentials ****MPLE from given credentials", resolved.ToString());
    }

    public void Dispose() => environment.Dispose();
}
